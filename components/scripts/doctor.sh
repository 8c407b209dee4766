#!/bin/bash
# `npm run doctor -- [namespace]`: while an install hangs (or after it timed out), names every
# pod still waiting in its kubernetes-entrypoint init container and what it waits for.
# Uses KUBECONFIG and KUBE_CONTEXT like the program's own commands; namespace default openstack.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ns="${1:-openstack}"
# (Endpoints, the entrypoint's fallback, draws a deprecation warning: keep it out of the report.)
kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} -n "$ns" get pods,jobs,endpointslices.discovery.k8s.io,endpoints,daemonsets -o json \
  2> >(grep -v '^Warning: ' >&2) |
  node "$here/stuck-pods.cjs"
