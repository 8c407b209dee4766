#!/usr/bin/env bash
# Stops what cluster-up.sh started, and nothing else: only the processes in $SIM/run/*.pid that
# are still the executables we started there (checked in /proc/<pid>/cmdline).
#   cluster-down.sh           stop; the state stays, so the next cluster-up.sh resumes the same
#                             cluster (etcd data, Ceph pools and users, certificates, fsid)
#   cluster-down.sh --purge   stop, then delete the sim directory (the next start is a new cluster)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/sim-lib.sh"
T0=$(date +%s.%N)
purge=0
case "${1:-}" in
  "") ;;
  --purge) purge=1 ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

if [ ! -d "$RUN" ]; then
  echo "cluster-down: nothing started in $SIM"
  if [ "$purge" = 1 ] && [ -e "$SIM/.osh-sim" ]; then rm -rf "$SIM"; fi
  exit 0
fi
exec 9> "$RUN/.lock"
flock -w 600 9 || { slog "another cluster-up/down holds $RUN/.lock"; exit 1; }
rm -f "$RUN/ready"

# A real node (node/node-up.sh) goes first, while the apiserver still answers.
if [ -d "$SIM/node" ]; then bash "$here/node/node-down.sh" 9>&- || slog "node-down.sh left something behind (above)"; fi

# Two chains run side by side. Kubernetes: the apiserver's clients, then the apiserver, then
# etcd. Ceph: the OSD while its monitor still runs (a clean OSD stop writes memstore's objects
# to disk, which the marker osd-0.clean records), then the monitor.
stopped=()
for d in "${DAEMONS[@]}"; do
  if pid_of "$d" >/dev/null; then stopped+=("$d"); else rm -f "$RUN/$d.pid"; fi
done
stop_k8s() {
  local d
  for d in osh-sim-controller kube-scheduler kube-controller-manager kwok; do stop_daemon "$d" 30 & done
  wait
  stop_daemon kube-apiserver 30 || true
  stop_daemon etcd 30 || true
}
stop_ceph() {
  stop_daemon ceph-mgr 30 || true
  if pid_of ceph-osd >/dev/null; then
    if stop_daemon ceph-osd 60; then
      touch "$CEPH_DIR/osd-0.clean"
    else
      slog "ceph-osd had to be killed: its memstore data is lost; the next cluster-up makes a fresh Ceph"
    fi
  fi
  stop_daemon ceph-mon 30 || true
}
stop_k8s &
stop_ceph &
wait
# The address on lo of a Ceph reachable from pods, when this simulator added it (cluster-up.sh).
if [ -e "$CEPH_DIR/addr.added" ]; then
  ip addr del "$CEPH_ADDR/32" dev lo 2>/dev/null || true
  rm -f "$CEPH_DIR/addr.added"
fi

if [ "$purge" = 1 ]; then
  exec 9>&-
  # Only a directory cluster-up.sh made (it holds the .osh-sim marker) is deleted.
  if [ -e "$SIM/.osh-sim" ]; then rm -rf "$SIM"; else slog "$SIM has no .osh-sim marker; not deleting it"; purge=0; fi
fi
printf 'cluster-down: stopped %s in %.1fs%s\n' "${stopped[*]:-nothing}" "$(echo "$(date +%s.%N) - $T0" | bc)" \
  "$([ "$purge" = 1 ] && echo "; deleted $SIM" || echo "; state kept in $SIM")"
