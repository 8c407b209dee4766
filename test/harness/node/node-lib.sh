# shellcheck shell=bash disable=SC2034,SC2154  # sourced: the variables are for node-up.sh and node-down.sh; here and kc are the caller's
# A real node beside the simulator's kwok nodes: where it lives and what it is called. Sourced
# after sim-lib.sh.
#
# Everything of the node runs in two namespaces the harness makes and removes: a network
# namespace (its only link a veth pair to the host, 203.0.113.1/30 on the host end, the node at
# 203.0.113.2, from TEST-NET-3, away from the host's own networks; no default route, so no
# address outside the pair, the pod range, the Service range and its simulator's Ceph (when made
# for pods, sim-lib.sh) can be reached from it; the host's ip_forward stays off) and a mount namespace (containerd's
# overlays, the kubelet's volume mounts and the pods' /dev/shm live there and vanish with it).
# The pod range and the Service range exist only inside the node's namespace. One real node per
# machine: the kubernetes Service's endpoint is the advertise address 203.0.113.1, which the
# host end of the pair holds while the node is up.
NODE_NAME=${OSH_REAL_NODE_NAME:-osh-node}
NODE_DIR="$SIM/node"
NODE_RUN="$NODE_DIR/run"
NODE_LOGS="$NODE_DIR/logs"
NODE_NETNS=osh-node
NODE_VETH_HOST=osh-node0
NODE_HOST_IP=$ADVERTISE_IP        # what the apiserver advertises
NODE_IP=203.0.113.2
NODE_POD_CIDR=10.244.0.0/24
NODE_POD_GATEWAY=10.244.0.1
CLUSTER_DNS_IP=10.96.0.10
# Each v1 hierarchy gets this group; the kubelet puts the pods under it (cgroupRoot).
NODE_CGROUP=osh-node
NODE_CGROUP_HIERARCHIES=(cpu cpuacct cpuset memory devices freezer blkio pids systemd hugetlb net_cls net_prio perf_event)
# The loopback registry the node pulls from: inside the node's namespace, on its 127.0.0.1.
NODE_REGISTRY_PORT=5000
NODE_REGISTRY="127.0.0.1:$NODE_REGISTRY_PORT"
# The images node-up builds and pushes to that registry (node/images.sh): the node's own, and the
# workloads' of OSH_REAL_NODE_IMAGES (names, space-separated; default: what the smoke runs; the
# OpenStack control plane needs rabbitmq and openstack too, ~3 min more to build cold).
read -r -a NODE_IMAGES <<<"pause coredns traefik kubernetes-entrypoint ${OSH_REAL_NODE_IMAGES:-memcached mariadb ceph-config-helper}"
# The daemons of the node, in start order; node-down stops them in reverse.
NODE_DAEMONS=(apiserver-forward registry containerd kubelet kube-proxy)
# Global sysctls the kubelet rewrites (cm/container_manager_linux.go setupKernelTunables): saved
# before it starts, put back by node-down.
NODE_HOST_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
NODE_MNT="$NODE_RUN/mnt"          # the persistent mount namespace (a bind of its nsfs file)

nlog() { printf '[node] %s\n' "$*" >&2; }

# node_owner: the sim directory whose real node holds the link (its alias names it), if any.
node_owner() { ip -j link show "$NODE_VETH_HOST" 2>/dev/null | jq -r '.[0].ifalias // ""' 2>/dev/null || true; }

