#!/bin/bash
# Keeps mon_host in ConfigMap ceph-etc in step with Rook's monitors (Rook replaces a failed
# monitor under a new name and address: mon-a -> mon-d).
#
# Reads: the mon Services (label app=rook-ceph-mon) and ConfigMap rook-ceph-mon-endpoints in
# the Rook namespace. Writes: only the mon_host line of ceph.conf in ConfigMap ceph-etc; every
# other line (fsid first of all) is kept. Refuses, and changes nothing, when it sees fewer
# monitor Services than Rook lists in quorum (a Service being replaced mid-failover), or when
# ceph-etc has no fsid (it was not made by the installer).
set -euo pipefail

ROOK_NAMESPACE="${ROOK_NAMESPACE:-rook-ceph}"
TARGET_NAMESPACE="${TARGET_NAMESPACE:-openstack}"
CONFIGMAP="${CONFIGMAP:-ceph-etc}"
MON_PORT="${MON_PORT:-6789}"

log() { echo "update-ceph-config: $*" >&2; }

# Rook's record of the monitors in quorum: "a=10.0.0.1:6789,b=10.0.0.2:6789,...".
endpoints="$(kubectl -n "$ROOK_NAMESPACE" get configmap rook-ceph-mon-endpoints -o 'jsonpath={.data.data}')"
expected=0
IFS=',' read -r -a entries <<<"$endpoints"
for e in "${entries[@]}"; do
  [ -n "$e" ] && expected=$((expected + 1))
done
if [ "$expected" -eq 0 ]; then
  log "rook-ceph-mon-endpoints in $ROOK_NAMESPACE lists no monitors; refusing to touch $CONFIGMAP"
  exit 1
fi

# One line per mon Service: "<name> <clusterIP>".
services="$(kubectl -n "$ROOK_NAMESPACE" get services -l app=rook-ceph-mon \
  -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.clusterIP}{"\n"}{end}')"
hosts=()
while read -r name ip; do
  [ -n "${name:-}" ] || continue
  if [ -z "${ip:-}" ] || [ "$ip" = "None" ]; then
    log "Service $name has no cluster IP; skipping it"
    continue
  fi
  hosts+=("$ip:$MON_PORT")
done <<<"$services"

if [ "${#hosts[@]}" -lt "$expected" ]; then
  log "found ${#hosts[@]} monitor Service(s) but Rook lists $expected monitor(s) in quorum; refusing to write a short mon_host"
  exit 1
fi
mon_host="$(printf '%s\n' "${hosts[@]}" | sort -u | paste -sd, -)"

current="$(kubectl -n "$TARGET_NAMESPACE" get configmap "$CONFIGMAP" -o 'jsonpath={.data.ceph\.conf}')"
if ! grep -Eq '^[[:space:]]*fsid[[:space:]]*=' <<<"$current"; then
  log "$TARGET_NAMESPACE/$CONFIGMAP has no fsid in ceph.conf; refusing to rewrite it"
  exit 1
fi

# Replace the mon_host line in place, or add one right after [global]; keep every other line.
if grep -Eq '^[[:space:]]*mon[_ ]host[[:space:]]*=' <<<"$current"; then
  updated="$(awk -v mh="mon_host = $mon_host" '
    /^[[:space:]]*mon[_ ]host[[:space:]]*=/ { if (!done) print mh; done = 1; next }
    { print }' <<<"$current")"
else
  updated="$(awk -v mh="mon_host = $mon_host" '
    { print }
    /^[[:space:]]*\[global\][[:space:]]*$/ && !done { print mh; done = 1 }' <<<"$current")"
fi

if [ "$updated" = "$current" ]; then
  log "mon_host unchanged ($mon_host)"
  exit 0
fi

# JSON-escape the file for a merge patch (backslashes, quotes, tabs, newlines).
escaped="$(printf '%s\n' "$updated" | awk '
  { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); out = out $0 "\\n" }
  END { printf "%s", out }')"
kubectl -n "$TARGET_NAMESPACE" patch configmap "$CONFIGMAP" --type merge \
  -p "{\"data\":{\"ceph.conf\":\"$escaped\"}}"
log "mon_host is now $mon_host"
