#!/usr/bin/env bash
# Builds the container images of the real node (test/harness/node) on this machine, with no Docker
# and no image download: pause, CoreDNS, Traefik and kubernetes-entrypoint from our static binaries
# ($OSH_CACHE/bin, `toolchain.sh node`), memcached, MariaDB and ceph-config-helper from bookworm
# packages (mmdebstrap), RabbitMQ from trixie's, and one image for the OpenStack services (a venv
# of openstack.lock on bookworm), assembled with crane. Each image is a tarball (the docker-save
# format `crane push` reads) at $OSH_CACHE/images/<name>-<hash12>.tar, rebuilt only when its
# recipe changes.
# Usage: images.sh build [name...]    (default: all) one line per image: built|cached, seconds, MiB
#        images.sh push HOST:PORT [name...]  every built image (or those), to a plain-HTTP registry
#        images.sh refs HOST:PORT      "<name> <ref>" per reference of an image; builds nothing
#        images.sh client              the lock's openstack client in a venv on this host; prints its bin
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../versions.sh"
BIN="$OSH_CACHE/bin"
CRANE="$BIN/crane"
OUT="$OSH_CACHE/images"
IMAGES=(pause coredns traefik kubernetes-entrypoint memcached mariadb ceph-config-helper rabbitmq
  openstack)