# node_pid NAME: the pid of the node daemon NAME when it still runs what was started (its
# whole command line is recorded beside the pid).
node_pid() {
  local f="$NODE_RUN/$1.pid" pid
  [ -r "$f" ] || return 1
  pid=$(head -n1 "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  cmp -s <(tail -n +2 "$f") <(tr '\0' '\n' < "/proc/$pid/cmdline") || return 1
  echo "$pid"
}

# in_node CMD...: CMD in the node's mount and network namespaces.
in_node() { nsenter --mount="$NODE_MNT" --net="/run/netns/$NODE_NETNS" -- "$@"; }

# start_in_node NAME EXE ARGS...: EXE in the node's namespaces, in a session of its own, its
# output in $NODE_LOGS/NAME.log. nsenter execs EXE, so the pid is EXE's.
start_in_node() {
  local name=$1 pid; shift
  mkdir -p "$NODE_RUN" "$NODE_LOGS"
  echo "--- $(date -u +%FT%TZ) start" >> "$NODE_LOGS/$name.log"
  setsid nsenter --mount="$NODE_MNT" --net="/run/netns/$NODE_NETNS" -- "$@" >> "$NODE_LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  pid=$!
  { echo "$pid"; printf '%s\n' "$@"; } > "$NODE_RUN/$name.pid"
  sleep 0.3
  if ! node_pid "$name" >/dev/null; then
    nlog "$name exited at once; last lines of $NODE_LOGS/$name.log:"; tail -n 30 "$NODE_LOGS/$name.log" >&2
    return 1
  fi
}

# stop_node_daemon NAME [SECONDS]: stop_recorded (sim-lib.sh) for a daemon of the node.
stop_node_daemon() { stop_recorded node_pid "$NODE_RUN" nlog "$@"; }

# node_cgroup_pids: every process in the node's cgroups (the pods' containers and shims).
node_cgroup_pids() {
  local h
  for h in "${NODE_CGROUP_HIERARCHIES[@]}"; do
    [ -d "/sys/fs/cgroup/$h/$NODE_CGROUP" ] || continue
    find "/sys/fs/cgroup/$h/$NODE_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# ns_inode FILE: the namespace (device and inode) a nsfs file or /proc/<pid>/ns/<kind> names; a
# plain file gives its own, which no namespace has.
ns_inode() { stat -L -c %d:%i "$1" 2>/dev/null; }

# node_processes: every process of the node: in its cgroups (the containers), or in its mount
# or network namespace (containerd, its shims, the kubelet, kube-proxy, the registry).
node_processes() {
  local mnt="" net="" p
  [ -e "$NODE_MNT" ] && mnt=$(ns_inode "$NODE_MNT")
  [ -e "/run/netns/$NODE_NETNS" ] && net=$(ns_inode "/run/netns/$NODE_NETNS")
  {
    node_cgroup_pids
    if [ -n "$mnt$net" ]; then
      for p in /proc/[0-9]*; do
        if { [ -n "$mnt" ] && [ "$(ns_inode "$p/ns/mnt")" = "$mnt" ]; } || { [ -n "$net" ] && [ "$(ns_inode "$p/ns/net")" = "$net" ]; }; then
          echo "${p#/proc/}"
        fi
      done
    fi
  } | sort -un | grep -vx "$$" || true
}

# node_coredns_patch: the cluster's CoreDNS Deployment (cluster-base.yaml) moved onto the node, with
# our image and the probes a kubeadm cluster gives it. node-up applies it; cluster-up.sh again
# after it re-applies the cluster's base objects while the node is up (else the Deployment rolls
# back to kwok's image, which the node cannot pull). Needs kc.
node_coredns_patch() {
  local image
  image=$(bash "$here/node/images.sh" refs "$NODE_REGISTRY" | awk '$1 == "coredns" { print $2 }')
  kc -n kube-system patch deployment coredns --type strategic --field-manager osh-sim-node -p "$(cat <<EOF
{"spec":{"template":{"spec":{
  "nodeSelector":{"osh-sim/real-node":"enabled"},
  "tolerations":[{"key":"osh-sim/real-node","operator":"Exists","effect":"NoSchedule"}],
  "securityContext":{"sysctls":[{"name":"net.ipv4.ip_unprivileged_port_start","value":"53"}]},
  "containers":[{"name":"coredns","image":"$image",
    "readinessProbe":{"httpGet":{"path":"/ready","port":8181},"periodSeconds":2},
    "livenessProbe":{"httpGet":{"path":"/health","port":8080},"periodSeconds":10,"failureThreshold":5}}]}}}}
EOF
)" >/dev/null
}
