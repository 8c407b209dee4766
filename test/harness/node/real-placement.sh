# shellcheck shell=bash disable=SC2034  # sourced: the tables are for real-run.sh
# Which parts of which openstack-helm chart run on the real node, by the charts' own settings
# (openstack-helm 0ee5adeff): each chart's `labels.<component>` node selector, and
# `pod.tolerations.<chart>` for the node's taint. What is not named here (Open vSwitch, libvirt,
# nova-compute, the neutron agents: they need Open vSwitch or vhost-net, which this kernel lacks)
# stays on the kwok nodes.
declare -A REAL_NODE_COMPONENTS=(
  [mariadb]="server job controller db_controller"
  [rabbitmq]="server jobs"
  [memcached]="server"
  [keystone]="api job"
  [glance]="api job"
  [placement]="api job"
  [nova]="osapi api_metadata conductor scheduler novncproxy job"
  [neutron]="server rpc_server job"
)
# The order the run reports them in.
REAL_NODE_CHARTS=(mariadb rabbitmq memcached keystone glance placement nova neutron)

# What an operator sets beside the placement on a two-core machine, and why (chart keys):
# - nova's cell setup waits for a nova-compute to register (cell-setup-init.sh loops on
#   `openstack compute service list`), and the bootstrap's wait_for_computes for computes'
#   hypervisors: no nova-compute runs for real here, so the one-off Job is off and the chart's
#   hourly CronJob (cron_job_cell_setup) discovers hosts once computes exist;
# - neutron's RPC server starts 4 workers by default: one is enough for one node;
# - neutron gives every new network the availability zone hint `nova`
#   (conf.neutron.DEFAULT.default_availability_zones), and an availability zone exists only once
#   a DHCP or L3 agent reports it: with the agents on kwok nodes `network create` answers "404,
#   AvailabilityZone nova could not be found", so networks get no hint.
REAL_NODE_SETTINGS=(
  "nova.manifests.job_cell_setup=false"
  "nova.bootstrap.wait_for_computes.enabled=false"
  "neutron.conf.neutron.DEFAULT.rpc_workers=1"
  "neutron.conf.neutron.DEFAULT.default_availability_zones="
)

# real_node_config_args NODE_LABEL: `pulumi config set-all --path` arguments that send the
# components above to the node labelled NODE_LABEL=enabled (a word: the charts write the value
# unquoted into the pods' nodeSelector), tolerate its taint and set REAL_NODE_SETTINGS, all under
# chartValues.
real_node_config_args() {
  local label=$1 chart component
  for chart in "${REAL_NODE_CHARTS[@]}"; do
    for component in ${REAL_NODE_COMPONENTS[$chart]}; do
      echo "--plaintext=chartValues.$chart.labels.$component.node_selector_key=$label"
      echo "--plaintext=chartValues.$chart.labels.$component.node_selector_value=enabled"
    done
    echo "--plaintext=chartValues.$chart.pod.tolerations.$chart.enabled=true"
    echo "--plaintext=chartValues.$chart.pod.tolerations.$chart.tolerations[0].key=$label"
    echo "--plaintext=chartValues.$chart.pod.tolerations.$chart.tolerations[0].operator=Exists"
    echo "--plaintext=chartValues.$chart.pod.tolerations.$chart.tolerations[0].effect=NoSchedule"
  done
  local s
  for s in "${REAL_NODE_SETTINGS[@]}"; do echo "--plaintext=chartValues.$s"; done
}

