# shellcheck shell=bash
# Builders for the simulated cluster: etcd, the Kubernetes control plane, kwok and helm.
# Sourced by toolchain.sh, which provides wrapper(), reuse_from_path(), $BIN and versions.sh.
# Each build runs quietly: the go output goes to $OSH_CACHE/logs/<name>.log, shown only on failure.

# quietly NAME FUNCTION: runs FUNCTION in a subshell with errexit in force, output to the log.
# (Called from `if`/`||`, bash would ignore errexit inside the body, hence the explicit status.)
quietly() {
  local name=$1 fn=$2 logf rc
  mkdir -p "$OSH_CACHE/logs"
  logf="$OSH_CACHE/logs/$name.log"
  set +e
  ( set -euo pipefail; "$fn" ) > "$logf" 2>&1
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    printf '[toolchain] %s failed (exit %s); last lines of %s:\n' "$name" "$rc" "$logf" >&2
    tail -n 40 "$logf" >&2
    return "$rc"
  fi
}

build_etcd() {
  reuse_from_path etcd "etcd Version: $ETCD_VERSION" --version && return 0
  quietly etcd _build_etcd
}
_build_etcd() {
  wrapper "$OSH_CACHE/build/etcd" 1.25.0
  go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go build -trimpath -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  "$BIN/etcd" --version | grep -q "etcd Version: $ETCD_VERSION"
}

build_kubernetes() {
  quietly kubernetes _build_kubernetes
}
_build_kubernetes() {
  local c
  k8s_build "$OSH_CACHE/build/kubernetes" kube-apiserver kube-controller-manager kube-scheduler kubectl
  "$BIN/kube-apiserver" --version | grep -qx "Kubernetes v$KUBERNETES_VERSION"
}

# k8s_build DIR CMD...: builds k8s.io/kubernetes/cmd/CMD... at KUBERNETES_VERSION into $BIN, in a
# wrapper module at DIR (the node's kubelet and kube-proxy use it too: one module download).
k8s_build() {
  local dir=$1 K=$KUBERNETES_VERSION gm m minor ld c tools=(); shift
  wrapper "$dir" 1.26.0
  gm=$(go mod download -json "k8s.io/kubernetes@v$K" | jq -r .GoMod)
  # k8s.io/kubernetes replaces its staging modules with local paths: point each at its published twin.
  for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "$gm"); do
    go mod edit -replace "$m=$m@v0.${K#1.}"
  done
  grep -E '^godebug ' "$gm" >> go.mod || true
  for c in "$@"; do tools+=("k8s.io/kubernetes/cmd/$c@v$K"); done
  go get -tool "${tools[@]}"
  minor=$(echo "$K" | cut -d. -f2)
  ld="-s -w -X k8s.io/component-base/version.gitVersion=v$K -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=v$K -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  for c in "$@"; do
    go build -trimpath -ldflags "$ld" -o "$BIN/$c" "k8s.io/kubernetes/cmd/$c"
  done
}

build_kwok() {
  quietly kwok _build_kwok
}
_build_kwok() {
  local m s f
  wrapper "$OSH_CACHE/build/kwok" 1.26.0
  go get -tool "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok
  m=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  # The stages that make fake nodes Ready (and keep their leases), pods Running, Job pods
  # Succeeded and deleted pods go away; taken from the module at build time.
  s="$m/kustomize/stage"
  mkdir -p "$OSH_CACHE/kwok"
  { for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
             pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do cat "$s/$f.yaml"; echo '---'; done
  } > "$OSH_CACHE/kwok/stages.yaml"
}

build_gateway_api() { quietly gateway-api _build_gateway_api; }
_build_gateway_api() {
  local m
  wrapper "$OSH_CACHE/build/gateway-api" 1.25.0
  go get "sigs.k8s.io/gateway-api@v$GATEWAY_API_VERSION"
  m=$(go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
  # The standard channel's CRDs only (not its admission policy against downgrades), one YAML
  # document each (the files have no document separators of their own).
  local f
  for f in "$m"/config/crd/standard/gateway.networking.k8s.io_*.yaml; do
    case $f in *_vap_*) continue ;; esac
    echo '---'; cat "$f"
  done > "$OSH_CACHE/$GATEWAY_API_CRDS"
}

build_helm() {
  reuse_from_path helm "v$HELM_VERSION\b" version --short && return 0
  quietly helm _build_helm
}
_build_helm() {
  wrapper "$OSH_CACHE/build/helm" 1.25.0
  go get -tool "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" -o "$BIN/helm" helm.sh/helm/v3/cmd/helm
  "$BIN/helm" version --short | grep -q "^v$HELM_VERSION"
}
