#!/usr/bin/env bash
# Raw-SQL ceiling for the queue benchmark.
#
# Measures how fast this Postgres can claim and complete queue rows with no
# queue library in the way: a plain table with a partial index, and pgbench
# running the canonical SKIP LOCKED claim followed by a completion. Reel and
# pgqueuer can be read against this number ("x % of what the database can do").
#
# Usage:
#   ceiling.sh --dsn URL --jobs N --batch B --clients C [--mode txn|split|single]
#              [--timeout SECONDS]
#
# Prints exactly one JSON line on stdout:
#   {"jobs":N,"seconds":s,"jobs_per_s":x}      (or {"error":...} and exit 1)
# Everything else goes to stderr. Needs psql and pgbench (override with $PSQL,
# $PGBENCH) and coreutils' timeout.
#
# Modes (what one pgbench "transaction", i.e. one run of the script, does):
#   txn    (default) BEGIN; claim B rows -> 'running'; complete them; COMMIT.
#          Two statements, one commit: the cheapest form that still goes
#          through the 'running' state.
#   split  the same two statements, each committed on its own: the claim is
#          visible before completion, which is the lifecycle a real queue
#          needs when handlers run outside the claiming transaction
#          (two commits per batch).
#   single one statement that claims straight into 'completed': the absolute
#          floor of work per batch (skips 'running').
set -euo pipefail

PSQL=${PSQL:-psql}
PGBENCH=${PGBENCH:-pgbench}
TABLE=bench_ceiling_jobs

DSN=""
JOBS=""
BATCH=""
CLIENTS=""
MODE=txn
TIMEOUT=300

log() { printf '%s ceiling: %s\n' "$(date '+%F %T')" "$*" >&2; }

# Failures still produce one parseable JSON line, like pgqueuer_bench.py.
fail() {
    log "ERROR: $*"
    local msg=${1//\\/\\\\}
    msg=${msg//\"/\\\"}
    printf '{"error": "%s", "command": "ceiling"}\n' "$msg"
    exit 1
}

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit "${1:-0}"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --dsn) DSN=${2-}; shift 2 ;;
        --jobs) JOBS=${2-}; shift 2 ;;
        --batch) BATCH=${2-}; shift 2 ;;
        --clients) CLIENTS=${2-}; shift 2 ;;
        --mode) MODE=${2-}; shift 2 ;;
        --timeout) TIMEOUT=${2-}; shift 2 ;;
        -h|--help) usage 0 ;;
        *) log "unknown argument: $1"; usage 2 ;;
    esac
done

[[ -n $DSN ]] || fail "--dsn is required"
for pair in "jobs:$JOBS" "batch:$BATCH" "clients:$CLIENTS" "timeout:$TIMEOUT"; do
    [[ ${pair#*:} =~ ^[1-9][0-9]*$ ]] || fail "--${pair%%:*} must be a positive integer"
done
case "$MODE" in txn|split|single) ;; *) fail "--mode must be txn, split or single" ;; esac
command -v "$PGBENCH" >/dev/null || fail "pgbench not found (set \$PGBENCH)"
command -v "$PSQL" >/dev/null || fail "psql not found (set \$PSQL)"

# pgbench -t is per client, so the run covers TXNS*BATCH*CLIENTS rows; round
# down rather than let the last transactions claim short or empty batches,
# which would make tps*B overstate throughput.
TXNS=$(( JOBS / (BATCH * CLIENTS) ))
(( TXNS >= 1 )) || fail "--jobs must be at least --batch x --clients"
WORK=$(( TXNS * BATCH * CLIENTS ))
(( WORK == JOBS )) || log "note: $JOBS is not a multiple of batch*clients; timing $WORK jobs"

# One overall deadline; each external command gets whatever is left of it.
DEADLINE=$(( $(date +%s) + TIMEOUT ))
LEFT=$TIMEOUT
time_left() {
    LEFT=$(( DEADLINE - $(date +%s) ))
    (( LEFT > 0 )) || fail "gave up: --timeout ${TIMEOUT}s reached"
}
# Turn a command's exit status into a failure report; 124 is timeout(1)'s.
check() {
    local rc=$1 what=$2
    (( rc != 124 )) || fail "gave up: --timeout ${TIMEOUT}s reached during $what"
    (( rc == 0 )) || fail "$what failed (exit status $rc)"
}
# Call time_left first (not inside a subshell, so that fail() can exit).
sql() { timeout "$LEFT" "$PSQL" "$DSN" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

WORKDIR=$(mktemp -d)
TABLE_CREATED=0
cleanup() {
    # Always leave the database as we found it, even after a failure.
    if (( TABLE_CREATED )); then
        timeout 30 "$PSQL" "$DSN" -X -q -v ON_ERROR_STOP=1 \
            -c "DROP TABLE IF EXISTS $TABLE" >/dev/null 2>&1 || log "warning: could not drop $TABLE"
    fi
    rm -rf "$WORKDIR"
}
trap cleanup EXIT

log "filling $TABLE with $JOBS rows (untimed)"
TABLE_CREATED=1
time_left
rc=0
sql >&2 <<SQL || rc=$?
SET client_min_messages = warning;
DROP TABLE IF EXISTS $TABLE;
CREATE TABLE $TABLE (
    id bigserial PRIMARY KEY,
    state text NOT NULL DEFAULT 'available',
    priority int NOT NULL DEFAULT 0,
    run_at timestamptz NOT NULL DEFAULT now(),
    payload jsonb
);
INSERT INTO $TABLE (payload) SELECT jsonb_build_object('n', g) FROM generate_series(1, $JOBS) g;
-- Built after the load because that is quicker; the result is the same index.
CREATE INDEX ${TABLE}_claim_idx ON $TABLE (priority, run_at, id) WHERE state = 'available';
-- Start from fresh planner statistics and visibility map, so the claim is
-- planned as an index scan from the first transaction (pgqueuer_bench.py
-- ANALYZEs its pre-filled queue for the same reason).
VACUUM ANALYZE $TABLE;
SQL
check "$rc" "creating and filling $TABLE"

# The claim is the canonical one; it is wrapped in one more CTE only to turn
# its RETURNING rows into a single array value.
CLAIM_CTE="WITH c AS (
    SELECT id FROM $TABLE
    WHERE state = 'available'
    ORDER BY priority, run_at, id
    LIMIT $BATCH
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE $TABLE j SET state = 'running' FROM c WHERE j.id = c.id RETURNING j.id
)"

# Why the claimed ids travel through \gset: the completion has to know which
# rows this client claimed, and the table has no owner column.
#  - Chaining "UPDATE ... SET state='completed'" onto the claim CTE in one
#    statement is not valid: Postgres does not support modifying the same row
#    twice in one statement (only one of the updates takes effect).
#  - "UPDATE ... WHERE state = 'running'" inside the claiming transaction
#    would be correct (other clients' claims are either committed-and-
#    completed or invisible to us), but nothing indexes state='running', so it
#    would scan the whole table on every batch; in split mode it would also
#    complete other clients' rows.
# So the claim returns one array (coalesce: an empty claim yields '{}', not
# NULL), \gset stores it, and the completion is a primary-key lookup. With
# -M prepared, :ids is sent as a bind parameter, so ':ids::bigint[]' parses
# the array text server-side.
SCRIPT=$WORKDIR/claim_complete.sql
case "$MODE" in
    txn|split)
        BEGIN_TXN="" END_TXN=""
        if [[ $MODE == txn ]]; then BEGIN_TXN="BEGIN;" END_TXN="END;"; fi
        cat >"$SCRIPT" <<SQL
