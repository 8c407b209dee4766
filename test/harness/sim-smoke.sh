#!/usr/bin/env bash
# Checks that a running simulator (cluster-up.sh) behaves like the cluster the program expects:
# nodes Ready; a Deployment, a DaemonSet on every node and a StatefulSet with a PVC on
# rook-ceph-block Ready; a Job completes; `helm install --wait` of a chart with a post-install
# hook Job succeeds and `helm uninstall` works; namespace deletion completes; the Ceph commands
# the program runs work through the toolbox prefix. Leaves nothing behind (a StorageClass
# rook-ceph-block it had to create is deleted again). Prints "N passed, N failed".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/sim-lib.sh"
. "$SIM/env"
NS=osh-sim-smoke
POOL=osh-sim-smoke
WORK="$(mktemp -d)"
passed=0 failed=0
trap 'rm -rf "$WORK"' EXIT

check() { # NAME COMMAND...
  local name=$1 t0=$SECONDS; shift
  if "$@" > "$WORK/out" 2>&1; then
    passed=$((passed + 1)); printf 'ok   %-58s %3ss\n' "$name" $((SECONDS - t0))
  else
    failed=$((failed + 1)); printf 'FAIL %-58s %3ss\n' "$name" $((SECONDS - t0)); sed 's/^/     /' "$WORK/out" | tail -n 20
  fi
}
tb() { $OSH_CEPH_TOOLBOX "$@"; }

nodes_ready() {
  kubectl wait --for=condition=Ready node --all --timeout=60s
  [ "$(kubectl get nodes -o name | wc -l)" -ge 4 ]
}

own_sc=0
storage_class() {
  if ! kubectl get storageclass rook-ceph-block >/dev/null 2>&1; then
    own_sc=1
    kubectl apply -f - <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: rook-ceph-block
provisioner: rook-ceph.rbd.csi.ceph.com
reclaimPolicy: Delete
allowVolumeExpansion: true
EOF
  fi
}

workloads() {
  kubectl create namespace "$NS"
  kubectl -n "$NS" apply -f - <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: web:1 }] }
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec: { containers: [{ name: agent, image: agent:1 }] }
---
apiVersion: v1
kind: Service
metadata: { name: db }
spec:
  clusterIP: None
  selector: { app: db }
  ports: [{ port: 3306 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 1
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers:
        - name: db
          image: db:1
          volumeMounts: [{ name: data, mountPath: /var/lib/db }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec:
        storageClassName: rook-ceph-block
        accessModes: [ReadWriteOnce]
        resources: { requests: { storage: 5Gi } }
---
apiVersion: batch/v1
kind: Job
metadata: { name: once }
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: once, image: job:1 }]
EOF
}

all_ready() {
  kubectl -n "$NS" rollout status deploy/web --timeout=90s
  kubectl -n "$NS" rollout status ds/agent --timeout=90s
  [ "$(kubectl -n "$NS" get ds agent -o jsonpath='{.status.numberReady}')" = 4 ]
  kubectl -n "$NS" rollout status sts/db --timeout=90s
  [ "$(kubectl -n "$NS" get pvc data-db-0 -o jsonpath='{.status.phase}')" = Bound ]
  kubectl -n "$NS" wait --for=condition=Complete job/once --timeout=90s
}

helm_chart() {
  mkdir -p "$WORK/chart/templates"
  cat > "$WORK/chart/Chart.yaml" <<'EOF'
apiVersion: v2
name: smoke
version: 0.1.0
EOF
  cat > "$WORK/chart/templates/deploy.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: { name: {{ .Release.Name }}-app }
spec:
  replicas: 1
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec: { containers: [{ name: app, image: app:1 }] }
---
apiVersion: v1
kind: Service
metadata: { name: {{ .Release.Name }}-app }
spec:
  selector: { app: {{ .Release.Name }} }
  ports: [{ port: 80 }]
EOF
  cat > "$WORK/chart/templates/hook.yaml" <<'EOF'
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-post-install
  annotations:
    "helm.sh/hook": post-install
    "helm.sh/hook-weight": "1"
    "helm.sh/hook-delete-policy": before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{ name: hook, image: hook:1 }]
EOF
  cat > "$WORK/chart/templates/test-pod.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations:
    "helm.sh/hook": test
