# shellcheck shell=bash disable=SC2034  # sourced: NODE_* are for toolchain.sh
# Builders for a real node (the optional `node` group of toolchain.sh): kubelet, kube-proxy,
# pause, containerd, runc, the CNI plugins, crane and a slim CoreDNS, each from its Go module
# (or, for pause, the C source in the k8s.io/kubernetes module) at the pin in versions.sh.
# Sourced by toolchain.sh, which provides wrapper(), quietly(), k8s_build(), src_hash(), $BIN and versions.sh.
# Each builder ends with a --version smoke of what it built; nothing here starts a daemon.

# says REGEX CMD...: CMD's output (stdout and stderr) has a line matching REGEX. The output is
# read whole first: `CMD | grep -q` would stop reading at the match and, under pipefail, fail on
# the SIGPIPE of a CMD that writes on.
says() {
  local re=$1 out; shift
  out=$("$@" 2>&1) || { echo "$* failed: $out" >&2; return 1; }
  grep -qE -- "$re" <<< "$out" || { echo "$* does not say /$re/: $out" >&2; return 1; }
}

# Debian packages only the node needs (runc links libseccomp statically; pause is C; kube-proxy
# and the bridge plugin drive nft; socat forwards the apiserver to the node; mmdebstrap makes images);
# toolchain.sh's apt step adds them when a node component is asked for.
# ceph-mgr: the Ceph of a simulator made for pods (sim-lib.sh) runs a manager, as the charts'
# scripts ask it (`ceph osd pool stats` in glance's storage-init waits forever without one).
NODE_APT_PACKAGES=(gcc libc6-dev pkg-config libseccomp-dev nftables socat mmdebstrap ceph-mgr)
NODE_COMPONENTS=(kubelet kube-proxy pause containerd runc cni-plugins crane coredns entrypoint traefik)
NODE_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Our CoreDNS main is rebuilt when it changes.
COREDNS_SRC=$(src_hash "$NODE_SRC/coredns")
# So are Traefik's stand-ins for the modules not served (node/traefik).
TRAEFIK_SRC=$(src_hash "$NODE_SRC/traefik")

build_kubelet() { quietly kubelet _build_kubelet; }
_build_kubelet() {
  # Upstream builds the kubelet with cgo only for the libc resolvers; the pure-Go ones serve here.
  k8s_build "$OSH_CACHE/build/kubelet" kubelet
  says "^Kubernetes v$KUBERNETES_VERSION\$" "$BIN/kubelet" --version
}

build_kube_proxy() { quietly kube-proxy _build_kube_proxy; }
_build_kube_proxy() {
  k8s_build "$OSH_CACHE/build/kube-proxy" kube-proxy
  says "^Kubernetes v$KUBERNETES_VERSION\$" "$BIN/kube-proxy" --version
}

build_pause() { quietly pause _build_pause; }
_build_pause() {
  # The sandbox's pause process, from build/pause in the k8s.io/kubernetes module (its Makefile's
  # flags; its TAG is the pause image's version). Static: it goes alone into an image.
  local d tag
  cd "$OSH_CACHE/build" || return
  d=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | jq -r .Dir)/build/pause
  tag=$(sed -n 's/^TAG ?= *//p' "$d/Makefile")
  [ -n "$tag" ] || { echo "no TAG in $d/Makefile" >&2; return 1; }
  gcc -Os -Wall -Werror -static -DVERSION="v$tag" -o "$BIN/pause" "$d/linux/pause.c"
  says "^pause.c v$tag\$" "$BIN/pause" -v
}

