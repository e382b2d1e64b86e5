# shellcheck shell=bash
#
# scripts/cluster/lib/faults.sh - kill one of the cluster's processes as a crash would
# (SIGKILL, by recorded PID) and start it again, as scripts/cluster-chaos.sh does.
#
#   cl_kill HOST [PROC]      SIGKILL HOST's PROC (default: the host's main process); an
#                            edge's varnishd goes with its cache process
#   cl_restart HOST [PROC]   start HOST's PROC again if it is not running, wait until it
#                            answers, record its new PID
#
# What can be restarted: volume (REGION-s3vN), api (*-api*), varnishd and edge-agent
# (*-edge), worker (*-worker), scheduler (*-sched).

# _cl_main_proc HOST: the process `kill`/`restart` mean when none is named.
_cl_main_proc() {
    case "$1" in
        *-s3v*) echo volume ;;
        *-s3m) echo master ;;
        *-s3g) echo filer ;;
        *-api*) echo api ;;
        *-edge) echo varnishd ;;
        *-worker) echo worker ;;
        *-sched) echo scheduler ;;
        *-redis) echo redis ;;
        *-pg) echo postgres ;;
        a-lb) echo haproxy ;;
        a-mon) echo prometheus ;;
        relay) echo relay ;;
        *) return 1 ;;
    esac
}

cl_kill() {
    local host=${1:-} proc=${2:-} pid p comm killed=()
    [ -n "$host" ] && cl_host_field "$host" 1 >/dev/null || { _cl_log "usage: scripts/cluster.sh kill HOST [PROC]"; return 2; }
    [ -n "$proc" ] || proc=$(_cl_main_proc "$host")
    pid=$(cl_pid "$host" "$proc")
    if [ -z "$pid" ] || ! _reel_alive "$pid" || ! _cl_in_our_ns "$pid" "$host"; then
        _cl_log "$host has no running $proc"
        return 1
    fi
    kill -KILL "$pid" && killed+=("$pid")
    if [ "$proc" = varnishd ]; then
        # The cache process (its child) dies with a crashed manager's host, as on a machine that died.
        for p in $(ip netns pids "$(cl_ns "$host")" 2>/dev/null); do
            comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
            case "$comm" in varnishd | cache-main) kill -KILL "$p" 2>/dev/null && killed+=("$p") ;; esac
        done
    fi
    for p in "${killed[@]}"; do _reel_wait_dead "$p" 10 || :; done
    _cl_log "killed $host's $proc (SIGKILL: ${killed[*]})"
}

cl_restart() {
    local host=${1:-} proc=${2:-} pid region t0
    [ -n "$host" ] && cl_host_field "$host" 1 >/dev/null || { _cl_log "usage: scripts/cluster.sh restart HOST [PROC]"; return 2; }
    [ -n "$proc" ] || proc=$(_cl_main_proc "$host")
    pid=$(cl_pid "$host" "$proc")
    if [ -n "$pid" ] && _reel_alive "$pid"; then
        _cl_log "$host's $proc is running (pid $pid)"
        return 0
    fi
    t0=$(date +%s%3N)
    region=$(cl_host_field "$host" 2)
    CL_REEL=$CL_DIR/bin/reel
    # cluster.env holds the tokens the processes' settings need (the VCL's edge token).
    # shellcheck disable=SC1091
    . "$CL_DIR/cluster.env"
    CL_EDGE_TOKEN=$REEL_CLUSTER_EDGE_TOKEN
    case "$host:$proc" in
        *-s3v*:volume)
            _reel_sw_rm_sockets "$CL_DIR/$host" 2
            cl_weed_volume "$host" || return 1
            cl_wait "$host" volume "the volume server answering /status" \
                curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$host"):$(cl_weed_port "$region" "volume${host##*-s3v}")/status" || return 1
            ;;
        *-api*:api) cl_api "$host" && cl_api_ready "$host" || return 1 ;;
        *-edge:varnishd)
            cl_edge "$region" || return 1
            cl_wait "$host" varnishd "GET /__reel/edge = 200" \
                curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$host"):$CL_EDGE_PORT/__reel/edge" || return 1
            ;;
        *-edge:edge-agent) cl_edge_agent "$region" && cl_metrics_ready "$host" edge-agent "$CL_AGENT_METRICS_PORT" || return 1 ;;
        a-worker:worker) cl_worker "$host" "${REEL_CLUSTER_A_QUEUES:-media=1,reencode=1,replication=2,edges=4,webhooks=2,maintenance=1}" &&
            cl_metrics_ready "$host" worker "$CL_WORKER_METRICS_PORT" || return 1 ;;
        b-worker:worker) cl_worker "$host" "${REEL_CLUSTER_B_QUEUES:-replication=2,edges=4}" &&
            cl_metrics_ready "$host" worker "$CL_WORKER_METRICS_PORT" || return 1 ;;
        *-sched:scheduler) cl_scheduler "$host" && cl_metrics_ready "$host" scheduler "$CL_SCHED_METRICS_PORT" || return 1 ;;
        *) _cl_log "restarting $host's $proc is not supported"; return 2 ;;
    esac
    _cl_log "restarted $host's $proc (pid $(cl_pid "$host" "$proc"), answering after $(( $(date +%s%3N) - t0 )) ms)"
}
