#!/bin/bash
# One node label of the program (<LABEL>=enabled) on a set of nodes, as one Command for all of
# them (components/layer.ts): one server-side apply for the lot, where a NodePatch per node and
# label cost the engine a resource each. Parameters come in the environment:
#   LABEL                  the label key
#   NODES                  the nodes that carry it, one a line
#   FIELD_MANAGER          the server-side apply field manager that owns the label for us
#   PULUMI_COMMAND_STDOUT  what the last run printed: the nodes it labelled (none at create)
#   KUBE_CONTEXT           kubeconfig context (optional; KUBECONFIG as usual)
# The label is applied under FIELD_MANAGER, so it is ours beside anyone else who set it (a
# NodePatch of an older version of the program, an operator). A node the last run labelled and
# NODES no longer names is given up: an apply of no fields under FIELD_MANAGER, so the label
# goes unless someone else set it too, and the node's other labels stay; a node already gone from
# the cluster needs nothing. A node of NODES missing from the cluster fails the run (an apply would
# create a Node object). Prints the nodes it labelled, one a line.
set -euo pipefail
export LC_ALL=C # sort and comm agree on the order
k() { kubectl ${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
want=$(printf '%s\n' "$NODES" | sed '/^$/d' | sort -u)
had=$(printf '%s\n' "${PULUMI_COMMAND_STDOUT:-}" | sed '/^$/d' | sort -u)
live=$(k get nodes -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}' | sort -u)

missing=$(comm -23 <(echo "$want") <(echo "$live") | sed '/^$/d')
if [ -n "$missing" ]; then
  echo "label $LABEL: node(s) not in the cluster: $(echo "$missing" | paste -sd' '). Fix: join them to the cluster first, or take them out of the stack's nodes" >&2
  exit 1
fi
# Node objects of only a name and, for the nodes to label, the label.
objects() { # label|none, nodes one a line
  local n
  while read -r n; do
    [ -n "$n" ] || continue
    printf -- '---\napiVersion: v1\nkind: Node\nmetadata:\n  name: "%s"\n' "$n"
    [ "$1" = none ] || printf '  labels:\n    "%s": "enabled"\n' "$LABEL"
  done
}
apply() { k apply --server-side --field-manager "$FIELD_MANAGER" -f - > /dev/null; }
# apply_all label|none: the nodes on stdin, in up to 8 applies at once. kubectl paces its own
# requests (5 a second after a burst of 10, one request a node): 500 nodes in one kubectl took
# 100 s, in 8 about 13 s.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apply_all() {
  local f rc=0 n per pids=()
  cat > "$tmp/all"
  n=$(wc -l < "$tmp/all")
  per=$(((n + 7) / 8))
  [ "$per" -ge 25 ] || per=25
  split -l "$per" "$tmp/all" "$tmp/chunk-$1-"
  for f in "$tmp/chunk-$1-"*; do
    objects "$1" < "$f" | apply &
    pids+=("$!")
  done
  for f in "${pids[@]}"; do wait "$f" || rc=$?; done
  return "$rc"
}

gone=$(comm -23 <(echo "$had") <(echo "$want") | comm -12 - <(echo "$live") | sed '/^$/d')
[ -z "$want" ] || echo "$want" | apply_all "$LABEL"
[ -z "$gone" ] || echo "$gone" | apply_all none
[ -z "$gone" ] || echo "label $LABEL: given up on $(echo "$gone" | paste -sd' ')" >&2
[ -z "$want" ] || echo "$want"
