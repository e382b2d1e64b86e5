#!/usr/bin/env bash
# Queue benchmark, apart from the tests. On one private PostgreSQL, in one run:
#   drain    N no-op jobs: Reel's worker vs pgqueuer 1.6.0 vs the raw SQL ceiling
#            (pgbench claiming with SKIP LOCKED and completing, same batch size)
#   enqueue  N jobs in bulk: Reel (COPY) vs pgqueuer (batched enqueue)
#   latency  idle enqueue → handler start, p50 and p99: Reel vs pgqueuer
# Prints each figure beside its anchor with the ratio, then one RESULT line.
# Reel's worker commits claims and acks asynchronously by default (recoverable
# through leases, see docs/job-lifecycle.md); the durable variant is printed too.
# Usage: scripts/bench-queue.sh [--jobs N] [--batch B] [--samples K]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/services.sh

JOBS=100000
BATCH=100
SAMPLES=500
CONCURRENCY=200
while [ $# -gt 0 ]; do
    case "$1" in
        --jobs) JOBS=$2; shift 2 ;;
        --batch) BATCH=$2; shift 2 ;;
        --samples) SAMPLES=$2; shift 2 ;;
        *) echo "unknown argument $1 (use --jobs N --batch B --samples K)" >&2; exit 2 ;;
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
