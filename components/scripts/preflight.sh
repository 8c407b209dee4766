#!/bin/bash
# The first install's leftover check: refuses a namespace that holds an earlier install's
# volumes, the Keystone key Secrets the chart keeps, or releases of our charts that no stack
# owns, before anything is changed. Run by the Preflight component; parameters come in the
# environment:
#   NAMESPACE              the OpenStack namespace
#   ALLOW_LEFTOVER_DATA    true: let the volumes (only) through
#   PVC_PATTERN            grep -E pattern of the leftover volume claims (persistentvolumeclaim/...)
#   SECRET_PATTERN         grep -E pattern of the kept key Secrets (secret/...)
#   RELEASE_PATTERN        grep -E pattern of our charts' release names
#   KUBE_CONTEXT           kubeconfig context (optional; KUBECONFIG as usual)
set -euo pipefail
k() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
ns="$NAMESPACE"

if ! k get namespace "$ns" -o name >/dev/null 2>&1; then
  echo "namespace $ns is new"
  exit 0
fi
objects=$(k -n "$ns" get persistentvolumeclaims,secrets -o name)
volumes=$(echo "$objects" | grep -E "$PVC_PATTERN" || true)
keys=$(echo "$objects" | grep -E "$SECRET_PATTERN" || true)
releases=$(k -n "$ns" get secrets -l owner=helm -o 'jsonpath={range .items[*]}{.metadata.labels.name}{"\n"}{end}' |
  grep -E "$RELEASE_PATTERN" | sort -u || true)
if [ -z "$volumes$keys$releases" ]; then
  echo "namespace $ns holds nothing of an earlier install"
  exit 0
fi

# Volumes may be carried over on purpose; the key Secrets and foreign releases make the install fail.
if [ "$ALLOW_LEFTOVER_DATA" = true ] && [ -z "$keys$releases" ]; then
  echo "namespace $ns holds volumes of an earlier install; going on because allowLeftoverData is true:" >&2
  echo "$volumes" | sed 's/^/  /' >&2
  exit 0
fi
{
  echo "namespace $ns holds what an earlier install left, which this stack cannot install over:"
  [ -z "$volumes" ] || echo "$volumes" | sed "s/\$/  (a volume: its database holds that install's credentials)/; s/^/  /"
  [ -z "$keys" ] || echo "$keys" | sed 's/$/  (kept by the Keystone chart: its pre-install hook fails on it)/; s/^/  /'
  [ -z "$releases" ] || echo "$releases" | sed 's/^/  helm release /; s/$/  (installed outside this stack)/'
  echo "Nothing has been changed. To start clean: kubectl delete namespace $ns"
  echo "  (or pulumi destroy the stack that made it, with purgeOnDestroy=true)."
  [ -z "$keys" ] || echo "Or remove the kept keys: kubectl -n $ns delete secret $(echo "$keys" | sed 's#^secret/##' | tr '\n' ' ')"
  [ -z "$releases" ] || echo "Or uninstall those releases: helm -n $ns uninstall $(echo "$releases" | tr '\n' ' ')"
  [ -z "$volumes" ] || echo "To keep the volumes (carrying that install's credentials over in chartValues): pulumi config set allowLeftoverData true"
} >&2
exit 1
