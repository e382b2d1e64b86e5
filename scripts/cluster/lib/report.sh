# shellcheck shell=bash
#
# scripts/cluster/lib/report.sh - what scripts/cluster.sh tells: cluster.env, the
# table of hosts `up` prints, `status`, and the `smoke` check.
#
# Functions: cl_write_env, cl_table, cl_status, cl_smoke.

# _cl_pids_of HOST: "proc=pid ..." of HOST's recorded processes (the newest PID of each).
_cl_pids_of() {
    [ -f "$CL_DIR/pids" ] || return 0
    # The newest record of each process (a restarted one has several).
    awk -v h="$1" '$1 == h { if (!($2 in pid)) order[++n] = $2; pid[$2] = $3 }
        END { for (i = 1; i <= n; i++) printf "%s%s=%s", (i > 1 ? " " : ""), order[i], pid[order[i]]; print "" }' "$CL_DIR/pids"
}

_cl_host_addrs() {
    if [ "$1" = relay ]; then echo "$(cl_addr relay a),$(cl_addr relay b)"; else cl_addr "$1"; fi
}

# cl_table: namespace, address, role, pids of every host.
cl_table() {
    local h
    printf '%-14s %-24s %-37s %s\n' NAMESPACE ADDRESS ROLE PID
    for h in $(cl_hosts); do
        printf '%-14s %-24s %-37s %s\n' "$(cl_ns "$h")" "$(_cl_host_addrs "$h")" "$(cl_host_field "$h" 4)" "$(_cl_pids_of "$h")"
    done
}

# _cl_export NAME VALUE: an export line, the value single-quoted (readable by sh and by dotenv parsers).
_cl_export() {
    case "$2" in *"'"*) _cl_log "$1: a value with a single quote cannot be written"; return 1 ;; esac
    printf "export %s='%s'\n" "$1" "$2"
}

