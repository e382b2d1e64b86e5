#!/usr/bin/env bash
# Runs Reel's whole test suite on this machine: installs the Debian packages it
# needs (when missing), starts a private PostgreSQL and Redis on loopback under
# .reel-data/, builds, runs `swift test`, and stops what it started by PID.
# Extra arguments go to `swift test` (e.g. --filter ReelQueueIntegrationTests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/lib/services.sh

reel_install_packages
# Headless Chromium and Video.js for the browser playback test.
bash scripts/install-player.sh
dir=".reel-data/test-$$"
cleanup() { reel_services_stop "$dir"; rm -rf "$dir"; }
trap cleanup EXIT
reel_services_start "$dir"

swift build --build-tests
swift build
export REEL_TEST_DATABASE_URL="$REEL_DATABASE_URL"
REEL_BINARY="$(swift build --show-bin-path)/reel"
export REEL_BINARY
swift test --skip-build "$@"
