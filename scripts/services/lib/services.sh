# shellcheck shell=bash
#
# scripts/services/lib/services.sh - shared helpers for Reel's scripts (test, demo, bench).
#
# Source it, do not execute it:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/lib/services.sh"
#     reel_install_packages
#     dir=.reel-data/run-$$
#     trap 'reel_services_stop "$dir"' EXIT
#     reel_services_start "$dir"        # exports REEL_DATABASE_URL, REEL_REDIS_URL
#
# Functions:
#   reel_install_packages [EXTRA_PKG...]
#       apt-installs whatever of REEL_DEBIAN_PACKAGES (+ extras) is missing.
#   reel_services_start DIR
#       starts a private PostgreSQL (DIR/pg) and Redis on free 127.0.0.1 ports,
#       creates database `reel`, exports REEL_DATABASE_URL / REEL_REDIS_URL
#       (plus REEL_PG_PORT, REEL_REDIS_PORT, REEL_SERVICES_DIR), writes the same
#       export lines to DIR/services.env and the PIDs to DIR/pids.
#   reel_services_stop DIR
#       stops what reel_services_start started in DIR (by recorded PID only);
#       idempotent, always returns 0, safe in `trap ... EXIT`.
#
# Tunables (environment):
#   REEL_PG_BIN               PostgreSQL bin dir (default: newest /usr/lib/postgresql/*/bin)
#   REEL_SERVICES_TIMEOUT     seconds to wait for start/stop (default 60)
#   REEL_PG_SHARED_BUFFERS    default 256MB
#   REEL_PG_MAX_CONNECTIONS   default 500
#
# The library never changes the caller's shell options (set -e/-u/pipefail in
# the caller are fine: the public functions run with errexit and pipefail off,
# via `local -`, bash >= 4.4) and writes diagnostics to stderr only.

if [ -z "${REEL_DEBIAN_PACKAGES+x}" ]; then
    REEL_DEBIAN_PACKAGES=(
        postgresql postgresql-contrib
        redis-server
        libpq-dev libhiredis-dev
        libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
        pkg-config ffmpeg python3-venv
        varnish
    )
fi

_reel_log() { printf '[services] %s\n' "$*" >&2; }

_reel_is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------

_reel_pkg_installed() {
    local st
    st=$(dpkg -s "$1" 2>/dev/null) || return 1
    [[ "$st" == *"Status: install ok installed"* ]]
}

reel_install_packages() {
    # Shell options are function-local: immune to the caller's set -e/pipefail.
    local -
    set +e +o pipefail
    local p missing=() sudo=() log rc
    for p in "${REEL_DEBIAN_PACKAGES[@]}" "$@"; do
        _reel_pkg_installed "$p" || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0

    if ! _reel_is_root; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            _reel_log "missing Debian packages: ${missing[*]}"
            _reel_log "not root and sudo is not available; install them with: apt-get install ${missing[*]}"
            return 1
        fi
    fi

    log=$(mktemp "${TMPDIR:-/tmp}/reel-apt.XXXXXX") || return 1
    _reel_log "installing: ${missing[*]} (log: $log)"
    rc=0
    if [ -z "${_REEL_APT_UPDATED:-}" ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 || rc=$?
        [ "$rc" -eq 0 ] && _REEL_APT_UPDATED=1
    fi
    if [ "$rc" -eq 0 ]; then
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends -o Dpkg::Options::=--force-confdef \
            -o Dpkg::Options::=--force-confold "${missing[@]}" >>"$log" 2>&1 || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        _reel_log "package installation failed (exit $rc); log follows:"
        cat "$log" >&2
        return 1
    fi
    rm -f "$log"
    return 0
}

# ---------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------

# _reel_alive PID: process exists and is not a zombie.
_reel_alive() {
    local pid=$1 state=
    case "$pid" in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -r "/proc/$pid/stat" ]; then
        state=$(sed -e 's/^.*) //' -e 's/ .*//' "/proc/$pid/stat" 2>/dev/null) || state=
    else
        state=$(ps -o stat= -p "$pid" 2>/dev/null) || state=
    fi
    case "$state" in Z*) return 1 ;; esac
    return 0
}

