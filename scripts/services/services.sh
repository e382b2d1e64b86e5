#!/usr/bin/env bash
# Start/stop Reel's private PostgreSQL, Redis and SeaweedFS (S3) from the command line.
#
#   eval "$(scripts/services/services.sh start .reel-data/run-dev)"   # exports REEL_DATABASE_URL, REEL_REDIS_URL, REEL_S3_*
#   scripts/services/services.sh stop .reel-data/run-dev
#   scripts/services/services.sh install                             # apt-install missing Debian packages
#
# `start` prints only `export ...` lines on stdout; progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/services.sh
. "$here/lib/services.sh"
# shellcheck source-path=SCRIPTDIR source=lib/seaweedfs.sh
. "$here/lib/seaweedfs.sh"

usage() {
    echo "usage: $0 start DIR | stop DIR | install" >&2
    exit 2
}

cmd=${1:-}
case "$cmd" in
    start)
        [ $# -eq 2 ] || usage
        reel_services_start "$2" >&2
        reel_seaweedfs_install >&2
        reel_seaweedfs_start "$2" >&2 || { reel_services_stop "$2"; exit 1; }
        cat "$REEL_SERVICES_DIR/services.env" "$2/seaweedfs.env"
        ;;
    stop)
        [ $# -eq 2 ] || usage
        reel_seaweedfs_stop "$2"
        reel_services_stop "$2"
        ;;
    install)
        [ $# -eq 1 ] || usage
        # shellcheck disable=SC2119
        reel_install_packages
        reel_seaweedfs_install
        ;;
    *)
        usage
        ;;
esac
