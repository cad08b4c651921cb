#!/usr/bin/env bash
# Container test: the deployment path of deploy/ for real, on a machine with
# no registry (../shared/DOCKER.md): a private dockerd under a temporary
# directory, debian:bookworm-slim made with debootstrap, the image built from
# the Dockerfile, docker-compose up with a small generated dataset, the
# example trainer fetching a temporal split with curl, and its files compared
# byte for byte with `recprep temporal` run on the host.
#
# usage: tests/container/run.sh [BUILD_DIR]   (BUILD_DIR holds recprep; default build)
# Needs root. Installs docker.io, containerd, runc, debootstrap and
# docker-compose with apt-get when missing. Everything it creates lives in one
# mktemp -d directory that is removed on every exit path, with the daemon
# stopped by PID and its mounts unmounted; the host network is left alone
# (dockerd runs with --bridge=none and no iptables changes).
# Prints "N passed, N failed"; exits non-zero when anything failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" 2>/dev/null && pwd) || BUILD=${1:-$ROOT/build}
DOCKER=/usr/bin/docker # Debian's client; it drives the daemon's BuildKit
IMAGE=recprep:ci
PROJECT=rpct$$
ROWS=60000
T_START=$(date +%s.%N)
passed=0 failed=0
W="" DPID="" BOOT_PID="" NETID=""

log() { printf '%s [%5.1fs] %s\n' "container:" "$(elapsed "$T_START")" "$*"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
ok() {
    passed=$((passed + 1))
    echo "PASS: $*"
}
bad() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
# check NAME COMMAND...: one assertion, output shown only on failure.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else
        bad "$name"
        printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
    fi
}
summary() {
    echo "container test: wall time $(elapsed "$T_START") s"
    echo "$passed passed, $failed failed"
}

# ---- set-up -------------------------------------------------------------------

