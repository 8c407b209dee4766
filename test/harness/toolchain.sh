#!/usr/bin/env bash
# Installs (or reuses) everything the engine and the simulator need, built from Go modules and
# Debian packages, cached per version under $OSH_CACHE so a second run only checks.
# Usage: toolchain.sh [component...]   (default: all; the optional keystone and node only when named;
# `node` is the group of a real node's pieces, see node/build.sh, and brings the apt step with it).
# Prints one timing line per component.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/versions.sh"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$OSH_CACHE/bin" "$OSH_CACHE/build"
BIN="$OSH_CACHE/bin"
# The harness's own plugins and simulator controller are rebuilt when their sources change.
src_hash() { (cd "$1" && find . -type f \( -name '*.go' -o -name 'go.*' \) | sort | xargs cat | sha256sum | cut -c1-12); }
PLUGINS_SRC=$(src_hash "$here/plugins")
SIMULATOR_SRC=$(src_hash "$here/simulator")
log() { printf '[toolchain] %s\n' "$*" >&2; }

# run_step NAME STAMP FUNCTION: runs FUNCTION unless STAMP exists; prints its wall time.
run_step() {
  local name=$1 stamp=$2 fn=$3 t0 t1
  t0=$(date +%s.%N)
  if [ -e "$stamp" ]; then
    t1=$(date +%s.%N); printf 'toolchain: %-22s cached  %6.1fs\n' "$name" "$(echo "$t1 - $t0" | bc)"
    return 0
  fi
  log "building $name"
  "$fn"
  touch "$stamp"
  t1=$(date +%s.%N); printf 'toolchain: %-22s built   %6.1fs\n' "$name" "$(echo "$t1 - $t0" | bc)"
}

# A binary already on PATH at the right version is copied in instead of being built.
reuse_from_path() { # name version-regex version-command...
  local name=$1 re=$2; shift 2
  local found; found=$(command -v "$name" 2>/dev/null) || return 1
  [ "$found" = "$BIN/$name" ] && return 1
  "$found" "$@" 2>/dev/null | grep -qE "$re" || return 1
  log "reusing $found"; cp "$found" "$BIN/$name"
}

wrapper() { # dir go-version
  rm -rf "$1"; mkdir -p "$1"; cd "$1"; go mod init "local/$(basename "$1")" >/dev/null 2>&1; go mod edit -go="$2"
}

apt_packages() {
  local missing=() extra=()
  [ -z "$want_node" ] || extra=("${NODE_APT_PACKAGES[@]}")
  for p in ceph-mon ceph-osd ceph-common bc jq openssl shellcheck "${extra[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

PULUMI_LD="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

build_pulumi() {
  reuse_from_path pulumi "^v$PULUMI_VERSION\$" version && return 0
  quietly pulumi-cli _build_pulumi
}
_build_pulumi() {
  wrapper "$OSH_CACHE/build/pulumi-cli" 1.25.11
  # pkg/v3's own go.mod replaces the clipboard module; replaces only hold in the main module.
  go mod edit -replace "$CLIPBOARD_REPLACE"
  go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION"
  go get "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  for m in github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3; do
    v=$(go list -m -f '{{.Version}}' "$m"); [ "$v" = "v$PULUMI_VERSION" ] || { echo "$m resolved to $v, want v$PULUMI_VERSION" >&2; exit 1; }
  done
  go build -trimpath -tags osusergo,grpcnotrace -ldflags "$PULUMI_LD" -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  "$BIN/pulumi" version | grep -qx "v$PULUMI_VERSION"
}

# The harness's own plugins (test/harness/plugins): the language host, and the command and random
# providers, whose published modules the Go proxy does not serve (see versions.sh).
build_own_plugin() { # binary version
  local out="$BIN/$1"
  ( cd "$here/plugins" && go build -trimpath -ldflags "-X main.version=$2" -o "$out" "./cmd/$1" )
}
build_langhost() { quietly language-host _build_langhost; }
# The simulator's controller (test/harness/simulator): when the charts' pods may start.
build_sim_controller() { quietly sim-controller _build_sim_controller; }
_build_sim_controller() { (cd "$here/simulator" && go build -trimpath -o "$BIN/osh-sim-controller" ./cmd/osh-sim-controller); }
_build_langhost() { build_own_plugin pulumi-language-nodejs "$PULUMI_VERSION"; }
build_command_provider() { quietly command-provider _build_command_provider; }
_build_command_provider() { build_own_plugin pulumi-resource-command "$COMMAND_PROVIDER_VERSION"; }
build_random_provider() { quietly random-provider _build_random_provider; }
_build_random_provider() { build_own_plugin pulumi-resource-random "$RANDOM_PROVIDER_VERSION"; }

build_k8s_provider() {
  reuse_plugin kubernetes "$K8S_PROVIDER_VERSION" && return 0
  quietly kubernetes-provider _build_k8s_provider
}
_build_k8s_provider() {
  wrapper "$OSH_CACHE/build/k8s-provider" 1.24.7
  # The provider imports a few sdk/v4 packages through a ../sdk replace: use the published twin.
  go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@v$K8S_PROVIDER_VERSION"
  go get "github.com/pulumi/pulumi-kubernetes/provider/v4@$K8S_PROVIDER_MODULE_VERSION"
  local m; m=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)
  mkdir -p cmd/prov
  cp "$m"/cmd/pulumi-resource-kubernetes/main.go cmd/prov/
  chmod -R u+w cmd
  # main.go embeds files that `go generate` makes and the module zip leaves out: make them here.
  jq -c ".version=\"$K8S_PROVIDER_VERSION\"" "$m/cmd/pulumi-resource-kubernetes/schema.json" > cmd/prov/schema-embed.json
  jq -c . "$m/cmd/pulumi-resource-kubernetes/terraform-mapping.json" > cmd/prov/terraform-mapping-embed.json
  go mod tidy
  go build -trimpath -ldflags "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes" ./cmd/prov
}

