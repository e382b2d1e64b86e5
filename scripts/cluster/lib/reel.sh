# shellcheck shell=bash
#
# scripts/cluster/lib/reel.sh - Reel's processes in the cluster, the load balancer
# in front of region-a's APIs and the Varnish edges.
#
# Every reel process is configured by environment only: $CL_DIR/env/HOST.env
# (KEY=VALUE lines, given to the process with `env -i`, so nothing leaks in from
# the caller's shell). The binary is a copy of .build/debug/reel taken at `up`
# ($CL_DIR/bin/reel), so a rebuild does not change a running cluster.
#
# Every reel process serves /metrics, /healthz and /readyz on its host's address:
# the APIs on their own port, workers on :$CL_WORKER_METRICS_PORT, the scheduler on
# :$CL_SCHED_METRICS_PORT, each edge's `reel edge-agent` on :$CL_AGENT_METRICS_PORT.
# (REEL_DATABASE_LISTEN_URL is only a worker's setting: the APIs do not get it.)
#
# Functions: cl_reel_binary, cl_reel_env_files, cl_reel, cl_api, cl_worker,
# cl_scheduler, cl_lb, cl_edge, cl_edge_agent.

CL_API_PORT=8080
CL_EDGE_PORT=6081
CL_LB_STATS_PORT=8404
CL_WORKER_METRICS_PORT=9101
CL_SCHED_METRICS_PORT=9102
CL_AGENT_METRICS_PORT=9103

# cl_reel_binary: waits (bounded) for .build/debug/reel, then copies it to $CL_DIR/bin
# (again, until the copy runs `reel version`: a build may be writing it just then).
cl_reel_binary() {
    local src=${REEL_CLUSTER_BINARY:-.build/debug/reel} wait=${REEL_CLUSTER_BINARY_WAIT:-900} i=0 out
    CL_REEL=$CL_DIR/bin/reel
    mkdir -p "$CL_DIR/bin"
    while :; do
        if [ -x "$src" ] && cp "$src" "$CL_REEL.tmp" 2>/dev/null && mv "$CL_REEL.tmp" "$CL_REEL" &&
            out=$("$CL_REEL" version 2>&1); then
            return 0
        fi
        if [ "$i" -ge "$wait" ]; then
            _cl_log "no working $src within ${wait}s (build it with swift build)${out:+: $out}"
            return 1
        fi
        [ "$i" = 0 ] && _cl_log "waiting up to ${wait}s for a working $src (this script never builds it)"
        sleep 5
        i=$((i + 5))
    done
}

# cl_pg_url KIND: the database URLs.
#   writer-a     region-a's writers: the primary, else (after a promotion) region-b's server through the relay
#   pooled-a     the same, through PgBouncer first (region-a's APIs)
#   writer-b     region-b's writers: the primary through the relay, else the local server
#   read-b       region-b's local standby, for reads
#   primary      the primary alone (migrations)
cl_pg_url() {
    local o='target_session_attrs=read-write&connect_timeout=5'
    case "$1" in
        writer-a) echo "postgresql://reel@$(cl_addr a-pg):$CL_PG_PORT,$(cl_addr relay a):$CL_PG_PORT/reel?$o" ;;
        pooled-a) echo "postgresql://reel@$(cl_addr a-pg):$CL_PGB_PORT,$(cl_addr relay a):$CL_PG_PORT/reel?$o" ;;
        writer-b) echo "postgresql://reel@$(cl_addr relay b):$CL_PG_PORT,$(cl_addr b-pg):$CL_PG_PORT/reel?$o" ;;
        read-b) echo "postgresql://reel@$(cl_addr b-pg):$CL_PG_PORT/reel?target_session_attrs=any&connect_timeout=5" ;;
        primary) echo "postgresql://reel@$(cl_addr a-pg):$CL_PG_PORT/reel?connect_timeout=5" ;;
    esac
}

# cl_s3_endpoint REGION FROM: REGION's S3 gateway as hosts of region FROM reach it.
cl_s3_endpoint() {
    local port
    port=$(cl_weed_port "$1" s3)
    if [ "$1" = "$2" ]; then echo "http://$(cl_addr "$1-s3g"):$port"; else echo "http://$(cl_addr relay "$2"):$port"; fi
}

# _cl_region_env REGION: what every reel process of REGION shares.
_cl_region_env() {
    local region=$1 r R
    echo "REEL_REGIONS=region-a=s3:REEL_S3_A_,region-b=s3:REEL_S3_B_"
    echo "REEL_HOME_REGION=region-a"
    for r in a b; do
        R=${r^^}
        echo "REEL_S3_${R}_ENDPOINT=$(cl_s3_endpoint "$r" "$region")"
        echo "REEL_S3_${R}_BUCKET=reel-$r"
        echo "REEL_S3_${R}_REGION=us-east-1"
        echo "REEL_S3_${R}_ACCESS_KEY=$(_reel_kv "$CL_DIR/$r-s3g/s3.keys" key)"
        echo "REEL_S3_${R}_SECRET_KEY=$(_reel_kv "$CL_DIR/$r-s3g/s3.keys" secret)"
    done
    echo "REEL_REDIS_URL=redis://$(cl_addr "$region-redis"):$CL_REDIS_PORT"
    echo "REEL_EDGE_TOKEN=$CL_EDGE_TOKEN"
    echo "REEL_MIGRATIONS_DIR=migrations"
    echo "REEL_LOG_LEVEL=${REEL_LOG_LEVEL:-info}"
    echo "REEL_OPEN_UPLOADS=0"
    echo "REEL_DATABASE_URL=$(cl_pg_url "writer-$region")"
}

