#!/usr/bin/env bash
# The fixture charts (test/fixtures/openstack-helm) as a Helm chart repository on 127.0.0.1, so a
# stack can use the default chart source (chartSource: repository, chartRepository, chartVersions)
# for real: Helm fetches index.yaml and the packages over HTTP, as from upstream's repository.
#
#   chart-repo.sh start DIR
#       Packages every fixture chart at its pinned version (components/catalog/charts.ts, CHART_CATALOG,
#       so the default chartVersions find them), helm-toolkit bundled into each package, indexes
#       DIR and serves it (test/harness/chart-repo-server.cjs, pid in DIR/server.pid, URL in
#       DIR/url, requests in DIR/server.log). Prints the URL. With the server already running it
#       only prints the URL; a server that died is started again, on the same port when free.
#   chart-repo.sh publish DIR CHART VERSION [--post-upgrade-marker]
#       Packages that fixture chart again at VERSION, as upstream publishes a chart upgrade, and
#       indexes DIR again: every version packaged so far stays on offer. --post-upgrade-marker
#       adds a ConfigMap <release>-post-upgrade-marker to that package (data: chart, revision),
#       rendered only by `helm upgrade` (.Release.IsUpgrade) and part of the release (uninstall
#       deletes it): it shows that the release was upgraded in place to that version.
#   chart-repo.sh stop DIR
#       Stops the server. DIR (packages and index) stays.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$here/versions.sh"
FIXTURES="$repo/test/fixtures/openstack-helm"
SERVER="$here/chart-repo-server.cjs"

log() { printf '[chart-repo] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() { die "usage: chart-repo.sh start DIR | publish DIR CHART VERSION [--post-upgrade-marker] | stop DIR"; }

find_helm() {
  if [ -x "$OSH_CACHE/bin/helm" ]; then echo "$OSH_CACHE/bin/helm"
  elif command -v helm >/dev/null 2>&1; then command -v helm
  else die "helm is neither in $OSH_CACHE/bin nor on PATH (bash test/harness/toolchain.sh helm builds it)"
  fi
}

# The pid of DIR's server when it is running: the pid file's process runs our server script on DIR.
server_pid() {
  local pid cmdline
  [ -r "$dir/server.pid" ] || return 1
  read -r pid < "$dir/server.pid" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmdline="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
  grep -qxF -- "$SERVER" <<<"$cmdline" && grep -qxF -- "$dir" <<<"$cmdline" || return 1
  echo "$pid"
}

url() { [ -s "$dir/url" ] || die "$dir has no url: run chart-repo.sh start $dir first"; head -n1 "$dir/url"; }

# A scratch copy of the fixture charts, without what a dependency build writes, and a Helm home of
# its own (no repositories, nothing of the user's touched). Removed on exit.
scratch() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/chart-repo.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  cp -r "$FIXTURES" "$work/charts"
  rm -rf "$work"/charts/*/charts "$work"/charts/*/Chart.lock
  export HELM_CACHE_HOME="$work/helm/cache" HELM_CONFIG_HOME="$work/helm/config" HELM_DATA_HOME="$work/helm/data"
  HELM="$(find_helm)"
}

# package CHART VERSION: helm-toolkit bundled (the charts reach it as file://../helm-toolkit).
package() {
  local chart=$1 version=$2
  "$HELM" dependency build "$work/charts/$chart" >/dev/null
  "$HELM" package "$work/charts/$chart" --version "$version" --destination "$dir" >/dev/null
}

# Every index entry's URL is the server's: re-indexing the whole directory keeps every package.
reindex() { "$HELM" repo index "$dir" --url "$(url)"; }

# Each fixture chart and its pinned version, from the chart catalog.
pinned_versions() {
  (cd "$repo" && node --import tsx -e \
    'for (const c of require("./components/catalog/charts").CHART_CATALOG) console.log(c.name, c.version);')
}

start_server() {
  local port="" pid i
  # A server that died left its URL: take the same port again, so a stack set to it still works.
  [ -s "$dir/url" ] && port="$(sed -n 's|^http://127\.0\.0\.1:\([0-9]*\)$|\1|p' "$dir/url")"
  rm -f "$dir/url" "$dir/server.pid"
  echo "--- $(date -u +%FT%TZ) start" >> "$dir/server.log"
  setsid node "$SERVER" "$dir" "${port:-0}" >> "$dir/server.log" 2>&1 < /dev/null &
  pid=$!
  for ((i = 0; i < 100; i++)); do
    [ -s "$dir/url" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$dir/server.log" >&2
  die "the server did not start (log: $dir/server.log)"
}

cmd_start() {
  if server_pid >/dev/null; then url; return; fi
  scratch
  local chart version count=0
  while read -r chart version; do
    [ -d "$FIXTURES/$chart" ] || die "no fixture chart $chart (components/catalog/charts.ts names it)"
    package "$chart" "$version"
    count=$((count + 1))
  done < <(pinned_versions)
  [ "$count" -gt 0 ] || die "no pinned chart versions read from components/catalog/charts.ts"
  start_server
  reindex
  log "$count charts at their pinned versions in $dir, served at $(url)"
  url
}

cmd_publish() {
  local chart=$1 version=$2 marker=${3:-}
  if [ -z "$chart" ] || [ "$chart" = helm-toolkit ] || [ ! -f "$FIXTURES/$chart/Chart.yaml" ]; then die "no fixture chart '$chart'"; fi
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]] || die "'$version' is not a chart version (SemVer)"
  case "$marker" in "" | --post-upgrade-marker) ;; *) usage ;; esac
  url >/dev/null
  scratch
  if [ -n "$marker" ]; then
    cat > "$work/charts/$chart/templates/zz-post-upgrade-marker.yaml" <<'EOF'
{{- if .Release.IsUpgrade }}
# Added by chart-repo.sh publish --post-upgrade-marker: rendered only when Helm upgrades the release.
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-post-upgrade-marker
  namespace: {{ .Release.Namespace }}
data:
  chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
  revision: {{ .Release.Revision | quote }}
{{- end }}
EOF
  fi
  package "$chart" "$version"
  reindex
  log "published $chart $version${marker:+ (with the post-upgrade marker)} in $dir"
}

cmd_stop() {
  local pid i
  if pid="$(server_pid)"; then
    kill "$pid"
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
    log "stopped the server of $dir (pid $pid)"
  fi
  rm -f "$dir/server.pid" "$dir/url"
}

[ $# -ge 2 ] || usage
action=$1
if [ "$action" = start ]; then mkdir -p "$2"
elif [ "$action" = stop ] && [ ! -d "$2" ]; then exit 0
else [ -d "$2" ] || die "no directory $2: run chart-repo.sh start $2 first"
fi
dir="$(cd "$2" && pwd)"
case "$action" in
  start) [ $# -eq 2 ] || usage; cmd_start ;;
  publish) [ $# -eq 4 ] || [ $# -eq 5 ] || usage; cmd_publish "$3" "$4" "${5:-}" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop ;;
  *) usage ;;
esac