spec:
  restartPolicy: Never
  containers: [{ name: test, image: test:1 }]
EOF
  helm install smoke "$WORK/chart" -n "$NS" --wait --wait-for-jobs --timeout 120s
  [ "$(kubectl -n "$NS" get job smoke-post-install -o jsonpath='{.status.succeeded}')" = 1 ]
  helm -n "$NS" status smoke | grep -q 'STATUS: deployed'
}
helm_test() { helm test smoke -n "$NS" --timeout 60s; }
helm_uninstall() {
  helm uninstall smoke -n "$NS" --wait --timeout 120s
  ! kubectl -n "$NS" get deploy smoke-app 2>/dev/null
}

ns_delete() {
  kubectl delete namespace "$NS" --timeout=120s
  ! kubectl get namespace "$NS" 2>/dev/null
}

pv_released_again() { # the PV the StatefulSet used is Available again after its PVC went away
  local pv i
  pv="$(cat "$WORK/pv")"
  for ((i = 0; i < 60; i++)); do
    [ "$(kubectl get pv "$pv" -o jsonpath='{.status.phase}')" = Available ] && return 0
    sleep 1
  done
  kubectl get pv "$pv"; return 1
}

ceph_commands() {
  tb ceph fsid | grep -Eq '^[0-9a-f-]{36}$'
  tb ceph mon dump -f json | jq -e '.mons[0].public_addrs.addrvec[] | select(.type == "v1")' >/dev/null
  tb ceph auth get-key client.admin | grep -q .
  tb ceph osd pool create "$POOL" 8 8
  tb ceph osd pool create "$POOL" 8 8          # again: exit 0, "already exists"
  tb ceph osd pool set "$POOL" size 1 --yes-i-really-mean-it
  timeout 60 $OSH_CEPH_TOOLBOX rbd pool init "$POOL"
  timeout 60 $OSH_CEPH_TOOLBOX rbd pool init "$POOL"   # again: exit 0
  timeout 60 $OSH_CEPH_TOOLBOX rbd create "$POOL/img" --size 8
  timeout 60 $OSH_CEPH_TOOLBOX rbd ls "$POOL" | grep -qx img
  tb ceph auth get-or-create client.osh-smoke mon 'profile rbd' osd "profile rbd pool=$POOL" >/dev/null
  tb ceph auth get-or-create client.osh-smoke mon 'profile rbd' osd "profile rbd pool=$POOL" >/dev/null
  local rc=0
  tb ceph auth get-or-create client.osh-smoke mon 'profile rbd' osd 'profile rbd' >/dev/null 2>&1 || rc=$?
  [ "$rc" = 22 ] || { echo "get-or-create with other caps exited $rc, expected 22 (EINVAL)"; return 1; }
  tb ceph auth caps client.osh-smoke mon 'profile rbd' osd 'profile rbd'
  tb ceph auth get client.osh-smoke 2>/dev/null | grep -q 'caps osd = "profile rbd"'
  tb ceph auth del client.osh-smoke
  tb ceph auth del client.osh-smoke            # again: exit 0
  tb ceph osd pool rm "$POOL" "$POOL" --yes-i-really-really-mean-it
  tb ceph osd pool rm "$POOL" "$POOL" --yes-i-really-really-mean-it   # again: exit 0
}

kubectl delete namespace "$NS" --ignore-not-found --timeout=120s >/dev/null 2>&1
check "4 nodes Ready" nodes_ready
check "coredns Deployment Ready" kubectl -n kube-system rollout status deploy/coredns --timeout=60s
check "StorageClass rook-ceph-block present" storage_class
check "workloads created" workloads
check "Deployment, DaemonSet x4, StatefulSet+PVC Ready, Job Complete" all_ready
kubectl -n "$NS" get pvc data-db-0 -o jsonpath='{.spec.volumeName}' > "$WORK/pv" 2>/dev/null
check "helm install --wait with a post-install hook Job" helm_chart
check "helm test (a bare hook Pod completes)" helm_test
check "helm uninstall" helm_uninstall
check "namespace deletion completes" ns_delete
check "released PV becomes Available again" pv_released_again
check "ceph/rbd commands through OSH_CEPH_TOOLBOX" ceph_commands
if [ "$own_sc" = 1 ]; then kubectl delete storageclass rook-ceph-block >/dev/null; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
