#!/usr/bin/env bash
# Fault phases against the two-region cluster (scripts/cluster.sh) under a steady load
# of uploads and plays, with a time budget.
#
#   scripts/cluster-chaos.sh [--quick] [--keep] [--budget SECONDS] [--only a,c,...] [chaos.py flags]
#
# It brings up a cluster of its own (`scripts/cluster.sh up`) and always takes it down at
# the end (trap), also when it fails or is interrupted: phase d promotes region-b's standby
# and leaves region-a's old primary stopped, so a cluster is never reused, and one that is
# already up is refused (take it down first: scripts/cluster.sh down). --keep leaves the
# cluster up after the run, for a look at it (then scripts/cluster.sh down).
#
# Load, all along: a distinct 2 s 320x240 clip (made once with ffmpeg's lavfi, kept in
# .reel-data/cluster-chaos/clips) uploaded through HAProxy about every 5 s and through
# region-b's API about every 8 s; viewers in each region fetching a master, its media
# playlist and first segment through the URL the API offers, through the region's edge and
# through the region's API, about once a second. Region-a's worker runs media=2 (the
# cluster's default is 1; REEL_CLUSTER_A_QUEUES overrides): after phase d every statement
# it makes crosses the relay (80 ms a round trip), a 2 s clip then takes about 4.5 s of
# media jobs instead of 0.2, and with one at a time the media queue would fall behind the
# uploads. Phases, in order:
#   a  partition region-b from region-a for 20 s (the relay); region-b's viewers must keep
#      playing what region-b held; healed, until the standby has caught up and every
#      video's objects are verified in region-b
#   b  kill -9 one of region-a's three volume servers for 15 s: reads served, uploads go
#      on, nothing lost; restarted
#   c  kill -9 a-api1 between two chunks of a tus upload through HAProxy: the upload ends
#      through a-api2 and its published digest is the file's sha256; restarted
#   d  stop the primary (pg_ctl stop -m fast), promote region-b's standby (pg_ctl promote)
#      and repoint PgBouncer at it (RELOAD: PgBouncer 1.18 takes one host per database, so
#      this is what an operator or a failover tool does; the APIs of region-a stay behind
#      PgBouncer, as in production): every job from before the stop exists on the new
#      primary and completes, none completed twice without 'lease expired' in its errors,
#      and every reel process (the scheduler, both workers, the three APIs, both edge
#      agents) works against the new primary without a restart
#   e  kill region-a's varnishd: the API stops offering it to region-a's viewers after
#      its health check, and answers them directly; restarted and offered again
# scripts/cluster/chaos.py has the details of what each phase checks and counts.
#
# Output: one line per phase,
#   PHASE name jobs_lost=N objects_corrupt=N videos_unplayable=N recover_s=X (details)
# and last
#   RESULT jobs_lost=… objects_corrupt=… videos_unplayable=… max_recover_s=…
# Exit 0 only when every count is zero and every phase recovered in its bound.
# --quick runs phases a, c and e only, with fewer uploads (about 3 minutes).
#
# Bounds: the whole run is given --budget seconds (REEL_CLUSTER_CHAOS_BUDGET, default 420:
# up ~25 s, the phases ~4 min, down ~10 s); each phase's recovery at most 90 s; a phase
# that would start with less than 45 s left is skipped (and fails the run). Results and
# the cluster's logs: .reel-data/cluster-chaos/ (chaos-results.json, run.log, up.log, logs/).
# Root only (network namespaces); needs .build/debug/reel, never builds it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

budget=${REEL_CLUSTER_CHAOS_BUDGET:-420}
keep=
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --budget) budget=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) pass+=("$1"); shift ;;
    esac
done

log() { printf '[cluster-chaos] %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 2; }
rundir=$(pwd -P)/.reel-data/cluster-chaos
cluster=$(pwd -P)/.reel-data/cluster
if ip netns list 2>/dev/null | grep -q '^reel-' || [ -s "$cluster/pids" ]; then
    log "a cluster is up: this run starts its own (it promotes region-b's standby); run scripts/cluster.sh down first"
    exit 2
fi
mkdir -p "$rundir"
rm -rf "$rundir/logs" "$rundir/chaos-results.json"

exec 3>&1 4>&2
started=$(date +%s)
deadline=$((started + budget))
up=
status=0

finish() {
    local rc=$?
    trap - EXIT INT TERM
    set +eu
    exec 1>&3 2>&4    # a signal may have come inside a step whose output goes to a file
    [ "$status" = 0 ] && status=$rc
    if [ -n "$up" ]; then
        mkdir -p "$rundir/logs"
        (cd "$cluster" && find . -name '*.log' -size -20M -exec cp --parents {} "$rundir/logs/" \;) 2>/dev/null || :
        log "the cluster's logs are in $rundir/logs"
        if [ -n "$keep" ]; then
            log "--keep: the cluster is left up (scripts/cluster.sh down)"
        else
            timeout 120 bash scripts/cluster.sh down || log "scripts/cluster.sh down failed"
        fi
    fi
    log "total $(( $(date +%s) - started )) s (budget ${budget} s), exit $status"
    exit "$status"
}
# A signal ends the running step (its own trap tears down what `up` started) and then the run.
child=
interrupted() {
    status=130
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || :
        wait "$child" 2>/dev/null || :
    fi
    exit 130
}
trap finish EXIT
trap interrupted INT TERM

# run CMD...: CMD in the background, waited for, so that a signal is handled at once.
run() {
    "$@" &
    child=$!
    local rc=0
    wait "$child" || rc=$?
    child=
    return "$rc"
}

export REEL_CLUSTER_A_QUEUES=${REEL_CLUSTER_A_QUEUES:-media=2,reencode=1,replication=2,edges=4,webhooks=2,maintenance=1}
up=1
if ! run timeout --signal=TERM --kill-after=15 150 bash scripts/cluster.sh up >"$rundir/up.log" 2>&1; then
    tail -n 30 "$rundir/up.log" >&2
    log "scripts/cluster.sh up failed (it tore down what it started)"
    status=1
    exit 1
fi
log "cluster up in $(( $(date +%s) - started )) s"

# What is left of the budget, less the time `down` takes.
left=$(( deadline - $(date +%s) - 20 ))
[ "$left" -gt 60 ] || { log "no time left for the phases (budget ${budget} s)"; status=1; exit 1; }
run timeout --signal=TERM --kill-after=15 "$left" \
    python3 scripts/cluster/chaos.py --env "$cluster/cluster.env" --dir "$rundir" --clips "$rundir/clips" \
    --deadline "$(( deadline - 20 ))" "${pass[@]}" 2> >(tee "$rundir/run.log" >&2) || status=$?
[ "$status" = 124 ] && log "the phases did not finish within the budget"
exit "$status"
