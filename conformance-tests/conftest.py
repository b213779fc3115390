"""Starts a real `fhirgate serve` (on a fresh SQLite file, ports 0) for the black-box suites."""
import os
import re
import subprocess
import tempfile
import threading

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fhirgate_binary():
    explicit = os.environ.get("FHIRGATE_BIN")
    if explicit:
        return explicit
    for profile in ("debug", "release"):
        candidate = os.path.join(REPO, "target", profile, "fhirgate")
        if os.path.exists(candidate):
            return candidate
    raise RuntimeError("build fhirgate first (cargo build) or set FHIRGATE_BIN")


@pytest.fixture(scope="session")
def fhirgate():
    data = tempfile.mkdtemp(prefix="fhirgate-conformance-")
    process = subprocess.Popen(
        [fhirgate_binary(), "serve", "--http-addr", "127.0.0.1:0", "--mllp-addr", "127.0.0.1:0",
         "--database-url", f"sqlite://{data}/fhirgate.db"],
        cwd=REPO, stderr=subprocess.PIPE, text=True, env={**os.environ, "RUST_LOG": "info"},
    )
    addresses = {}
    for line in process.stderr:
        match = re.search(r"http=(http://\S+/fhir)", line)
        if match:
            addresses["http"] = match.group(1)
        mllp = re.search(r"mllp=(\S+)", line)
        if mllp:
            addresses["mllp"] = mllp.group(1)
        if "fhirgate listening" in line:
            break
    threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
    if "http" not in addresses:
        process.kill()
        raise RuntimeError("fhirgate did not report its address")
    yield addresses
    process.terminate()
    process.wait(timeout=30)
