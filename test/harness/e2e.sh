#!/usr/bin/env bash
# npm run test:e2e: the Go tests of the harness plugins and the simulator's controller, then each
# end-to-end file in turn (they share one simulator: the first starts it unless it is up), each
# step's time printed as `ci phase: <name> <s>s` so a slow step shows in the CI log.
set -euo pipefail
cd "$(dirname "$0")/../.."
phase() {
  local name=$1 t0=$SECONDS; shift
  "$@"
  echo "ci phase: $name $((SECONDS - t0))s"
}
phase go-tests bash -c 'npm run -s test:plugins && npm run -s test:simulator'
for f in test/e2e/*.test.ts; do
  phase "e2e/$(basename "$f")" node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-timeout=5400000 "$f"
done
