# shellcheck shell=bash
#
# scripts/services/lib/edges.sh - Varnish edges in front of a Reel API, for Reel's scripts.
#
# Source it after scripts/services/lib/services.sh (it uses its helpers), do not execute it:
#
#     . scripts/services/lib/services.sh; . scripts/services/lib/edges.sh
#     trap 'reel_edges_stop "$dir"' EXIT
#     url=$(reel_edge_start "$dir" NAME ORIGIN_URL [MEMORY])   # prints http://127.0.0.1:PORT
#
# Functions:
#   reel_edge_start DIR NAME ORIGIN [MEMORY]
#       writes DIR/edge-NAME/edge.vcl with `reel edge-config` (token
#       $REEL_EDGE_TOKEN), starts varnishd on a free 127.0.0.1 port with MEMORY
#       of cache (default 256m) and working folder DIR/edge-NAME/varnish (what
#       `reel edges add --workdir` takes), records its PID in DIR/edges.pids,
#       waits until it answers, and prints its URL on stdout.
#   reel_edge_stop DIR NAME
#       stops that edge (by recorded PID; TERM, then KILL after a bounded wait).
#   reel_edges_stop DIR
#       stops every edge started in DIR; idempotent, safe in `trap ... EXIT`.
#
# Needs: $REEL_BIN (the reel binary) and $REEL_EDGE_TOKEN (at least 16 letters, digits, - or _).

_reel_edge_log() { echo "[edges] $*" >&2; }

reel_edge_start() {
    local -
    set +e +o pipefail
    local dir=$1 name=$2 origin=$3 memory=${4:-256m} port folder pid i
    [ -n "$name" ] && [ -n "$origin" ] || { _reel_edge_log "usage: reel_edge_start DIR NAME ORIGIN [MEMORY]"; return 1; }
    folder="$(cd "$dir" && pwd -P)/edge-$name"
    mkdir -p "$folder"
    "$REEL_BIN" edge-config --edge "$name" --origin "$origin" --token "$REEL_EDGE_TOKEN" --memory "$memory" > "$folder/edge.vcl" || return 1
    port=$(_reel_free_port) || return 1
    varnishd -a "127.0.0.1:$port" -f "$folder/edge.vcl" -n "$folder/varnish" -s "malloc,$memory" -T none \
        -P "$folder/varnishd.pid" > "$folder/varnishd.log" 2>&1 || { cat "$folder/varnishd.log" >&2; return 1; }
    for i in $(seq 1 100); do
        pid=$(cat "$folder/varnishd.pid" 2>/dev/null)
        [ -n "$pid" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/__reel/edge" 2>/dev/null && break
        sleep 0.1
    done
    [ -n "$pid" ] || { _reel_edge_log "varnishd $name did not start: $(cat "$folder/varnishd.log")"; return 1; }
    echo "$name=$pid" >> "$dir/edges.pids"
    _reel_edge_log "edge $name: varnishd pid $pid on http://127.0.0.1:$port, $memory, in front of $origin"
    echo "http://127.0.0.1:$port"
}

reel_edge_stop() {
    local -
    set +e +o pipefail
    local dir=$1 name=$2 pid
    pid=$(grep "^$name=" "$dir/edges.pids" 2>/dev/null | tail -1 | cut -d= -f2)
    [ -n "$pid" ] || return 0
    if _reel_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        _reel_wait_dead "$pid" 15 || { kill -KILL "$pid" 2>/dev/null; _reel_wait_dead "$pid" 5; }
    fi
    sed -i "/^$name=/d" "$dir/edges.pids" 2>/dev/null
    return 0
}

reel_edges_stop() {
    local -
    set +e +o pipefail
    local dir=$1 name
    [ -f "$dir/edges.pids" ] || return 0
    for name in $(cut -d= -f1 "$dir/edges.pids"); do reel_edge_stop "$dir" "$name"; done
    rm -f "$dir/edges.pids"
    return 0
}
