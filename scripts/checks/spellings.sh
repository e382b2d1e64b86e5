#!/usr/bin/env bash
# Prints how many places spell each job kind as a string literal, and how many
# files hold SQL for reel_jobs and videos: issue 13's measure of "one home".
# Production code (Sources, workers, scheduler, migrations, scripts) apart from
# tests, whose assertions and fixtures spell what a user sees on purpose.
# Usage: scripts/checks/spellings.sh [REV]   (default: the working tree)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rev=${1:-}
count() { # pattern-args... -- paths...
    { git grep -c "$@" 2>/dev/null || true; } | awk -F: '{s+=$NF} END {print s+0}'
}
kinds="video.ingest video.transcode video.package replicate edge.warm edge.purge edge.popular edge.stats gc objects.scrub noop sleep fail crash snooze"
for scope in production tests; do
    if [ "$scope" = production ]; then paths=(Sources workers scheduler migrations scripts); else paths=(Tests); fi
    line="$scope:"
    for k in $kinds; do
        re=${k//./\\.}
        n=$(count -e "\"$re[\":]" -e "'$re[':]" $rev -- "${paths[@]/%//*.swift}" "${paths[@]/%//*.sql}" "${paths[@]/%//*.sh}" "${paths[@]/%//*.py}")
        line="$line $k=$n"
    done
    echo "$line"
done
files() { { git grep -l -E "$1" $rev -- '*.swift' '*.sql' '*.sh' '*.py' 2>/dev/null || true; } | grep -v -e '^Tests/' -e ':Tests/' | wc -l; }
echo "files with SQL on reel_jobs (outside Tests): $(files '(FROM|UPDATE|INTO|JOIN|TABLE) reel_jobs')"
echo "files with SQL on videos (outside Tests): $(files '(FROM|UPDATE|INTO|JOIN|TABLE) videos\b')"
