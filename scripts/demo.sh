#!/usr/bin/env bash
# Reel end to end on the embedded defaults. For now (the queue milestone) it
# demonstrates the durable job queue: a few thousand jobs, some failing and
# retrying, some waiting on others, worked by two worker processes and the
# scheduler, with live progress, then `reel queues` and a report.
# Starts a private PostgreSQL and Redis under .reel-data/ and stops everything
# it started, by PID, when it ends (also on Ctrl-C).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/services.sh

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

reel_install_packages
dir=".reel-data/demo-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    reel_services_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
reel_services_start "$dir"

say "building"
swift build 2>&1 | tail -1
reel="$(swift build --show-bin-path)/reel"

say "migrating"
"$reel" migrate

say "submitting jobs"
"$reel" submit noop --count 2000 --tenant alice
"$reel" submit sleep --args '{"ms": 20}' --count 500 --queue media --tenant bob
"$reel" submit fail --args '{"times": 2}' --count 200 --tenant alice
"$reel" submit fail --args '{"permanent": true, "message": "not a video: no video stream found"}' --count 5 --tenant carol
"$reel" submit noop --unique-key demo-once
"$reel" submit noop --unique-key demo-once
# Ten videos: ingest fans out to four transcode rungs, which fan in to package.
for v in $(seq 1 10); do
    ingest=$("$reel" submit sleep --args '{"ms": 50}' --queue media --tenant "video-$v" --json | sed -n 's/.*"id" : \([0-9]*\).*/\1/p')
    rungs=()
    for r in 1 2 3 4; do
        rungs+=("$("$reel" submit sleep --args '{"ms": 100}' --queue media --after "$ingest" --json | sed -n 's/.*"id" : \([0-9]*\).*/\1/p')")
    done
    "$reel" submit noop --queue media --after "${rungs[@]}" > /dev/null
done
echo "enqueued 10 ingest → 4 transcode → package graphs"
"$reel" queues set media --global-limit 6

say "running two workers and the scheduler"
REEL_LOG_LEVEL=error "$reel" worker --queues default=20,media=4 --retry-base 0.2 --retry-max 1 & pids+=($!)
REEL_LOG_LEVEL=error "$reel" worker --queues default=20,media=4 --retry-base 0.2 --retry-max 1 & pids+=($!)
REEL_LOG_LEVEL=warning "$reel" scheduler --interval 0.2 & pids+=($!)

start=$(date +%s)
while true; do
    line=$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT string_agg(state::text || '=' || n, '  ' ORDER BY state) FROM (SELECT state, count(*) n FROM reel_jobs GROUP BY state) s")
    left=$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT count(*) FROM reel_jobs WHERE state IN ('pending','available','scheduled','running','retryable')")
    printf '\r[%3ss] %s        ' "$(( $(date +%s) - start ))" "$line"
    [ "$left" = 0 ] && break
    if [ $(( $(date +%s) - start )) -gt 300 ]; then echo; echo "demo: jobs still unfinished after 300 s" >&2; exit 1; fi
    sleep 0.5
done
echo

say "reel queues"
"$reel" queues
say "reel report failure_rate"
"$reel" report failure_rate
say "reel report time_in_queue"
"$reel" report time_in_queue
say "a permanently failed job (reel jobs show)"
"$reel" jobs show "$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT min(id) FROM reel_jobs WHERE state = 'discarded'")"
say "done: every job finished; stopping workers, scheduler, PostgreSQL and Redis"
