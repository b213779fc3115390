"""Derives summary-elements.txt from the FHIR R4 core StructureDefinitions (CC0).

One line per resource type: `Type element.path element.path ...`, listing the
element paths (relative to the resource, backbone children dotted, choice elements ending in [x]) whose
ElementDefinition has isSummary = true. `_summary=true` keeps only these.

Run from the repository root:
    python3 crates/fhir-core/data/generate_summary_elements.py \
        fhir-profiles/hl7.fhir.r4.core/profiles-resources.json.gz \
        > crates/fhir-core/data/summary-elements.txt
"""
import gzip
import json
import sys

bundle = json.load(gzip.open(sys.argv[1]))
for entry in bundle["entry"]:
    sd = entry["resource"]
    if sd.get("resourceType") != "StructureDefinition" or sd.get("kind") != "resource":
        continue
    if sd.get("derivation") != "specialization" or sd.get("abstract"):
        continue
    paths = []
    for element in sd["snapshot"]["element"]:
        path = element["path"]
        if "." not in path or not element.get("isSummary"):
            continue
        relative = path.split(".", 1)[1]
        paths.append(relative)
    print(sd["id"], " ".join(paths))