$BEGIN_TXN
$CLAIM_CTE
SELECT coalesce(array_agg(id), '{}') AS ids FROM claimed \gset
UPDATE $TABLE SET state = 'completed' WHERE id = ANY (:ids::bigint[]);
$END_TXN
SQL
        ;;
    single)
        cat >"$SCRIPT" <<SQL
WITH c AS (
    SELECT id FROM $TABLE
    WHERE state = 'available'
    ORDER BY priority, run_at, id
    LIMIT $BATCH
    FOR UPDATE SKIP LOCKED
)
UPDATE $TABLE j SET state = 'completed' FROM c WHERE j.id = c.id;
SQL
        ;;
esac

log "pgbench mode=$MODE batch=$BATCH clients=$CLIENTS transactions/client=$TXNS"
OUT=$WORKDIR/pgbench.out
time_left
START=$(date +%s.%N)
rc=0
# -n: there are no pgbench_* tables to vacuum. -M prepared: parse/plan once
# per connection, as a real queue client would (asyncpg prepares too).
timeout "$LEFT" "$PGBENCH" -n -M prepared -f "$SCRIPT" \
    -c "$CLIENTS" -j "$CLIENTS" -t "$TXNS" "$DSN" >"$OUT" 2>"$WORKDIR/pgbench.err" || rc=$?
END=$(date +%s.%N)
cat "$WORKDIR/pgbench.err" "$OUT" >&2
check "$rc" pgbench

PROCESSED=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT")
TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$OUT" | head -n 1)
[[ -n $PROCESSED && -n $TPS ]] || fail "could not parse pgbench output"

time_left
rc=0
COUNTS=$(sql -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'completed'),
                               count(*) FILTER (WHERE state = 'running') FROM $TABLE") || rc=$?
check "$rc" "counting completed rows"
read -r COMPLETED LEFT_RUNNING <<<"$COUNTS"
(( LEFT_RUNNING == 0 )) || fail "$LEFT_RUNNING rows left in state 'running'"
(( COMPLETED == WORK )) || fail "expected $WORK completed rows, found $COMPLETED"

# pgbench's tps excludes connection set-up, so transactions/tps is the time
# spent claiming and completing; jobs/seconds then equals tps x batch.
awk -v jobs="$COMPLETED" -v txns="$PROCESSED" -v tps="$TPS" -v start="$START" -v end="$END" 'BEGIN {
    seconds = txns / tps
    printf "wall time including connections: %.3f s\n", end - start > "/dev/stderr"
    printf "{\"jobs\": %d, \"seconds\": %.6f, \"jobs_per_s\": %.1f}\n", jobs, seconds, jobs / seconds
}'
