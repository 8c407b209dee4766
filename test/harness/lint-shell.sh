#!/usr/bin/env bash
# Runs ShellCheck over every shell script of the repository (the program's and the harness's).
# Debian's shellcheck package; test/harness/toolchain.sh installs it. Without it this says so
# and passes, so `npm test` still runs on a machine that has only Node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint: shellcheck is not installed: shell scripts not checked (bash test/harness/toolchain.sh apt installs it)"
  exit 0
fi
mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find components test .ci -name '*.sh' -o -path .ci/run)
shellcheck --severity=warning --external-sources "${scripts[@]}"
echo "lint: shellcheck passed on ${#scripts[@]} scripts"
