#!/bin/bash
# The install's last step: waits until every Deployment, StatefulSet and DaemonSet in the
# namespace is ready and every plain Job the charts run (not a Helm hook, which Helm already
# waited for, nor a CronJob's run) has succeeded: nova's cell setup and bootstrap run that way,
# and nova cannot place an instance before them. Fails after the timeout naming what is not.
# Run by the Readiness component; parameters come in the environment:
#   NAMESPACE          the OpenStack namespace
#   TIMEOUT_SECONDS    how long to wait
#   KUBE_CONTEXT       kubeconfig context (optional; KUBECONFIG as usual)
#   STUCK_PODS_JS      the stuck-install doctor (components/scripts/stuck-pods.cjs), run with node on
#                      a timeout to name every pod still waiting and what it waits for
set -euo pipefail
k() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
ns="$NAMESPACE"
deadline=$(($(date +%s) + TIMEOUT_SECONDS))
q='{range .items[*]}{.kind}/{.metadata.name} {.spec.replicas}{.status.desiredNumberScheduled} {.status.readyReplicas}{.status.numberReady}{"\n"}{end}'
# Jobs: name|hook annotation|owner kind|succeeded (fields may be empty).
jq_jobs='{range .items[*]}{.metadata.name}|{.metadata.annotations.helm\.sh/hook}|{.metadata.ownerReferences[0].kind}|{.status.succeeded}{"\n"}{end}'
while :; do
  pending=$(k -n "$ns" get deployments,statefulsets,daemonsets -o "jsonpath=$q" |
    awk '{ want = ($2 == "" ? 0 : $2); have = ($3 == "" ? 0 : $3); if (have < want) print $1 " " have "/" want }')
  jobs=$(k -n "$ns" get jobs -o "jsonpath=$jq_jobs" | awk -F'|' '$1 != "" && $2 == "" && $3 == ""')
  pending_jobs=$(echo "$jobs" | awk -F'|' '$1 != "" && ($4 == "" || $4 < 1) { print "Job/" $1 " not succeeded" }')
  total=$(k -n "$ns" get deployments,statefulsets,daemonsets -o name | wc -l)
  if [ -z "$pending$pending_jobs" ]; then
    n_jobs=$(echo "$jobs" | grep -c . || true)
    if [ "$n_jobs" -gt 0 ]; then
      echo "all $total workloads in $ns are ready and its $n_jobs Jobs done"
    else
      echo "all $total workloads in $ns are ready"
    fi
    exit 0
  fi
  pending=$(printf '%s\n%s' "$pending" "$pending_jobs" | grep . || true)
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "not ready after ${TIMEOUT_SECONDS}s:" >&2
    echo "$pending" >&2
    if [ -n "${STUCK_PODS_JS:-}" ] && command -v node >/dev/null 2>&1; then
      echo "pods still waiting for their dependencies:" >&2
      # (Endpoints, the entrypoint's fallback, draws a deprecation warning: keep it out of the report.)
      k -n "$ns" get pods,jobs,endpointslices.discovery.k8s.io,endpoints,daemonsets -o json 2> >(grep -v '^Warning: ' >&2) |
        STUCK_PODS_MAIN=1 node -e "$STUCK_PODS_JS" | sed 's/^/  /' >&2 || true
    fi
    exit 1
  fi
  sleep 5
done
