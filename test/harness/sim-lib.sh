# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts that source it
# Shared by cluster-up.sh and cluster-down.sh: where the simulator lives, its loopback ports, and
# the pid files of the processes it starts. Sourced, not run.
here="${here:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
. "$here/versions.sh"
BIN="$OSH_CACHE/bin"
SIM="${OSH_SIM_DIR:-$OSH_CACHE/sim}"
RUN="$SIM/run"       # pid files
LOGS="$SIM/logs"     # one log per daemon
PKI="$SIM/pki"
CEPH_DIR="$SIM/ceph"

# Every server listens on 127.0.0.1 only, on ports away from each component's default. Several
# simulators run side by side: each sim directory has its own block of ports, the default one
# (offset 0) and any other at 1000 x (1..9) chosen from a hash of its path, or OSH_SIM_PORT_OFFSET
# (0-9). The bases differ by no multiple of 1000, so no two blocks share a port.
sim_port_offset() {
  if [ -n "${OSH_SIM_PORT_OFFSET:-}" ]; then
    [[ "$OSH_SIM_PORT_OFFSET" =~ ^[0-9]$ ]] || { echo "OSH_SIM_PORT_OFFSET must be 0-9" >&2; return 1; }
    echo "$OSH_SIM_PORT_OFFSET"
  elif [ "$SIM" = "$OSH_CACHE/sim" ]; then
    echo 0
  else
    echo $(( $(printf '%s' "$SIM" | cksum | cut -d' ' -f1) % 9 + 1 ))
  fi
}
PORT_BLOCK=$(( $(sim_port_offset) * 1000 ))
ETCD_PORT=$((12379 + PORT_BLOCK))
ETCD_PEER_PORT=$((12380 + PORT_BLOCK))
APISERVER_PORT=$((16443 + PORT_BLOCK))
KCM_PORT=$((20257 + PORT_BLOCK))
SCHEDULER_PORT=$((20259 + PORT_BLOCK))
KWOK_PORT=$((20247 + PORT_BLOCK))
MON_V1_PORT=$((16789 + PORT_BLOCK))
MON_V2_PORT=$((13300 + PORT_BLOCK))
OSD_PORT_MIN=$((16800 + PORT_BLOCK))   # the OSD binds its messenger ports in this range
OSD_PORT_MAX=$((16899 + PORT_BLOCK))

# Fake addresses, written into object status and never contacted: node InternalIPs and pod IPs
# from the TEST-NETs, ClusterIPs from a Service range nothing routes to (there is no kube-proxy).
NODES=(k1 k2 k3 k4)
NODE_IP_PREFIX=192.0.2.1      # k1 -> 192.0.2.11 ... k4 -> 192.0.2.14
POD_CIDR=198.51.100.0/24
SERVICE_CIDR=10.96.0.0/16
# What the apiserver advertises (the kubernetes Service's endpoint), from TEST-NET-3: this
# machine's own link may use TEST-NET-1. A real node's link holds it (node/node-lib.sh).
ADVERTISE_IP=203.0.113.1
# Where this simulator's Ceph listens: 127.0.0.1, or, for a simulator made with
# OSH_SIM_CEPH_FOR_PODS=1, an address of its own from 203.0.113.64/28 (TEST-NET-3 too, .65 + the
# port block), added to the host's lo under the label CEPH_LABEL (this kernel has no dummy links),
# which a real node's pods reach: the node routes that address to the host over its link
# (node/node-up.sh). Ceph's maps carry the address, so it is chosen when the sim's Ceph is first
# made and kept in $CEPH_DIR/addr; $CEPH_DIR/addr.added says this simulator added it to lo
# (cluster-down removes it).
CEPH_LABEL="lo:osh-ceph$(sim_port_offset)"
ceph_addr_wanted() {
  case "${OSH_SIM_CEPH_FOR_PODS:-0}" in
    1) echo "203.0.113.$((65 + $(sim_port_offset)))" ;;
    0) echo 127.0.0.1 ;;
    *) echo "OSH_SIM_CEPH_FOR_PODS must be 0 or 1 (got '$OSH_SIM_CEPH_FOR_PODS')" >&2; return 1 ;;
  esac
}
CEPH_ADDR=$(cat "$CEPH_DIR/addr" 2>/dev/null || ceph_addr_wanted)

slog() { printf '[sim] %s\n' "$*" >&2; }

