#!/usr/bin/env bash
# Hostile media through upload → result: every clip of scripts/test-helpers/make-test-clips.sh
# plus 200 fuzzed variants (truncated and bit-flipped real files, one of Reel's
# own outputs among the seeds) are uploaded to a `reel api` with two workers;
# each outcome is printed (playable, or failed with the uploader's message)
# and no worker may crash. Details: scripts/faults/hostile-media.py.
#
#   scripts/faults/hostile-media.sh [--variants 200] [--seed 6]
#
# Starts a private PostgreSQL and Redis under .reel-data/hostile-PID/ and stops
# them (and every process it started) by PID. Last line:
#   RESULT inputs=… playable=… failed=… stuck=… unclear_failures=… failures_after_retries=… worker_crashes=… named_reads=…
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

reel_install_packages
dir=".reel-data/hostile-$$"
cleanup() { reel_services_stop "$dir"; }
trap cleanup EXIT
reel_services_start "$dir"

swift build 2>&1 | tail -1
reel="$(swift build --show-bin-path)/reel"
bash scripts/test-helpers/make-test-clips.sh "$(pwd -P)/$dir/clips" >/dev/null
started=$(date +%s)
status=0
timeout --signal=TERM --kill-after=30 "${REEL_HOSTILE_TIMEOUT:-2400}" \
    python3 scripts/faults/hostile-media.py --reel "$reel" --dir "$dir/run" --clips "$dir/clips" "$@" || status=$?
echo "hostile media run took $(( $(date +%s) - started )) s" >&2
if [ "$status" = 0 ]; then
    trap - EXIT
    cleanup
    rm -rf "$dir"
else
    echo "logs are kept in $dir/run" >&2
fi
exit $status