# The Debian mirror of the host's apt sources (deb822 first, then one-line).
debian_mirror() {
    local m
    m=$(awk '/^URIs:/ { u = $2 } /^Suites:/ && / bookworm( |$)/ && u { print u; exit }
             /^$/ { u = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$m" ] || m=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
    [ -n "$m" ] && echo "$m"
}

# debootstrap a minbase bookworm and trim it the way the official slim image
# is (dpkg path excludes, no docs, man pages, locales or apt lists).
make_rootfs() {
    local r=$W/rootfs
    local mirror
    # No fallback host: a machine without a bookworm source says so.
    mirror=$(debian_mirror) || {
        echo "no bookworm mirror in /etc/apt/sources.list{,.d/*}" >"$W/debootstrap.log"
        return 1
    }
    debootstrap --variant=minbase bookworm "$r" "$mirror" >"$W/debootstrap.log" 2>&1 ||
        return 1
    printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
        'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
        'path-exclude /usr/share/locale/*' 'path-exclude /usr/share/lintian/*' \
        >"$r/etc/dpkg/dpkg.cfg.d/docker"
    # apt keeps no .deb files or package caches in image layers (as in the
    # official image's /etc/apt/apt.conf.d/docker-clean).
    printf '%s\n' \
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$r/etc/apt/apt.conf.d/docker-clean"
    find "$r/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
    rm -rf "$r"/usr/share/{man,info,locale,lintian}/* "$r"/var/lib/apt/lists/* \
        "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        cp /etc/apt/sources.list.d/*.sources "$r/etc/apt/sources.list.d/" &&
            rm -f "$r/etc/apt/sources.list"
    fi
}

# dockerd runs in its own session: a Ctrl-C to this script's process group
# must not kill it before the clean-up has removed the compose network.
start_dockerd() {
    setsid dockerd --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
        --bridge=none --storage-driver=overlay2 --data-root "$W/data" --exec-root "$W/exec" \
        --pidfile "$W/dockerd.pid" --host "unix://$W/docker.sock" >"$W/dockerd.log" 2>&1 &
    export DOCKER_HOST=unix://$W/docker.sock
    for _ in $(seq 100); do
        if "$DOCKER" version >/dev/null 2>&1; then
            DPID=$(cat "$W/dockerd.pid")
            return 0
        fi
        sleep 0.3
    done
    tail -5 "$W/dockerd.log"
    return 1
}

compose() {
    docker-compose --env-file "$W/compose.env" -p "$PROJECT" \
        -f "$ROOT/deploy/docker-compose.yml" -f "$ROOT/deploy/docker-compose.token.yml" "$@"
}

# ---- clean-up: every exit path -----------------------------------------------

stop_pid() { # stop_pid PID SECONDS: TERM, wait, then KILL
    local pid=$1
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq $(($2 * 5))); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null
}

cleanup() {
    set +e
    [ -n "$W" ] && [ -d "$W" ] || return 0
    [ -n "$BOOT_PID" ] && stop_pid "$BOOT_PID" 5
    if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
        compose down -v --remove-orphans -t 20 >/dev/null 2>&1
        "$DOCKER" ps -aq | xargs -r "$DOCKER" rm -f >/dev/null 2>&1
        "$DOCKER" network prune -f >/dev/null 2>&1
        stop_pid "$DPID" 20
    fi
    # A daemon that died early leaves the compose network's bridge behind.
    [ -n "$NETID" ] && [ -e "/sys/class/net/br-$NETID" ] && ip link delete "br-$NETID"
    # containerd (started by dockerd) and shims carry $W in their arguments.
    local pid
    for pid in $(pgrep -f -- "$W/" 2>/dev/null); do
        [ "$pid" != $$ ] && stop_pid "$pid" 5
    done
    umount "$W/exec/netns/default" 2>/dev/null
    # Remaining mounts under $W, deepest first (overlays, shm, netns, debootstrap).
    awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    rm -rf "$W"
}
trap 'cleanup; exit 130' INT TERM
trap 'cleanup' EXIT

# ---- the test -------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || {
    echo "container test needs root (a private dockerd)"
    summary
    exit 1
}
[ -x "$BUILD/recprep" ] || {
    bad "no recprep in $BUILD (build first)"
    summary
    exit 1
}
bash "$ROOT/tests/deps.sh" --only docker.io containerd runc debootstrap docker-compose || {
    bad "installing docker.io containerd runc debootstrap docker-compose"
    summary
    exit 1
}
W=$(mktemp -d /tmp/rpct.XXXXXX)
chmod 0755 "$W"
make_rootfs &
BOOT_PID=$!
log "debootstrap started in $W"

# Host side while debootstrap runs: data, the expected files, static checks.
mkdir -p "$W/host/data" "$W/train" "$W/expected"
"$BUILD/recprep" generate "$W/host/data/ratings.csv" --rows $ROWS --users 3000 --items 1500 \
    --seed 7 >/dev/null && "$BUILD/recprep" temporal "$W/host/data/ratings.csv" "$W/expected" \
    --k 4 >"$W/expected.summary.json"
check "host recprep generate + temporal" test -s "$W/expected/train.txt"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/token"
chmod 0644 "$W/token" "$W/host/data/ratings.csv"
chown 10001:10001 "$W/train"
cat >"$W/compose.env" <<EOF
RECPREP_IMAGE=$IMAGE
RECPREP_DATA_DIR=$W/host/data
RECPREP_DATASETS=synthetic=/data/ratings.csv
RECPREP_PUBLISH=127.0.0.1:
RECPREP_TOKEN_PATH=$W/token
TRAIN_DATASET=synthetic
TRAIN_QUERY=k=4
TRAIN_DIR=$W/train
EOF
check "docker-compose config -q" docker-compose --env-file "$W/compose.env" \
    -f "$ROOT/deploy/docker-compose.yml" config -q
check "docker-compose config -q (token override)" compose config -q
check "Dockerfile policy lint" sh "$ROOT/tests/container/lint-dockerfile.sh" "$ROOT/Dockerfile"
if command -v npx >/dev/null 2>&1; then
    check "Dockerfile lint (dockerfile-utils)" env npm_config_cache="$W/npm" \
        npm_config_update_notifier=false npx --yes dockerfile-utils lint "$ROOT/Dockerfile"
else
    echo "SKIP: dockerfile-utils lint (no npx)"
fi

# Not through check: DPID and DOCKER_HOST must be set in this shell.
if start_dockerd; then ok "private dockerd starts"; else bad "private dockerd starts"; fi
wait "$BOOT_PID"
rc=$?
BOOT_PID=""
if [ $rc -ne 0 ]; then
    bad "debootstrap bookworm (see below)"
    tail -5 "$W/debootstrap.log"
    summary
    exit 1
fi
log "base image"
check "import debian:bookworm-slim" sh -c \
    "tar -C '$W/rootfs' -c . | '$DOCKER' import -c 'CMD [\"bash\"]' - debian:bookworm-slim"
rm -rf "$W/rootfs"

log "docker build"
if DOCKER_BUILDKIT=1 "$DOCKER" build --network=host -t "$IMAGE" "$ROOT" >"$W/build.log" 2>&1; then
    ok "docker build"
else
    bad "docker build"
    tail -30 "$W/build.log" | sed 's/^/    /'
    summary
    exit 1
fi
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE")
log "image $IMAGE: $size bytes ($((size / 1000000)) MB)"
check "image runs as uid 10001" test "$("$DOCKER" image inspect -f '{{.Config.User}}' "$IMAGE")" \
    = 10001:10001
check "image under 120 MB" test "$size" -lt 120000000

log "docker-compose up"
T_UP=$(date +%s.%N)
check "compose up recprep" compose up -d --no-build recprep
cid=$(compose ps -q recprep)
NETID=$("$DOCKER" network inspect -f '{{.Id}}' "${PROJECT}_default" 2>/dev/null | cut -c1-12)
health=""
for _ in $(seq 600); do # 2 minutes; stop early if the container died
    state=$("$DOCKER" inspect -f '{{.State.Status}} {{.State.Health.Status}}' "$cid" 2>/dev/null)
    health=${state#* }
    case $state in
    "running starting") sleep 0.2 ;;
    *) break ;;
    esac
done
if [ "$health" = healthy ]; then
    ok "recprep healthy"
    log "up -> healthy: $(elapsed "$T_UP") s"
else
    bad "recprep healthy (state: ${state:-no container})"
    compose logs --tail 20 recprep
fi

check "compose up trainer" compose up -d --no-build trainer
tid=$(compose ps -q trainer)
trc=$(timeout 120 "$DOCKER" wait "$tid")
if [ "$trc" = 0 ]; then ok "trainer exits 0"; else
    bad "trainer exits 0 (got '$trc')"
    compose logs --tail 20 trainer
fi
log "trainer: $("$DOCKER" logs "$tid" 2>&1 | tail -1)"
for f in train.txt validation.txt test.txt items.tsv; do
    check "trainer's $f == host recprep's" cmp "$W/expected/$f" "$W/train/split/$f"
done

port=$(compose port recprep 8080 | sed 's/.*://')
url="http://127.0.0.1:$port"
check "host: GET /readyz 200" curl -fsS -o /dev/null "$url/readyz"
check "host: /v1 without token is 401" test \
    "$(curl -sS -o /dev/null -w '%{http_code}' "$url/v1/datasets")" = 401
if [ -f "$BUILD/deploy/openapi.json" ]; then
    check "host: GET /openapi.json == build's openapi.json" sh -c \
        "curl -fsS '$url/openapi.json' | cmp - '$BUILD/deploy/openapi.json'"
fi
check "/data is read-only in the container" sh -c \
    "! '$DOCKER' exec '$cid' sh -c 'touch /data/x' 2>/dev/null"

check "docker stop exits 0" "$DOCKER" stop -t 30 "$cid"
check "recprepd exits 0 on SIGTERM" test \
    "$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$cid")" = 0
check "compose down" compose down -v --remove-orphans -t 20

dir=$W
cleanup
W=""
check "no daemon left" sh -c "! kill -0 $DPID 2>/dev/null"
check "no bridge left" test ! -e "/sys/class/net/br-$NETID"
check "no mount left" sh -c "! grep -q ' $dir' /proc/self/mountinfo"
check "no temporary directory left" test ! -e "$dir"
summary
[ "$failed" -eq 0 ]
