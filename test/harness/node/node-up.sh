#!/usr/bin/env bash
# Joins one real node to a running simulator (cluster-up.sh), beside its kwok nodes: containerd
# with runc, the kubelet, kube-proxy (nftables mode), the bridge CNI, a loopback registry the
# node pulls from, the cluster's CoreDNS moved onto it with our image, and Traefik as its ingress
# controller (Ingress and Gateway API). node-lib.sh says where each piece lives; node-down.sh
# takes it all away again.
#
# The node is called $OSH_REAL_NODE_NAME (default osh-node) and carries the label
# osh-sim/real-node=enabled and the taint osh-sim/real-node=true:NoSchedule, so only pods that ask
# for it run there (the charts' pods stay on the kwok nodes unless a stack puts them there).
# It prints its steps' times; leftovers of an interrupted run are cleared first. Needs root,
# `bash test/harness/toolchain.sh node` and the images (node/images.sh build); builds what misses.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/sim-lib.sh"
. "$here/node/node-lib.sh"
T0=$(date +%s.%N)
KUBECTL="$BIN/kubectl"
# containerd finds its shim on PATH, the kubelet and the CNI plugins their tools.
export PATH="$BIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
kc() { "$KUBECTL" --kubeconfig "$SIM/admin.kubeconfig" "$@"; }
step() { printf 'node-up: %-26s %6.1fs\n' "$1" "$(echo "$(date +%s.%N) - $T0" | bc)"; }

# wait_for (sim-lib.sh) speaks for the node and shows the node's logs.
# shellcheck disable=SC2034  # read by wait_for
WAIT_LOGGER=nlog WAIT_LOG_DIR=$NODE_LOGS

[ "$(id -u)" = 0 ] || { nlog "a real node needs root (namespaces, cgroups, mounts)"; exit 1; }
[ -e "$RUN/ready" ] || { nlog "the simulator in $SIM is not up: run cluster-up.sh first"; exit 1; }
for b in kubelet kube-proxy containerd containerd-shim-runc-v2 runc crane coredns traefik pause kubernetes-entrypoint; do
  [ -x "$BIN/$b" ] || { nlog "building the node's pieces first (toolchain.sh node)"; bash "$here/toolchain.sh" node >&2; break; }
done
for b in nft socat nsenter unshare ip; do
  command -v "$b" >/dev/null || { nlog "$b is missing: run 'bash $here/toolchain.sh node' (its apt step installs it)"; exit 1; }
done
bash "$here/node/images.sh" build "${NODE_IMAGES[@]}" >&2
step "pieces and images"

# Another simulator's real node holds the one netns and the advertise address.
owner=$(node_owner)
if [ -n "$owner" ] && [ "$owner" != "$SIM" ]; then
  nlog "the real node of the simulator in $owner is up (one per machine): OSH_SIM_DIR=$owner bash $here/node/node-down.sh"
  exit 1
fi
# The node's addresses must be nobody else's on this host: its link, its pods' and its Services'
# ranges are reached only inside its namespace (and the link from the host end).
if [ ! -e "/run/netns/$NODE_NETNS" ]; then
  for net in "$NODE_HOST_IP/" "$NODE_IP/" "${NODE_POD_CIDR%.*}." "${SERVICE_CIDR%%.0.0/*}."; do
    if ip -4 -o addr show | awk '{ print $4 }' | grep -q "^${net//./\\.}"; then
      nlog "this host already has an address in ${net%/*} (ip -4 addr): the real node's ranges (node-lib.sh) would collide with it"
      exit 1
    fi
  done
fi
# A simulator started before its apiserver advertised $ADVERTISE_IP has a certificate without it.
if ! openssl x509 -in "$PKI/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$ADVERTISE_IP"; then
  nlog "the apiserver's certificate does not name $ADVERTISE_IP (made by an older cluster-up.sh): bash $here/cluster-down.sh --purge && bash $here/cluster-up.sh"
  exit 1
