#!/usr/bin/env bash
# The dev stack on the embedded default: a simulated cluster and a real local Ceph (started here
# unless OSH_KUBECONFIG names a cluster), the fixture charts, a local file state backend.
#
#   deploy.sh up         toolchain, cluster, `pulumi up` of the dev stack, print the outputs
#   deploy.sh down       `pulumi destroy`, `pulumi stack rm`; on the simulator, stop and delete it
#   deploy.sh prepare    everything up to (not including) `pulumi up`
#   deploy.sh run CMD..  run CMD in the stack's project directory with the stack's environment
#
# With OSH_KUBECONFIG and OSH_CEPH_TOOLBOX set, it deploys to that cluster instead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$here/versions.sh"
SIM="${OSH_SIM_DIR:-$OSH_CACHE/sim}"
WORK="${OSH_WORK_DIR:-$OSH_CACHE/work}"
STACK="${OSH_STACK:-dev}"
PROJECT_DIR="$WORK/project"

log() { printf '[deploy] %s\n' "$*" >&2; }

# The environment every pulumi/kubectl/ceph call of the stack runs in.
stack_env() {
  . "$here/pulumi-env.sh"
  if [ -n "${OSH_KUBECONFIG:-}" ]; then
    export KUBECONFIG="$OSH_KUBECONFIG"
    : "${OSH_CEPH_TOOLBOX:=kubectl -n rook-ceph exec deploy/rook-ceph-tools --}"
  else
    . "$SIM/env"
  fi
  export PULUMI_BACKEND_URL="file://$WORK/state"
  export PULUMI_CONFIG_PASSPHRASE_FILE="$WORK/passphrase"
  unset PULUMI_CONFIG_PASSPHRASE
}

prepare() {
  local t0=$SECONDS
  bash "$here/toolchain.sh" >&2
  if [ -z "${OSH_KUBECONFIG:-}" ]; then bash "$here/cluster-up.sh" >&2; fi
  stack_env
  mkdir -p "$WORK/state" "$PROJECT_DIR"
  [ -s "$WORK/passphrase" ] || (umask 077; openssl rand -hex 24 > "$WORK/passphrase")
  # A copy of the project, so stack init and config set never touch the repository's files.
  find "$PROJECT_DIR" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name 'Pulumi.*.yaml' -exec rm -rf {} +
  tar -C "$repo" --exclude=./node_modules --exclude=./.git --exclude='./Pulumi.*.yaml' -cf - . | tar -C "$PROJECT_DIR" -xf -
  # The stack file comes fresh from the repository; only the stack's secrets salt carries over.
  local salt=""
  [ -e "$PROJECT_DIR/Pulumi.$STACK.yaml" ] && salt="$(grep '^encryptionsalt:' "$PROJECT_DIR/Pulumi.$STACK.yaml" || true)"
  { [ -z "$salt" ] || echo "$salt"; cat "$repo/Pulumi.$STACK.yaml"; } > "$PROJECT_DIR/Pulumi.$STACK.yaml"
  ln -sfn "$repo/node_modules" "$PROJECT_DIR/node_modules"
  # The fixture charts, laid out as an openstack-helm checkout (Helm writes charts/ into it).
  rm -rf "$WORK/charts" && cp -r "$repo/test/fixtures/openstack-helm" "$WORK/charts"

  cd "$PROJECT_DIR"
  pulumi stack select --create "$STACK" --secrets-provider passphrase >/dev/null
  pulumi config set kubeconfig "$KUBECONFIG"
  pulumi config set cephToolbox "$OSH_CEPH_TOOLBOX"
  if [ -z "${OSH_KUBECONFIG:-}" ]; then
    pulumi config set chartSource local
    pulumi config set chartLocalPath "$WORK/charts"
    pulumi config set helmTimeoutSeconds 300
    pulumi config set rabbitmqTimeoutSeconds 300
    pulumi config set readinessTimeoutSeconds 300
    # Nothing answers behind the simulator's routes until a test registers the charts' services in
    # a real Keystone (the e2e does, then turns the verification on).
    pulumi config set verify false
  fi
  log "stack $STACK ready in $PROJECT_DIR ($((SECONDS - t0))s)"
}

case "${1:-}" in
  prepare) prepare ;;
  up)
    prepare
    cd "$PROJECT_DIR"
    pulumi up --yes --skip-preview
    pulumi stack output
    ;;
  down)
    stack_env
    if [ -d "$PROJECT_DIR" ] && (cd "$PROJECT_DIR" && pulumi stack select "$STACK" >/dev/null 2>&1); then
      cd "$PROJECT_DIR"
      pulumi destroy --yes
      pulumi stack rm --yes "$STACK"
    fi
    # The simulated cluster and its Ceph are the embedded default's own: delete them too, so the
    # next `up` starts clean (destroy keeps the namespace's volumes, as on a real cluster).
    if [ -z "${OSH_KUBECONFIG:-}" ]; then bash "$here/cluster-down.sh" --purge; fi
    ;;
  run)
    shift
    stack_env
    cd "$PROJECT_DIR"
    exec "$@"
    ;;
  *) echo "usage: $0 up|down|prepare|run CMD..." >&2; exit 2 ;;
esac
