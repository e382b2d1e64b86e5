#!/usr/bin/env bash
# Queue benchmark, apart from the tests. On one private PostgreSQL, in one run:
#   drain    N no-op jobs: Reel's worker vs pgqueuer 1.6.0 vs the raw SQL ceiling
#            (pgbench claiming with SKIP LOCKED and completing, same batch size)
#   enqueue  N jobs in bulk: Reel (COPY) vs pgqueuer (batched enqueue)
#   latency  idle enqueue → handler start, p50 and p99: Reel vs pgqueuer
# Prints each figure beside its anchor with the ratio, then one RESULT line.
# Reel's worker commits claims and acks asynchronously by default (recoverable
# through leases, see docs/job-lifecycle.md); the durable variant is printed too.
# With --growth it measures instead how the queue's cost grows with its history
# (issue 12): for each --retained count of finished jobs kept (0, 1 million and
# 10 million by default) the drain rate, the idle latency p50/p99 and one job's
# completion time, beside pgqueuer 1.6.0 draining with as many rows in its log
# table; then a sustained run (--sustain-seconds at --rate jobs/s, retention
# 120 s in 30 s partitions, pruning on) that prints throughput, dead rows and
# sizes every 30 s. Its last line:
#   RESULT drain_10m_vs_empty=… p99_10m_vs_empty=… drain_vs_pgqueuer=… size_growth_ratio=…
# (the largest --retained count stands for 10m). Progress checks read handler
# counters, the live table and the statistics views, never the history.
# Usage: scripts/bench/queue.sh [--jobs N] [--batch B] [--samples K]
#        scripts/bench/queue.sh --growth [--retained "0 1000000 10000000"] [--sustain-seconds 600] [--rate 3000]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

JOBS=100000
BATCH=100
SAMPLES=500
CONCURRENCY=200
GROWTH=0
RETAINED="0 1000000 10000000"
SUSTAIN=600
RATE=3000
while [ $# -gt 0 ]; do
    case "$1" in
        --jobs) JOBS=$2; shift 2 ;;
        --batch) BATCH=$2; shift 2 ;;
        --samples) SAMPLES=$2; shift 2 ;;
        --growth) GROWTH=1; shift ;;
        --retained) RETAINED=$2; shift 2 ;;
        --sustain-seconds) SUSTAIN=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        *) echo "unknown argument $1 (see the usage at the top of $0)" >&2; exit 2 ;;
    esac
done

reel_install_packages
dir=".reel-data/bench-$$"
trap 'reel_services_stop "$dir"; rm -rf "$dir"' EXIT
reel_services_start "$dir"

echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
"$reel" migrate >&2

venv=.venv-bench
if ! "$venv/bin/python" -c 'import pgqueuer, asyncpg, uvloop' 2>/dev/null; then
    echo "installing pgqueuer 1.6.0 into $venv…" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q 'pgqueuer==1.6.0' asyncpg uvloop >&2
fi
pgq() { "$venv/bin/python" scripts/bench/pgqueuer_bench.py "$@" --dsn "$REEL_DATABASE_URL"; }
pgq setup >&2

field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f"{a/b:.2f}")' "$1" "$2"; }
row() { printf '%-34s %14s %14s %9s\n' "$@"; }

