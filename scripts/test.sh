#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine: installs what is missing, builds, type-checks,
# lints, then runs every test once: the unit, integration and e2e projects of vitest.config.ts (real
# nodes, real ansible-playbook, real Slurm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The EC2 tests run against moto_server, a real EC2 API server (preinstalled on this machine kind; PyPI is
# not reachable here, so it cannot be installed on the fly). They must run, never be skipped.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is missing: the EC2 tests need it. Install it with: pip install 'moto[server]'" >&2
  exit 1
fi
npm run build --silent
npx tsc -p tsconfig.json --noEmit
npx biome check src test bench scripts
# One shared image cache for every test (the first test run builds it with debootstrap).
export HERD_IMAGE_CACHE=${HERD_IMAGE_CACHE:-/var/cache/herd-test-images}
report=$(mktemp /tmp/herd-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = (r.numPendingTests || 0) + (r.numTodoTests || 0);
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
exit $status
