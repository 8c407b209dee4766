# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts that source it
# Pinned versions of everything the harness builds or installs. Sourced by the other scripts.
# The Pulumi plugin versions must equal the npm packages' "pulumi.version" (package.json pins
# them; toolchain.sh checks): the engine looks plugins up by exact version and never downloads.
PULUMI_VERSION=3.248.0              # CLI from github.com/pulumi/pulumi/pkg/v3; @pulumi/pulumi on npm
CLIPBOARD_REPLACE=github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e
# The Go module proxy serves pulumi-kubernetes' provider module only at this pseudo-version,
# which is the commit tagged v4.25.0; @pulumi/kubernetes is pinned to 4.25.0 to match.
K8S_PROVIDER_VERSION=4.25.0
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# The proxy serves no version of the pulumi-command and pulumi-random provider modules, nor of
# the nested pulumi-language-nodejs module: the harness builds its own implementations of what
# the program uses (test/harness/plugins), installed at the npm packages' versions.
COMMAND_PROVIDER_VERSION=1.2.1
RANDOM_PROVIDER_VERSION=4.21.1
KUBERNETES_VERSION=1.36.1
ETCD_VERSION=3.6.14
KWOK_VERSION=0.8.0
HELM_VERSION=3.20.2
# Gateway API's standard-channel CRDs (HTTPRoute, Gateway), from the sigs.k8s.io/gateway-api module,
# so the simulator runs the program's exposure: gateway mode.
GATEWAY_API_VERSION=1.6.3
GATEWAY_API_CRDS="gateway-api-$GATEWAY_API_VERSION-standard-crds.yaml"
# A real Keystone as a loopback process (test/harness/keystone): keystone's 2026.1 (Gazpacho)
# series is 29.x (30.x is 2026.2), and the client is that series' python-openstackclient. Every
# other package is pinned, with hashes, in test/harness/keystone/requirements.lock, resolved with
# the series' upper constraints; its wheels are those for KEYSTONE_PYTHON (CPython, x86_64 Linux).
KEYSTONE_VERSION=29.1.0
OPENSTACKCLIENT_VERSION=9.0.0
KEYSTONE_PYTHON=3.11
# The real node's one OpenStack image (test/harness/node/images.sh openstack) holds the 2026.1
# releases of these services beside keystone and the client, in a venv pinned with hashes by
# test/harness/node/openstack.lock (node/openstack-lock.sh), for bookworm's python3.
GLANCE_VERSION=32.0.0
NOVA_VERSION=33.0.2
NEUTRON_VERSION=28.0.2
PLACEMENT_VERSION=15.0.0          # openstack-placement on the index
OPENSTACK_IMAGE_PYTHON=3.11

# A real node beside the kwok ones (the optional `node` group of toolchain.sh, test/harness/node):
# kubelet, kube-proxy and the pause binary come from k8s.io/kubernetes at KUBERNETES_VERSION; the
# rest from their own modules. containerd and the CNI plugins are pure Go; runc needs cgo and
# libseccomp. CoreDNS is a slim main of ours over the coredns module (test/harness/node/coredns).
CONTAINERD_VERSION=2.4.2
RUNC_VERSION=1.5.3
CNI_PLUGINS_VERSION=1.10.0
CRANE_VERSION=0.22.1            # github.com/google/go-containerregistry: image assembly and a loopback registry
COREDNS_VERSION=1.15.0
TRAEFIK_VERSION=3.7.13          # the node's ingress controller (Ingress and Gateway API)

OSH_CACHE="${OSH_PULUMI_CACHE:-$HOME/.cache/openstack-helm-pulumi}"
# The node's CNI plugins: a directory of their own, off PATH (`bridge` would shadow iproute2's).
NODE_CNI_BIN="$OSH_CACHE/cni/bin"
