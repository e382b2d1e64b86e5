#!/usr/bin/env bash
# Install schemathesis (PyPI), the OpenAPI fuzzer the contract test runs
# against a live API (Tests/ReelAPITests/SchemathesisTests.swift), into the
# venv .venv-schemathesis/ at the repo root, only when it is missing.
#
#   scripts/services/install-schemathesis.sh   # idempotent; silent when nothing is missing
#
# Tunables: REEL_SCHEMATHESIS_VERSION (default 4.32.5), REEL_SCHEMATHESIS_VENV.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=${REEL_SCHEMATHESIS_VERSION:-4.32.5}
venv=${REEL_SCHEMATHESIS_VENV:-$repo/.venv-schemathesis}
if [ -x "$venv/bin/schemathesis" ] && "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    exit 0
fi
echo "[install-schemathesis] installing schemathesis==$version into $venv" >&2
[ -d "$venv" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q "schemathesis==$version" >&2
