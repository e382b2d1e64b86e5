#!/usr/bin/env bash
# Install the protocol clients from PyPI that the tests use as an app would:
# tuspy (tus uploads), standardwebhooks (webhook signatures) and opentelemetry-proto
# (decoding the OTLP traces Reel exports), into the venv
# .venv-clients/ at the repo root, only when they are missing.
#
#   scripts/services/install-clients.sh   # idempotent; silent when nothing is missing
#
# Tunables: REEL_TUSPY_VERSION (default 1.1.0), REEL_STANDARDWEBHOOKS_VERSION
# (default 1.3.0), REEL_OTLP_PROTO_VERSION (default 1.45.2), REEL_CLIENTS_VENV.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tuspy=${REEL_TUSPY_VERSION:-1.1.0}
webhooks=${REEL_STANDARDWEBHOOKS_VERSION:-1.3.0}
otlp=${REEL_OTLP_PROTO_VERSION:-1.45.2}
venv=${REEL_CLIENTS_VENV:-$repo/.venv-clients}
have() { compgen -G "$venv/lib/python3*/site-packages/$1-$2.dist-info" > /dev/null; }
if [ -x "$venv/bin/python" ] && have tuspy "$tuspy" && have standardwebhooks "$webhooks" && have opentelemetry_proto "$otlp"; then
    exit 0
fi
echo "[install-clients] installing tuspy==$tuspy standardwebhooks==$webhooks opentelemetry-proto==$otlp into $venv" >&2
[ -d "$venv" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "tuspy==$tuspy" "standardwebhooks==$webhooks" "opentelemetry-proto==$otlp" >&2