# cl_write_env: $CL_DIR/cluster.env, export lines describing every address and URL.
cl_write_env() {
    local r R h H
    (
        umask 077
        {
            echo "# written by scripts/cluster.sh up on $(date '+%F %T'); source it. Run commands in a"
            echo "# host with: ip netns exec \${REEL_CLUSTER_NS_PREFIX}HOST CMD (e.g. reel-a-lb); hosts of a"
            echo "# region reach the other region only through its relay address (REEL_CLUSTER_RELAY_*_ADDR)."
            _cl_export REEL_CLUSTER_DIR "$CL_DIR"
            _cl_export REEL_CLUSTER_NET "$CL_NET"
            _cl_export REEL_CLUSTER_NS_PREFIX "$CL_NS_PREFIX"
            _cl_export REEL_CLUSTER_HOSTS "$(cl_hosts | tr '\n' ' ' | sed 's/ $//')"
            _cl_export REEL_CLUSTER_DELAY_MS "$CL_DELAY_MS"
            _cl_export REEL_CLUSTER_BIN "$CL_REEL"
            _cl_export REEL_CLUSTER_ENV_DIR "$CL_DIR/env"
            for h in $(cl_hosts); do
                H=${h^^}
                H=${H//-/_}
                [ "$h" = relay ] && continue
                _cl_export "REEL_CLUSTER_${H}_ADDR" "$(cl_addr "$h")"
            done
            _cl_export REEL_CLUSTER_RELAY_A_ADDR "$(cl_addr relay a)"
            _cl_export REEL_CLUSTER_RELAY_B_ADDR "$(cl_addr relay b)"
            _cl_export REEL_CLUSTER_LB_URL "http://$(cl_addr a-lb):$CL_API_PORT"
            _cl_export REEL_CLUSTER_LB_STATS_URL "http://$(cl_addr a-lb):$CL_LB_STATS_PORT/stats"
            for h in $(cl_hosts); do
                case "$h" in *-api*) ;; *) continue ;; esac
                H=${h^^}
                _cl_export "REEL_CLUSTER_${H//-/_}_URL" "http://$(cl_addr "$h"):$CL_API_PORT"
            done
            _cl_export REEL_CLUSTER_B_API_FROM_A_URL "http://$(cl_addr relay a):$CL_API_PORT"
            _cl_export REEL_CLUSTER_A_LB_FROM_B_URL "http://$(cl_addr relay b):$CL_API_PORT"
            for r in a b; do
                R=${r^^}
                _cl_export "REEL_CLUSTER_${R}_EDGE_URL" "http://$(cl_addr "$r-edge"):$CL_EDGE_PORT"
                _cl_export "REEL_CLUSTER_${R}_EDGE_NAME" "edge-$r"
                _cl_export "REEL_CLUSTER_${R}_EDGE_CATALOG_URL" "http://edge-$r.reel:$CL_EDGE_PORT"
                _cl_export "REEL_CLUSTER_${R}_EDGE_WORKDIR" "$CL_DIR/$r-edge/varnish"
                _cl_export "REEL_CLUSTER_${R}_REDIS_URL" "redis://$(cl_addr "$r-redis"):$CL_REDIS_PORT"
                _cl_export "REEL_CLUSTER_${R}_S3_ENDPOINT" "$(cl_s3_endpoint "$r" "$r")"
                _cl_export "REEL_CLUSTER_${R}_S3_ENDPOINT_FROM_OTHER_REGION" \
                    "$(cl_s3_endpoint "$r" "$([ "$r" = a ] && echo b || echo a)")"
                _cl_export "REEL_CLUSTER_${R}_S3_BUCKET" "reel-$r"
                _cl_export "REEL_CLUSTER_${R}_S3_REGION" us-east-1
                _cl_export "REEL_CLUSTER_${R}_S3_ACCESS_KEY" "$(_reel_kv "$CL_DIR/$r-s3g/s3.keys" key)"
                _cl_export "REEL_CLUSTER_${R}_S3_SECRET_KEY" "$(_reel_kv "$CL_DIR/$r-s3g/s3.keys" secret)"
                _cl_export "REEL_CLUSTER_${R}_WEED_MASTER_URL" "http://$(cl_addr "$r-s3m"):$(cl_weed_port "$r" master)"
            done
            _cl_export REEL_CLUSTER_PG_PRIMARY_URL "$(cl_pg_url primary)"
            _cl_export REEL_CLUSTER_PG_STANDBY_URL "$(cl_pg_url read-b)"
            _cl_export REEL_CLUSTER_PGBOUNCER_URL "postgresql://reel@$(cl_addr a-pg):$CL_PGB_PORT/reel"
            _cl_export REEL_CLUSTER_A_DATABASE_URL "$(cl_pg_url writer-a)"
            _cl_export REEL_CLUSTER_A_API_DATABASE_URL "$(cl_pg_url pooled-a)"
            _cl_export REEL_CLUSTER_B_DATABASE_URL "$(cl_pg_url writer-b)"
            _cl_export REEL_CLUSTER_B_READ_DATABASE_URL "$(cl_pg_url read-b)"
            _cl_export REEL_CLUSTER_PROMETHEUS_URL "$(cl_prom_url)"
            for h in $(cl_hosts); do
                H=${h^^}
                H=${H//-/_}
                case "$h" in
                    *-worker) _cl_export "REEL_CLUSTER_${H}_METRICS_URL" "http://$(cl_addr "$h"):$CL_WORKER_METRICS_PORT/metrics" ;;
                    *-sched) _cl_export "REEL_CLUSTER_${H}_METRICS_URL" "http://$(cl_addr "$h"):$CL_SCHED_METRICS_PORT/metrics" ;;
                    *-edge) _cl_export "REEL_CLUSTER_${H}_AGENT_METRICS_URL" "http://$(cl_addr "$h"):$CL_AGENT_METRICS_PORT/metrics" ;;
                esac
            done
            _cl_export REEL_CLUSTER_ADMIN_TOKEN "$CL_ADMIN_TOKEN"
            _cl_export REEL_CLUSTER_UPLOAD_TOKEN "$CL_UPLOAD_TOKEN"
            _cl_export REEL_CLUSTER_EDGE_TOKEN "$CL_EDGE_TOKEN"
        } >"$CL_DIR/cluster.env"
    )
}

