# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts that source it
# Where the Keystone virtualenv lives. Sourced (after versions.sh) by toolchain.sh, which builds
# it, and by keystone.sh, which runs it. There is one venv per lock file and Python, so changing
# the lock builds a new venv beside the old one and leaves the old one for runs already using it.
KEYSTONE_LOCK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/requirements.lock"

# keystone_paths: sets KEYSTONE_KEY, KEYSTONE_VENV and KEYSTONE_STAMP. It is a function because
# it asks python3 for its version, and toolchain.sh should only pay for that when it is asked
# for keystone.
keystone_paths() {
  local py
  py=$(python3 --version 2>&1) || { echo "keystone: python3 is not on PATH" >&2; return 1; }
  KEYSTONE_KEY=$( { cat "$KEYSTONE_LOCK"; echo "$py"; } | sha256sum | cut -c1-12)
  KEYSTONE_VENV="$OSH_CACHE/keystone/venv-$KEYSTONE_KEY"
  KEYSTONE_STAMP="$OSH_CACHE/.done-keystone-$KEYSTONE_VERSION-$KEYSTONE_KEY"
}