_reel_proc_comm() {
    if [ -r "/proc/$1/comm" ]; then cat "/proc/$1/comm" 2>/dev/null
    else ps -o comm= -p "$1" 2>/dev/null; fi
}

_reel_proc_args() {
    if [ -r "/proc/$1/cmdline" ]; then tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
    else ps -ww -o args= -p "$1" 2>/dev/null; fi
}

# _reel_wait_dead PID SECONDS
_reel_wait_dead() {
    local pid=$1 i=0 n=$(( $2 * 10 ))
    while _reel_alive "$pid"; do
        [ "$i" -ge "$n" ] && return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 0
}

# Read KEY from a "key=value" file.
_reel_kv() {
    [ -f "$1" ] || return 0
    sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1
}

# Run a command as the PostgreSQL server user: `postgres` when we are root
# (the server refuses to run as root), ourselves otherwise. Runs from / so a
# caller cwd the postgres user cannot enter does not matter.
_reel_as_pg() {
    if _reel_is_root; then
        if command -v runuser >/dev/null 2>&1; then
            (cd / && runuser -u postgres -- "$@")
        else
            local q
            q=$(printf '%q ' "$@")
            (cd / && su postgres -s /bin/bash -c "$q")
        fi
    else
        (cd / && "$@")
    fi
}

# When root: make sure the postgres user can traverse every folder from / down
# to $1 (adds o+x to those it cannot, nothing else).
_reel_pg_traversable() {
    local d=$1 dirs=()
    _reel_is_root || return 0
    while :; do
        dirs=("$d" "${dirs[@]}")
        [ "$d" = / ] && break
        d=$(dirname "$d")
    done
    for d in "${dirs[@]}"; do
        if ! _reel_as_pg test -x "$d" 2>/dev/null; then
            _reel_log "chmod o+x $d (so the postgres user can reach the data dir)"
            chmod o+x "$d" || return 1
        fi
    done
    return 0
}

# Newest PostgreSQL server bin dir.
_reel_pg_bin() {
    if [ -n "${REEL_PG_BIN:-}" ]; then
        printf '%s\n' "$REEL_PG_BIN"
        return 0
    fi
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [ -z "$d" ] || [ ! -x "$d/pg_ctl" ]; then
        _reel_log "no PostgreSQL server found under /usr/lib/postgresql/*/bin (run reel_install_packages)"
        return 1
    fi
    printf '%s\n' "$d"
}