# A provider already in the user's plugin cache at the exact version is copied, not rebuilt.
reuse_plugin() { # name version
  local f="${PULUMI_HOME_USER:-$HOME/.pulumi}/plugins/resource-$1-v$2/pulumi-resource-$1"
  [ -x "$f" ] || return 1
  log "reusing $f"; cp "$f" "$BIN/pulumi-resource-$1"
}

install_plugins() {
  # Install the provider binaries into the harness's plugin cache at exactly the npm packages'
  # versions; the engine looks them up by exact version and is told never to download.
  . "$here/pulumi-env.sh"
  for p in "kubernetes $K8S_PROVIDER_VERSION" "command $COMMAND_PROVIDER_VERSION" "random $RANDOM_PROVIDER_VERSION"; do
    set -- $p
    "$BIN/pulumi" plugin install resource "$1" "$2" --file "$BIN/pulumi-resource-$1" --reinstall >/dev/null 2>&1
  done
  "$BIN/pulumi" plugin ls
}

# The plugin versions must equal what the installed npm packages declare.
check_npm_pins() {
  local root="$here/../.." name want got
  for p in "kubernetes $K8S_PROVIDER_VERSION" "command $COMMAND_PROVIDER_VERSION" "random $RANDOM_PROVIDER_VERSION"; do
    set -- $p; name=$1; want=$2
    got=$(jq -r '.dependencies["@pulumi/'"$name"'"]' "$root/package.json")
    [ "$got" = "$want" ] || { echo "package.json pins @pulumi/$name $got but versions.sh builds $want" >&2; exit 1; }
  done
  got=$(jq -r '.dependencies["@pulumi/pulumi"]' "$root/package.json")
  [ "$got" = "$PULUMI_VERSION" ] || { echo "package.json pins @pulumi/pulumi $got but versions.sh builds $PULUMI_VERSION" >&2; exit 1; }
}

. "$here/build-cluster.sh"
. "$here/node/build.sh"

# A real Keystone for tests (test/harness/keystone): a virtualenv of the system python3 with the
# lock's exact wheels, checked against their hashes; nothing is resolved or built here. Not part of
# the default set: the deploy and the e2e do not use it.
. "$here/keystone/venv.sh"
check_keystone_pins() {
  local p
  command -v python3 >/dev/null || { echo "keystone needs python3 $KEYSTONE_PYTHON on PATH" >&2; exit 1; }
  for p in "keystone==$KEYSTONE_VERSION" "python-openstackclient==$OPENSTACKCLIENT_VERSION"; do
    grep -q "^$p " "$KEYSTONE_LOCK" || { echo "$KEYSTONE_LOCK does not pin $p (versions.sh): regenerate it with keystone/lock.sh" >&2; exit 1; }
  done
  python3 -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$KEYSTONE_PYTHON'.split('.'))))" ||
    { echo "the Keystone lock holds CPython $KEYSTONE_PYTHON wheels, python3 is $(python3 --version 2>&1): regenerate it with keystone/lock.sh" >&2; exit 1; }
  keystone_paths
}
build_keystone() { quietly keystone _build_keystone; }
_build_keystone() {
  # A venv is not relocatable (its scripts name its path), so it is built in place; the stamp
  # marks it complete.
  rm -rf "$KEYSTONE_VENV"
  python3 -m venv "$KEYSTONE_VENV"
  "$KEYSTONE_VENV/bin/pip" install --no-input --require-hashes --no-deps --only-binary :all: -r "$KEYSTONE_LOCK"
  "$KEYSTONE_VENV/bin/pip" check
  "$KEYSTONE_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("keystone"))' | grep -qx "$KEYSTONE_VERSION"
}

