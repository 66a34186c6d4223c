#!/usr/bin/env bash
# The three cross-border services, as an NCP calls them with curl over mutual TLS.
#   TOKEN=<certificate-bound access token> conformance/ncp/ncp-request.sh
# Paths as in ncp-client.toml; override with BASE, CA, CERT, KEY.
set -euo pipefail
BASE=${BASE:-https://ncp.gateway.example.no/fhir}
CA=${CA:-/etc/ncp-de/ehdsi-ca.pem}
CERT=${CERT:-/etc/ncp-de/ncp-client.pem}
KEY=${KEY:-/etc/ncp-de/ncp-client-key.pem}
: "${TOKEN:?TOKEN must hold an access token bound to $CERT}"
call() {
  curl -sS --fail-with-body --tlsv1.2 --cacert "$CA" --cert "$CERT" --key "$KEY" \
    -H "Authorization: Bearer $TOKEN" -H 'Accept: application/fhir+json' "$BASE/$1"
  echo
}
# 1. Identify the visiting citizen by national identifier, with demographic cross-checks.
call 'Patient?identifier=urn:oid:2.16.578.1.12.4.1.4.1%7C17854110128&birthdate=1941-05-17&family=Johansen'
# 2. The patient summary (IPS document), by id or by identifier.
call 'Patient/no.p-no-008/$summary'
call 'Patient/$summary?identifier=urn:oid:2.16.578.1.12.4.1.4.1%7C17854110128'
# 3. ePrescription: the active prescriptions.
call 'MedicationRequest?patient=no.p-no-008&status=active'
