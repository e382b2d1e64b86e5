#!/usr/bin/env bash
# The name issue 16 gives this benchmark; it lives in scripts/bench/efficiency.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/bench/efficiency.sh" "$@"