# Print a currently free TCP port on 127.0.0.1.
_reel_free_port() {
    local py p i
    for py in python3 /usr/bin/python3; do
        if command -v "$py" >/dev/null 2>&1; then
            p=$("$py" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' 2>/dev/null) && [ -n "$p" ] && { printf '%s\n' "$p"; return 0; }
        fi
    done
    # Fallback: random port in 20000-59999 that nobody answers on.
    for i in $(seq 1 200); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    _reel_log "could not find a free TCP port"
    return 1
}

# Quote a value for postgresql.conf ('...' with '' for ').
_reel_pgconf_quote() {
    local s=${1//\'/\'\'}
    printf "'%s'" "$s"
}

# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------

# reel_services_start DIR
reel_services_start() {
    local -
    set +e +o pipefail
    if [ -z "${1:-}" ]; then
        _reel_log "usage: reel_services_start DIR"
        return 2
    fi
    local dir pgbin pgdata sock pglog pgpid pgport rport rpid ok redis_bin
    local timeout=${REEL_SERVICES_TIMEOUT:-60} i out

    mkdir -p "$1" || return 1
    dir=$(cd "$1" && pwd -P) || return 1

    if [ -f "$dir/pids" ]; then
        local k v busy=
        while IFS='=' read -r k v; do
            _reel_alive "$v" && busy="$busy $k=$v"
        done <"$dir/pids"
        if [ -n "$busy" ]; then
            _reel_log "services already running in $dir:$busy (run reel_services_stop $dir first)"
            return 1
        fi
        rm -f "$dir/pids"
    fi

    pgbin=$(_reel_pg_bin) || return 1
    redis_bin=$(command -v redis-server 2>/dev/null || echo /usr/bin/redis-server)
    if [ ! -x "$redis_bin" ]; then
        _reel_log "redis-server not found (run reel_install_packages)"
        return 1
    fi
    if _reel_is_root && ! id postgres >/dev/null 2>&1; then
        _reel_log "running as root but there is no 'postgres' system user"
        return 1
    fi

    pgdata=$dir/pg
    pglog=$dir/postgres.log
    # Unix socket paths are limited to ~107 bytes; fall back to a short temp dir.
    sock=$dir/sock
    if [ "${#sock}" -gt 85 ]; then
        sock=$(mktemp -d "${TMPDIR:-/tmp}/reel-pgsock.XXXXXX") || return 1
        printf '%s\n' "$sock" >"$dir/sockdir"
    else
        mkdir -p "$sock" || return 1
        rm -f "$dir/sockdir"
    fi
    chmod 755 "$sock" 2>/dev/null || :
    touch "$pglog" || return 1
    mkdir -p "$pgdata" || return 1
    if _reel_is_root; then
        _reel_pg_traversable "$dir" || return 1
        chown postgres: "$sock" "$pglog" || return 1
        [ -f "$pgdata/PG_VERSION" ] || chown postgres: "$pgdata" || return 1
    fi
    chmod 700 "$pgdata" 2>/dev/null || :

    # --- PostgreSQL --------------------------------------------------------
    if [ ! -f "$pgdata/PG_VERSION" ]; then
        _reel_log "initdb $pgdata"
        if ! _reel_as_pg "$pgbin/initdb" -D "$pgdata" -U reel --auth=trust \
                --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
            _reel_log "initdb failed; log follows:"
            cat "$dir/initdb.log" >&2
            return 1
        fi
    fi
    if ! grep -q "^include_if_exists = 'reel-runtime.conf'" "$pgdata/postgresql.conf"; then
        printf "\n# Reel: per-run settings (written by scripts/services/lib/services.sh)\ninclude_if_exists = 'reel-runtime.conf'\n" \
            >>"$pgdata/postgresql.conf" || return 1
    fi

    ok=
    for _ in 1 2 3 4 5; do
        pgport=$(_reel_free_port) || return 1
        {
            echo "# generated by scripts/services/lib/services.sh on each start"
            echo "listen_addresses = '127.0.0.1'"
            echo "port = $pgport"
            echo "unix_socket_directories = $(_reel_pgconf_quote "$sock")"
            echo "max_connections = ${REEL_PG_MAX_CONNECTIONS:-500}"
            echo "shared_buffers = ${REEL_PG_SHARED_BUFFERS:-256MB}"
            echo "fsync = on"
            echo "synchronous_commit = on"
            echo "full_page_writes = on"
            echo "max_wal_size = 2GB"
            echo "checkpoint_completion_target = 0.9"
            echo "huge_pages = off"
            echo "log_destination = 'stderr'"
            echo "logging_collector = off"
        } >"$pgdata/reel-runtime.conf" || return 1
        if _reel_is_root; then chown postgres: "$pgdata/reel-runtime.conf" || :; fi
        i=$(wc -l <"$pglog" 2>/dev/null || echo 0)
        if _reel_as_pg "$pgbin/pg_ctl" start --wait -t "$timeout" -D "$pgdata" -l "$pglog" \
                </dev/null >>"$dir/pg_ctl.log" 2>&1; then
            ok=1
            break
        fi
        if tail -n +"$((i + 1))" "$pglog" | grep -i 'already in use' >/dev/null; then
            _reel_log "port $pgport taken, retrying PostgreSQL start"
            continue
        fi
        break
    done
    if [ -z "$ok" ]; then
        _reel_log "PostgreSQL failed to start; pg_ctl.log and postgres.log follow:"
        tail -n 20 "$dir/pg_ctl.log" >&2
        tail -n 40 "$pglog" >&2
        reel_services_stop "$dir"
        return 1
    fi
    pgpid=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null) || pgpid=
    printf 'postgres=%s\n' "$pgpid" >"$dir/pids"

    # --- Redis -------------------------------------------------------------
    ok=
    for _ in 1 2 3 4 5; do
        rport=$(_reel_free_port) || break
        rm -f "$dir/redis.pid"
        : >"$dir/redis.log"
        if ! "$redis_bin" --bind 127.0.0.1 --port "$rport" --daemonize yes \
                --pidfile "$dir/redis.pid" --save '' --appendonly no \
                --dir "$dir" --logfile "$dir/redis.log" </dev/null >"$dir/redis.out" 2>&1; then
            break   # failed before daemonizing (bad option etc.)
        fi
        rpid=
        for i in $(seq 1 $((timeout * 10))); do
            rpid=$(cat "$dir/redis.pid" 2>/dev/null) || rpid=
            if [ -n "$rpid" ] && _reel_alive "$rpid"; then
                out=$(redis-cli -h 127.0.0.1 -p "$rport" info server 2>/dev/null | tr -d '\r' \
                    | sed -n 's/^process_id://p') || out=
                if [ "$out" = "$rpid" ]; then ok=1; break; fi
            elif grep -qi 'already in use\|could not create server' "$dir/redis.log" 2>/dev/null; then
                break
            fi
            sleep 0.1
        done
        [ -n "$ok" ] && break
        if [ -n "$rpid" ] && _reel_alive "$rpid" && \
           [ "$(_reel_proc_comm "$rpid")" = redis-server ]; then
            kill "$rpid" 2>/dev/null || :
            _reel_wait_dead "$rpid" 5 || :
        fi
        if grep -qi 'already in use' "$dir/redis.log" 2>/dev/null; then
            _reel_log "port $rport taken, retrying Redis start"
            continue
        fi
        break
    done
    if [ -z "$ok" ]; then
        _reel_log "Redis failed to start; redis.log follows:"
        tail -n 40 "$dir/redis.log" "$dir/redis.out" >&2
        reel_services_stop "$dir"
        return 1
    fi
    printf 'redis=%s\n' "$rpid" >>"$dir/pids"

    # --- Readiness + database ---------------------------------------------
    ok=
    for i in $(seq 1 $((timeout * 10))); do
        if "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$pgport" -U reel -d postgres -t 1 &&
           [ "$(redis-cli -h 127.0.0.1 -p "$rport" ping 2>/dev/null | tr -d '\r')" = PONG ]; then
            ok=1
            break
        fi
        sleep 0.1
    done
    if [ -z "$ok" ]; then
        _reel_log "services did not become ready within ${timeout}s"
        reel_services_stop "$dir"
        return 1
    fi
    out=$(PGCONNECT_TIMEOUT=10 "$pgbin/psql" -X -q -A -t -h 127.0.0.1 -p "$pgport" -U reel -d postgres \
        -c "SELECT current_setting('data_directory') || '|' || (SELECT count(*) FROM pg_database WHERE datname = 'reel')" \
        2>&1) || { _reel_log "psql failed: $out"; reel_services_stop "$dir"; return 1; }
    if [ "${out%%|*}" != "$pgdata" ]; then
        _reel_log "port $pgport answers with data_directory ${out%%|*}, expected $pgdata"
        reel_services_stop "$dir"
        return 1
    fi
    if [ "${out##*|}" = 0 ]; then
        out=$("$pgbin/psql" -X -q -h 127.0.0.1 -p "$pgport" -U reel -d postgres \
            -c 'CREATE DATABASE reel' 2>&1) || {
            _reel_log "CREATE DATABASE reel failed: $out"; reel_services_stop "$dir"; return 1; }
    fi

    export REEL_SERVICES_DIR="$dir"
    export REEL_PG_PORT="$pgport"
    export REEL_REDIS_PORT="$rport"
    export REEL_DATABASE_URL="postgresql://reel@127.0.0.1:$pgport/reel"
    export REEL_REDIS_URL="redis://127.0.0.1:$rport"
    {
        printf 'export REEL_SERVICES_DIR=%q\n' "$REEL_SERVICES_DIR"
        printf 'export REEL_PG_PORT=%q\n' "$REEL_PG_PORT"
        printf 'export REEL_REDIS_PORT=%q\n' "$REEL_REDIS_PORT"
        printf 'export REEL_DATABASE_URL=%q\n' "$REEL_DATABASE_URL"
        printf 'export REEL_REDIS_URL=%q\n' "$REEL_REDIS_URL"
    } >"$dir/services.env"
    _reel_log "PostgreSQL pid $pgpid on 127.0.0.1:$pgport, Redis pid $rpid on 127.0.0.1:$rport ($dir)"
    return 0
}

# reel_services_stop DIR   (idempotent, always returns 0)
# reel_api_url LOG: waits (up to 10 s) for `reel api --port 0`, started with
# its output in LOG, to log the address it listens on, and prints it.
reel_api_url() {
    local url=
    for _ in $(seq 1 100); do
        url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$1" | head -n 1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$1" >&2; _reel_log "reel api did not start (log: $1)"; return 1; }
    printf '%s\n' "$url"
}

