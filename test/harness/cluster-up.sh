#!/usr/bin/env bash
# Starts the simulator on this machine, without containers, everything on 127.0.0.1:
#   - a Kubernetes control plane: etcd, kube-apiserver (RBAC, client-certificate auth),
#     kube-controller-manager, kube-scheduler, and kwok, which plays the kubelets of the fake
#     nodes k1..k4 (nodes Ready with leases, pods Running, Job pods Succeeded, deleted pods gone);
#   - the simulator's controller (test/harness/simulator), which holds every pod that starts with
#     a kubernetes-entrypoint init container until what it waits for is there, as the real
#     entrypoint does, times its start and run from a duration policy (OSH_SIM_TIME_SCALE scales
#     it), and records $SIM/timeline.jsonl and $SIM/stalls.json (pods waiting > OSH_SIM_STALL_S);
#   - a real single-node Ceph (one monitor, one memstore OSD, cephx), on 127.0.0.1 or, made
#     with OSH_SIM_CEPH_FOR_PODS=1, on an address a real node's pods reach (sim-lib.sh);
#   - what the program expects to find in a Rook cluster: CoreDNS, PersistentVolumes for
#     StorageClass rook-ceph-block, the mon Service and ConfigMap rook-ceph-mon-endpoints.
# Idempotent: when everything is already up and healthy it only prints the summary.
# State lives in ${OSH_SIM_DIR:-$OSH_CACHE/sim}; `source $SIM/env` sets KUBECONFIG, CEPH_CONF,
# OSH_CEPH_TOOLBOX and PATH. cluster-down.sh stops it (--purge also deletes the state).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/sim-lib.sh"
. "$here/node/node-lib.sh"
T0=$(date +%s.%N)
PV_COUNT="${OSH_SIM_PVS:-8}"

if [[ ! "$SIM" =~ ^/[A-Za-z0-9._/+-]+$ ]]; then
  # The toolbox prefix and the kubeconfig path are pasted into shell commands unquoted.
  echo "cluster-up: OSH_SIM_DIR must be an absolute path of plain characters (got '$SIM')" >&2
  exit 2
fi

KUBECTL="$BIN/kubectl"
ADMIN_KUBECONFIG="$SIM/admin.kubeconfig"
CEPH_CONF_FILE="$CEPH_DIR/ceph.conf"
kc() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
ceph_() { timeout "${CEPH_TIMEOUT:-20}" ceph -c "$CEPH_CONF_FILE" "$@"; }

# http_ok PORT PATH: a plain-HTTP GET on 127.0.0.1 answered 200 with body "ok" or etcd's health.
http_ok() {
  local body
  body="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3; cat <&3' _ "$1" "$2" 2>/dev/null)" || return 1
  head -n1 <<<"$body" | grep -q ' 200 ' || return 1
  grep -Eq '^ok$|"health":"true"' <<<"${body//$'\r'/}"
}

# https_ok PORT: /healthz of a component serving a certificate from our CA.
https_ok() { kc --server "https://127.0.0.1:$1" get --raw /healthz 2>/dev/null | grep -qx ok; }

# port_free PORT: nothing accepts connections on 127.0.0.1:PORT.
port_free() { ! timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null; }

# Before starting anything: the ports of each daemon that is not running must be free.
check_ports() {
  local bad=0
  pid_of ceph-mon >/dev/null || { need_port ceph-mon "$MON_V1_PORT" && need_port ceph-mon "$MON_V2_PORT"; } || bad=1
  pid_of etcd >/dev/null || { need_port etcd "$ETCD_PORT" && need_port etcd "$ETCD_PEER_PORT"; } || bad=1
  pid_of kube-apiserver >/dev/null || need_port kube-apiserver "$APISERVER_PORT" || bad=1
  pid_of kwok >/dev/null || need_port kwok "$KWOK_PORT" || bad=1
  pid_of kube-controller-manager >/dev/null || need_port kube-controller-manager "$KCM_PORT" || bad=1
  pid_of kube-scheduler >/dev/null || need_port kube-scheduler "$SCHEDULER_PORT" || bad=1
  return "$bad"
}

