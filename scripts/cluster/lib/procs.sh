# shellcheck shell=bash
#
# scripts/cluster/lib/procs.sh - the cluster's processes: started in a host's
# namespace, recorded by PID in $CL_DIR/pids ("HOST PROC PID SIGNAL" a line),
# waited for with a deadline, stopped by recorded PID only.
#
# Uses _reel_alive and _reel_wait_dead from scripts/services/lib/services.sh.
# Functions: cl_spawn, cl_record, cl_wait, cl_fail, cl_pid, cl_stop_hosts, cl_log_of.

CL_TIMEOUT=${REEL_CLUSTER_TIMEOUT:-60}

# cl_log_of HOST [PROC]: the log file of HOST (PROC's own when it has one).
cl_log_of() {
    if [ -n "${2:-}" ]; then echo "$CL_DIR/$1/$2.log"; else echo "$CL_DIR/$1/$1.log"; fi
}

# cl_record HOST PROC PID [SIGNAL]: remember a process we started (SIGNAL stops it; TERM by default).
cl_record() {
    printf '%s %s %s %s\n' "$1" "$2" "$3" "${4:-TERM}" >>"$CL_DIR/pids"
}

# cl_pid HOST PROC: the recorded PID of HOST's PROC (empty if none).
cl_pid() {
    [ -f "$CL_DIR/pids" ] || return 0
    awk -v h="$1" -v p="$2" '$1 == h && $2 == p { pid = $3 } END { if (pid) print pid }' "$CL_DIR/pids"
}

# cl_spawn HOST PROC LOG CMD...: runs CMD in HOST's namespace in the background
# (cwd: the repository, stdin: /dev/null, output: LOG) and records its PID.
# `ip netns exec` execs CMD, so the PID is CMD's own.
cl_spawn() {
    local host=$1 proc=$2 log=$3 pid
    shift 3
    mkdir -p "$(dirname "$log")"
    # The command line, without its environment assignments (they hold keys and tokens).
    local shown=() a
    for a in "$@"; do [[ "$a" =~ ^[A-Z_][A-Z0-9_]*= ]] || shown+=("$a"); done
    printf '[cluster] %s: %s\n' "$(date '+%F %T')" "${shown[*]}" >>"$log"
    ip netns exec "$(cl_ns "$host")" "$@" </dev/null >>"$log" 2>&1 &
    pid=$!
    disown "$pid" 2>/dev/null || :
    cl_record "$host" "$proc" "$pid"
}

# cl_fail HOST WHY [LOG]: says which host failed and why, with the tail of its log;
# returns 1 (the caller's `|| return 1` ends `up`, whose trap tears everything down).
cl_fail() {
    local host=$1 why=$2 log=${3:-}
    [ -n "$log" ] || log=$(cl_log_of "$host")
    CL_FAILED="$host: $why"
    _cl_log "FAILED: host $host ($(cl_ns "$host")): $why"
    if [ -s "$log" ]; then
        _cl_log "last lines of $log:"
        tail -n "${REEL_CLUSTER_LOG_LINES:-25}" "$log" | sed 's/^/    /' >&2
    fi
    return 1
}

# cl_wait HOST PROC WHAT CMD...: runs CMD in HOST's namespace every 0.2 s until it
# succeeds. Fails (cl_fail) when PROC's recorded process dies (PROC may be -) or
# after $CL_TIMEOUT seconds.
cl_wait() {
    local host=$1 proc=$2 what=$3 pid deadline
    shift 3
    deadline=$(( $(date +%s) + CL_TIMEOUT ))
    [ "$proc" = - ] || pid=$(cl_pid "$host" "$proc")
    while :; do
        if ip netns exec "$(cl_ns "$host")" "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [ -n "${pid:-}" ] && ! _reel_alive "$pid"; then
            cl_fail "$host" "$proc (pid $pid) exited while waiting for $what" "$(cl_log_of "$host" "$proc")"
            return 1
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            cl_fail "$host" "no $what within ${CL_TIMEOUT}s" "$(cl_log_of "$host" "$proc")"
            return 1
        fi
        sleep 0.2
    done
}

# _cl_in_our_ns PID HOST: PID lives in HOST's namespace (so a reused PID is never signalled).
_cl_in_our_ns() {
    local mine theirs
    mine=$(stat -L -c %i "/run/netns/$(cl_ns "$2")" 2>/dev/null) || return 1
    theirs=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
    [ "$mine" = "$theirs" ]
}

# cl_stop_hosts WAIT HOST...: signals every recorded process of these hosts at
# once (their recorded signal), waits up to WAIT seconds, then KILLs what is left.
cl_stop_hosts() {
    local wait=$1 h host proc pid sig left=() deadline
    shift
    [ -f "$CL_DIR/pids" ] || return 0
    local -A wanted=()
    for h in "$@"; do wanted[$h]=1; done
    while read -r host proc pid sig; do
        [ -n "${wanted[$host]:-}" ] || continue
        _reel_alive "$pid" || continue
        if ! _cl_in_our_ns "$pid" "$host"; then
            _cl_log "pid $pid ($host $proc) is not in $(cl_ns "$host"); leaving it alone"
            continue
        fi
        kill "-$sig" "$pid" 2>/dev/null || :
        left+=("$pid:$host:$proc")
    done < <(tac "$CL_DIR/pids")
    deadline=$(( $(date +%s) + wait ))
    local entry remaining
    while [ "${#left[@]}" -gt 0 ]; do
        remaining=()
        for entry in "${left[@]}"; do
            _reel_alive "${entry%%:*}" && remaining+=("$entry")
        done
        left=("${remaining[@]}")
        [ "${#left[@]}" -eq 0 ] && break
        if [ "$(date +%s)" -ge "$deadline" ]; then
            for entry in "${left[@]}"; do
                pid=${entry%%:*}
                _cl_log "${entry#*:} (pid $pid) still running ${wait}s after its signal; sending KILL"
                kill -KILL "$pid" 2>/dev/null || :
                _reel_wait_dead "$pid" 5 || :
            done
            break
        fi
        sleep 0.1
    done
    return 0
}

# cl_stop_leftovers: whatever still runs in one of our namespaces (children of
# what was stopped: varnish's worker, postgres backends) gets TERM, then KILL.
cl_stop_leftovers() {
    local ns pids=() p i alive
    for ns in $(_cl_all_ns); do
        [ -e "/run/netns/$ns" ] || continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$p"); done
    done
    [ "${#pids[@]}" -eq 0 ] && return 0
    _cl_log "stopping ${#pids[@]} leftover processes in the cluster's namespaces: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || :
    for i in $(seq 1 50); do
        alive=
        for p in "${pids[@]}"; do _reel_alive "$p" && alive=1; done
        [ -z "$alive" ] && return 0
        sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || :
    return 0
}