build_containerd() { quietly containerd _build_containerd; }
_build_containerd() {
  local p=github.com/containerd/containerd/v2 c
  wrapper "$OSH_CACHE/build/containerd" 1.26.6
  go get -tool "$p/cmd/containerd@v$CONTAINERD_VERSION" "$p/cmd/ctr@v$CONTAINERD_VERSION" \
    "$p/cmd/containerd-shim-runc-v2@v$CONTAINERD_VERSION"
  # The btrfs snapshotter needs cgo; devmapper and zfs are of no use on the node: leave all three
  # out, and the binaries are static like upstream's shim.
  for c in containerd ctr containerd-shim-runc-v2; do
    go build -trimpath -tags "no_btrfs no_devmapper no_zfs" \
      -ldflags "-s -w -X $p/version.Version=v$CONTAINERD_VERSION -X $p/version.Package=$p" -o "$BIN/$c" "$p/cmd/$c"
  done
  says "^containerd $p v$CONTAINERD_VERSION( |\$)" "$BIN/containerd" --version
  says "^ctr $p v$CONTAINERD_VERSION\$" "$BIN/ctr" --version
  says "Version: +v$CONTAINERD_VERSION\$" "$BIN/containerd-shim-runc-v2" -v
}

build_runc() { quietly runc _build_runc; }
_build_runc() {
  # libcontainer's nsenter is C, so cgo; upstream's `make static` flags (static PIE, libseccomp
  # linked in) without its optional Rust libpathrs, for which the Go fallback serves.
  wrapper "$OSH_CACHE/build/runc" 1.25.0
  go get -tool "github.com/opencontainers/runc@v$RUNC_VERSION"
  CGO_ENABLED=1 go build -trimpath -buildmode=pie -tags "seccomp urfave_cli_no_docs netgo osusergo" \
    -ldflags "-s -w -linkmode external -extldflags -static-pie" -o "$BIN/runc" github.com/opencontainers/runc
  says "^runc version $RUNC_VERSION\$" "$BIN/runc" --version
  says '^libseccomp: ' "$BIN/runc" --version
}

build_cni_plugins() { quietly cni-plugins _build_cni_plugins; }
_build_cni_plugins() {
  local p=github.com/containernetworking/plugins pkgs=() c
  wrapper "$OSH_CACHE/build/cni-plugins" 1.26.8
  for c in main/bridge ipam/host-local main/loopback meta/portmap; do pkgs+=("$p/plugins/$c"); done
  go get -tool "${pkgs[@]/%/@v$CNI_PLUGINS_VERSION}"
  mkdir -p "$NODE_CNI_BIN"
  go build -trimpath -ldflags "-s -w -X $p/pkg/utils/buildversion.BuildVersion=v$CNI_PLUGINS_VERSION" -o "$NODE_CNI_BIN/" "${pkgs[@]}"
  for c in bridge host-local loopback portmap; do
    # Run without CNI_COMMAND, a plugin prints its name and version.
    says "^CNI $c plugin v$CNI_PLUGINS_VERSION\$" "$NODE_CNI_BIN/$c"
  done
}

build_crane() { quietly crane _build_crane; }
_build_crane() {
  local p=github.com/google/go-containerregistry/cmd/crane
  wrapper "$OSH_CACHE/build/crane" 1.25.0
  go get -tool "$p@v$CRANE_VERSION"
  go build -trimpath -ldflags "-s -w -X $p/cmd.Version=v$CRANE_VERSION" -o "$BIN/crane" "$p"
  says "^v$CRANE_VERSION\$" "$BIN/crane" version
}

build_coredns() { quietly coredns _build_coredns; }
_build_coredns() {
  wrapper "$OSH_CACHE/build/coredns" 1.26.0
  cp "$NODE_SRC/coredns/main.go" .
  go get "github.com/coredns/coredns@v$COREDNS_VERSION"
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$BIN/coredns" .
  says "^CoreDNS-$COREDNS_VERSION\$" "$BIN/coredns" -version
  # The slim main links the cluster DNS plugins and not the cloud ones.
  says '^kubernetes$' "$BIN/coredns" -plugins
  if says route53 "$BIN/coredns" -plugins 2>/dev/null; then echo "coredns links route53: not the slim main" >&2; return 1; fi
}