# need_port NAME PORT: fails when someone else already listens there.
need_port() {
  if ! port_free "$2"; then
    slog "port 127.0.0.1:$2 for $1 is taken by another process (ss -ltnp 'sport = :$2'); stop it or change the port in sim-lib.sh"
    return 1
  fi
}

check_tools() {
  local missing=() b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
    [ -x "$BIN/$b" ] || missing+=("$b")
  done
  [ -s "$OSH_CACHE/kwok/stages.yaml" ] || missing+=("kwok-stages")
  [ -x "$BIN/osh-sim-controller" ] || missing+=("osh-sim-controller")
  [ -s "$OSH_CACHE/$GATEWAY_API_CRDS" ] || missing+=("gateway-api")
  if [ ${#missing[@]} -gt 0 ]; then
    slog "building ${missing[*]} first (toolchain.sh)"
    bash "$here/toolchain.sh" etcd kubernetes kwok gateway-api sim-controller >&2
  fi
  for b in ceph-mon ceph-osd ceph ceph-authtool monmaptool rbd; do
    command -v "$b" >/dev/null || { slog "$b is missing: run 'bash $here/toolchain.sh apt'"; exit 1; }
  done
}

# ---------------------------------------------------------------- identities (made once)

make_identities() {
  mkdir -p "$PKI" "$RUN" "$LOGS"
  chmod 700 "$PKI"
  ca ca osh-sim-ca
  # The front-proxy pair, as kubeadm sets it up (aggregated APIs; and the controllers' delegated
  # authentication wants its CA bundle).
  ca front-proxy-ca osh-sim-front-proxy-ca
  cert front-proxy-client "/CN=front-proxy-client" clientAuth "" front-proxy-ca
  cert apiserver "/CN=kube-apiserver" serverAuth \
    "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1,IP:$ADVERTISE_IP"
  cert kcm-serving "/CN=kube-controller-manager" serverAuth "DNS:localhost,IP:127.0.0.1"
  cert scheduler-serving "/CN=kube-scheduler" serverAuth "DNS:localhost,IP:127.0.0.1"
  cert admin "/O=system:masters/CN=osh-sim-admin" clientAuth
  # What the apiserver shows a kubelet for logs and exec (a real node's; kwok's never asked).
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  cert kcm "/CN=system:kube-controller-manager" clientAuth
  cert scheduler "/CN=system:kube-scheduler" clientAuth
  if [ ! -s "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  [ -s "$ADMIN_KUBECONFIG" ] || kubeconfig "$ADMIN_KUBECONFIG" osh-sim-admin admin
  [ -s "$SIM/kcm.kubeconfig" ] || kubeconfig "$SIM/kcm.kubeconfig" system:kube-controller-manager kcm
  [ -s "$SIM/scheduler.kubeconfig" ] || kubeconfig "$SIM/scheduler.kubeconfig" system:kube-scheduler scheduler
  chmod 600 "$SIM"/*.kubeconfig
}

# ---------------------------------------------------------------- Ceph

MON_HOST="[v2:$CEPH_ADDR:$MON_V2_PORT,v1:$CEPH_ADDR:$MON_V1_PORT]"

# The address the Ceph of this sim was made with stays; asking for the other one needs a new Ceph.
ceph_addr_check() {
  local wanted
  wanted=$(ceph_addr_wanted) || exit 2
  if [ -n "${OSH_SIM_CEPH_FOR_PODS:-}" ] && [ -s "$CEPH_DIR/addr" ] && [ "$wanted" != "$CEPH_ADDR" ]; then
    slog "this simulator's Ceph listens on $CEPH_ADDR, OSH_SIM_CEPH_FOR_PODS=$OSH_SIM_CEPH_FOR_PODS wants $wanted; Ceph's maps hold the address. Fix: cluster-down.sh --purge, then cluster-up.sh again"
    exit 2
  fi
  mkdir -p "$CEPH_DIR"
  [ -s "$CEPH_DIR/addr" ] || echo "$CEPH_ADDR" > "$CEPH_DIR/addr"
}

# The address on lo, for a Ceph reachable from a real node's pods (none for 127.0.0.1).
ceph_addr_up() {
  [ "$CEPH_ADDR" != 127.0.0.1 ] || return 0
  if ip -j addr show dev lo | jq -e --arg a "$CEPH_ADDR" '.[0].addr_info[] | select(.local == $a)' >/dev/null; then
    [ -e "$CEPH_DIR/addr.added" ] && return 0
    slog "$CEPH_ADDR is already on lo, and not by this simulator (another one in the same port block?); stop it or pick another OSH_SIM_PORT_OFFSET"
    exit 1
  fi
  touch "$CEPH_DIR/addr.added"
  ip addr add "$CEPH_ADDR/32" dev lo label "$CEPH_LABEL"
}

ceph_identity() {
  mkdir -p "$CEPH_DIR/log" "$CEPH_DIR/run" "$CEPH_DIR/crash"
  # The fsid and the admin key are made once and survive a rebuild of the daemons' data.
  [ -s "$CEPH_DIR/fsid" ] || cat /proc/sys/kernel/random/uuid > "$CEPH_DIR/fsid"
  FSID="$(cat "$CEPH_DIR/fsid")"
  if [ ! -s "$CEPH_DIR/ceph.client.admin.keyring" ]; then
    ceph-authtool --create-keyring "$CEPH_DIR/ceph.client.admin.keyring" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
    chmod 600 "$CEPH_DIR/ceph.client.admin.keyring"
  fi
  local d=$CEPH_DIR
  cat > "$CEPH_CONF_FILE.tmp" <<EOF
# Written by cluster-up.sh. Clients: CEPH_CONF=$CEPH_CONF_FILE (ceph, rbd, rados).
[global]
fsid = $FSID
mon_host = $MON_HOST
public_network = $( [ "$CEPH_ADDR" = 127.0.0.1 ] && echo 127.0.0.0/8 || echo "$CEPH_ADDR/32")
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 2
mon_data_avail_crit = 1
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
crash_dir = $d/crash
mon_cluster_log_file = default=$d/log/ceph.\$channel.log cluster=$d/log/ceph.log

[client]
keyring = $d/ceph.client.admin.keyring

[mon]
mon_data = $d/mon-\$id
log_file = $d/log/\$name.log
admin_socket = $d/run/\$name.asok
run_dir = $d/run

[osd]
osd_data = $d/osd-\$id
keyring = $d/osd-\$id/keyring
osd_objectstore = memstore
memstore_device_bytes = 2147483648
# A clean stop makes memstore write its objects to osd_data (fast shutdown skips that).
osd_fast_shutdown = false
public_addr = $CEPH_ADDR
cluster_addr = $CEPH_ADDR
ms_bind_port_min = $OSD_PORT_MIN
ms_bind_port_max = $OSD_PORT_MAX
log_file = $d/log/\$name.log
admin_socket = $d/run/\$name.asok
run_dir = $d/run

[mgr]
mgr_data = $d/mgr-\$id
public_addr = $CEPH_ADDR
ms_bind_port_min = $OSD_PORT_MIN
ms_bind_port_max = $OSD_PORT_MAX
log_file = $d/log/\$name.log
admin_socket = $d/run/\$name.asok
run_dir = $d/run
EOF
  mv "$CEPH_CONF_FILE.tmp" "$CEPH_CONF_FILE"
}

ceph_mgr_up() { ceph_ mgr dump -f json 2>/dev/null | jq -e '.available' >/dev/null; }
ceph_osd_up() { ceph_ osd dump -f json 2>/dev/null | jq -e '.osds[] | select(.osd == 0) | .up == 1' >/dev/null; }

ceph_up() {
  ceph_addr_up
  ceph_identity
  local fresh=0
  if pid_of ceph-mon >/dev/null && pid_of ceph-osd >/dev/null && ceph_osd_up &&
    { [ "$CEPH_ADDR" = 127.0.0.1 ] || pid_of ceph-mgr >/dev/null; }; then
    return 0
  fi
  # memstore keeps the OSD's objects in memory and writes them out only on a clean stop (which
  # cluster-down.sh records). After a crash the monitor's pools would point at lost PGs, so the
  # whole Ceph is made again (same fsid and admin key).
  if ! pid_of ceph-osd >/dev/null && [ -e "$CEPH_DIR/osd-0/ready" ] && [ ! -e "$CEPH_DIR/osd-0.clean" ]; then
    slog "Ceph was not stopped cleanly (memstore data lost): making a fresh Ceph with the same fsid and admin key"
    stop_daemon ceph-mon 20 || true
    rm -rf "$CEPH_DIR/mon-a" "$CEPH_DIR/osd-0"
  fi
  if [ ! -e "$CEPH_DIR/mon-a/done" ]; then
    rm -rf "$CEPH_DIR/mon-a" "$CEPH_DIR/osd-0" "$CEPH_DIR/osd-0.clean"
    local tmp; tmp="$(mktemp -d)"
    ceph-authtool --create-keyring "$tmp/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    ceph-authtool "$tmp/mon.keyring" --import-keyring "$CEPH_DIR/ceph.client.admin.keyring" >/dev/null
    monmaptool --create --addv a "$MON_HOST" --fsid "$FSID" "$tmp/monmap" >/dev/null
    mkdir -p "$CEPH_DIR/mon-a"
    ceph-mon -c "$CEPH_CONF_FILE" --mkfs -i a --monmap "$tmp/monmap" --keyring "$tmp/mon.keyring" >> "$LOGS/ceph-mkfs.log" 2>&1
    touch "$CEPH_DIR/mon-a/done"
    rm -rf "$tmp"
    fresh=1
  fi
  if ! pid_of ceph-mon >/dev/null; then
    need_port ceph-mon "$MON_V1_PORT"; need_port ceph-mon "$MON_V2_PORT"
    start_daemon ceph-mon /usr/bin/ceph-mon -f -c "$CEPH_CONF_FILE" -i a
  fi
  wait_for "the Ceph monitor" 60 ceph_ mon stat
  if [ ! -e "$CEPH_DIR/osd-0/ready" ]; then
    rm -rf "$CEPH_DIR/osd-0"; mkdir -p "$CEPH_DIR/osd-0"
    local uuid key id
    uuid="$(cat /proc/sys/kernel/random/uuid)"
    key="$(ceph-authtool --gen-print-key)"
    id="$(printf '{"cephx_secret": "%s"}' "$key" | ceph_ osd new "$uuid" -i - 2>>"$LOGS/ceph-mkfs.log")"
    [ "$id" = 0 ] || { slog "expected OSD id 0, the monitor gave '$id' (make a fresh Ceph: cluster-down.sh --purge)"; exit 1; }
    ceph-authtool --create-keyring "$CEPH_DIR/osd-0/keyring" --name osd.0 --add-key "$key" >/dev/null
    ceph-osd -c "$CEPH_CONF_FILE" -i 0 --mkfs --osd-uuid "$uuid" >> "$LOGS/ceph-mkfs.log" 2>&1
  fi
  if ! pid_of ceph-osd >/dev/null; then
    rm -f "$CEPH_DIR/osd-0.clean"
    start_daemon ceph-osd /usr/bin/ceph-osd -f -c "$CEPH_CONF_FILE" -i 0
  fi
  wait_for "the Ceph OSD" 90 ceph_osd_up
  # A Ceph the node's pods use runs a manager, as a real one does: the charts' scripts ask it
  # (`ceph osd pool stats` waits for one forever). The harness's own Ceph needs none.
  if [ "$CEPH_ADDR" != 127.0.0.1 ]; then
    if ! pid_of ceph-mgr >/dev/null; then
      command -v ceph-mgr >/dev/null || { slog "a Ceph for pods needs ceph-mgr: bash $here/toolchain.sh node"; exit 1; }
      mkdir -p "$CEPH_DIR/mgr-x"
      ceph_ auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$CEPH_DIR/mgr-x/keyring" 2>>"$LOGS/ceph-mkfs.log"
      start_daemon ceph-mgr /usr/bin/ceph-mgr -f -c "$CEPH_CONF_FILE" -i x
    fi
    wait_for "the Ceph manager" 90 ceph_mgr_up
  fi
  [ "$fresh" = 0 ] || slog "made a new Ceph, fsid $FSID"
}

# ---------------------------------------------------------------- Kubernetes

k8s_up() {
  if ! pid_of etcd >/dev/null; then
    need_port etcd "$ETCD_PORT"; need_port etcd "$ETCD_PEER_PORT"
    start_daemon etcd "$BIN/etcd" --name osh-sim --data-dir "$SIM/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "osh-sim=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
      --log-level warn --snapshot-count 10000
  fi
  wait_for etcd 60 http_ok "$ETCD_PORT" /health

  if ! pid_of kube-apiserver >/dev/null; then
    need_port kube-apiserver "$APISERVER_PORT"
    start_daemon kube-apiserver "$BIN/kube-apiserver" \
      --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
      --bind-address 127.0.0.1 --secure-port "$APISERVER_PORT" --advertise-address "$ADVERTISE_IP" \
      --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
      --client-ca-file "$PKI/ca.crt" \
      --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
      --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
      --requestheader-extra-headers-prefix X-Remote-Extra- \
      --proxy-client-cert-file "$PKI/front-proxy-client.crt" --proxy-client-key-file "$PKI/front-proxy-client.key" \
      --authorization-mode Node,RBAC \
      --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
      --kubelet-preferred-address-types InternalIP \
      --service-account-issuer https://kubernetes.default.svc.cluster.local \
      --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
      --service-cluster-ip-range "$SERVICE_CIDR" \
      --allow-privileged=true --profiling=false --v=0
  fi
  wait_for "the kube-apiserver" 120 kc get --raw /readyz

  # A kwok started with other stages (an older checkout's) is restarted with these.
  local stages_sha; stages_sha=$(kwok_stages)
  if pid_of kwok >/dev/null && [ "$(cat "$RUN/kwok-stages.sha" 2>/dev/null)" != "$stages_sha" ]; then
    slog "kwok runs with other stages: restarting it"
    stop_daemon kwok 30 || true
  fi
  if ! pid_of kwok >/dev/null; then
    need_port kwok "$KWOK_PORT"
    # The node leases still name the kwok that ran before (each kwok has a new identity), and a
    # new kwok would wait for them to expire before it plays the nodes: remove them.
    kc -n kube-node-lease delete lease "${NODES[@]}" --ignore-not-found --wait=false >/dev/null
    # kwok's stock stages, narrowed to pods without an entrypoint init container; ours drive those.
    echo "$stages_sha" > "$RUN/kwok-stages.sha"
    start_daemon kwok "$BIN/kwok" --kubeconfig "$ADMIN_KUBECONFIG" \
      --config "$SIM/kwok-stages.yaml" --config "$here/manifests/kwok-stages.yaml" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
      --cidr "$POD_CIDR" --node-ip "${NODE_IP_PREFIX}0" --node-lease-duration-seconds 40 \
      --server-address "127.0.0.1:$KWOK_PORT"
  fi
  wait_for kwok 60 http_ok "$KWOK_PORT" /healthz

  if ! pid_of osh-sim-controller >/dev/null; then
    # Timeline times count from this start.
    date -u +%Y-%m-%dT%H:%M:%S.%NZ > "$RUN/started-at"
    start_daemon osh-sim-controller "$BIN/osh-sim-controller" --kubeconfig "$ADMIN_KUBECONFIG" --dir "$SIM" \
      --policy "$here/simulator/policy.json" --stall-seconds "${OSH_SIM_STALL_S:-60}"
  fi

  if ! pid_of kube-controller-manager >/dev/null; then
    need_port kube-controller-manager "$KCM_PORT"
    start_daemon kube-controller-manager "$BIN/kube-controller-manager" \
      --kubeconfig "$SIM/kcm.kubeconfig" \
      --authentication-kubeconfig "$SIM/kcm.kubeconfig" --authorization-kubeconfig "$SIM/kcm.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
      --tls-cert-file "$PKI/kcm-serving.crt" --tls-private-key-file "$PKI/kcm-serving.key" \
      --leader-elect=false --use-service-account-credentials=true \
      --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
      --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
      --node-monitor-grace-period 2m --profiling=false --v=0
  fi
  wait_for "the kube-controller-manager" 60 https_ok "$KCM_PORT"

  if ! pid_of kube-scheduler >/dev/null; then
    need_port kube-scheduler "$SCHEDULER_PORT"
    start_daemon kube-scheduler "$BIN/kube-scheduler" \
      --kubeconfig "$SIM/scheduler.kubeconfig" \
      --authentication-kubeconfig "$SIM/scheduler.kubeconfig" --authorization-kubeconfig "$SIM/scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
      --tls-cert-file "$PKI/scheduler-serving.crt" --tls-private-key-file "$PKI/scheduler-serving.key" \
      --leader-elect=false --profiling=false --v=0
  fi
  wait_for "the kube-scheduler" 60 https_ok "$SCHEDULER_PORT"
  return 0
}

# The objects a Rook cluster on four nodes shows, generated for this sim directory.
sim_objects() {
  local n i
  for i in "${!NODES[@]}"; do
    n=${NODES[$i]}
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $n
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $n
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
EOF
  done
  mkdir -p "$SIM/pv"
  for ((i = 1; i <= PV_COUNT; i++)); do
    n=$(printf 'osh-sim-pv-%02d' "$i")
    mkdir -p "$SIM/pv/$n"
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $n
  labels:
    osh-sim/pv: "true"
spec:
  storageClassName: rook-ceph-block
  capacity:
    storage: 20Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  hostPath:
    path: $SIM/pv/$n
    type: DirectoryOrCreate
EOF
  done
  # One mon Service per real monitor (here: mon a), as Rook names and labels them.
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: rook-ceph-mon-a
  namespace: rook-ceph
  labels:
    app: rook-ceph-mon
    mon: a
    ceph_daemon_id: a
    ceph_daemon_type: mon
    mon_cluster: rook-ceph
    rook_cluster: rook-ceph
spec:
  type: ClusterIP
  selector:
    app: rook-ceph-mon
    mon: a
    ceph_daemon_id: a
    mon_cluster: rook-ceph
    rook_cluster: rook-ceph
  ports:
    - { name: tcp-msgr1, port: 6789, targetPort: 6789, protocol: TCP }
    - { name: tcp-msgr2, port: 3300, targetPort: 3300, protocol: TCP }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: rook-ceph-mon-endpoints
  namespace: rook-ceph
data:
  data: a=$CEPH_ADDR:$MON_V1_PORT
  mapping: '{"node":{"a":{"Name":"k1","Hostname":"k1","Address":"${NODE_IP_PREFIX}1"}}}'
  maxMonId: "0"
  outOfQuorum: ""
  csi-cluster-config-json: '[{"clusterID":"rook-ceph","monitors":["$CEPH_ADDR:$MON_V1_PORT"],"namespace":""}]'
EOF
}

node_status_patch() { # IP
  cat <<EOF
{"status":{"addresses":[{"type":"InternalIP","address":"$1"},{"type":"Hostname","address":"$2"}],
 "capacity":{"cpu":"32","memory":"128Gi","pods":"110","ephemeral-storage":"200Gi"},
 "allocatable":{"cpu":"32","memory":"128Gi","pods":"110","ephemeral-storage":"200Gi"}}}
EOF
}

k8s_objects() {
  kc apply --server-side --force-conflicts --field-manager osh-sim -f "$here/manifests/cluster-base.yaml" >/dev/null
  # A real node of this simulator runs CoreDNS: the apply above took its image and placement back.
  if [ -e "$NODE_RUN/ready" ]; then node_coredns_patch; fi
  kc apply --server-side --force-conflicts --field-manager osh-sim -f "$OSH_CACHE/$GATEWAY_API_CRDS" >/dev/null
  sim_objects | kc apply --server-side --force-conflicts --field-manager osh-sim -f - >/dev/null
  local i n
  for i in "${!NODES[@]}"; do
    n=${NODES[$i]}
    kc patch node "$n" --subresource status --type merge -p "$(node_status_patch "$NODE_IP_PREFIX$((i + 1))" "$n")" >/dev/null
  done
}

nodes_ready() {
  [ "$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" -ge "${#NODES[@]}" ]
}
coredns_ready() { [ "$(kc -n kube-system get deploy coredns -o jsonpath='{.status.readyReplicas}')" = 1 ]; }
default_sa() { kc -n default get serviceaccount default && kc -n default get configmap kube-root-ca.crt; }

write_env() {
  cat > "$SIM/env.tmp" <<EOF
# Written by cluster-up.sh: source it to use the simulator.
export OSH_SIM_DIR=$SIM
export KUBECONFIG=$ADMIN_KUBECONFIG
export CEPH_CONF=$CEPH_CONF_FILE
export OSH_CEPH_TOOLBOX="env CEPH_CONF=$CEPH_CONF_FILE"
case ":\$PATH:" in *":$BIN:"*) ;; *) export PATH="$BIN:\$PATH" ;; esac
EOF
  mv "$SIM/env.tmp" "$SIM/env"
}

# kwok's stage configuration: its stock stages narrowed to pods without an entrypoint init
# container ($SIM/kwok-stages.yaml), and ours (manifests/kwok-stages.yaml). Prints their digest.
kwok_stages() {
  node "$here/kwok-stages.mjs" "$OSH_CACHE/kwok/stages.yaml" "$SIM/kwok-stages.yaml"
  cat "$SIM/kwok-stages.yaml" "$here/manifests/kwok-stages.yaml" | sha256sum | cut -c1-16
}

healthy() {
  local d
  for d in "${DAEMONS[@]}"; do
    # Only a Ceph made for pods runs a manager (ceph_up).
    [ "$d" != ceph-mgr ] || [ "$CEPH_ADDR" != 127.0.0.1 ] || continue
    pid_of "$d" >/dev/null || return 1
  done
  [ "$(cat "$RUN/kwok-stages.sha" 2>/dev/null)" = "$(kwok_stages)" ] || return 1
  [ -e "$RUN/ready" ] && [ -s "$SIM/env" ] || return 1
  http_ok "$ETCD_PORT" /health && kc get --raw /readyz >/dev/null 2>&1 && http_ok "$KWOK_PORT" /healthz \
    && https_ok "$KCM_PORT" && https_ok "$SCHEDULER_PORT" && CEPH_TIMEOUT=10 ceph_osd_up && nodes_ready
}

summary() {
  local t=$1
  cat <<EOF
cluster-up: $t in $(printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)")s; state in $SIM
  source $SIM/env   # KUBECONFIG, CEPH_CONF, OSH_CEPH_TOOLBOX, PATH
  kube-apiserver https://127.0.0.1:$APISERVER_PORT (Kubernetes v$KUBERNETES_VERSION, RBAC, admin: $ADMIN_KUBECONFIG)
  nodes ${NODES[*]} (kwok); $PV_COUNT PVs for StorageClass rook-ceph-block
  ceph fsid $(cat "$CEPH_DIR/fsid"), mon a $MON_HOST, osd.0 memstore; toolbox: env CEPH_CONF=$CEPH_CONF_FILE
  stop: bash $here/cluster-down.sh [--purge]
EOF
}

mkdir -p "$SIM" "$RUN" "$LOGS"
touch "$SIM/.osh-sim"
exec 9> "$RUN/.lock"
if ! flock -w 600 9; then slog "another cluster-up/down holds $RUN/.lock"; exit 1; fi
ceph_addr_check

if healthy; then
  # A simulator started before the Gateway API CRDs were part of it gets them too.
  [ ! -s "$OSH_CACHE/$GATEWAY_API_CRDS" ] || kc apply --server-side --force-conflicts --field-manager osh-sim -f "$OSH_CACHE/$GATEWAY_API_CRDS" >/dev/null
  write_env
  summary "already up"
  exit 0
fi

check_tools
check_ports
rm -f "$RUN/ready"
make_identities
ceph_up
k8s_up
k8s_objects
wait_for "nodes ${NODES[*]} Ready" 120 nodes_ready
wait_for "the default ServiceAccount" 60 default_sa
wait_for "Deployment kube-system/coredns Ready" 120 coredns_ready
write_env
touch "$RUN/ready"
summary "up"