# A pid file holds the pid and, on its second line, the executable we started.
# pid_of NAME prints the pid when that process is still the one we started: its argv[0] is the
# recorded executable and its command line names our sim directory.
pid_of() {
  local f="$RUN/$1.pid" pid exe argv0 cmdline
  [ -r "$f" ] || return 1
  { read -r pid; read -r exe; } < "$f" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  cmdline="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
  argv0="$(head -n1 <<<"$cmdline")"
  [ "$argv0" = "$exe" ] || return 1
  # An argument that is this sim directory or a path in it (another sim directory may start with
  # this one's path: <sim>-<file> of the parallel e2e files).
  local arg ours=1
  while IFS= read -r arg; do
    case "$arg" in "$SIM" | "$SIM"/* | *="$SIM"/*) ours=0; break ;; esac
  done <<<"$cmdline"
  [ "$ours" = 0 ] || return 1
  echo "$pid"
}

# start_daemon NAME EXE ARGS...: runs EXE in its own session, output to $LOGS/NAME.log.
start_daemon() {
  local name=$1 exe=$2 pid; shift 2
  mkdir -p "$RUN" "$LOGS"
  echo "--- $(date -u +%FT%TZ) start" >> "$LOGS/$name.log"
  # fd 9 is the lock cluster-up/down hold: the daemon must not inherit it.
  setsid "$exe" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  pid=$!
  printf '%s\n%s\n' "$pid" "$exe" > "$RUN/$name.pid"
  sleep 0.2
  if ! pid_of "$name" >/dev/null; then
    slog "$name exited at once; last lines of $LOGS/$name.log:"; tail -n 30 "$LOGS/$name.log" >&2
    rm -f "$RUN/$name.pid"
    return 1
  fi
}

# stop_recorded LOOKUP DIR LOGGER NAME [SECONDS]: SIGTERM to the process `LOOKUP NAME` finds
# (pid_of, node_pid), SIGKILL after SECONDS (default 20); its pid file DIR/NAME.pid goes. Returns
# 0 when the process ended on SIGTERM (or was not running), 1 when it had to be killed.
stop_recorded() {
  local lookup=$1 dir=$2 logger=$3 name=$4 wait=${5:-20} pid i
  if ! pid=$("$lookup" "$name"); then
    rm -f "$dir/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$dir/$name.pid"; return 0; }
    sleep 0.1
  done
  "$logger" "$name ($pid) did not stop in ${wait}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/$name.pid"
  return 1
}

# stop_daemon NAME [SECONDS]: stop_recorded for a daemon of the simulator.
stop_daemon() { stop_recorded pid_of "$RUN" slog "$@"; }

# wait_for WHAT SECONDS CMD...: polls CMD every half second. On a timeout it says so through
# WAIT_LOGGER (default slog) with the last lines of the three logs of WAIT_LOG_DIR (default $LOGS)
# written last, and returns 1.
wait_for() {
  local what=$1 secs=$2 i f logger=${WAIT_LOGGER:-slog} dir=${WAIT_LOG_DIR:-$LOGS}; shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  "$logger" "timed out after ${secs}s waiting for $what; the logs are in $dir, the latest:"
  while read -r f; do
    [ -n "$f" ] || continue
    "$logger" "== $f"
    tail -n 10 "$f" >&2
  done < <(find "$dir" -maxdepth 1 -name '*.log' -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 3 | cut -d' ' -f2-)
  return 1
}

# ---------------------------------------------------------------- identities

# ca NAME CN: a self-signed CA.
ca() {
  [ -s "$PKI/$1.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -out "$PKI/$1.crt" -days 3650 -sha256 \
    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
}

# cert NAME SUBJECT EXTKEYUSAGE [SAN] [CA]: a key and a certificate signed by CA (default: ca).
cert() {
  local n=$1 ca=${5:-ca}
  [ -s "$PKI/$n.crt" ] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/$n.key" -out "$PKI/$n.csr" -subj "$2" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$3"
    [ -z "${4:-}" ] || echo "subjectAltName=$4"
  } > "$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null
  rm -f "$PKI/$n.csr" "$PKI/$n.ext"
}

# kubeconfig FILE USER CERTNAME [SERVER]: a self-contained kubeconfig for the sim apiserver
# (default https://127.0.0.1:<its port>).
kubeconfig() {
  local tmp="$1.tmp" server=${4:-https://127.0.0.1:$APISERVER_PORT}
  cat > "$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: osh-sim
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$3.crt")
    client-key-data: $(base64 -w0 "$PKI/$3.key")
contexts:
- name: osh-sim
  context:
    cluster: osh-sim
    user: $2
current-context: osh-sim
EOF
  mv "$tmp" "$1"
}

# The daemons, in start order; cluster-down stops them in reverse.
DAEMONS=(ceph-mon ceph-osd ceph-mgr etcd kube-apiserver kwok kube-controller-manager kube-scheduler osh-sim-controller)
