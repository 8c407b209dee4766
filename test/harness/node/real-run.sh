#!/usr/bin/env bash
# npm run test:real-node -- <openstack-helm checkout>: the real charts' control plane on the real
# node, answering for real.
#   1. a simulator of its own with its Ceph reachable from pods, the real node (reused when it
#      is up), every image the control plane needs in the node's registry;
#   2. the dev stack pointed at the checkout (chartLocalPath) and the node's registry
#      (imageRegistry), routes of class traefik, the control plane's parts sent to the real node
#      by the charts' own settings (node/real-placement.sh), the verification on, through the
#      node's Traefik; `pulumi up`: every Job of those charts runs its own script there;
#   3. the cloud used with the stack's adminOpenrc and the openstack client of the harness's
#      lock: an image into Ceph, a network and subnet, the compute services, the servers;
#   4. `pulumi preview --expect-no-changes`, `pulumi destroy`, the node checked clean (it stays
#      up for the next run; --down takes it and the simulator away).
# Last lines, exactly:
#   real node: <n> pods running, <m> Jobs succeeded
#   verification: <k> checks ok, <s> skipped
#   image in ceph: glance.images/<image id>
#   network: <network name> <subnet cidr>
#   compute services up: <names, comma-separated>
#   real-node run: <seconds> s
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
usage() { echo "usage: npm run test:real-node -- [--down] <openstack-helm checkout>" >&2; exit 2; }
down_after=0 checkout=""
for a in "$@"; do
  case "$a" in
    --down) down_after=1 ;;
    -*) usage ;;
    *) [ -z "$checkout" ] || usage; checkout=$a ;;
  esac
done
[ -n "$checkout" ] || usage
checkout=$(cd "$checkout" && pwd)
. "$here/versions.sh"
export OSH_SIM_DIR="${OSH_REAL_NODE_SIM_DIR:-$OSH_CACHE/sim-real-node}"
export OSH_WORK_DIR="${OSH_REAL_NODE_WORK_DIR:-$OSH_CACHE/work-real-node}"
export OSH_SIM_CEPH_FOR_PODS=1
export OSH_REAL_NODE_IMAGES="memcached mariadb ceph-config-helper rabbitmq openstack"
. "$here/sim-lib.sh"
. "$here/node/node-lib.sh"
. "$here/node/real-placement.sh"
T0=$SECONDS
KUBECTL="$BIN/kubectl"
kc() { "$KUBECTL" --kubeconfig "$SIM/admin.kubeconfig" "$@"; }
stack() { bash "$here/deploy.sh" run "$@"; }
say() { echo "real-node: $*"; }
phase() { say "$1 at $((SECONDS - T0))s"; }
die() { echo "real-node: $*" >&2; exit 1; }

# The checkout: the charts this program installs beside helm-toolkit, at the commit the program's
# chart versions name (components/catalog/charts.ts).
pinned=$(sed -n 's/.*version: "[^"]*+\([0-9a-f]*\)".*/\1/p' "$repo/components/catalog/charts.ts" | sort -u)
[ "$(wc -l <<<"$pinned")" = 1 ] || die "the chart catalog names more than one commit: $pinned"
for c in helm-toolkit "${REAL_NODE_CHARTS[@]}" openvswitch libvirt; do
  [ -f "$checkout/$c/Chart.yaml" ] || die "$checkout/$c/Chart.yaml is missing: give a checkout of openstack-helm (its charts beside helm-toolkit/)"
done
if head=$(git -C "$checkout" rev-parse HEAD 2>/dev/null); then
  case "$head" in
    "$pinned"*) ;;
    *) die "$checkout is at ${head:0:12}, not the pinned $pinned: git -C $checkout checkout $pinned" ;;
  esac
fi

# The machine's peak memory in use over the run (MemTotal - MemAvailable, every 5 s).
peak_file=$(mktemp)
( peak=0; while sleep 5; do
    used=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print int((t - a) / 1024) }' /proc/meminfo)
    [ "$used" -le "$peak" ] || { peak=$used; echo "$peak" > "$peak_file"; }
  done ) &
sampler=$!

failed_report() {
  local rc=$?
  kill "$sampler" 2>/dev/null || true
  rm -f "$peak_file"
  [ "$rc" -eq 0 ] && return
  echo "real-node: failed ($rc); the pods not Running or Succeeded:" >&2
  kc get pods -A -o wide 2>/dev/null | awk 'NR == 1 || ($4 != "Running" && $4 != "Completed")' >&2 || true
  kc get events -A --field-selector type=Warning 2>/dev/null | tail -n 30 >&2 || true
  echo "real-node: the simulator and the node stay up for a look (OSH_SIM_DIR=$SIM); npm run test:real-node -- --down $checkout takes them down after the next run" >&2
}
trap failed_report EXIT

# ------------------------------------------------------------------ 1. cluster, node, images
bash "$here/toolchain.sh" node >&2
bash "$here/deploy.sh" prepare >&2
bash "$here/node/node-up.sh"
# A node that was up before may not have every image of this run yet.
in_node bash "$here/node/images.sh" push "$NODE_REGISTRY" "${NODE_IMAGES[@]}" >&2
phase "node up"