reel_services_stop() {
    local -
    set +e +o pipefail
    [ -n "${1:-}" ] || { _reel_log "usage: reel_services_stop DIR"; return 0; }
    [ -d "$1" ] || return 0
    local dir pgdata pgpid rpid rport pgbin args sockdir
    local timeout=${REEL_SERVICES_TIMEOUT:-60}
    dir=$(cd "$1" && pwd -P) || return 0
    pgdata=$dir/pg

    # --- PostgreSQL --------------------------------------------------------
    pgpid=$(_reel_kv "$dir/pids" postgres)
    [ -n "$pgpid" ] || pgpid=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null) || pgpid=
    if _reel_alive "$pgpid"; then
        # Only ever touch a postgres process whose command line names our data dir.
        args=$(_reel_proc_args "$pgpid") || args=
        if [ "$(_reel_proc_comm "$pgpid")" = postgres ] && [[ " $args " == *" $pgdata "* ]]; then
            pgbin=$(_reel_pg_bin 2>/dev/null) || pgbin=
            if [ -n "$pgbin" ]; then
                _reel_as_pg "$pgbin/pg_ctl" stop -D "$pgdata" -m fast --wait -t "$timeout" \
                    </dev/null >>"$dir/pg_ctl.log" 2>&1 || :
            fi
            if _reel_alive "$pgpid"; then
                _reel_log "pg_ctl stop failed; signalling postmaster $pgpid"
                kill -INT "$pgpid" 2>/dev/null || :
                _reel_wait_dead "$pgpid" 10 ||
                    { kill -QUIT "$pgpid" 2>/dev/null; _reel_wait_dead "$pgpid" 5; } ||
                    { kill -KILL "$pgpid" 2>/dev/null; _reel_wait_dead "$pgpid" 5; } || :
            fi
        else
            _reel_log "pid $pgpid is not our postmaster ($args); leaving it alone"
        fi
    fi

    # --- Redis -------------------------------------------------------------
    rpid=$(_reel_kv "$dir/pids" redis)
    [ -n "$rpid" ] || rpid=$(cat "$dir/redis.pid" 2>/dev/null) || rpid=
    if _reel_alive "$rpid"; then
        rport=$(sed -n 's/^export REEL_REDIS_PORT=//p' "$dir/services.env" 2>/dev/null) || rport=
        args=$(_reel_proc_args "$rpid") || args=
        if [ "$(_reel_proc_comm "$rpid")" = redis-server ] &&
           { [ -z "$rport" ] || [[ "$args" == *":$rport"* ]]; }; then
            kill -TERM "$rpid" 2>/dev/null || :
            _reel_wait_dead "$rpid" 10 ||
                { kill -KILL "$rpid" 2>/dev/null; _reel_wait_dead "$rpid" 5; } || :
        else
            _reel_log "pid $rpid is not our redis-server ($args); leaving it alone"
        fi
    fi

    sockdir=$(cat "$dir/sockdir" 2>/dev/null) || sockdir=
    case "$sockdir" in
        */reel-pgsock.*) rm -rf "$sockdir" ;;
    esac
    rm -f "$dir/pids" "$dir/sockdir" "$dir/redis.pid" "$dir/services.env"
    return 0
}
