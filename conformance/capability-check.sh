#!/usr/bin/env bash
# Validates a running gateway's CapabilityStatement and a Patient read against the official
# R4 JSON schema. Usage: conformance/capability-check.sh [base URL] [bearer token]
# Needs python3 with jsonschema (pip install jsonschema).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-http://127.0.0.1:8080}
TOKEN=${2:-}
fetch() { curl -sf ${TOKEN:+-H "Authorization: Bearer $TOKEN"} "$1"; }
validate() { # type json
  python3 - "$1" "$2" <<'PY'
import json, sys
import jsonschema
kind, body = sys.argv[1], json.loads(sys.argv[2])
schema = json.load(open("fhir-profiles/r4/fhir.schema.json"))
# The published R4 schema lists fhirVersion values up to 4.0.0; 4.0.1 is the R4 technical correction.
schema["definitions"]["CapabilityStatement"]["properties"]["fhirVersion"]["enum"].append("4.0.1")
root = {"$ref": f"#/definitions/{kind}", "definitions": schema["definitions"]}
errors = list(jsonschema.Draft6Validator(root).iter_errors(body))
for e in errors:
    print(f"{kind}: {'/'.join(map(str, e.path))}: {e.message}")
print(f"{kind}: {'valid' if not errors else 'INVALID'}")
sys.exit(1 if errors else 0)
PY
}
validate CapabilityStatement "$(fetch "$BASE/fhir/metadata")"
if [ -n "$TOKEN" ]; then
  validate Bundle "$(fetch "$BASE/fhir/Patient?_count=5")"
fi