# _cl_ports HOST: ADDR:PORT pairs HOST should answer on.
_cl_ports() {
    local h=$1 a r
    [ "$h" = relay ] && { echo "$(cl_addr relay a):$CL_PG_PORT $(cl_addr relay b):$CL_PG_PORT"; return; }
    a=$(cl_addr "$h")
    r=$(cl_host_field "$h" 2)
    case "$h" in
        a-pg) echo "$a:$CL_PG_PORT $a:$CL_PGB_PORT" ;;
        *-pg) echo "$a:$CL_PG_PORT" ;;
        *-redis) echo "$a:$CL_REDIS_PORT" ;;
        *-s3m) echo "$a:$(cl_weed_port "$r" master)" ;;
        *-s3v*) echo "$a:$(cl_weed_port "$r" "volume${h##*-s3v}")" ;;
        *-s3g) echo "$a:$(cl_weed_port "$r" filer) $a:$(cl_weed_port "$r" s3)" ;;
        *-api*) echo "$a:$CL_API_PORT" ;;
        a-lb) echo "$a:$CL_API_PORT $a:$CL_LB_STATS_PORT" ;;
        *-edge) echo "$a:$CL_EDGE_PORT $a:$CL_AGENT_METRICS_PORT" ;;
        *-worker) echo "$a:$CL_WORKER_METRICS_PORT" ;;
        *-sched) echo "$a:$CL_SCHED_METRICS_PORT" ;;
        a-mon) echo "$a:$CL_PROM_PORT" ;;
    esac
}

# _cl_tcp HOST ADDR PORT: a TCP connection from HOST's namespace works (2 s); prints the error otherwise.
_cl_tcp() {
    cl_in "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>&1 | sed -e 's/^.*: //' | tail -n 1
    return "${PIPESTATUS[0]}"
}

