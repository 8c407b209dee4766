#!/bin/bash
# The install's last step: waits until every Deployment, StatefulSet and DaemonSet in the
# namespace is ready, or fails after the timeout naming what is not. Run by the Readiness
# component; parameters come in the environment:
#   NAMESPACE          the OpenStack namespace
#   TIMEOUT_SECONDS    how long to wait
#   KUBE_CONTEXT       kubeconfig context (optional; KUBECONFIG as usual)
set -euo pipefail
k() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
ns="$NAMESPACE"
deadline=$(($(date +%s) + TIMEOUT_SECONDS))
q='{range .items[*]}{.kind}/{.metadata.name} {.spec.replicas}{.status.desiredNumberScheduled} {.status.readyReplicas}{.status.numberReady}{"\n"}{end}'
while :; do
  pending=$(k -n "$ns" get deployments,statefulsets,daemonsets -o "jsonpath=$q" |
    awk '{ want = ($2 == "" ? 0 : $2); have = ($3 == "" ? 0 : $3); if (have < want) print $1 " " have "/" want }')
  total=$(k -n "$ns" get deployments,statefulsets,daemonsets -o name | wc -l)
  if [ -z "$pending" ]; then
    echo "all $total workloads in $ns are ready"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "not ready after ${TIMEOUT_SECONDS}s:" >&2
    echo "$pending" >&2
    exit 1
  fi
  sleep 5
done