if [ "$GROWTH" = 1 ]; then
    declare -A drain p50 p99 done_p50 pgq_drain
    for n in $RETAINED; do
        echo "retained $n finished jobs: seeding Reel's history and pgqueuer's log…" >&2
        "$reel" bench history --rows "$n" >&2
        pgq seed-log --rows "$n" >&2
        echo "  drain, latency, completion…" >&2
        drain[$n]=$("$reel" bench drain --jobs "$JOBS" --batch "$BATCH" --concurrency "$CONCURRENCY" 2>/dev/null | field jobs_per_s)
        lat=$("$reel" bench latency --samples "$SAMPLES" 2>/dev/null)
        p50[$n]=$(echo "$lat" | field p50_ms); p99[$n]=$(echo "$lat" | field p99_ms)
        done_p50[$n]=$("$reel" bench complete --samples "$SAMPLES" 2>/dev/null | field p50_ms)
        pgq_drain[$n]=$(pgq drain --jobs "$JOBS" --batch "$BATCH" --concurrency 2 --keep-log 2>/dev/null | field jobs_per_s)
    done
    first=${RETAINED%% *}; last=${RETAINED##* }
    echo
    printf '%-12s %12s %12s %12s %14s %14s %10s\n' "retained" "drain jobs/s" "p50 ms" "p99 ms" "complete p50" "pgqueuer drain" "vs pgq"
    for n in $RETAINED; do
        printf '%-12s %12.0f %12.2f %12.2f %14.3f %14.0f %10s\n' "$n" "${drain[$n]}" "${p50[$n]}" "${p99[$n]}" "${done_p50[$n]}" \
            "${pgq_drain[$n]}" "$(ratio "${drain[$n]}" "${pgq_drain[$n]}")"
    done
    echo
    echo "sustained: $RATE jobs/s for $SUSTAIN s, retention 120 s in 30 s partitions, pruning every 10 s…" >&2
    "$reel" bench history --rows 0 --partition-seconds 30 >&2
    sustain=$("$reel" bench sustain --rate "$RATE" --seconds "$SUSTAIN" --retain-seconds 120 --partition-seconds 30 --every 30 2>/dev/null)
    echo "$sustain" | python3 -c '
import json, sys
print("%5s %9s %9s %8s %10s %11s %11s %12s %13s %5s" % ("t s", "jobs/s", "backlog", "live", "dead rows", "live MB", "live idx MB", "history MB", "hist. idx MB", "parts"))
for line in sys.stdin:
    s = json.loads(line)
    if s.get("summary"):
        print("sizes (live + history): %.1f MB at %d s, once retention is reached; %.1f MB at the end: x%.2f; most dead rows %d"
              % (s["baseline_bytes"] / 1e6, s["baseline_t"], s["final_bytes"] / 1e6, s["size_growth_ratio"], s["max_dead_rows"]))
        continue
    print("%5d %9.0f %9d %8d %10d %11.1f %11.1f %12.1f %13.1f %5d" % (s["t"], s["jobs_per_s"], s["backlog"], s["live_rows"], s["live_dead_rows"],
          s["live_bytes"] / 1e6, s["live_index_bytes"] / 1e6, s["history_bytes"] / 1e6, s["history_index_bytes"] / 1e6, s["history_partitions"]))'
    growth=$(echo "$sustain" | tail -1 | field size_growth_ratio)
    echo "targets: drain with the most retained ≥ 0.8× empty; p99 ≤ 1.5× empty; sizes flat once retention is reached"
    printf 'RESULT drain_10m_vs_empty=%s p99_10m_vs_empty=%s drain_vs_pgqueuer=%s size_growth_ratio=%.2f\n' \
        "$(ratio "${drain[$last]}" "${drain[$first]}")" "$(ratio "${p99[$last]}" "${p99[$first]}")" \
        "$(ratio "${drain[$last]}" "${pgq_drain[$last]}")" "$growth"
    exit 0
fi

echo "measuring drain of $JOBS no-op jobs (batch $BATCH)…" >&2
reel_drain=$("$reel" bench drain --jobs "$JOBS" --batch "$BATCH" --concurrency "$CONCURRENCY" 2>/dev/null | field jobs_per_s)
reel_drain_sync=$("$reel" bench drain --jobs "$JOBS" --batch "$BATCH" --concurrency "$CONCURRENCY" --synchronous-commit 2>/dev/null | field jobs_per_s)
pgq_drain=$(pgq drain --jobs "$JOBS" --batch "$BATCH" --concurrency 2 2>/dev/null | field jobs_per_s)
ceiling=$(bash scripts/bench/ceiling.sh --dsn "$REEL_DATABASE_URL" --jobs "$JOBS" --batch "$BATCH" --clients 2 --mode split 2>/dev/null | field jobs_per_s)

echo "measuring bulk enqueue of $JOBS jobs…" >&2
reel_enq=$("$reel" bench enqueue --jobs "$JOBS" --batch 10000 2>/dev/null | field jobs_per_s)
pgq_enq=$(pgq enqueue --jobs "$JOBS" --batch 10000 2>/dev/null | field jobs_per_s)

echo "measuring idle latency over $SAMPLES jobs…" >&2
reel_lat=$("$reel" bench latency --samples "$SAMPLES" 2>/dev/null)
pgq_lat=$(pgq latency --samples "$SAMPLES" 2>/dev/null)
reel_p50=$(echo "$reel_lat" | field p50_ms); reel_p99=$(echo "$reel_lat" | field p99_ms)
pgq_p50=$(echo "$pgq_lat" | field p50_ms); pgq_p99=$(echo "$pgq_lat" | field p99_ms)

echo
row "measure" "reel" "anchor" "ratio"
row "drain jobs/s vs pgqueuer" "$(printf %.0f "$reel_drain")" "$(printf %.0f "$pgq_drain")" "$(ratio "$reel_drain" "$pgq_drain")"
row "drain jobs/s vs SQL ceiling" "$(printf %.0f "$reel_drain")" "$(printf %.0f "$ceiling")" "$(ratio "$reel_drain" "$ceiling")"
row "drain, --synchronous-commit, vs ceiling" "$(printf %.0f "$reel_drain_sync")" "$(printf %.0f "$ceiling")" "$(ratio "$reel_drain_sync" "$ceiling")"
row "bulk enqueue jobs/s vs pgqueuer" "$(printf %.0f "$reel_enq")" "$(printf %.0f "$pgq_enq")" "$(ratio "$reel_enq" "$pgq_enq")"
row "latency p50 ms vs pgqueuer" "$(printf %.2f "$reel_p50")" "$(printf %.2f "$pgq_p50")" "$(ratio "$reel_p50" "$pgq_p50")"
row "latency p99 ms vs pgqueuer" "$(printf %.2f "$reel_p99")" "$(printf %.2f "$pgq_p99")" "$(ratio "$reel_p99" "$pgq_p99")"
echo "targets: drain ≥ 3× pgqueuer and ≥ 0.7× ceiling; enqueue ≥ 4× pgqueuer; p50 ≤ 2 ms; p99 ≤ 10 ms"
printf 'RESULT drain_vs_pgqueuer=%s drain_vs_ceiling=%s enqueue_vs_pgqueuer=%s latency_p50_ms=%.2f latency_p99_ms=%.2f\n' \
    "$(ratio "$reel_drain" "$pgq_drain")" "$(ratio "$reel_drain" "$ceiling")" "$(ratio "$reel_enq" "$pgq_enq")" "$reel_p50" "$reel_p99"
