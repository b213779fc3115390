"""python-hl7's MLLP client (the library behind its `mllp_send` tool) sends every v2 sample
in ../shared/data/v2 to fhirgate; every ACK must name the message (MSA-2 = MSH-10) and
carry a valid acknowledgment code."""
import glob
import os

import pytest
from hl7.client import MLLPClient

from conftest import REPO

SAMPLES = os.path.join(REPO, "..", "shared", "data", "v2")
ACK_CODES = {"AA", "AE", "AR", "CA", "CE", "CR"}
# The ADT events crates/translate maps to FHIR; their messages must be committed (AA).
TRANSLATED_ADT_EVENTS = {
    "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A11", "A12", "A13", "A28", "A31",
}


def field(message, segment, index):
    for line in message.replace("\n", "\r").split("\r"):
        if line.startswith(segment):
            parts = line.split(line[3]) if len(line) > 3 else []
            return parts[index] if len(parts) > index else ""
    return ""


def msh_10(message):
    # MSH-1 is the separator itself, so MSH-10 is the tenth item after the split.
    return field(message, "MSH", 9)


def samples():
    return sorted(glob.glob(os.path.join(SAMPLES, "*.hl7")))


def test_every_sample_gets_a_matching_ack(fhirgate):
    files = samples()
    if not files:
        pytest.skip(f"skipped: ../shared/data/v2 not found or empty at {SAMPLES}")
    host, port = fhirgate["mllp"].rsplit(":", 1)
    answered = 0
    accepted = 0
    for path in files:
        with open(path, "rb") as handle:
            raw = handle.read()
        message = raw.decode("latin-1").replace("\r\n", "\r").replace("\n", "\r").strip("\r")
        if not message.startswith("MSH"):
            continue
        # One connection per message: an unreadable MSH makes the server close it.
        with MLLPClient(host, int(port)) as client:
            ack = client.send_message(message.encode("latin-1") + b"\r").decode("latin-1")
        if not ack:
            # Only a message whose MSH-1/MSH-2 are unusable may go unanswered: no ACK
            # could name it (hl7v2's build_ack_for_parse_error refuses to guess).
            assert not readable_delimiters(message), f"{path}: no ACK for a readable MSH"
            continue
        assert field(ack, "MSA", 1) in ACK_CODES, f"{path}: {ack!r}"
        assert field(ack, "MSA", 2) == msh_10(message), f"{path}: {ack!r}"
        if is_single_translated_adt(message):
            assert field(ack, "MSA", 1) in {"AA", "CA"}, f"{path}: {ack!r}"
            accepted += 1
        answered += 1
    assert answered > 0
    assert accepted > 0, "no ADT sample was translated and accepted"


def is_single_translated_adt(message):
    """One message (not a batch) whose MSH-9 is a translated ADT event."""
    if message.count("\rMSH") > 0 or any(s in message for s in ("\rBHS", "\rFHS")):
        return False
    separator = message[3:4]
    components = field(message, "MSH", 8).split(message[4:5] or "^")
    return (
        len(components) >= 2
        and components[0] == "ADT"
        and components[1] in TRANSLATED_ADT_EVENTS
        and separator == "|"
    )


def readable_delimiters(message):
    """MSH-1 and the MSH-2 encoding characters must all differ from each other."""
    separator = message[3:4]
    encoding = message[4:].split(separator, 1)[0] if separator else ""
    characters = separator + encoding
    return len(encoding) >= 4 and len(set(characters)) == len(characters)