STD_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SUITE=bookworm
# The host's own apt sources (mmdebstrap takes a sources file as its mirror): the images get the
# packages, and the mirror, this machine gets. They are SUITE's; another suite's are derived from
# them (suite_sources).
SOURCES=/etc/apt/sources.list.d/debian.sources
# Every Debian image: minbase, no device nodes in the tar (the runtime makes /dev), no docs, man
# pages or translations (copyrights stay; the dpkg options stay in the image for later installs).
# The merged-usr hook links /bin etc. itself and installs usr-is-merged: else init-system-helpers
# pulls in usrmerge, and with it all of perl (~55 MB). mmdebstrap copies in this host's hostname
# and resolv.conf; the runtime mounts a pod's own, so the image has neither.
DEBIAN_OPTS=(--mode=root --variant=minbase --format=tar --skip=output/dev
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --customize-hook='rm -f "$1/etc/hostname" "$1/etc/resolv.conf"'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*')

die() { echo "images: $*" >&2; exit 1; }

# The pause image's tag is its Makefile's TAG, which toolchain.sh compiled into the binary.
pause_tag() {
  local v
  [ -x "$BIN/pause" ] || die "no $BIN/pause: bash test/harness/toolchain.sh pause"
  v=$("$BIN/pause" -v 2>&1 | sed -n 's/^pause\.c v//p')
  [ -n "$v" ] || die "$BIN/pause -v prints no version"
  echo "$v"
}

# recipe NAME sets what makes the image: repo (repo:tag in a registry), tags (more repo:tag names
# of the same image, given at push), base (none, or minbase: a Debian minbase of suite with pkgs
# and the mmdebstrap options in hooks), bin (a binary of $BIN and its path in the image), prep
# (a function run before the build, for files its hooks take), inputs (files whose content makes
# the image too), entry/user/env (the image config; empty: unset), check (what its rootfs must
# hold: PATH, PATH~REGEX for a line of the file, PATH@UID/GID for its owner).
recipe() {
  base=none suite=$SUITE bin=() pkgs=() hooks=() entry=() user='' env=() check=() tags=()
  prep='' inputs=()
  case $1 in
    pause)
      repo="osh/pause:$(pause_tag)"; bin=(pause /pause); entry=(/pause) ;;
    coredns)
      repo="osh/coredns:$COREDNS_VERSION"; bin=(coredns /coredns); entry=(/coredns); user=65534 ;;
    traefik)
      repo="osh/traefik:$TRAEFIK_VERSION"; bin=(traefik /traefik); entry=(/traefik); user=65534 ;;
    kubernetes-entrypoint)
      # It execs COMMAND's words itself (PATH lookup, no shell), but what the charts run there
      # (`echo`, their shell scripts) needs a userland: minbase gives coreutils, dash and bash.
      repo=airshipit/kubernetes-entrypoint:latest-ubuntu_noble; base=minbase
      bin=(kubernetes-entrypoint /usr/local/bin/kubernetes-entrypoint)
      entry=(/usr/local/bin/kubernetes-entrypoint); user=65534; env=("PATH=$STD_PATH")
      check=(usr/bin/echo usr/bin/sh) ;;
    memcached)
      # Tagged as the chart's image (1.6.32) but bookworm's memcached is 1.6.18.
      # No entrypoint: the chart gives the command.
      repo=airshipit/memcached:1.6.32; base=minbase; pkgs=(memcached bash)
      hooks=(--customize-hook='chroot "$1" memcached -V')
      env=("PATH=$STD_PATH"); check=(usr/bin/memcached usr/bin/bash) ;;
    mariadb)
      # bookworm's MariaDB 10.11 with the client, bash and python3 for the chart's scripts: the
      # real chart's start.py imports iso8601 and kubernetes, its controllers and cluster wait
      # pykube and pymysql (pykube-ng is not in Debian: its wheel from the index, pinned by hash in
      # mariadb_wheels; pure Python, unpacked into /usr/local). No backup tools yet (galera-4
      # comes only as mariadb-server's hard dependency, unconfigured).
      repo=airshipit/mariadb:latest-ubuntu_noble; base=minbase
      pkgs=(mariadb-server mariadb-client bash python3 python3-iso8601 python3-kubernetes python3-pymysql
        python3-requests python3-yaml python3-urllib3)
      prep=mariadb_wheels
      hooks=(
        --customize-hook='mkdir -p "$1/usr/local/lib/python3.11/dist-packages" && for w in "$OSH_WHEELS"/*.whl; do cp "$w" "$1/tmp/w.whl" && chroot "$1" python3 -m zipfile -e /tmp/w.whl /usr/local/lib/python3.11/dist-packages && rm "$1/tmp/w.whl"; done'
        --customize-hook='chroot "$1" python3 -c "import iso8601, kubernetes.client, kubernetes.config, pykube, pymysql"'
        # The chart runs the server as uid/gid 999: the user exists before the package's postinst,
        # which keeps an existing mysql user instead of taking the next free system id.
        --essential-hook='echo "mysql:x:999:" >> "$1/etc/group" && echo "mysql:x:999:999:MySQL Server:/nonexistent:/bin/false" >> "$1/etc/passwd"'
        # mmdebstrap's own /run cleanup would take the socket directory too: do it here instead.
        --skip=cleanup/run
        --customize-hook='chroot "$1" mariadbd --version && find "$1/run" -mindepth 1 -maxdepth 1 ! -name lock -exec rm -rf {} + && install -d -o 999 -g 999 -m 0755 "$1/run/mysqld"'
        # The postinst initialized a datadir (~115 MB) that the chart's volume hides; the chart
        # initializes its own.
        --customize-hook='find "$1/var/lib/mysql" -mindepth 1 -delete'
      )
      env=("PATH=$STD_PATH")
      check=(usr/sbin/mariadbd usr/bin/mariadb usr/bin/python3 usr/bin/bash
        'etc/passwd~^mysql:x:999:999:' 'etc/group~^mysql:x:999:' 'run/mysqld@999/999') ;;
    ceph-config-helper)
      # The charts' storage-init and Ceph Jobs: ceph and rbd (bookworm's Ceph 16 client), our
      # kubectl, jq, awk and base64 in their scripts.
      repo=airshipit/ceph-config-helper:latest-ubuntu_jammy; base=minbase
      pkgs=(ceph-common jq python3 bash coreutils gawk)
      bin=(kubectl /usr/local/bin/kubectl)
      hooks=(--customize-hook='chroot "$1" ceph --version && chroot "$1" rbd --version')
      env=("PATH=$STD_PATH")
      check=(usr/bin/ceph usr/bin/rbd usr/bin/jq usr/bin/gawk usr/bin/base64 usr/bin/python3
        usr/bin/bash) ;;
    rabbitmq)
      # Tagged as the chart's images (4.3.5, and -management for its rabbit-init Jobs) but it is
      # trixie's RabbitMQ 4.0 (bookworm has 3.10), with its management plugin's rabbitmqadmin (v1,
      # Python) on PATH. No entrypoint: the chart gives the command. HOME and LANG as the
      # upstream image sets them (the Erlang cookie lives in HOME).
      repo=rabbitmq:4.3.5; tags=(rabbitmq:4.3.5-management); base=minbase; suite=trixie
      pkgs=(rabbitmq-server python3 bash procps)
      hooks=(
        # The chart runs the server as uid/gid 999: the user exists before the package's postinst,
        # which keeps an existing rabbitmq user instead of taking the next free system id.
        --essential-hook='echo "rabbitmq:x:999:" >> "$1/etc/group" && echo "rabbitmq:x:999:999:RabbitMQ messaging server:/var/lib/rabbitmq:/usr/sbin/nologin" >> "$1/etc/passwd"'
        --customize-hook='chroot "$1" erl -noshell -eval "halt()." && a=$(find "$1/usr/lib/rabbitmq" -path "*/rabbitmq_management-*/priv/www/cli/rabbitmqadmin") && [ -n "$a" ] && install -m 0755 "$a" "$1/usr/local/bin/rabbitmqadmin"'
        # The postinst made an Erlang cookie: every container would share it; a pod makes or is
        # given its own.
        --customize-hook='rm "$1/var/lib/rabbitmq/.erlang.cookie"'
      )
      env=("PATH=$STD_PATH" HOME=/var/lib/rabbitmq LANG=C.UTF-8)
      check=(usr/sbin/rabbitmq-server usr/sbin/rabbitmqctl usr/local/bin/rabbitmqadmin usr/bin/python3
        usr/bin/bash usr/bin/ps 'etc/passwd~^rabbitmq:x:999:999:' 'etc/group~^rabbitmq:x:999:'
        'var/lib/rabbitmq@999/999') ;;
    openstack)
      # LOCI's layout, which the charts' scripts and configs assume, as one image for every
      # service: the services in a venv at /var/lib/openstack (on PATH), Apache with mod_wsgi, and
      # each project's user at uid/gid 42424. LOCI gives each project an image with its own user
      # at 42424; here keystone owns the ids and the others are aliases of them, so both the
      # charts' runAsUser and Apache's user=<project> work. The venv sees the system's packages
      # for the Ceph bindings (python3-rbd, python3-rados), which the index does not have.
      repo=airshipit/keystone:2026.1-ubuntu_noble; base=minbase
      tags=(airshipit/glance:2026.1-ubuntu_noble airshipit/nova:2026.1-ubuntu_noble
        airshipit/neutron:2026.1-ubuntu_noble airshipit/placement:2026.1-ubuntu_noble
        airshipit/openstack-client:2026.1-ubuntu_noble)
      # novnc: nova's novncproxy pod copies /usr/share/novnc out of this image in an init container.
      pkgs=(python3 python3-venv apache2 libapache2-mod-wsgi-py3 sudo curl ca-certificates iproute2
        ceph-common python3-rbd python3-rados novnc)
      prep=openstack_wheels; inputs=("$here/openstack.lock")
      hooks=(
        --customize-hook='echo "keystone:x:42424:" >> "$1/etc/group" && for p in keystone glance nova neutron placement; do
            [ "$p" = keystone ] || echo "$p:x:42424:" >> "$1/etc/group"
            echo "$p:x:42424:42424:$p:/var/lib/$p:/bin/false" >> "$1/etc/passwd"
            [ ! -f "$1/etc/shadow" ] || echo "$p:!:::::::" >> "$1/etc/shadow"
            install -d -o 42424 -g 42424 -m 0755 "$1/etc/$p" "$1/var/log/$p" "$1/var/lib/$p" "$1/var/cache/$p"
          done'
        # Offline, from the wheels openstack_wheels made, with none of this host's pip settings;
        # --ignore-installed: the venv's own copy of every package, not the system's.
        --customize-hook='chroot "$1" python3 -m venv --system-site-packages /var/lib/openstack && cp -r "$OSH_WHEELS" "$1/tmp/wheels"'
        --customize-hook='chroot "$1" env -i PATH=/usr/bin:/bin /var/lib/openstack/bin/pip install -q --no-index --no-cache-dir --find-links /tmp/wheels --require-hashes --no-deps --ignore-installed -r /tmp/wheels/install.txt && rm -r "$1/tmp/wheels"'
        --customize-hook='chroot "$1" /var/lib/openstack/bin/python -c "import keystone, glance, nova, neutron, placement, rbd, rados"'
      )
      env=("PATH=/var/lib/openstack/bin:$STD_PATH")
      check=(var/lib/openstack/bin/python var/lib/openstack/bin/keystone-manage var/lib/openstack/bin/uwsgi
        var/lib/openstack/bin/openstack usr/sbin/apache2 usr/lib/apache2/modules/mod_wsgi.so usr/bin/rbd
        usr/share/novnc/vnc.html
        'etc/passwd~^keystone:x:42424:42424:' 'etc/passwd~^placement:x:42424:42424:' 'etc/group~^keystone:x:42424:'
        'var/log/nova@42424/42424' 'etc/glance@42424/42424') ;;
    *) die "unknown image $1 (known: ${IMAGES[*]})" ;;
  esac
}

