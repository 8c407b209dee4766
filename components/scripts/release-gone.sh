#!/bin/bash
# The delete of a release's destroy guard (components/deleteGuard.ts): waits until the Helm
# release is uninstalled, so what its pre-delete hooks need (keystone's credential cleanup needs
# MariaDB) is deleted only after them. A release that is already gone, or a namespace that is,
# returns at once. Fails after the timeout, which keeps what the hooks need in place.
# Parameters come in the environment:
#   NAMESPACE, RELEASE   the guarded release
#   TIMEOUT_SECONDS      how long its uninstall may take (Helm's timeout and a margin)
#   KUBE_CONTEXT         kubeconfig context (optional; KUBECONFIG as usual)
set -euo pipefail
k() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
deadline=$(($(date +%s) + TIMEOUT_SECONDS))
err=$(mktemp)
trap 'rm -f "$err"' EXIT
while :; do
  # Helm keeps each release revision in a Secret labelled owner=helm,name=<release>.
  if names=$(k -n "$NAMESPACE" get secrets -l "owner=helm,name=$RELEASE" -o name 2>"$err"); then
    if [ -z "$names" ]; then
      echo "release $NAMESPACE/$RELEASE is uninstalled"
      exit 0
    fi
  elif grep -q 'NotFound' "$err"; then
    echo "namespace $NAMESPACE is gone"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "release $NAMESPACE/$RELEASE is still installed after ${TIMEOUT_SECONDS}s; what its pre-delete hooks need is kept." >&2
    echo "Find why its uninstall stopped (helm -n $NAMESPACE status $RELEASE; npm run doctor -- $NAMESPACE), then run pulumi destroy again." >&2
    cat "$err" >&2
    exit 1
  fi
  sleep 2
done
