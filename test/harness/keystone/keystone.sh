#!/usr/bin/env bash
# A real Keystone (the versions.sh pin, from the venv `toolchain.sh keystone` builds) as a
# loopback process on SQLite, one per directory, for tests.
#
#   keystone.sh start <dir> <admin-password-file> <region>
#       Writes <dir>/keystone.conf, sets up the database and the fernet and credential keys,
#       bootstraps admin (password read from the file, which must be mode 0600) and the identity
#       endpoints, and starts the server on a free 127.0.0.1 port. Prints one line on stdout:
#       url=http://127.0.0.1:<port>/v3. Logs stay in <dir>; they are shown only on failure.
#       Started again on the same <dir> (after stop), it serves the same data.
#       Environment (optional): KEYSTONE_PUBLIC_URL, KEYSTONE_INTERNAL_URL, KEYSTONE_ADMIN_URL (the
#       catalog's identity endpoints; default the loopback URL), KEYSTONE_DEFAULT_DOMAIN_NAME
#       (rename bootstrap's "Default" domain, e.g. to the charts' "default": SQLite compares names
#       case-sensitively, MariaDB does not), KEYSTONE_WATCH_PID (the server exits when it is gone).
#   keystone.sh stop <dir>      stops the server of <dir>; nothing to stop is not an error.
#   keystone.sh check           exits 0 if the venv is built, else says why (for tests to skip).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../versions.sh"
. "$here/venv.sh"

die() { echo "keystone: $*" >&2; exit 1; }

need_venv() {
  keystone_paths
  if [ ! -e "$KEYSTONE_STAMP" ] || [ ! -x "$KEYSTONE_VENV/bin/python" ]; then
    die "keystone $KEYSTONE_VERSION is not built: run 'bash test/harness/toolchain.sh keystone'"
  fi
}

# The server's pid from its own pid file, if that process is alive and is our server for this
# directory (a stale file's pid may since belong to someone else).
server_pid() { # dir
  local pid
  [ -s "$1/keystone.pid" ] || return 1
  pid=$(cat "$1/keystone.pid")
  [[ $pid =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF "keystone_local.py serve $1 " || return 1  # the space: not $1-other
  echo "$pid"
}

# Whether pid runs. A server whose starter has exited is reaped by init, maybe late: until then
# it is a zombie, which kill -0 still finds.
alive() { # pid
  [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

show_logs() { # dir
  local f
  for f in setup.log server.log keystone-manage.log keystone.log; do
    [ -s "$1/$f" ] && { echo "--- last lines of $1/$f" >&2; tail -n 20 "$1/$f" >&2; }
  done
  return 0
}

write_conf() { # dir
  # Fast password hashing (bcrypt's minimum, 4 rounds, instead of 12) saves ~0.15 s per login;
  # it applies to passwords set from here on, bootstrap's included. No fsync per commit: the
  # database is a test's, thrown away with the directory. An in-process cache, as the charts'
  # memcached is for theirs: it takes a token check from ~0.15 s to ~0.015 s, and there is one
  # server process (the setup's writes are done before it starts), so nothing goes stale.
  cat > "$1/keystone.conf" <<EOF
[DEFAULT]
log_file = $1/keystone.log
use_stderr = false
[database]
connection = sqlite:///$1/keystone.db
sqlite_synchronous = false
[token]
provider = fernet
[fernet_tokens]
key_repository = $1/fernet-keys/
[credential]
key_repository = $1/credential-keys/
[identity]
password_hash_rounds = 4
[cache]
enabled = true
backend = oslo_cache.dict
EOF
}

start() { # dir password-file region
  local dir pwfile=$2 region=$3 pid port url i
  need_venv
  # The database holds password hashes and the directory the keys: all of it private.
  umask 077
  mkdir -p "$1"
  dir=$(cd "$1" && pwd)
  [ -r "$pwfile" ] || die "cannot read the admin password file $pwfile"
  if pid=$(server_pid "$dir"); then die "a keystone already runs for $dir (pid $pid): stop it first"; fi
  rm -f "$dir/keystone.pid" "$dir/port" "$dir/setup.done"
  # Keystone refuses key repositories that others can read (the directories may predate us).
  mkdir -p "$dir/fernet-keys" "$dir/credential-keys"
  chmod 0700 "$dir/fernet-keys" "$dir/credential-keys"
  write_conf "$dir"

  # The server binds first and says its port; the setup runs while it imports Keystone, and
  # setup.done tells it to build the app.
  KEYSTONE_WATCH_PID="${KEYSTONE_WATCH_PID:-}" \
    "$KEYSTONE_VENV/bin/python" "$here/keystone_local.py" serve "$dir" < /dev/null >> "$dir/server.log" 2>&1 &
  pid=$!
  for i in $(seq 1 200); do
    [ -s "$dir/port" ] && break
    alive "$pid" || { show_logs "$dir"; die "the server exited before it bound a port"; }
    [ "$i" -eq 200 ] && { kill "$pid" 2>/dev/null; show_logs "$dir"; die "the server bound no port in 10 s"; }
    sleep 0.05
  done
  port=$(cat "$dir/port")
  url="http://127.0.0.1:$port/v3"

  if ! "$KEYSTONE_VENV/bin/python" "$here/keystone_local.py" setup "$dir" "$pwfile" "$region" \
    "${KEYSTONE_PUBLIC_URL:-$url}" "${KEYSTONE_INTERNAL_URL:-$url}" "${KEYSTONE_ADMIN_URL:-$url}" \
    "${KEYSTONE_DEFAULT_DOMAIN_NAME:-}" < /dev/null > "$dir/setup.log" 2>&1; then
    kill "$pid" 2>/dev/null || true
    show_logs "$dir"; die "setup failed (database, keys or bootstrap)"
  fi
  touch "$dir/setup.done"

  for i in $(seq 1 600); do
    curl -sf -o /dev/null --max-time 5 "$url" && { echo "url=$url"; return 0; }
    alive "$pid" || { show_logs "$dir"; die "the server exited before $url answered"; }
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  show_logs "$dir"; die "$url did not answer within 60 s"
}

stop() { # dir
  local dir pid i
  [ -d "$1" ] || return 0
  dir=$(cd "$1" && pwd)
  if pid=$(server_pid "$dir"); then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      alive "$pid" || break
      [ "$i" -eq 50 ] && kill -9 "$pid" 2>/dev/null
      sleep 0.1
    done
  fi
  rm -f "$dir/keystone.pid" "$dir/port"
}

case "${1:-}" in
  start) [ $# -eq 4 ] || die "usage: $0 start <dir> <admin-password-file> <region>"; start "$2" "$3" "$4" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop <dir>"; stop "$2" ;;
  check) need_venv ;;
  *) die "usage: $0 start <dir> <admin-password-file> <region> | stop <dir> | check" ;;
esac
