# shellcheck shell=bash
#
# scripts/cluster/lib/monitor.sh - Prometheus on a-mon, scraping every Reel process
# of both regions every 2 s: the APIs (their own port), the workers, the scheduler
# and the edge agents (their --metrics-port). Region-b's are reached through the
# relay (its region-a leg forwards b-api1's, b-worker's and b-edge's agent's ports),
# so a partition shows as up == 0 for region-b's targets.
#
# Every target carries the labels instance (the host's name: a-api1, b-worker, ...),
# region (a or b) and job (reel-api, reel-worker, reel-scheduler, reel-edge-agent).
#
# Functions: cl_prometheus, cl_prometheus_ready, cl_prom_query, cl_prom.

CL_PROM_PORT=9090

cl_prom_url() { echo "http://$(cl_addr a-mon):$CL_PROM_PORT"; }

# _cl_prom_target HOST PORT: ADDR:PORT as a-mon reaches HOST's PORT (region-b's through the relay).
_cl_prom_target() {
    case "$1" in
        b-*) echo "$(cl_addr relay a):$2" ;;
        *) echo "$(cl_addr "$1"):$2" ;;
    esac
}

# _cl_prom_static JOB HOST PORT: one static_configs entry.
_cl_prom_static() {
    printf "      - targets: ['%s']\n        labels: {instance: '%s', region: '%s'}\n" \
        "$(_cl_prom_target "$2" "$3")" "$2" "$(cl_host_field "$2" 2)"
}

_cl_prom_config() {
    local h
    cat <<EOF
# written by scripts/cluster.sh
global:
  scrape_interval: 2s
  scrape_timeout: 1500ms
  evaluation_interval: 2s
scrape_configs:
  - job_name: reel-api
    static_configs:
EOF
    for h in $(cl_hosts); do case "$h" in *-api*) _cl_prom_static reel-api "$h" "$CL_API_PORT" ;; esac; done
    echo "  - job_name: reel-worker"
    echo "    static_configs:"
    for h in $(cl_hosts); do case "$h" in *-worker) _cl_prom_static reel-worker "$h" "$CL_WORKER_METRICS_PORT" ;; esac; done
    echo "  - job_name: reel-scheduler"
    echo "    static_configs:"
    for h in $(cl_hosts); do case "$h" in *-sched) _cl_prom_static reel-scheduler "$h" "$CL_SCHED_METRICS_PORT" ;; esac; done
    echo "  - job_name: reel-edge-agent"
    echo "    static_configs:"
    for h in $(cl_hosts); do case "$h" in *-edge) _cl_prom_static reel-edge-agent "$h" "$CL_AGENT_METRICS_PORT" ;; esac; done
}

# cl_prometheus: Debian's prometheus on a-mon (data in $CL_DIR/a-mon/data, kept 1 day).
cl_prometheus() {
    local host=a-mon dir=$CL_DIR/a-mon
    mkdir -p "$dir/data"
    _cl_prom_config >"$dir/prometheus.yml"
    if command -v promtool >/dev/null 2>&1; then
        promtool check config "$dir/prometheus.yml" >"$dir/promtool.log" 2>&1 ||
            { cl_fail "$host" "prometheus.yml does not check" "$dir/promtool.log"; return 1; }
    fi
    cl_spawn "$host" prometheus "$(cl_log_of "$host" prometheus)" prometheus \
        --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
        --storage.tsdb.retention.time=1d --web.listen-address="$(cl_addr "$host"):$CL_PROM_PORT" \
        --web.enable-lifecycle
}

# cl_prometheus_ready: Prometheus answers, and has scraped every target successfully once.
cl_prometheus_ready() {
    local url
    url=$(cl_prom_url)
    cl_wait a-mon prometheus "Prometheus ready (/-/ready)" curl -fsS -o /dev/null --max-time 2 "$url/-/ready" || return 1
    cl_wait a-mon prometheus "every scrape target up (/api/v1/targets)" bash -c "
        curl -fsS --max-time 2 '$url/api/v1/targets?state=active' | python3 -c '
import json, sys
t = json.load(sys.stdin)[\"data\"][\"activeTargets\"]
sys.exit(0 if t and all(x[\"health\"] == \"up\" for x in t) else 1)'" || {
        cl_in a-mon curl -fsS --max-time 2 "$url/api/v1/targets?state=active" 2>/dev/null | python3 -c '
import json, sys
for x in json.load(sys.stdin)["data"]["activeTargets"]:
    if x["health"] != "up":
        print("  %s %s: %s %s" % (x["labels"].get("instance"), x["scrapeUrl"], x["health"], x["lastError"]))' >&2 || :
        return 1
    }
}

# cl_prom_query PROMQL: the raw JSON answer of /api/v1/query (from a-mon's namespace).
cl_prom_query() {
    cl_in a-mon curl -fsS --max-time 10 --get --data-urlencode "query=$1" "$(cl_prom_url)/api/v1/query"
}

# cl_prom PROMQL: the query's result, one series a line ("{labels} value"); exit 1 on an error.
cl_prom() {
    local q=${1:-} out
    [ -n "$q" ] || { _cl_log "usage: scripts/cluster.sh prom 'PROMQL'"; return 2; }
    cl_net_exists || { _cl_log "the cluster is down"; return 1; }
    out=$(cl_prom_query "$q") || { _cl_log "Prometheus ($(cl_prom_url)) did not answer"; return 1; }
    printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("status") != "success":
    print("error: %s" % r.get("error"), file=sys.stderr)
    sys.exit(1)
d = r["data"]
if d["resultType"] in ("scalar", "string"):
    print(d["result"][1])
    sys.exit(0)
if not d["result"]:
    print("(no series)")
for s in d["result"]:
    m = s["metric"]
    name = m.pop("__name__", "")
    labels = ",".join("%s=\"%s\"" % kv for kv in sorted(m.items()))
    value = s["value"][1] if "value" in s else " ".join(v for _, v in s["values"])
    print("%s{%s} %s" % (name, labels, value))'
}