# _cl_host_env HOST: HOST's own settings (after the region's: later lines win).
_cl_host_env() {
    local host=$1 region
    region=$(cl_host_field "$host" 2)
    _cl_region_env "$region"
    echo "REEL_DATA_DIR=$CL_DIR/$host/data"
    case "$host" in
        a-api*)
            echo "REEL_DATABASE_URL=$(cl_pg_url pooled-a)"
            echo "REEL_DATABASE_POOLER=transaction"
            echo "REEL_PUBLIC_URL=http://$(cl_addr a-lb):$CL_API_PORT"
            ;;
        b-api*)
            echo "REEL_DATABASE_READ_URL=$(cl_pg_url read-b)"
            echo "REEL_PUBLIC_URL=http://$(cl_addr "$host"):$CL_API_PORT"
            ;;
    esac
    case "$host" in
        *-api*)
            echo "REEL_REGION=region-$region"
            echo "REEL_EDGE_REGION=region-$region"
            echo "REEL_ADMIN_TOKEN=$CL_ADMIN_TOKEN"
            ;;
    esac
}

# cl_reel_env_files: $CL_DIR/env/HOST.env for every host that runs reel.
cl_reel_env_files() {
    local h
    mkdir -p "$CL_DIR/env"
    for h in $(cl_hosts); do
        case "$h" in *-api* | *-worker | *-sched) ;; *) continue ;; esac
        # One line a variable: a host's own setting replaces its region's, in place.
        (umask 077 && _cl_host_env "$h" | awk -F= '!($1 in line) { order[++n] = $1 } { line[$1] = $0 }
            END { for (i = 1; i <= n; i++) print line[order[i]] }' >"$CL_DIR/env/$h.env") || return 1
    done
}

# _cl_reel_env_args HOST: the environment of HOST's reel processes, a variable a line.
_cl_reel_env_args() {
    local host=$1 env=$CL_DIR/env/$1.env
    [ -f "$env" ] || env=$CL_DIR/env/$(cl_host_field "$host" 2)-worker.env
    printf '%s\n' "PATH=$PATH" "HOME=${HOME:-$CL_DIR}" "LANG=C.UTF-8"
    grep -v '^#' "$env"
}

# cl_reel HOST ARGS...: runs `reel ARGS` in HOST's namespace with HOST's environment
# (hosts without one use their region's worker's).
cl_reel() {
    local host=$1 vars=()
    shift
    mapfile -t vars < <(_cl_reel_env_args "$host")
    cl_in "$host" env -i "${vars[@]}" "$CL_REEL" "$@"
}

# _cl_reel_spawn HOST PROC ARGS...: starts `reel ARGS` as HOST's PROC.
_cl_reel_spawn() {
    local host=$1 proc=$2 vars=()
    shift 2
    mkdir -p "$CL_DIR/$host/data"
    mapfile -t vars < <(_cl_reel_env_args "$host")
    cl_spawn "$host" "$proc" "$(cl_log_of "$host" "$proc")" env -i "${vars[@]}" "$CL_REEL" "$@"
}

cl_api() {
    _cl_reel_spawn "$1" api api --host "$(cl_addr "$1")" --port "$CL_API_PORT"
}

cl_api_ready() {
    cl_wait "$1" api "GET /readyz = 200 (the API reaches PostgreSQL)" \
        curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$1"):$CL_API_PORT/readyz"
}

# cl_worker HOST QUEUES
cl_worker() {
    _cl_reel_spawn "$1" worker worker --queues "$2" \
        --metrics-host "$(cl_addr "$1")" --metrics-port "$CL_WORKER_METRICS_PORT"
}

cl_scheduler() {
    _cl_reel_spawn "$1" scheduler scheduler \
        --metrics-host "$(cl_addr "$1")" --metrics-port "$CL_SCHED_METRICS_PORT"
}

# cl_metrics_ready HOST PROC PORT: HOST's PROC answers GET /healthz on its metrics port.
cl_metrics_ready() {
    cl_wait "$1" "$2" "$2's GET /healthz on :$3" \
        curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$1"):$3/healthz"
}

# cl_alive_for HOST PROC SECONDS: the process is still running SECONDS after its start.
cl_alive_for() {
    local pid
    pid=$(cl_pid "$1" "$2")
    sleep "$3"
    _reel_alive "$pid" || { cl_fail "$1" "$2 (pid $pid) exited" "$(cl_log_of "$1" "$2")"; return 1; }
}