fi
healthy() {
  local d
  [ -e "$NODE_RUN/ready" ] || return 1
  for d in "${NODE_DAEMONS[@]}"; do node_pid "$d" >/dev/null || return 1; done
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
if healthy; then
  echo "node-up: $NODE_NAME already up ($NODE_IP in netns $NODE_NETNS)"
  exit 0
fi
# Whatever an interrupted run left goes first.
if [ -d "$NODE_DIR" ]; then bash "$here/node/node-down.sh" --keep-node-object >&2; fi
mkdir -p "$NODE_RUN" "$NODE_LOGS"

# ------------------------------------------------------------------ identities
cert "node-$NODE_NAME" "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
cert "node-$NODE_NAME-serving" "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$NODE_IP"
cert kube-proxy "/CN=system:kube-proxy" clientAuth
kubeconfig "$NODE_DIR/kubelet.kubeconfig" "system:node:$NODE_NAME" "node-$NODE_NAME" "https://$NODE_HOST_IP:$APISERVER_PORT"
kubeconfig "$NODE_DIR/kube-proxy.kubeconfig" system:kube-proxy kube-proxy "https://$NODE_HOST_IP:$APISERVER_PORT"
chmod 600 "$NODE_DIR"/*.kubeconfig

# ------------------------------------------------------------------ host side (recorded, undone by node-down)
# The kubelet rewrites these; node-down puts back what they were before the first node-up.
if [ ! -s "$NODE_DIR/sysctls.saved" ]; then
  for s in "${NODE_HOST_SYSCTLS[@]}"; do echo "$s=$(sysctl -n "$s")"; done > "$NODE_DIR/sysctls.saved.tmp"
  mv "$NODE_DIR/sysctls.saved.tmp" "$NODE_DIR/sysctls.saved"
fi

ip netns add "$NODE_NETNS"
ip link add "$NODE_VETH_HOST" type veth peer name eth0 netns "$NODE_NETNS"
# Whose node this is: node-down of another simulator leaves it alone.
ip link set "$NODE_VETH_HOST" alias "$SIM"
ip addr add "$NODE_HOST_IP/30" dev "$NODE_VETH_HOST"
ip link set "$NODE_VETH_HOST" up
ip -n "$NODE_NETNS" link set lo up
ip -n "$NODE_NETNS" addr add "$NODE_IP/30" dev eth0
ip -n "$NODE_NETNS" link set eth0 up
# Inside the node only: it routes between its pods and its link; bridged pod traffic passes its
# nftables (Service DNAT for hairpin traffic). The host's own settings stay as they are.
ip netns exec "$NODE_NETNS" sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
# The node's own requests to a ClusterIP need a route before kube-proxy's DNAT picks the pod
# (pods have their default route; the node has none): the Service range on lo, so what no
# Service takes goes nowhere.
ip -n "$NODE_NETNS" route add "$SERVICE_CIDR" dev lo
# The Ceph of a simulator made with OSH_SIM_CEPH_FOR_PODS=1 (sim-lib.sh): its one address, the
# host's, over the link. Nothing else of the host is routed (another simulator's Ceph neither).
if [ "$CEPH_ADDR" != 127.0.0.1 ]; then ip -n "$NODE_NETNS" route add "$CEPH_ADDR/32" via "$NODE_HOST_IP"; fi

# The mount namespace: a copy of the host's, shared inside (the kubelet's mounts must reach
# containerd's), with its own /run, /var/run, /var/lib and /var/log so nothing the daemons write
# to their default paths lands on the host.
touch "$NODE_MNT"
unshare --mount="$NODE_MNT" --propagation private true
nsenter --mount="$NODE_MNT" -- sh -c 'for d in /run /var/lib /var/log; do mount -t tmpfs -o mode=755 osh-node "$d"; done; mount --make-rshared /'

# cgroups: the kubelet's cgroupRoot must exist in every hierarchy it uses.
for h in "${NODE_CGROUP_HIERARCHIES[@]}"; do
  [ -d "/sys/fs/cgroup/$h" ] || continue
  mkdir -p "/sys/fs/cgroup/$h/$NODE_CGROUP"
  if [ "$h" = cpuset ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus > "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems > "/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
  fi
done
step "namespaces and cgroups"

# ------------------------------------------------------------------ the apiserver, seen from the node
# The apiserver listens on 127.0.0.1; the node reaches it at the advertise address on its link,
# which a forwarder on the host end holds (the apiserver's certificate names it).
setsid socat -L "$NODE_RUN/apiserver-forward.lock" "TCP-LISTEN:$APISERVER_PORT,bind=$NODE_HOST_IP,fork,reuseaddr" \
  "TCP:127.0.0.1:$APISERVER_PORT" >> "$NODE_LOGS/apiserver-forward.log" 2>&1 < /dev/null 9>&- &
{ echo $!; printf '%s\n' socat -L "$NODE_RUN/apiserver-forward.lock" "TCP-LISTEN:$APISERVER_PORT,bind=$NODE_HOST_IP,fork,reuseaddr" "TCP:127.0.0.1:$APISERVER_PORT"; } > "$NODE_RUN/apiserver-forward.pid"
wait_for "the apiserver through the node's link" 20 in_node "$KUBECTL" --kubeconfig "$NODE_DIR/kubelet.kubeconfig" get --raw /readyz

# ------------------------------------------------------------------ registry and containerd
# The registry's store is the toolchain cache's: a pushed image stays for the next node.
mkdir -p "$OSH_CACHE/node-registry"
start_in_node registry "$BIN/crane" registry serve --address "$NODE_REGISTRY" --disk "$OSH_CACHE/node-registry"
wait_for "the registry" 20 in_node "$BIN/crane" catalog --insecure "$NODE_REGISTRY"
in_node bash "$here/node/images.sh" push "$NODE_REGISTRY" "${NODE_IMAGES[@]}" >&2
PAUSE_IMAGE=$(bash "$here/node/images.sh" refs "$NODE_REGISTRY" | awk '$1 == "pause" { print $2 }')
TRAEFIK_IMAGE=$(bash "$here/node/images.sh" refs "$NODE_REGISTRY" | awk '$1 == "traefik" { print $2 }')
step "registry"

CTRD="$NODE_DIR/containerd"
mkdir -p "$CTRD/root" "$CTRD/state" "$NODE_DIR/certs.d/$NODE_REGISTRY" "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam" "$NODE_DIR/cni/cache"
cat > "$NODE_DIR/certs.d/$NODE_REGISTRY/hosts.toml" <<EOF
# The node's loopback registry speaks plain HTTP.
server = "http://$NODE_REGISTRY"
[host."http://$NODE_REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
cat > "$NODE_DIR/containerd.toml" <<EOF
# Written by node-up.sh.
version = 3
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing", "io.containerd.nri.v1.nri"]

[grpc]
  address = "$CTRD/containerd.sock"
[ttrpc]
  address = "$CTRD/containerd.sock.ttrpc"
[debug]
  address = ""

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$NODE_DIR/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  netns_mounts_under_state_dir = true
  # This machine's root lacks CAP_SYS_RESOURCE: no process may lower its oom_score_adj below
  # what it has, and runc fails on the kubelet's -998 for the sandboxes. Clamped to containerd's own.
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$BIN/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$NODE_CNI_BIN"]
    conf_dir = "$NODE_DIR/cni/net.d"
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF
cat > "$NODE_DIR/cni/net.d/10-osh-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "osh-node",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "hairpinMode": true,
      "ipMasq": true, "ipMasqBackend": "nftables",
      "ipam": { "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
                "ranges": [[{ "subnet": "$NODE_POD_CIDR", "gateway": "$NODE_POD_GATEWAY" }]],
                "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true }, "backend": "nftables" }
  ]
}
EOF
start_in_node containerd "$BIN/containerd" --config "$NODE_DIR/containerd.toml"
wait_for containerd 30 in_node "$BIN/ctr" --address "$CTRD/containerd.sock" version
step containerd

# ------------------------------------------------------------------ kubelet
echo "nameserver $CLUSTER_DNS_IP" > "$NODE_DIR/resolv.conf"   # what hostNetwork pods and dnsPolicy Default get
cat > "$NODE_DIR/kubelet.yaml" <<EOF
# Written by node-up.sh. cgroup v1 only on this machine: failCgroupV1 false, the cgroupfs driver.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP
failSwapOn: false
oomScoreAdj: 0                     # no CAP_SYS_RESOURCE here (containerd.toml)
containerRuntimeEndpoint: unix://$CTRD/containerd.sock
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $PKI/node-$NODE_NAME-serving.crt
tlsPrivateKeyFile: $PKI/node-$NODE_NAME-serving.key
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization:
  mode: Webhook
clusterDNS: [$CLUSTER_DNS_IP]
clusterDomain: cluster.local
resolvConf: $NODE_DIR/resolv.conf
podLogsDir: /var/log/pods
registerWithTaints:
  - { key: osh-sim/real-node, value: "true", effect: NoSchedule }
maxPods: 60
serializeImagePulls: false
evictionHard: { memory.available: 200Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
nodeStatusReportFrequency: 20s
EOF
start_in_node kubelet "$BIN/kubelet" --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$NODE_DIR/kubelet.kubeconfig" \
  --root-dir "$NODE_DIR/kubelet" --cert-dir "$NODE_DIR/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
  --node-labels "osh-sim/real-node=enabled" --v=1
node_ready() { [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
wait_for "node $NODE_NAME Ready" 120 node_ready
# The kubelet labels only a node it registers: a node object kept from before gets it here.
kc label node "$NODE_NAME" --overwrite osh-sim/real-node=enabled >/dev/null
step kubelet

# ------------------------------------------------------------------ kube-proxy
cat > "$NODE_DIR/kube-proxy.yaml" <<EOF
# Written by node-up.sh. Its rules live in the node's namespace only; it leaves the host-wide
# conntrack table size alone (maxPerCore 0).
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: $NODE_NAME
clientConnection: { kubeconfig: $NODE_DIR/kube-proxy.kubeconfig }
clusterCIDR: $NODE_POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: [$NODE_IP/32]
conntrack: { maxPerCore: 0, min: 0 }
oomScoreAdj: 0
EOF
start_in_node kube-proxy "$BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml"
proxy_ready() { in_node bash -c "exec 3<>/dev/tcp/127.0.0.1/10256 && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && grep -q ' 200 ' <&3"; }
wait_for kube-proxy 60 proxy_ready
step kube-proxy

# ------------------------------------------------------------------ CoreDNS on the node
# The cluster's CoreDNS (cluster-base.yaml) runs for real now: our image, on this node, with
# the RBAC a kubeadm cluster gives it.
kc apply --server-side --force-conflicts --field-manager osh-sim-node -f "$here/node/coredns-rbac.yaml" >/dev/null
node_coredns_patch
coredns_on_node() {
  [ "$(kc -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{range .items[*]}{.spec.nodeName}={.status.conditions[?(@.type=="Ready")].status} {end}')" = "$NODE_NAME=True " ]
}
wait_for "CoreDNS Ready on $NODE_NAME" 120 coredns_on_node
step coredns

# ------------------------------------------------------------------ the ingress controller
# Traefik on the node serves Ingresses of class traefik and Gateway API routes of GatewayClass
# traefik, behind Service kube-system/traefik (port 80).
sed -e "s|@IMAGE@|$TRAEFIK_IMAGE|" -e "s|@NODE_IP@|$NODE_IP|" "$here/node/traefik.yaml" | kc apply --server-side --force-conflicts --field-manager osh-sim-node -f - >/dev/null
traefik_ready() { [ "$(kc -n kube-system get deploy traefik -o jsonpath='{.status.readyReplicas}')" = 1 ]; }
wait_for "Traefik Ready on $NODE_NAME" 120 traefik_ready
step traefik

touch "$NODE_RUN/ready"
cat <<EOF
node-up: $NODE_NAME up in $(printf '%.1f' "$(echo "$(date +%s.%N) - $T0" | bc)")s: $NODE_IP in netns $NODE_NETNS, pods $NODE_POD_CIDR, registry $NODE_REGISTRY (inside the netns)
  run in the node: nsenter --mount=$NODE_MNT --net=/run/netns/$NODE_NETNS -- CMD
  stop: bash $here/node/node-down.sh
EOF