cl_status() {
    local h procs state ports p e pid up down r
    if ! cl_net_exists; then
        echo "cluster: down (no namespaces)"
        [ -s "$CL_DIR/pids" ] && echo "but $CL_DIR/pids lists processes: run scripts/cluster.sh down"
        return 0
    fi
    printf '%-14s %-24s %-30s %-36s %s\n' NAMESPACE ADDRESS ROLE PROCESSES PORTS
    for h in $(cl_hosts); do
        procs=
        for e in $(_cl_pids_of "$h"); do
            pid=${e#*=}
            if _reel_alive "$pid"; then state=up; else state=DEAD; fi
            procs+="${e%%=*}:$pid:$state "
        done
        [ -e "/run/netns/$(cl_ns "$h")" ] || procs="(no namespace) "
        ports=
        for p in $(_cl_ports "$h"); do
            if _cl_tcp "$h" "${p%:*}" "${p##*:}" >/dev/null; then ports+="${p##*:}:open "; else ports+="${p##*:}:CLOSED "; fi
        done
        printf '%-14s %-24s %-30s %-36s %s\n' "$(cl_ns "$h")" "$(_cl_host_addrs "$h")" \
            "$(cl_host_field "$h" 4 | cut -c1-30)" "${procs:-(none)}" "${ports:--}"
    done

    echo
    echo "replication (pg_stat_replication on a-pg):"
    cl_in a-pg psql -X -q -h "$(cl_addr a-pg)" -p "$CL_PG_PORT" -U reel -d postgres -c \
        "SELECT application_name, client_addr, state, sync_state, sent_lsn, replay_lsn, replay_lag FROM pg_stat_replication" \
        2>&1 | sed 's/^/  /' || :
    echo "standby (b-pg):"
    cl_in b-pg psql -X -q -h "$(cl_addr b-pg)" -p "$CL_PG_PORT" -U reel -d postgres -c \
        "SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn() AS replayed, now() - pg_last_xact_replay_timestamp() AS since_last_replayed_commit" \
        2>&1 | sed 's/^/  /' || :

    echo "load balancer (a-lb, HAProxy):"
    cl_in a-lb curl -fsS --max-time 2 "http://$(cl_addr a-lb):$CL_LB_STATS_PORT/stats;csv" 2>&1 |
        awk -F, '$1 == "apis" { printf "  %s %s (checks: %s)\n", $2, $18, $37 }' || :

    echo "relay:"
    if [ -s "$CL_DIR/relay/relay.state" ]; then
        python3 - "$CL_DIR/relay/relay.state" <<'EOF' || :
import json, sys, time
s = json.load(open(sys.argv[1]))
state = "PARTITIONED (%s)" % s["mode"] if s["partitioned"] else "forwarding"
print("  %s since %s, delay %d ms each way, %d connections open" % (
    state, time.strftime("%H:%M:%S", time.localtime(s["since"])), s["delay_ms"], s["connections"]))
for name, r in sorted(s["routes"].items()):
    print("  %-18s %-20s -> %-20s active %-3d accepted %-5d refused %-4d bytes %d%s" % (
        name, r["listen"], r["target"], r["active"], r["accepted"], r["refused"], r["bytes"],
        "  (target refuses: so does the relay)" if r.get("target_refusing") else ""))
EOF
    else
        echo "  no relay.state"
    fi

    echo "isolation (from b-api1):"
    if e=$(_cl_tcp b-api1 "$(cl_addr a-pg)" "$CL_PG_PORT"); then
        echo "  direct to a-pg $(cl_addr a-pg):$CL_PG_PORT: CONNECTED (the regions are not isolated!)"
    else
        echo "  direct to a-pg $(cl_addr a-pg):$CL_PG_PORT: fails (${e:-timeout}), as it must"
    fi
    r=$(cl_addr relay b)
    if e=$(_cl_tcp b-api1 "$r" "$CL_PG_PORT"); then
        echo "  through the relay $r:$CL_PG_PORT: connects"
    else
        echo "  through the relay $r:$CL_PG_PORT: fails (${e:-timeout})"
    fi
}

# ---------------------------------------------------------------------------
# smoke
# ---------------------------------------------------------------------------

# _cl_json_field FIELD: FIELD (dotted path) of the JSON on stdin ('' when absent).
_cl_json_field() {
    python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)' "$1"
}

# _cl_replicated [print]: the `reel videos show --json` on stdin has every region's copies verified.
_cl_replicated() {
    python3 -c 'import json, sys
v = json.load(sys.stdin)
regions = v.get("replication") or []
if len(sys.argv) > 1:
    for r in regions:
        print("  %s: %s of %s objects verified, %s failed" % (r["region"], r["verified"], r["objects"], r["failed"]))
done = len(regions) >= 2 and all(r["objects"] > 0 and r["verified"] == r["objects"] for r in regions)
sys.exit(0 if done else 1)' "$@"
}

