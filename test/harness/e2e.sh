#!/usr/bin/env bash
# npm run test:e2e: the Go tests of the harness plugins and the simulator's controller, then every
# end-to-end file and the real node's smoke (node/smoke.sh, `npm run test:real-node-smoke`) at
# once, each on a simulator of its own, each step's time printed as `ci phase: <name> <s>s` so a
# slow step shows in the CI log.
#
# The files share nothing but the toolchain cache: the first uses OSH_SIM_DIR/OSH_WORK_DIR (or the
# defaults), each other one <that>-<file> with a port block of its own (OSH_SIM_PORT_OFFSET); a
# file starts its simulator unless it is up and stops the one it started. One after the other
# they took 660 s + 587 s warm, and the machine idled a fifth to two fifths of that time waiting
# on the simulated cluster, so they overlap well. Each file's output goes to a log printed whole
# when it ends, so the reports do not interleave.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/harness/versions.sh
phase() {
  local name=$1 t0=$SECONDS; shift
  "$@"
  echo "ci phase: $name $((SECONDS - t0))s"
}
phase go-tests bash -c 'npm run -s test:plugins && npm run -s test:simulator'
# The toolchain once, before the files prepare their stacks at once (two cold builds of one cache
# would collide); warm, it only checks.
bash test/harness/toolchain.sh
bash test/harness/toolchain.sh node

sim=${OSH_SIM_DIR:-$OSH_CACHE/sim}
work=${OSH_WORK_DIR:-$OSH_CACHE/work}
offset=$(OSH_SIM_DIR=$sim bash -c '. test/harness/sim-lib.sh && sim_port_offset')
logs=$(mktemp -d)
files=(test/e2e/*.test.ts test/harness/node/smoke.sh)
# A file's name: the e2e file's, or the smoke's npm script.
name_of() { case "$1" in */smoke.sh) echo real-node-smoke ;; *) basename "$1" .test.ts ;; esac; }
declare -A pid_of_file=() sim_of_file=() was_up=()

# Interrupted: every file's process group goes (its test runner, the pulumi runs and plugins it
# started), then the simulators the files started, which their own teardown would have stopped.
stop_files() {
  local f
  for f in "${!pid_of_file[@]}"; do kill -- "-${pid_of_file[$f]}" 2>/dev/null || true; done
  for f in "${!sim_of_file[@]}"; do
    [ -n "${was_up[$f]}" ] || OSH_SIM_DIR=${sim_of_file[$f]} bash test/harness/cluster-down.sh >/dev/null 2>&1 || true
  done
}
trap 'stop_files; exit 130' INT TERM
trap 'rm -rf "$logs"' EXIT

t0=$SECONDS
# Each file in a process group of its own, so stop_files reaches everything it started.
set -m
for i in "${!files[@]}"; do
  f=${files[$i]}
  name=$(name_of "$f")
  if [ "$i" -gt 0 ]; then
    sim_i="$sim-$name" work_i="$work-$name"
    # Another block than the first file's, and never the default simulator's (offset 0).
    offset=$((offset % 9 + 1))
  else
    sim_i=$sim work_i=$work
  fi
  sim_of_file[$f]=$sim_i
  was_up[$f]=""
  if [ -e "$sim_i/run/ready" ]; then was_up[$f]=yes; fi
  echo "e2e: $f on the simulator in $sim_i (port block $offset), its output when it ends"
  (
    export OSH_SIM_DIR=$sim_i OSH_WORK_DIR=$work_i OSH_SIM_PORT_OFFSET=$offset
    s=$SECONDS
    rc=0
    if [ "$name" = real-node-smoke ]; then
      OSH_NODE_SMOKE_SIM_DIR=$sim_i OSH_NODE_SMOKE_WORK_DIR=$work_i bash "$f" > "$logs/$name.log" 2>&1 || rc=$?
      echo "ci phase: $name $((SECONDS - s))s" >> "$logs/$name.log"
    else
      node --import tsx --test --test-concurrency=1 --test-reporter=spec --test-timeout=5400000 "$f" > "$logs/$name.log" 2>&1 || rc=$?
      echo "ci phase: e2e/$(basename "$f") $((SECONDS - s))s" >> "$logs/$name.log"
    fi
    exit "$rc"
  ) &
  pid_of_file[$f]=$!
done
set +m

# Reports in the order the files end, each as soon as it does.
failed=()
declare -A file_of_pid=()
for f in "${!pid_of_file[@]}"; do file_of_pid[${pid_of_file[$f]}]=$f; done
while [ "${#file_of_pid[@]}" -gt 0 ]; do
  rc=0 done_pid=""
  wait -n -p done_pid "${!file_of_pid[@]}" || rc=$?
  f=${file_of_pid[$done_pid]}
  unset "file_of_pid[$done_pid]" "pid_of_file[$f]"
  cat "$logs/$(name_of "$f").log"
  [ "$rc" -eq 0 ] || failed+=("$f (exit $rc)")
done
echo "ci phase: e2e-files $((SECONDS - t0))s"
if [ "${#failed[@]}" -gt 0 ]; then
  # A CI log is often read from its tail: each failed file's failures again, last. (node's spec
  # reporter ends a file's report with them; the smoke's own last lines say what failed.)
  for f in "${failed[@]}"; do
    log="$logs/$(name_of "${f% (exit *}").log"
    echo "e2e: ${f}: its failures"
    if grep -q '^✖ failing tests:' "$log"; then
      sed -n '/^✖ failing tests:/,$p' "$log" | grep -v '^ *at \|^ *\(generatedMessage\|code\|operator\):' | head -n 400 || true
    else
      tail -n 40 "$log" || true
    fi
  done
  echo "e2e: failed: ${failed[*]}" >&2
  exit 1
fi
