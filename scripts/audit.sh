#!/usr/bin/env bash
# Audit the pinned dependencies for known vulnerabilities with pip-audit.
#
#   bash scripts/audit.sh            # requirements.txt (what production runs)
#   bash scripts/audit.sh -r requirements-dev.txt
#
# The result is always explicit, on the last line:
#   AUDIT PASSED       every pinned package was checked and none has a known vulnerability (exit 0)
#   AUDIT FAILED       known vulnerabilities were found; they are listed above (exit 1)
#   AUDIT INCOMPLETE   the vulnerability service could not be reached, or could not answer for some
#                      packages; those packages are listed and nothing is claimed for them (exit 2)
set -euo pipefail
cd "$(dirname "$0")/.."
REQ=requirements.txt
if [ "${1:-}" = "-r" ] && [ -n "${2:-}" ]; then REQ=$2; fi
TOOLS=var/audit-venv
if [ ! -x "$TOOLS/bin/pip-audit" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q pip-audit==2.10.1
fi
OUT=$(mktemp)
trap 'rm -f "$OUT" "$OUT.err"' EXIT
set +e
"$TOOLS/bin/pip-audit" -r "$REQ" --vulnerability-service "${AUDIT_SERVICE:-pypi}" --progress-spinner off --format json >"$OUT" 2>"$OUT.err"
rc=$?
set -e
python3 - "$OUT" "$rc" "$OUT.err" <<'PY'
import json, sys
path, rc, err = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    data = json.load(open(path))
except (OSError, ValueError):
    tail = open(err).read().strip().splitlines()[-1:] if err else []
    print("pip-audit could not run to completion:", *tail)
    print("AUDIT INCOMPLETE: the vulnerability service was unreachable; no package was audited.")
    sys.exit(2)
deps = data.get("dependencies", [])
skipped = [d for d in deps if d.get("skip_reason")]
vulnerable = [d for d in deps if d.get("vulns")]
for d in vulnerable:
    for v in d["vulns"]:
        print(f"VULNERABLE {d['name']} {d.get('version')}: {v.get('id')} fixed in {', '.join(v.get('fix_versions') or ['(no fix)'])}")
for d in skipped:
    print(f"NOT AUDITED {d['name']}: {d['skip_reason']}")
audited = len(deps) - len(skipped)
print(f"{len(deps)} packages: {audited} audited, {len(vulnerable)} vulnerable, {len(skipped)} not audited.")
if vulnerable:
    print("AUDIT FAILED: known vulnerabilities in the pinned dependencies.")
    sys.exit(1)
if skipped:
    print("AUDIT INCOMPLETE: the vulnerability service could not answer for the packages above; nothing is claimed for them.")
    sys.exit(2)
print("AUDIT PASSED: no known vulnerabilities in the pinned dependencies.")
PY