# Our kubernetes-entrypoint (test/harness/simulator/cmd/kubernetes-entrypoint), the charts' init
# containers' waits decided by the simulator's own resolver. Static: it goes alone into an image.
build_entrypoint() { quietly kubernetes-entrypoint _build_entrypoint; }
_build_entrypoint() {
  local kc
  (cd "$NODE_SRC/../simulator" && go build -trimpath -ldflags "-s -w" -o "$BIN/kubernetes-entrypoint" ./cmd/kubernetes-entrypoint)
  # With nothing to wait for it asks the API server nothing: one interval, then it runs COMMAND.
  kc=$(mktemp)
  printf '%s\n' 'apiVersion: v1' 'kind: Config' 'clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]' \
    'contexts: [{name: none, context: {cluster: none}}]' 'current-context: none' > "$kc"
  says '^entrypoint smoke$' env -i PATH="$PATH" KUBECONFIG="$kc" NAMESPACE=smoke ENTRYPOINT_INTERVAL=10ms \
    COMMAND="echo entrypoint smoke" "$BIN/kubernetes-entrypoint"
  rm -f "$kc"
}

# Traefik, the node's ingress controller (Ingress and Gateway API HTTPRoutes). Three modules of
# its build are not served here; the wrapper module replaces them (replaces only hold in the
# main module) with what node/traefik/ holds (its README says why each): our dynamic/ext module,
# a copy of the served lego/v5 with our providers/dns package and without its CLI, generators and
# DNS providers, and a copy of the served go-http-auth v0.4.0 with the two functions Traefik
# calls from its fork. Nothing of those copies is in the repository. The fork of gorilla/mux
# Traefik replaces in is served and kept.
build_traefik() { quietly traefik _build_traefik; }
_build_traefik() {
  local p=github.com/traefik/traefik/v3 dir v line ours="$NODE_SRC/traefik"
  local ext="$OSH_CACHE/build/traefik-ext" lego="$OSH_CACHE/build/traefik-lego" httpauth="$OSH_CACHE/build/traefik-http-auth"
  wrapper "$OSH_CACHE/build/traefik" 1.26.0
  dir=$(go mod download -json "$p@v$TRAEFIK_VERSION" | jq -r .Dir)
  rm -rf "$ext" "$lego" "$httpauth"
  cp -r "$ours/ext" "$ext"
  v=$(sed -n 's/^[[:space:]]*github.com\/go-acme\/lego\/v5 \(v[^ ]*\).*/\1/p' "$dir/go.mod" | head -n1)
  cp -r "$(go mod download -json "github.com/go-acme/lego/v5@$v" | jq -r .Dir)" "$lego"
  chmod -R u+w "$lego"
  (
    cd "$lego" || exit 1
    rm -rf cmd e2e internal/generators main.go zz_gen_version.go
    find providers/dns -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    rm -f providers/dns/*.go
    cp "$ours/lego-dns/dns_providers.go" providers/dns/
    go mod tidy
  )
  cp -r "$(go mod download -json github.com/abbot/go-http-auth@v0.4.0 | jq -r .Dir)" "$httpauth"
  chmod -R u+w "$httpauth"
  cp "$ours/http-auth/fork_api.go" "$httpauth/"
  # v0.4.0 predates modules: a local replacement needs a go.mod.
  (cd "$httpauth" && rm -rf examples && go mod init github.com/abbot/go-http-auth && go mod tidy)
  go mod edit -replace "github.com/traefik/traefik/dynamic/ext=$ext" -replace "github.com/go-acme/lego/v5=$lego" \
    -replace "github.com/abbot/go-http-auth=$httpauth"
  # Traefik's other replaces and excludes, but for its go-http-auth fork.
  while read -r line; do go mod edit -replace "$line"; done < <(
    sed -n '/^replace (/,/^)/p' "$dir/go.mod" | sed -n 's/^[[:space:]]*\([^ ]*\) => \([^ ]*\) \([^ ]*\)$/\1=\2@\3/p' |
      grep -v '^github.com/abbot/go-http-auth=')
  while read -r line; do go mod edit -exclude "$line"; done < <(sed -n 's/^exclude \([^ ]*\) \([^ ]*\)$/\1@\2/p' "$dir/go.mod")
  go get -tool "$p/cmd/traefik@v$TRAEFIK_VERSION"
  go build -trimpath -ldflags "-s -w -X $p/pkg/version.Version=v$TRAEFIK_VERSION" -o "$BIN/traefik" "$p/cmd/traefik"
  says "^Version: +v?$TRAEFIK_VERSION\$" "$BIN/traefik" version
}