# cl_smoke: uploads a 3 s clip through a-lb, waits until it is ready and replicated,
# fetches its master playlist twice through each edge (a MISS, then a HIT: edges cache
# masters), its first variant's first segment, checks that the edge agents counted every
# master fetch as a play (video_plays on the primary), finds its row on the standby, and
# prints from Prometheus `up` of every scrape target (all must be 1), the p99 request
# duration by route and the queue depth.
cl_smoke() {
    local dir=$CL_DIR/smoke clip id out status deadline t0 seg i
    [ -s "$CL_DIR/cluster.env" ] || { _cl_log "no cluster.env: scripts/cluster.sh up first"; return 1; }
    # shellcheck disable=SC1091
    . "$CL_DIR/cluster.env"
    mkdir -p "$dir"
    clip=$dir/clip.mp4
    if [ ! -s "$clip" ]; then
        ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=540x960:rate=30 \
            -f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:v libx264 -preset ultrafast \
            -pix_fmt yuv420p -c:a aac -shortest "$clip"
    fi
    t0=$(date +%s%3N)
    echo "upload through the load balancer ($REEL_CLUSTER_LB_URL), from a-lb:"
    out=$(cl_in a-lb env REEL_TOKEN="$REEL_CLUSTER_UPLOAD_TOKEN" "$CL_REEL" upload "$clip" \
        --api "$REEL_CLUSTER_LB_URL" --title cluster-smoke --json 2>"$dir/upload.err") ||
        { cat "$dir/upload.err" >&2; _cl_log "reel upload failed"; return 1; }
    id=$(printf '%s' "$out" | _cl_json_field id)
    echo "  video $id"
    deadline=$(( $(date +%s) + ${REEL_CLUSTER_SMOKE_TIMEOUT:-300} ))
    status=
    while :; do
        status=$(cl_in a-lb curl -fsS --max-time 5 "$REEL_CLUSTER_LB_URL/v1/videos/$id" 2>/dev/null |
            _cl_json_field status 2>/dev/null) || status=
        [ "$status" = ready ] && break
        [ "$status" = failed ] && { _cl_log "video $id failed"; cl_in a-lb curl -sS "$REEL_CLUSTER_LB_URL/v1/videos/$id"; return 1; }
        [ "$(date +%s)" -ge "$deadline" ] && { _cl_log "video $id not ready (status '$status') in time"; return 1; }
        sleep 1
    done
    i=$(( $(date +%s%3N) - t0 ))
    printf '  ready %d.%d s after the upload started\n' $((i / 1000)) $((i % 1000 / 100))
    cl_in a-lb curl -fsS "$REEL_CLUSTER_LB_URL/v1/videos/$id?region=region-b" | python3 -c 'import json, sys
v = json.load(sys.stdin)
print("  GET /v1/videos/ID?region=region-b: status %s, edge %s" % (v.get("status"), (v.get("edge") or {}).get("hls")))'

    echo "replication (reel videos show, on the primary):"
    while :; do
        out=$(cl_reel a-worker videos show "$id" --json 2>/dev/null) || out='{}'
        printf '%s' "$out" | _cl_replicated && break
        [ "$(date +%s)" -ge "$deadline" ] && { _cl_log "video $id not replicated to every region in time"; return 1; }
        sleep 0.5
    done
    printf '%s' "$out" | _cl_replicated print
    i=$(( $(date +%s%3N) - t0 ))
    printf '  every copy verified %d.%d s after the upload started\n' $((i / 1000)) $((i % 1000 / 100))

    local masters=0 cache
    for r in a b; do
        local url from=$r-api1
        [ "$r" = a ] && from=a-lb
        url=$(eval echo "\$REEL_CLUSTER_${r^^}_EDGE_URL")
        echo "master playlist through edge-$r ($url), from $from, twice:"
        for i in 1 2; do
            cl_in "$from" curl -fsS -D "$dir/$r-master-$i.headers" -o "$dir/$r-master.m3u8" "$url/v1/videos/$id/master.m3u8" ||
                { _cl_log "edge-$r did not serve the master playlist"; return 1; }
            masters=$((masters + 1))
            cache=$(grep -i '^x-cache-status:' "$dir/$r-master-$i.headers" | tr -d '\r' | awk '{print $2}')
            echo "  fetch $i: $(grep -i -E '^(HTTP/|x-cache-status:|x-reel-edge:|cache-control:)' "$dir/$r-master-$i.headers" | tr -d '\r' | tr '\n' ' ')"
            if [ "$i" = 1 ] && [ "$cache" != MISS ]; then _cl_log "edge-$r: the first master fetch was $cache, not MISS"; return 1; fi
            if [ "$i" = 2 ] && [ "$cache" != HIT ]; then _cl_log "edge-$r: the second master fetch was $cache, not HIT (master playlists are not cached)"; return 1; fi
        done
        echo "  $(grep -c '^#EXT-X-STREAM-INF' "$dir/$r-master.m3u8") variants, first: $(grep -v '^#' "$dir/$r-master.m3u8" | head -n 1)"
        # The first video rendition's playlist and its first segment (warmed on publish: a HIT).
        seg=$(grep -v '^#' "$dir/$r-master.m3u8" | head -n 1)
        cl_in "$from" curl -fsS -o "$dir/$r-media.m3u8" "$url/v1/videos/$id/$seg" ||
            { _cl_log "edge-$r did not serve $seg"; return 1; }
        seg=$(dirname "$seg")/$(grep -v '^#' "$dir/$r-media.m3u8" | head -n 1)
        cl_in "$from" curl -fsS -D "$dir/$r-seg.headers" -o "$dir/$r-seg.m4s" "$url/v1/videos/$id/$seg" ||
            { _cl_log "edge-$r did not serve $seg"; return 1; }
        echo "  $seg: $(stat -c %s "$dir/$r-seg.m4s") bytes, $(grep -i '^x-cache-status:' "$dir/$r-seg.headers" | tr -d '\r')"
    done

    # Every master answered by an edge (hit or miss) is a play, counted by that edge's agent
    # (flushed every 2 s); nothing else fetched this video's master.
    echo "plays (video_plays on the primary, written by the edge agents):"
    local plays=0 t1
    t1=$(( $(date +%s) + ${REEL_CLUSTER_PLAYS_TIMEOUT:-20} ))
    while :; do
        plays=$(cl_psql a-pg "SELECT coalesce(sum(plays), 0) FROM video_plays WHERE video_id = '$id'" 2>/dev/null) || plays=?
        [ "$plays" = "$masters" ] && break
        case "$plays" in '' | *[!0-9]*) ;; *) [ "$plays" -gt "$masters" ] && break ;; esac
        [ "$(date +%s)" -ge "$t1" ] && break
        sleep 0.5
    done
    # One more flush interval: nothing may be counted twice.
    sleep 2.5
    plays=$(cl_psql a-pg "SELECT coalesce(sum(plays), 0) FROM video_plays WHERE video_id = '$id'" 2>/dev/null) || plays=?
    echo "  $plays plays counted for $masters master fetches through the edges"
    [ "$plays" = "$masters" ] || { _cl_log "plays counted ($plays) differ from master fetches through the edges ($masters)"; return 1; }

    echo "the video on region-b's standby (b-pg), read with reel videos show:"
    for i in $(seq 1 50); do
        out=$(cl_reel b-api1 videos show "$id" --json --database-url "$REEL_CLUSTER_PG_STANDBY_URL" 2>&1) && break
        sleep 0.2
    done
    printf '%s' "$out" | python3 -c 'import json, sys