# cl_lb: HAProxy on a-lb, round robin over region-a's APIs (no stickiness), health
# checked on /healthz; statistics (CSV: /stats;csv) on :$CL_LB_STATS_PORT.
cl_lb() {
    local host=a-lb dir=$CL_DIR/a-lb addr h servers=''
    addr=$(cl_addr "$host")
    mkdir -p "$dir"
    for h in $(cl_hosts a); do
        case "$h" in a-api*) servers+="    server $h $(cl_addr "$h"):$CL_API_PORT check"$'\n' ;; esac
    done
    cat >"$dir/haproxy.cfg" <<EOF
# written by scripts/cluster.sh
global
    log stdout format raw local0 info
    maxconn 4000

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 3s
    timeout client 300s
    timeout server 300s
    timeout http-request 30s
    retries 2
    option redispatch

frontend api
    bind $addr:$CL_API_PORT
    default_backend apis

backend apis
    # Round robin per request, no stickiness of any kind (no cookie, no stick table).
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 1s fall 2 rise 2
$servers
listen stats
    bind $addr:$CL_LB_STATS_PORT
    stats enable
    stats uri /stats
    stats refresh 5s
EOF
    haproxy -c -q -f "$dir/haproxy.cfg" >"$dir/haproxy-check.log" 2>&1 ||
        { cl_fail "$host" "haproxy.cfg does not check" "$dir/haproxy-check.log"; return 1; }
    cl_spawn "$host" haproxy "$(cl_log_of "$host" haproxy)" haproxy -db -f "$dir/haproxy.cfg"
    cl_wait "$host" haproxy "every API UP behind HAProxy" \
        bash -c "s=\$(curl -fsS --max-time 2 'http://$addr:$CL_LB_STATS_PORT/stats;csv') &&
            [ \"\$(printf '%s\n' \"\$s\" | awk -F, '\$1 == \"apis\" && \$2 ~ /^a-api/ && \$18 != \"UP\"' | wc -l)\" = 0 ] &&
            printf '%s\n' \"\$s\" | grep -q '^apis,a-api' &&
            curl -fsS -o /dev/null --max-time 2 http://$addr:$CL_API_PORT/healthz"
}

# cl_edge REGION: varnishd on REGION-edge with the VCL `reel edge-config` writes (as
# scripts/services/lib/edges.sh does), in front of the region's API (a-lb, or b-api1),
# PURGE/BAN allowed from the region's network (the relay's leg included), registered
# with `reel edges add` as edge-REGION.reel:$CL_EDGE_PORT.
cl_edge() {
    local region=$1 host=$1-edge dir addr origin memory=${REEL_CLUSTER_EDGE_MEMORY:-64m}
    dir=$CL_DIR/$host
    addr=$(cl_addr "$host")
    if [ "$region" = a ]; then origin=http://$(cl_addr a-lb):$CL_API_PORT; else origin=http://$(cl_addr b-api1):$CL_API_PORT; fi
    mkdir -p "$dir"
    "$CL_REEL" edge-config --edge "edge-$region" --origin "$origin" --token "$CL_EDGE_TOKEN" \
        --memory "$memory" --purgers "127.0.0.1,$(cl_subnet "$region")" >"$dir/edge.vcl" 2>"$dir/edge-config.log" ||
        { cl_fail "$host" "reel edge-config failed" "$dir/edge-config.log"; return 1; }
    cl_spawn "$host" varnishd "$(cl_log_of "$host" varnishd)" varnishd -F -a "$addr:$CL_EDGE_PORT" \
        -f "$dir/edge.vcl" -n "$dir/varnish" -s "malloc,$memory" -T none
}

cl_edge_ready() {
    local region=$1 host=$1-edge out
    cl_wait "$host" varnishd "GET /__reel/edge = 200" \
        curl -fsS -o /dev/null --max-time 2 "http://$(cl_addr "$host"):$CL_EDGE_PORT/__reel/edge" || return 1
    out=$(cl_reel a-worker edges add "edge-$region" --region "region-$region" \
        --url "http://edge-$region.reel:$CL_EDGE_PORT" --capacity "$(_cl_bytes "${REEL_CLUSTER_EDGE_MEMORY:-64m}")" \
        --workdir "$CL_DIR/$host/varnish" 2>&1) ||
        { cl_fail "$host" "reel edges add edge-$region failed: $out"; return 1; }
}

# cl_edge_agent REGION: `reel edge-agent` on REGION-edge (it reads the edge's shared
# memory log with varnishncsa, so it runs on the edge's host), writing plays through
# the region's writers' multi-host URL (its worker's environment), its counters on
# :$CL_AGENT_METRICS_PORT.
cl_edge_agent() {
    local region=$1 host=$1-edge
    _cl_reel_spawn "$host" edge-agent edge-agent --edge "edge-$region" --workdir "$CL_DIR/$host/varnish" \
        --metrics-host "$(cl_addr "$host")" --metrics-port "$CL_AGENT_METRICS_PORT"
}

# _cl_bytes 64m: bytes.
_cl_bytes() {
    local n=${1%[kKmMgG]}
    case "$1" in *[kK]) echo $((n << 10)) ;; *[mM]) echo $((n << 20)) ;; *[gG]) echo $((n << 30)) ;; *) echo "$n" ;; esac
}
