#!/usr/bin/env bash
# Reel's fault tests: kills workers, the API, the leading scheduler, PostgreSQL,
# Redis, one region's store and an edge while videos are uploaded, then checks
# that no job was lost, no stored object is corrupt and every video plays.
#
#   scripts/faults/chaos.sh [--uploads 50] [--rounds 2] [--phase-uploads 10] [--only PHASE,...]
#
# Installs what is missing, starts a private PostgreSQL, Redis and SeaweedFS on
# loopback under .reel-data/chaos-PID/, builds reel, runs scripts/faults/chaos.py
# (which explains each phase and what it measures), and stops everything it
# started by PID. The last line printed is
#   RESULT jobs_lost=… objects_corrupt=… videos_unplayable=… max_stuck_past_lease_s=…
# Exit status 0 only when nothing was lost, corrupt or unplayable.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh
. scripts/services/lib/seaweedfs.sh

reel_install_packages
reel_seaweedfs_install
dir=".reel-data/chaos-$$"
cleanup() { REEL_SEAWEEDFS_STOP_TIMEOUT=2 reel_seaweedfs_stop "$dir"; reel_services_stop "$dir"; }
trap cleanup EXIT
reel_services_start "$dir"
reel_seaweedfs_start "$dir"
. "$dir/seaweedfs.env"

swift build 2>&1 | tail -1
reel="$(swift build --show-bin-path)/reel"
started=$(date +%s)
status=0
timeout --signal=TERM --kill-after=30 "${REEL_CHAOS_TIMEOUT:-2400}" \
    python3 scripts/faults/chaos.py --reel "$reel" --dir "$dir/run" "$@" || status=$?
echo "chaos run took $(( $(date +%s) - started )) s" >&2
if [ "$status" = 0 ]; then
    trap - EXIT
    cleanup
    rm -rf "$dir"
else
    echo "logs and per-phase results (chaos-results.json) are kept in $dir/run" >&2
fi
exit $status