# ------------------------------------------------------------------ 2. the stack
ns=$(stack pulumi config get namespace 2>/dev/null || echo openstack)
domain=$(stack pulumi config get domain)
stack pulumi config set chartLocalPath "$checkout"
stack pulumi config set imageRegistry "$NODE_REGISTRY"
stack pulumi config set ingressClass traefik
# Real schema migrations and service starts on two cores: the charts' Jobs take minutes.
stack pulumi config set helmTimeoutSeconds 2700
stack pulumi config set readinessTimeoutSeconds 1200
stack pulumi config set rabbitmqTimeoutSeconds 1200
# The verification reaches the public hosts at Traefik, which the node's own address serves
# (the Service's external IP, node/traefik.yaml) to the host, where Pulumi runs.
resolve=$(for s in keystone glance nova novncproxy neutron placement; do printf '"%s.%s:80":"%s:80"\n' "$s" "$domain" "$NODE_IP"; done | paste -sd, -)
stack pulumi config set verifyResolve "{$resolve}"
stack pulumi config set verify true
# What a fresh cloud on the next run needs: destroy takes the namespace (its volumes, the charts'
# hook Jobs Helm leaves behind) and the Ceph pools too.
stack pulumi config set purgeOnDestroy true
mapfile -t placement < <(real_node_config_args osh-sim/real-node)
stack pulumi config set-all --path "${placement[@]}"
phase "stack configured"
stack pulumi up --yes --skip-preview --suppress-progress >&2
phase "pulumi up"

