#!/usr/bin/env bash
# Takes the real node (node-up.sh) away and everything it left on the host: its daemons and
# every container (found by cgroup and by namespace, since containers leave the shell's own
# cgroup), its mount namespace with every overlay and shm in it, its network namespace and
# link, its cgroups, the apiserver forwarder, and the kernel settings the kubelet rewrote.
# While the simulator runs, the Node object goes too (its pods are then deleted by the
# apiserver's pod GC) and CoreDNS goes back to the kwok nodes.
#   node-down.sh                      everything
#   node-down.sh --keep-node-object   the host side only (node-up.sh clearing an interrupted run)
# Then it checks and prints what is left, if anything (exit 1), else `node-down: nothing left`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/sim-lib.sh"
. "$here/node/node-lib.sh"
T0=$(date +%s.%N)
keep_node=0
case "${1:-}" in
  "") ;;
  --keep-node-object) keep_node=1 ;;
  *) echo "usage: $0 [--keep-node-object]" >&2; exit 2 ;;
esac
KUBECTL="$BIN/kubectl"
kc() { timeout 30 "$KUBECTL" --kubeconfig "$SIM/admin.kubeconfig" "$@"; }
rm -f "$NODE_RUN/ready" 2>/dev/null || true
# The netns, cgroups and link names are the machine's one real node's: another simulator's node
# is not ours to take down. (With no link left, what remains is nobody's and goes.)
owner=$(node_owner)
if [ -n "$owner" ] && [ "$owner" != "$SIM" ]; then
  nlog "the real node up is the simulator's in $owner, not this one's ($SIM): left alone"
  rm -rf "$NODE_DIR"
  exit 0
fi

# The kubelet first (it would restart what goes), then kube-proxy, then every container and
# shim by SIGKILL, then containerd and the rest.
for d in kubelet kube-proxy; do stop_node_daemon "$d" 20 || true; done
for round in 1 2 3 4 5; do
  mapfile -t pids < <(node_processes)
  [ "${#pids[@]}" -gt 0 ] || break
  # containerd and the registry get SIGTERM first: a clean stop.
  if [ "$round" = 1 ]; then
    for d in containerd registry; do stop_node_daemon "$d" 10 || true; done
    mapfile -t pids < <(node_processes)
    [ "${#pids[@]}" -gt 0 ] || break
  fi
  # A frozen cgroup would hold its processes through SIGKILL.
  find /sys/fs/cgroup/freezer/"$NODE_CGROUP" -name freezer.state -exec sh -c 'for f; do echo THAWED > "$f"; done' _ {} + 2>/dev/null || true
  kill -KILL "${pids[@]}" 2>/dev/null || true
  sleep 0.5
done
stop_node_daemon apiserver-forward 5 || true

# The mount namespace goes with its last process and its bind: every overlay, tmpfs and shm the
# node mounted was only in it.
if [ -e "$NODE_MNT" ]; then umount "$NODE_MNT" 2>/dev/null || umount -l "$NODE_MNT" 2>/dev/null || true; rm -f "$NODE_MNT"; fi
# Should a mount of the node have reached the host (it never should), it is named below.
ip netns del "$NODE_NETNS" 2>/dev/null || true
ip link del "$NODE_VETH_HOST" 2>/dev/null || true

# cgroups, deepest first.
for h in "${NODE_CGROUP_HIERARCHIES[@]}"; do
  [ -d "/sys/fs/cgroup/$h/$NODE_CGROUP" ] || continue
  find "/sys/fs/cgroup/$h/$NODE_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done

# The kernel settings as they were before the first node-up.
if [ -s "$NODE_DIR/sysctls.saved" ]; then
  while IFS= read -r kv; do sysctl -q -w "$kv" >/dev/null || true; done < "$NODE_DIR/sysctls.saved"
fi

# The cluster side, while the apiserver answers.
if [ "$keep_node" = 0 ] && [ -s "$SIM/admin.kubeconfig" ] && kc get --raw /readyz >/dev/null 2>&1; then
  kc delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null || true
  kc delete -f "$here/node/coredns-rbac.yaml" -f "$here/node/traefik.yaml" --ignore-not-found --wait=false >/dev/null || true
  image=$(sed -n 's/^ *image: \(coredns\/coredns:.*\)$/\1/p' "$here/manifests/cluster-base.yaml")
  kc -n kube-system patch deployment coredns --type strategic --field-manager osh-sim-node -p "$(cat <<EOF
{"spec":{"template":{"spec":{"nodeSelector":null,"tolerations":null,"securityContext":null,
  "containers":[{"name":"coredns","image":"$image","readinessProbe":null,"livenessProbe":null}]}}}}
EOF
)" >/dev/null 2>&1 || true
fi

# What is left, if anything.
left=()
mapfile -t pids < <(node_processes)
[ "${#pids[@]}" = 0 ] || left+=("processes ${pids[*]}")
for h in "${NODE_CGROUP_HIERARCHIES[@]}"; do [ ! -d "/sys/fs/cgroup/$h/$NODE_CGROUP" ] || left+=("cgroup $h/$NODE_CGROUP"); done
[ ! -e "/run/netns/$NODE_NETNS" ] || left+=("netns $NODE_NETNS")
! ip link show "$NODE_VETH_HOST" >/dev/null 2>&1 || left+=("link $NODE_VETH_HOST")
mounts=$(awk -v d="$NODE_DIR" 'index($5, d) == 1 || $5 ~ /^\/run\/netns\/osh-node/ { print $5 }' /proc/self/mountinfo)
[ -z "$mounts" ] || left+=("mounts $(echo "$mounts" | tr '\n' ' ')")
if [ -s "$NODE_DIR/sysctls.saved" ]; then
  while IFS='=' read -r k v; do [ "$(sysctl -n "$k")" = "$v" ] || left+=("sysctl $k=$(sysctl -n "$k") (was $v)"); done < "$NODE_DIR/sysctls.saved"
fi
if [ "${#left[@]}" -gt 0 ]; then
  printf 'node-down: left behind: %s\n' "${left[@]}" >&2
  exit 1
fi
# The node's state (certificates stay in the sim's pki) goes; the registry's store stays in the cache.
rm -rf "$NODE_DIR"
printf 'node-down: %s down in %.1fs\n' "$NODE_NAME" "$(echo "$(date +%s.%N) - $T0" | bc)"
echo "node-down: nothing left"
