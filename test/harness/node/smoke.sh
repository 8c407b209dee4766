#!/usr/bin/env bash
# npm run test:real-node-smoke: a real node on a simulator of its own, the program's MariaDB and
# Memcached (the fixture charts) running there as real containers from the images built here,
# then the node taken down and the host checked for leftovers.
#   1. cluster-up.sh (its own sim directory and work directory), node-up.sh;
#   2. the dev stack with the fixture charts, pulled through the program's imageRegistry setting
#      from the node's loopback registry, MariaDB and Memcached sent to the real node with the
#      charts' own settings (labels.server, pod.tolerations); `pulumi up` waits for their pods
#      Ready by their real probes (the other charts stay on the kwok nodes);
#   3. node/smoke-job.yaml: a Job on the real node that waits for both with our
#      kubernetes-entrypoint and reaches them by Service name (CoreDNS, kube-proxy), logging in
#      to MariaDB as its admin with the password the stack generated; node/smoke-ceph.yaml: a Job
#      there that reaches the simulator's real Ceph (made with OSH_SIM_CEPH_FOR_PODS=1) through
#      the program's ceph-etc and admin key and writes an RBD image to glance.images as the
#      program's client.glance; node/smoke-web.yaml: a real
#      HTTP backend reached through the node's Traefik by an Ingress and by an HTTPRoute;
#   4. node-down.sh (it checks that no process, mount, cgroup, namespace, link or changed sysctl
#      is left), cluster-down.sh --purge.
# Last lines, exactly: `real node: <n> containers ran from <m> images` and
# `real node down: nothing left`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/versions.sh"
export OSH_SIM_DIR="${OSH_NODE_SMOKE_SIM_DIR:-$OSH_CACHE/sim-node-smoke}"
export OSH_WORK_DIR="${OSH_NODE_SMOKE_WORK_DIR:-$OSH_CACHE/work-node-smoke}"
# Its Ceph on an address the node's pods reach (sim-lib.sh).
export OSH_SIM_CEPH_FOR_PODS=1
. "$here/sim-lib.sh"
. "$here/node/node-lib.sh"
T0=$SECONDS
KUBECTL="$BIN/kubectl"
kc() { "$KUBECTL" --kubeconfig "$SIM/admin.kubeconfig" "$@"; }
stack() { bash "$here/deploy.sh" run "$@"; }
phase() { echo "smoke: $1 at $((SECONDS - T0))s"; }

started=0 ns=""
finish() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$ns" ]; then
    echo "smoke: failed ($rc); the pods on $NODE_NAME:" >&2
    kc get pods -A -o wide --field-selector "spec.nodeName=$NODE_NAME" >&2 2>/dev/null || true
    kc get events -A --field-selector "type=Warning" 2>/dev/null | tail -n 20 >&2 || true
  fi
  if [ "$started" = 1 ]; then bash "$here/cluster-down.sh" --purge >&2 || true; rm -rf "$OSH_WORK_DIR"; fi
}
trap finish EXIT

bash "$here/toolchain.sh" node >&2
# An interrupted smoke's leftovers first.
bash "$here/cluster-down.sh" --purge >&2
rm -rf "$OSH_WORK_DIR"
started=1
bash "$here/deploy.sh" prepare >&2     # toolchain, cluster-up.sh, the stack's config
bash "$here/node/node-up.sh"
phase "node up"

# The stack: every image from the node's registry, MariaDB and Memcached on the real node.
stack pulumi config set imageRegistry "$NODE_REGISTRY"
for chart in mariadb memcached; do
  stack pulumi config set --path "chartValues.$chart.labels.server.node_selector_key" osh-sim/real-node
  stack pulumi config set --path "chartValues.$chart.labels.server.node_selector_value" enabled
  stack pulumi config set --path "chartValues.$chart.pod.tolerations.$chart.enabled" true
  stack pulumi config set --path "chartValues.$chart.pod.tolerations.$chart.tolerations[0].key" osh-sim/real-node
  stack pulumi config set --path "chartValues.$chart.pod.tolerations.$chart.tolerations[0].operator" Exists
  stack pulumi config set --path "chartValues.$chart.pod.tolerations.$chart.tolerations[0].effect" NoSchedule
done
stack pulumi up --yes --skip-preview >&2
ns=$(stack pulumi config get namespace 2>/dev/null || echo openstack)
phase "pulumi up"