v = json.load(sys.stdin)
row = v.get("video", v)
print("  id %s, status %s, title %s" % (row.get("id"), row.get("status"), row.get("title")))' ||
        { printf '%s\n' "$out" | head -n 20 >&2; _cl_log "the standby does not have video $id"; return 1; }

    echo "Prometheus ($REEL_CLUSTER_PROMETHEUS_URL): up of every scrape target:"
    out=$(cl_prom 'sort_desc(up)') || { _cl_log "Prometheus query failed"; return 1; }
    printf '%s\n' "$out" | sed 's/^/  /'
    if printf '%s\n' "$out" | grep -q -v ' 1$'; then _cl_log "a scrape target is not up"; return 1; fi
    [ "$(printf '%s\n' "$out" | wc -l)" -ge 8 ] || { _cl_log "fewer scrape targets than reel processes"; return 1; }
    echo "p99 request duration by route (histogram_quantile over the last minute, seconds; routes with requests in it):"
    cl_prom 'histogram_quantile(0.99, sum by (le, route) (rate(reel_http_request_duration_seconds_bucket[1m]))) >= 0' | sed 's/^/  /'
    echo "queue depth (reel_queue_depth, from the leading scheduler), by queue and state:"
    cl_prom 'sum by (queue, state) (reel_queue_depth)' | sed 's/^/  /'
    echo "smoke: OK (video $id)"
}
