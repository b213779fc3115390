"""Parses every corpus message with python-hl7 (`hl7.parse`, every leaf unescaped with
Message.unescape) and hl7apy (`parse_message`, find_groups=False, every leaf read with
to_er7(); hl7apy has no unescaping on read). Usage: python python_parsers.py corpus.json [seconds]
"""
import json
import sys
import time

import hl7
from hl7apy.parser import parse_message


def walk_hl7(text):
    message = hl7.parse(text)
    total = 0

    def visit(node):
        nonlocal total
        if isinstance(node, str):
            total += len(message.unescape(node))
        else:
            for child in node:
                visit(child)

    for segment in message:
        for field in segment[1:]:
            visit(field)
    return total


def walk_hl7apy(text):
    message = parse_message(text, find_groups=False)
    total = 0

    def visit(element):
        nonlocal total
        children = getattr(element, "children", None)
        if children:
            for child in children:
                visit(child)
        else:
            total += len(element.to_er7())

    for segment in message.children:
        for field in segment.children:
            visit(field)
    return total


def measure(name, walk, messages, seconds):
    ok = []
    failures = 0
    for m in messages:
        try:
            walk(m)
            ok.append(m)
        except Exception:  # noqa: BLE001 - a parser's failure is counted, not fatal
            failures += 1
    size = sum(len(m.encode("utf-8")) for m in ok)
    for m in ok[:50]:
        walk(m)
    passes = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for m in ok:
            walk(m)
        passes += 1
        elapsed = time.perf_counter() - start
    per_pass = elapsed / passes
    print(json.dumps({
        "parser": name, "messages": len(ok), "failures": failures,
        "mb_per_s": size / per_pass / 1e6, "messages_per_s": len(ok) / per_pass,
    }))


def main():
    messages = json.load(open(sys.argv[1], encoding="utf-8"))
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    measure("python-hl7 hl7.parse", walk_hl7, messages, seconds)
    measure("hl7apy parse_message", walk_hl7apy, messages, seconds)


if __name__ == "__main__":
    main()