# ------------------------------------------------------------------ what ran where
# (Files, not arguments: the lists outgrow an argument.)
node_pods="$OSH_WORK_DIR/node-pods.json"
kc -n "$ns" get pods -o json --field-selector "spec.nodeName=$NODE_NAME" > "$node_pods"
running=$(jq '[.items[] | select(.status.phase == "Running")] | length' "$node_pods")
# Every Job of the install that ran on the node: its own script, to completion (hooks included; a
# hook Job the chart deletes on success is not counted). The charts' CronJobs (nova's hourly cell
# setup and service cleaner, keystone's rotations) fire on the clock, mid-install too, when the
# API they call may not answer yet: their runs are listed, not judged.
real_jobs=$(kc -n "$ns" get jobs -o json | jq --slurpfile pods "$node_pods" '[.items[] | .metadata.name as $j
  | select(any($pods[0].items[]; .metadata.labels["job-name"] == $j) or ((.status.failed // 0) > 0))
  | .cron = any(.metadata.ownerReferences[]?; .kind == "CronJob")]')
succeeded=$(jq '[.[] | select((.cron | not) and (.status.succeeded // 0) >= 1)] | length' <<<"$real_jobs")
unfinished=$(jq -r '.[] | select((.cron | not) and (.status.succeeded // 0) < 1) | .metadata.name' <<<"$real_jobs")
[ -z "$unfinished" ] || die "Jobs on $NODE_NAME that did not succeed: $(paste -sd' ' <<<"$unfinished")"
cron_runs=$(jq -r '[.[] | select(.cron) | "\(.metadata.name) \(if (.status.succeeded // 0) >= 1 then "succeeded" elif (.status.failed // 0) > 0 then "failed" else "running" end)"] | join(", ")' <<<"$real_jobs")
[ -z "$cron_runs" ] || say "CronJob runs on the clock (not judged: one that fired before its API answered retries on its next run): $cron_runs"
# The pods of a CronJob's run are its business too, as above.
not_running=$(jq -r --argjson cron "$(jq '[.[] | select(.cron) | .metadata.name]' <<<"$real_jobs")" '.items[]
  | select(.status.phase != "Running" and .status.phase != "Succeeded")
  | select(.metadata.labels["job-name"] as $j | $cron | index($j) | not)
  | "\(.metadata.name) \(.status.phase)"' "$node_pods")
[ -z "$not_running" ] || die "pods on $NODE_NAME neither running nor done: $(paste -sd',' <<<"$not_running")"
# What stays simulated, and why, said once: the pods of the stack on kwok nodes.
kc -n "$ns" get pods -o json | jq -r --arg n "$NODE_NAME" '.items[] | select(.spec.nodeName != $n)
  | "\(.metadata.labels.application // "?")/\(.metadata.labels.component // .metadata.name)"' | sort | uniq -c |
  awk '{ printf "%s%s (%s)", (NR > 1 ? ", " : ""), $2, $1 } END { print "" }' |
  sed 's/^/real-node: left on kwok nodes (Open vSwitch, libvirt, nova-compute and the neutron agents need Open vSwitch or vhost-net, which this kernel lacks): /'
phase "report"

# ------------------------------------------------------------------ the verification, through the routes
checks=$(stack pulumi stack output verificationChecks --json)
jq -r '.[] | "real-node: verification: \(.check) \(if .skipped then "skipped" elif .ok then "ok" else "FAILED" end): \(.detail)"' <<<"$checks"
[ "$(jq '[.[] | select(.ok | not)] | length' <<<"$checks")" = 0 ] || die "a verification check failed"
checks_ok=$(jq '[.[] | select(.ok and (.skipped | not))] | length' <<<"$checks")
checks_skipped=$(jq '[.[] | select(.skipped)] | length' <<<"$checks")

# ------------------------------------------------------------------ the cloud, used
# The operator's openstack client (the lock's, in a venv on this host), with the stack's
# adminOpenrc; the public hosts resolve to the node's Traefik in a mount namespace of the
# client's own (its /etc/hosts), as a DNS record for them would.
client=$(bash "$here/node/images.sh" client)
umask 077
openrc="$OSH_WORK_DIR/admin-openrc"
stack pulumi stack output adminOpenrc --show-secrets > "$openrc"
hosts="$OSH_WORK_DIR/hosts"
{ echo "127.0.0.1 localhost"; for s in keystone glance nova novncproxy neutron placement; do echo "$NODE_IP $s.$domain"; done; } > "$hosts"
umask 022
osc() {
  unshare --mount -- bash -c 'mount --bind "$1" /etc/hosts && . "$2" && shift 2 && exec "$@"' osc "$hosts" "$openrc" \
    env -u OS_CLOUD "$client/openstack" "$@"
}
tag=osh-real-node-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
head -c 1048576 /dev/urandom > "$OSH_WORK_DIR/$tag.raw"
image_id=$(osc image create --disk-format raw --container-format bare --file "$OSH_WORK_DIR/$tag.raw" "$tag" -f value -c id)
rm -f "$OSH_WORK_DIR/$tag.raw"
in_ceph=$(CEPH_CONF="$CEPH_DIR/ceph.conf" rbd ls glance.images)
grep -qx "$image_id" <<<"$in_ceph" || die "image $image_id is not in Ceph's glance.images (rbd ls: $(paste -sd' ' <<<"$in_ceph"))"
network=$tag-net cidr=192.168.77.0/24
osc network create "$network" -f value -c id >/dev/null
osc subnet create --network "$network" --subnet-range "$cidr" "$tag-subnet" -f value -c id >/dev/null
osc network list -f value -c Name | grep -qx "$network" || die "network $network is not listed"
[ "$(osc subnet list --network "$network" -f value -c Subnet)" = "$cidr" ] || die "subnet $cidr is not listed on $network"
services=$(osc compute service list -f json)
up=$(jq -r '[.[] | select(.State == "up") | .Binary] | unique | join(",")' <<<"$services")
for b in nova-conductor nova-scheduler; do
  grep -q "$b" <<<"$up" || die "$b is not up: $(jq -c . <<<"$services")"
done
osc server list >/dev/null
say "the cloud answered: image $image_id, network $network $cidr, compute services up: $up, server list"
# What the run made goes before the stack does (Glance removes its RBD image).
osc subnet delete "$tag-subnet"
osc network delete "$network"
osc image delete "$image_id"
phase "cloud used"

# ------------------------------------------------------------------ no changes, destroy, clean
stack pulumi preview --expect-no-changes --suppress-progress >&2
phase "preview: no changes"
peak=$(cat "/sys/fs/cgroup/memory/$NODE_CGROUP/memory.max_usage_in_bytes")
say "memory: the node's containers peaked at $((peak / 1048576)) MiB (cgroup $NODE_CGROUP, page cache included); the machine at $(cat "$peak_file" 2>/dev/null || echo '?') MiB in use (MemTotal - MemAvailable)"
stack pulumi destroy --yes --suppress-progress >&2
phase "destroy"
# Clean: the namespace gone with everything in it, no pod but the node's own (kube-system) on it.
left() { kc get pods -A -o json --field-selector "spec.nodeName=$NODE_NAME" | jq -r '.items[] | select(.metadata.namespace != "kube-system") | "\(.metadata.namespace)/\(.metadata.name)"'; }
for _ in $(seq 150); do [ -z "$(left)" ] && ! kc get namespace "$ns" >/dev/null 2>&1 && break; sleep 2; done
[ -z "$(left)" ] || die "pods are left on $NODE_NAME after destroy: $(left | paste -sd' ')"
! kc get namespace "$ns" >/dev/null 2>&1 || die "namespace $ns is still there after destroy with purgeOnDestroy"
say "the node is clean: namespace $ns gone, no pod on $NODE_NAME but its own (kube-system)"
if [ "$down_after" = 1 ]; then
  bash "$here/node/node-down.sh"
  bash "$here/cluster-down.sh" --purge >&2
fi

echo "real node: $running pods running, $succeeded Jobs succeeded"
echo "verification: $checks_ok checks ok, $checks_skipped skipped"
echo "image in ceph: glance.images/$image_id"
echo "network: $network $cidr"
echo "compute services up: $up"
echo "real-node run: $((SECONDS - T0)) s"