# The two servers: on the real node, Ready (the kubelet ran their probes).
for app in mariadb memcached; do
  line=$(kc -n "$ns" get pods -l "application=$app,component=server" \
    -o jsonpath='{range .items[*]}{.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status} {.spec.containers[0].image}{"\n"}{end}')
  echo "smoke: $app: $line"
  read -r node ready image <<<"$line"
  [ "$node" = "$NODE_NAME" ] && [ "$ready" = True ] || { echo "smoke: $app is not Ready on $NODE_NAME" >&2; exit 1; }
  case "$image" in "$NODE_REGISTRY"/*) ;; *) echo "smoke: $app runs $image, not an image of $NODE_REGISTRY" >&2; exit 1 ;; esac
done

memcached_host=$(kc -n "$ns" get svc -l application=memcached -o jsonpath='{.items[0].metadata.name}')
dbadmin=$(kc -n "$ns" get statefulset mariadb-server -o jsonpath='{.spec.template.spec.containers[0].env[?(@.name=="MYSQL_DBADMIN_USERNAME")].value}')
sed -e "s|@REGISTRY@|$NODE_REGISTRY|g" -e "s|@NAMESPACE@|$ns|g" -e "s|@MEMCACHED@|$memcached_host|g" -e "s|@DBADMIN@|$dbadmin|g" \
  "$here/node/smoke-job.yaml" | kc apply -f - >/dev/null
if ! kc -n "$ns" wait --for=condition=complete job/osh-node-smoke --timeout=180s >/dev/null; then
  kc -n "$ns" logs job/osh-node-smoke --all-containers >&2 || true
  echo "smoke: the Job on $NODE_NAME did not complete" >&2
  exit 1
fi
out=$(kc -n "$ns" logs job/osh-node-smoke -c reach)
sed 's/^/smoke: job: /' <<<"$out"
grep -q "^mariadb answers: .* as $dbadmin@%\$" <<<"$out" || { echo "smoke: the Job did not log in to MariaDB as $dbadmin" >&2; exit 1; }
grep -qx 'memcached answers: ok' <<<"$out" || { echo "smoke: the Job did not reach Memcached" >&2; exit 1; }
phase "job done"

# Ceph from a pod on the node, as glance's storage-init reaches it: the program's ceph-etc, admin
# key Secret, client.glance and pool glance.images.
ceph_image=$(bash "$here/node/images.sh" refs "$NODE_REGISTRY" | awk '$1 == "ceph-config-helper" { print $2 }')
sed -e "s|@IMAGE@|$ceph_image|g" -e "s|@NAMESPACE@|$ns|g" "$here/node/smoke-ceph.yaml" | kc apply -f - >/dev/null
if ! kc -n "$ns" wait --for=condition=complete job/osh-node-smoke-ceph --timeout=180s >/dev/null; then
  kc -n "$ns" logs job/osh-node-smoke-ceph >&2 || true
  echo "smoke: the Ceph Job on $NODE_NAME did not complete" >&2
  exit 1
fi
out=$(kc -n "$ns" logs job/osh-node-smoke-ceph)
sed 's/^/smoke: ceph job: /' <<<"$out"
fsid=$(cat "$CEPH_DIR/fsid")
grep -q "^ceph answers: fsid $fsid, health HEALTH_" <<<"$out" || { echo "smoke: the Ceph Job did not reach this simulator's Ceph ($fsid)" >&2; exit 1; }
grep -qx 'rbd answers: glance.images/osh-node-smoke written and removed as client.glance' <<<"$out" ||
  { echo "smoke: the Ceph Job did not write to glance.images as client.glance" >&2; exit 1; }
phase "ceph done"

# A real backend on the node behind the node's Traefik, by an Ingress and by an HTTPRoute; the
# requests go from inside the node's namespace to Traefik's Service.
marker="osh-node-smoke $(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
sed -e "s|@REGISTRY@|$NODE_REGISTRY|g" -e "s|@NAMESPACE@|$ns|g" -e "s|@MARKER@|$marker|g" \
  "$here/node/smoke-web.yaml" | kc apply -f - >/dev/null
kc -n "$ns" rollout status deployment/osh-node-smoke-web --timeout=120s >/dev/null
traefik_ip=$(kc -n kube-system get svc traefik -o jsonpath='{.spec.clusterIP}')
for host in ingress.osh-node-smoke.test route.osh-node-smoke.test; do
  body=""
  for _ in $(seq 60); do
    body=$(in_node curl -sS -m 3 -H "Host: $host" "http://$traefik_ip/" 2>&1 || true)
    [ "$body" = "$marker" ] && break
    sleep 1
  done
  [ "$body" = "$marker" ] || { echo "smoke: http://$host/ through Traefik ($traefik_ip) answered '$body', not the backend's '$marker'" >&2; exit 1; }
  echo "smoke: http://$host/ through Traefik reached the backend on $NODE_NAME"
done
phase "routes done"

# Every container that ran on the node (init containers too; the sandboxes' pause not counted),
# and the images they ran from.
ran=$(kc get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o json | jq -r '
  .items[].status | ((.initContainerStatuses // []) + (.containerStatuses // []))[]
  | select(.containerID != null and (.state.running != null or .state.terminated != null))
  | .imageID')
containers=$(grep -c . <<<"$ran")
images=$(sort -u <<<"$ran" | grep -c .)

# What the node costs in memory: its containers (the cgroup the kubelet puts them in; usage
# counts page cache too, rss not), and its daemons and shims (resident set).
mib() { echo $(( $1 / 1048576 )); }
cg=/sys/fs/cgroup/memory/$NODE_CGROUP
rss=0
while read -r pid; do
  [ -n "$pid" ] && grep -qx "$pid" <(node_cgroup_pids) && continue
  kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
  rss=$((rss + ${kb:-0} * 1024))
done < <(node_processes)
echo "smoke: memory: containers $(mib "$(cat "$cg/memory.usage_in_bytes")") MiB used, $(mib "$(awk '$1 == "total_rss" { print $2 }' "$cg/memory.stat")") MiB rss (cgroup $NODE_CGROUP); node daemons and shims $(mib "$rss") MiB rss"

down=$(bash "$here/node/node-down.sh")
sed 's/^/smoke: /' <<<"$down"
started=0
bash "$here/cluster-down.sh" --purge >&2
rm -rf "$OSH_WORK_DIR"
if ip -j addr show dev lo | jq -e --arg a "$CEPH_ADDR" '.[0].addr_info[] | select(.local == $a)' >/dev/null; then
  echo "smoke: cluster-down left the Ceph address $CEPH_ADDR on lo" >&2
  exit 1
fi
echo "smoke: total $((SECONDS - T0))s"
echo "real node: $containers containers ran from $images images"
grep -qx 'node-down: nothing left' <<<"$down"
echo "real node down: nothing left"