# image_key NAME: the sha256 of everything the image is made of: its recipe's values, the
# functions that build it, and the binary it carries or the Debian suite, options and sources.
image_key() {
  recipe "$1"
  {
    declare -p repo base bin pkgs hooks entry user env check
    declare -f build_image binary_layer assemble check_rootfs check_config
    echo "crane $CRANE_VERSION"
    if [ "$base" != none ]; then
      declare -f debian_rootfs; echo "$suite"; declare -p DEBIAN_OPTS; suite_sources "$suite"
    fi
    if [ ${#bin[@]} -gt 0 ]; then
      [ -f "$BIN/${bin[0]}" ] || die "no $BIN/${bin[0]}: bash test/harness/toolchain.sh $(toolchain_part "${bin[0]}")"
      sha256sum < "$BIN/${bin[0]}"
    fi
    [ -z "$prep" ] || declare -f "$prep"
    for f in "${inputs[@]}"; do sha256sum < "$f"; done
  } | sha256sum | cut -c1-64
}

# toolchain_part BINARY: the toolchain.sh component that builds it.
toolchain_part() {
  case $1 in
    kubectl) echo kubernetes ;;
    *) echo "${1/kubernetes-/}" ;;
  esac
}

# suite_sources SUITE: apt sources for SUITE: the host's for its own suite, else its stanza of
# SUITE with the suite and its -updates, on the same mirror and keyring (Debian's archive keyring
# signs the next release too). A derived suite has no -security entry.
suite_sources() {
  if [ "$1" = "$SUITE" ]; then cat "$SOURCES"; return; fi
  awk -v host="$SUITE" -v want="$1" 'BEGIN { RS = ""; ORS = "\n\n" }
    { mine = 0; out = ""; n = split($0, l, "\n")
      for (i = 1; i <= n; i++) {
        if (l[i] ~ /^#/) continue
        if (l[i] ~ /^Suites:/) {
          if ((" " substr(l[i], 8) " ") ~ (" " host " ")) mine = 1
          l[i] = "Suites: " want " " want "-updates"
        }
        out = out l[i] "\n"
      }
      if (mine) { printf "%s", out; found = 1; exit } }
    END { if (!found) exit 1 }' "$SOURCES" || die "$SOURCES has no stanza of $SUITE to derive $1's from"
}

# debian_rootfs OUT: the rootfs tarball of the current recipe (SUITE and SOURCES: its suite's).
# </dev/null: mmdebstrap reads sources from a stdin that is not a terminal.
debian_rootfs() {
  local inc=()
  [ ${#pkgs[@]} -eq 0 ] || inc=("--include=$(IFS=,; echo "${pkgs[*]}")")
  TMPDIR="$work" mmdebstrap "${DEBIAN_OPTS[@]}" "${inc[@]}" "${hooks[@]}" "$SUITE" "$1" "$SOURCES" </dev/null &
  echo $! > "$work/mmdebstrap.pid"
  wait $!
}

# binary_layer OUT: a layer holding only the recipe's binary, root-owned, with a fixed mtime so the
# same binary gives the same layer.
binary_layer() {
  local stage="$work/stage" rel=${bin[1]#/}
  rm -rf "$stage"; mkdir -p "$stage/$(dirname "$rel")"
  install -m 0755 "$BIN/${bin[0]}" "$stage/$rel"
  tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$stage" -cf "$1" "$rel"
}

# check_rootfs TAR SPEC...: the rootfs holds what the recipe's check says (see recipe).
check_rootfs() {
  local t=$1 s p owner; shift
  for s in "$@"; do
    case $s in
      *~*) p=${s%%~*}; tar -xOf "$t" "./$p" | grep -E -- "${s#*~}" >/dev/null || die "$p has no line /${s#*~}/" ;;
      *@*) p=${s%%@*}
        owner=$(tar --numeric-owner -tvf "$t" "./$p" | awk 'NR == 1 { print $2 }')
        [ "$owner" = "${s#*@}" ] || die "$p is owned by '$owner', want ${s#*@}" ;;
      *) tar -tf "$t" "./$s" >/dev/null || die "the rootfs has no /$s" ;;
    esac
  done
}

# check_config IMAGE_TAR: the saved image's config is the recipe's (platform, entrypoint, user, env).
check_config() {
  local cfg got want
  cfg=$(tar -xOf "$1" manifest.json | jq -r '.[0].Config')
  got=$(tar -xOf "$1" "$cfg" | jq -c '[.os, .architecture, .config.Entrypoint, .config.User, .config.Env]')
  want=$(jq -cn --arg user "$user" '[$ARGS.positional[0], $ARGS.positional[1],
      ($ARGS.positional[2] | if . == "" then null else split("\n") end), (if $user == "" then null else $user end),
      ($ARGS.positional[3] | if . == "" then null else split("\n") end)]' \
    --args linux amd64 "$(printf '%s\n' "${entry[@]}" | sed '/^$/d')" "$(printf '%s\n' "${env[@]}" | sed '/^$/d')")
  [ "$got" = "$want" ] || die "image config $got, want $want"
}

# assemble OUT LAYER...: the layers on an empty base, with the recipe's config, saved as a
# tarball. crane mutate reads only from a registry, hence the loopback one of this run.
assemble() {
  local out=$1 tmp="build/$name:$hash12" flags=(--set-platform linux/amd64) layers=() l; shift
  for l in "$@"; do layers+=(-f "$l"); done
  [ ${#entry[@]} -eq 0 ] || flags+=("--entrypoint=$(IFS=,; echo "${entry[*]}")")
  [ -z "$user" ] || flags+=(--user "$user")
  for l in "${env[@]}"; do flags+=(--env "$l"); done
  "$CRANE" append --insecure --oci-empty-base "${layers[@]}" -t "$REG/$tmp" >/dev/null
  "$CRANE" mutate --insecure "${flags[@]}" -t "$repo" -o "$out" "$REG/$tmp"
}

# build_image NAME: the image's tarball and stamp from its recipe (recipe and hash12 are set).
build_image() {
  local layers=()
  if [ "$base" != none ]; then
    debian_rootfs "$work/rootfs.tar"
    check_rootfs "$work/rootfs.tar" "${check[@]}"
    layers+=("$work/rootfs.tar")
  fi
  if [ ${#bin[@]} -gt 0 ]; then
    binary_layer "$work/bin.tar"
    layers+=("$work/bin.tar")
  fi
  assemble "$work/image.tar" "${layers[@]}"
  check_config "$work/image.tar"
  mv "$work/image.tar" "$OUT/$name-$hash12.tar"
  echo "$repo" > "$OUT/$name-$hash12.done"
  rm -f "$work/rootfs.tar" "$work/bin.tar" "$work/mmdebstrap.pid"
}

# openstack_wheels: $OSH_WHEELS, what the openstack image's venv installs: the lock's wheels (pip's
# download, for this machine's Python, which must be the image's) and its sdists built into
# wheels, each once (kept by the lock's hash, and by the sdist's), and install.txt, the lock with
# the built wheels' hashes in place of the sdists'. The builds take their build backend from the
# index, unpinned; what they build is hash-checked source.
openstack_wheels() {
  local lock="$here/openstack.lock" key dl sd name ver sha whl
  key=$(sha256sum < "$lock" | cut -c1-12); dl="$OSH_CACHE/wheels/openstack-$key"
  [ "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$OPENSTACK_IMAGE_PYTHON" ] ||
    die "python3 here is not the image's $OPENSTACK_IMAGE_PYTHON: pip would fetch another Python's wheels"
  export OSH_WHEELS="$work/wheels"
  mkdir -p "$OSH_WHEELS" "$OSH_CACHE/wheels"
  python3 -m venv "$work/pip"
  # The lock less its sdists, and their two lines each.
  awk '/^# sdist/ { skip = 2; next } skip { skip--; next } { print }' "$lock" > "$OSH_WHEELS/install.txt"
  if [ ! -f "$dl.done" ]; then
    rm -rf "$dl"
    "$work/pip/bin/pip" download -q --no-input --no-deps --require-hashes --only-binary :all: -d "$dl" -r "$OSH_WHEELS/install.txt"
    touch "$dl.done"
    # Only the current lock's wheels are kept.
    find "$OSH_CACHE/wheels" -maxdepth 1 -name 'openstack-*' ! -name "openstack-$key*" -exec rm -rf {} +
  fi
  cp -l "$dl"/*.whl "$OSH_WHEELS/"
  awk '/^# sdist/ { getline r; getline h; sub(/ .*/, "", r); sub(/.*sha256:/, "", h); print r, h }' "$lock" |
    while read -r name sha; do
      ver=${name#*==} name=${name%%==*} sd="$OSH_CACHE/wheels/sdist-${sha:0:12}"
      if [ ! -f "$sd.done" ]; then
        rm -rf "$sd"
        printf '%s==%s --hash=sha256:%s\n' "$name" "$ver" "$sha" > "$work/sdist.txt"
        "$work/pip/bin/pip" wheel -q --no-input --no-deps --require-hashes -w "$sd" -r "$work/sdist.txt"
        touch "$sd.done"
      fi
      whl=$(echo "$sd"/*.whl)
      [ -f "$whl" ] || die "no wheel of $name $ver in $sd"
      cp -l "$whl" "$OSH_WHEELS/"
      printf '%s==%s \\\n    --hash=sha256:%s\n' "$name" "$ver" "$(sha256sum < "$whl" | cut -c1-64)" >> "$OSH_WHEELS/install.txt"
    done
}

# mariadb_wheels: the pure-Python wheels the MariaDB image unpacks (pykube-ng), checked against
# their pinned hashes, cached in $OSH_CACHE/wheels; OSH_WHEELS names their directory for the hooks.
mariadb_wheels() {
  local spec='pykube-ng==23.6.0 --hash=sha256:63f20f634bfcd83966edec32f892286f75dffb817a2c097434ecc039e558ec8f'
  local dl="$OSH_CACHE/wheels/mariadb-${spec: -12}"
  export OSH_WHEELS="$work/wheels"
  mkdir -p "$OSH_WHEELS" "$OSH_CACHE/wheels"
  if [ ! -f "$dl.done" ]; then
    rm -rf "$dl"
    python3 -m venv "$work/pip"
    echo "$spec" > "$work/mariadb-wheels.txt"
    "$work/pip/bin/pip" download -q --no-input --no-deps --require-hashes --only-binary :all: -d "$dl" -r "$work/mariadb-wheels.txt"
    touch "$dl.done"
  fi
  cp -l "$dl"/*.whl "$OSH_WHEELS/"
}

# build_setup: what build_image takes from outside the recipe: a derived suite's sources, as a
# file for debian_rootfs, and whatever the recipe's prep makes.
build_setup() {
  if [ "$base" != none ] && [ "$suite" != "$SUITE" ]; then
    suite_sources "$suite" > "$work/$suite.sources"
    SOURCES=$work/$suite.sources SUITE=$suite
  fi
  [ -z "$prep" ] || "$prep"
}

# A loopback registry for assembly, on a port the kernel picks; stopped on exit.
start_registry() {
  local port='' i
  mkdir -p "$work/registry"
  "$CRANE" registry serve --address 127.0.0.1:0 --disk "$work/registry" > "$work/registry.log" 2>&1 &
  REG_PID=$!
  for i in $(seq 100); do
    port=$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$work/registry.log")
    [ -z "$port" ] || break
    kill -0 "$REG_PID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || die "crane registry did not start (after $i tries): $(cat "$work/registry.log")"
  REG=127.0.0.1:$port
}

cleanup() {
  local pid i
  if [ -n "${REG_PID:-}" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; fi
  # On a signal mmdebstrap unmounts and removes its chroot under $work itself: let it finish.
  if [ -n "${work:-}" ] && [ -f "$work/mmdebstrap.pid" ]; then
    pid=$(cat "$work/mmdebstrap.pid")
    for i in $(seq 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  # --one-file-system: never into a mount an interrupted mmdebstrap might have left in its chroot.
  [ -z "${work:-}" ] || rm -rf --one-file-system "$work" || echo "images: could not remove $work" >&2
}

cmd_build() {
  local names=("$@") t0 t1 state size log rc key old
  [ ${#names[@]} -gt 0 ] || names=("${IMAGES[@]}")
  [ -x "$CRANE" ] || die "no $CRANE: bash test/harness/toolchain.sh crane"
  mkdir -p "$OUT" "$OSH_CACHE/logs"
  # One build at a time: two would race on the same tarballs and run mmdebstraps side by side.
  exec 9>"$OUT/.lock"
  flock -n 9 || { echo "images: waiting for another images.sh build" >&2; flock 9; }
  work=$(mktemp -d "$OUT/.work.XXXXXX")
  trap cleanup EXIT
  # A signal ends the script through exit, so the EXIT trap stops the registry and removes $work.
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  for name in "${names[@]}"; do
    t0=$(date +%s.%N)
    # image_key runs in a subshell: the recipe's values are set here again.
    key=$(image_key "$name"); hash12=${key:0:12}; recipe "$name"
    if [ -f "$OUT/$name-$hash12.done" ] && [ -f "$OUT/$name-$hash12.tar" ]; then
      state=cached
    else
      command -v mmdebstrap >/dev/null || [ "$base" = none ] || die "no mmdebstrap: apt-get install mmdebstrap"
      [ -n "${REG:-}" ] || start_registry
      log="$OSH_CACHE/logs/image-$name.log"
      set +e
      ( set -euo pipefail; build_setup; build_image ) > "$log" 2>&1
      rc=$?
      set -e
      if [ "$rc" -ne 0 ]; then
        printf 'images: %s failed (exit %s); last lines of %s:\n' "$name" "$rc" "$log" >&2
        tail -n 40 "$log" >&2
        exit "$rc"
      fi
      # Only the current recipe's image is kept.
      for old in "$OUT/$name"-????????????.tar "$OUT/$name"-????????????.done; do
        case $old in "$OUT/$name-$hash12".*) ;; *) rm -f "$old" ;; esac
      done
      state=built
    fi
    t1=$(date +%s.%N)
    size=$(stat -c %s "$OUT/$name-$hash12.tar")
    awk -v n="$name" -v s="$state" -v t="$(echo "$t0 $t1" | awk '{ print $2 - $1 }')" -v b="$size" \
      'BEGIN { printf "images: %s %s %.1fs %.1f MiB\n", n, s, t, b / 1048576 }'
  done
}

# built NAME: the tarball of the image's current recipe, if it is built.
built() {
  local h
  h=$(image_key "$1"); h=${h:0:12}
  [ -f "$OUT/$1-$h.done" ] && [ -f "$OUT/$1-$h.tar" ] && echo "$OUT/$1-$h.tar"
}

cmd_push() {
  local host=$1 n=0 tar out t names; shift
  names=("$@")
  [ ${#names[@]} -gt 0 ] || names=("${IMAGES[@]}")
  [ -x "$CRANE" ] || die "no $CRANE: bash test/harness/toolchain.sh crane"
  for name in "${names[@]}"; do
    if ! tar=$(built "$name"); then
      echo "images: $name is not built at its current recipe: not pushed (images.sh build $name)" >&2
      continue
    fi
    recipe "$name"
    # crane logs every blob; shown only when the push fails.
    out=$("$CRANE" push --insecure "$tar" "$host/$repo" 2>&1) || die "push of $name to $host/$repo failed: $out"
    # Its other names: a copy within the registry mounts the blobs it already has.
    for t in "${tags[@]}"; do
      out=$("$CRANE" copy --insecure "$host/$repo" "$host/$t" 2>&1) || die "copy of $host/$repo to $host/$t failed: $out"
    done
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "no image is built: images.sh build"
  echo "images: pushed $n images to $host"
}

cmd_refs() {
  local t
  for name in "${IMAGES[@]}"; do
    recipe "$name"; echo "$name $1/$repo"
    for t in "${tags[@]}"; do echo "$name $1/$t"; done
  done
}

# cmd_client: the openstack client of openstack.lock in a venv of its own on this host, from the
# wheels the openstack image installs (the same lock, the same hashes), made once per lock hash at
# $OSH_CACHE/openstack-client-<hash12>; prints the venv's bin directory.
cmd_client() {
  local key venv
  key=$(sha256sum < "$here/openstack.lock" | cut -c1-12); venv="$OSH_CACHE/openstack-client-$key"
  if [ ! -f "$venv/.done" ]; then
    mkdir -p "$OUT"
    work=$(mktemp -d "$OUT/.work.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    openstack_wheels >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    env -i PATH=/usr/bin:/bin "$venv/bin/pip" install -q --no-input --no-index --no-cache-dir --find-links "$OSH_WHEELS" \
      --require-hashes --no-deps -r "$OSH_WHEELS/install.txt" >&2
    "$venv/bin/openstack" --version >&2
    touch "$venv/.done"
    find "$OSH_CACHE" -maxdepth 1 -name 'openstack-client-*' ! -name "openstack-client-$key" -exec rm -rf {} +
  fi
  echo "$venv/bin"
}

host_port() { [[ ${1:-} =~ ^[^/[:space:]]+:[0-9]+$ ]] || die "want HOST:PORT, got '${1:-}'"; }

case ${1:-} in
  build) shift; cmd_build "$@" ;;
  push) host_port "${2:-}"; shift; cmd_push "$@" ;;
  refs) host_port "${2:-}"; cmd_refs "$2" ;;
  client) cmd_client ;;
  *) echo "usage: images.sh build [name...] | push HOST:PORT [name...] | refs HOST:PORT | client" >&2; exit 2 ;;
esac