all=(apt pulumi langhost k8s-provider command-provider random-provider plugins etcd kubernetes kwok helm gateway-api sim-controller)
optional=(keystone node node-apt "${NODE_COMPONENTS[@]}")
# `node` expands to its components; any of them brings the apt step, run first and once, which
# then installs their packages too.
want=() want_node=
for c in "${@:-${all[@]}}"; do
  case " node node-apt ${NODE_COMPONENTS[*]} " in *" $c "*) want_node=1 ;; esac
  # node-apt: only the node's Debian packages (with the apt step), nothing built.
  if [ "$c" = node ]; then want+=("${NODE_COMPONENTS[@]}"); elif [ "$c" != node-apt ]; then want+=("$c"); fi
done
if [ -n "$want_node" ]; then
  rest=(); for c in "${want[@]}"; do [ "$c" = apt ] || rest+=("$c"); done
  want=(apt "${rest[@]}")
fi
T0=$(date +%s)
for c in "${want[@]}"; do
  case "$c" in
    apt) apt_packages; printf 'toolchain: %-22s ok\n' apt ;;
    pulumi) check_npm_pins; run_step "pulumi-cli" "$OSH_CACHE/.done-pulumi-$PULUMI_VERSION" build_pulumi ;;
    langhost) run_step "language-host" "$OSH_CACHE/.done-langhost-$PULUMI_VERSION-$PLUGINS_SRC" build_langhost ;;
    k8s-provider) run_step "kubernetes-provider" "$OSH_CACHE/.done-k8s-provider-$K8S_PROVIDER_VERSION" build_k8s_provider ;;
    command-provider) run_step "command-provider" "$OSH_CACHE/.done-command-provider-$COMMAND_PROVIDER_VERSION-$PLUGINS_SRC" build_command_provider ;;
    random-provider) run_step "random-provider" "$OSH_CACHE/.done-random-provider-$RANDOM_PROVIDER_VERSION-$PLUGINS_SRC" build_random_provider ;;
    plugins) run_step "plugin-install" "$OSH_CACHE/.done-plugins-$K8S_PROVIDER_VERSION-$COMMAND_PROVIDER_VERSION-$RANDOM_PROVIDER_VERSION-$PLUGINS_SRC" install_plugins ;;
    etcd) run_step "etcd" "$OSH_CACHE/.done-etcd-$ETCD_VERSION" build_etcd ;;
    sim-controller) run_step "sim-controller" "$OSH_CACHE/.done-sim-controller-$SIMULATOR_SRC" build_sim_controller ;;
    kubernetes) run_step "kubernetes" "$OSH_CACHE/.done-kubernetes-$KUBERNETES_VERSION" build_kubernetes ;;
    kwok) run_step "kwok" "$OSH_CACHE/.done-kwok-$KWOK_VERSION" build_kwok ;;
    helm) run_step "helm" "$OSH_CACHE/.done-helm-$HELM_VERSION" build_helm ;;
    gateway-api) run_step "gateway-api" "$OSH_CACHE/.done-$GATEWAY_API_CRDS" build_gateway_api ;;
    keystone) check_keystone_pins; run_step "keystone" "$KEYSTONE_STAMP" build_keystone ;;
    kubelet) run_step "kubelet" "$OSH_CACHE/.done-kubelet-$KUBERNETES_VERSION" build_kubelet ;;
    kube-proxy) run_step "kube-proxy" "$OSH_CACHE/.done-kube-proxy-$KUBERNETES_VERSION" build_kube_proxy ;;
    pause) run_step "pause" "$OSH_CACHE/.done-pause-$KUBERNETES_VERSION" build_pause ;;
    containerd) run_step "containerd" "$OSH_CACHE/.done-containerd-$CONTAINERD_VERSION" build_containerd ;;
    runc) run_step "runc" "$OSH_CACHE/.done-runc-$RUNC_VERSION" build_runc ;;
    cni-plugins) run_step "cni-plugins" "$OSH_CACHE/.done-cni-plugins-$CNI_PLUGINS_VERSION" build_cni_plugins ;;
    crane) run_step "crane" "$OSH_CACHE/.done-crane-$CRANE_VERSION" build_crane ;;
    coredns) run_step "coredns" "$OSH_CACHE/.done-coredns-$COREDNS_VERSION-$COREDNS_SRC" build_coredns ;;
    traefik) run_step "traefik" "$OSH_CACHE/.done-traefik-$TRAEFIK_VERSION-$TRAEFIK_SRC" build_traefik ;;
    entrypoint) run_step "kubernetes-entrypoint" "$OSH_CACHE/.done-entrypoint-$SIMULATOR_SRC" build_entrypoint ;;
    *) echo "unknown component $c (known: ${all[*]} ${optional[*]})" >&2; exit 2 ;;
  esac
done
echo "toolchain: total $(( $(date +%s) - T0 ))s"
