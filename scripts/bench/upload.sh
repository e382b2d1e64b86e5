#!/usr/bin/env bash
# Upload benchmark (issue 14), apart from the tests. In one run, on this
# machine, a file of --mib MiB (random bytes) is sent to a release `reel api`
# (no worker: this measures taking the bytes and publishing the video, not
# transcoding it) and, as the anchor, to nginx with WebDAV PUT writing the
# same bytes to disk:
#
#   1. nginx PUT (curl -T): the cost of moving the bytes over loopback to disk;
#   2. a one-shot `POST /v1/uploads` (curl --data-binary);
#   3. tus with tuspy 1.1 in 8 MiB chunks, each with an sha1 Upload-Checksum
#      (what an app's Python backend does), from creation to the last 204;
#   4. tus in one PATCH (curl), as a browser's fetch sends a file.
#
# Each is repeated --runs times; the median seconds and MiB/s are printed,
# with each Reel figure's ratio to nginx. "Time to publish" is the time until
# the answer that says the video exists (its row and its media jobs are
# committed), as Mux and Cloudflare Stream's "asset created" would be.
# Usage: scripts/bench/upload.sh [--mib 256] [--runs 3]
# Starts PostgreSQL, Redis, a release `reel api` and nginx on 127.0.0.1 and
# stops them by PID. Its last line is
#   RESULT nginx_mib_s=… post_mib_s=… tus_chunked_mib_s=… tus_single_mib_s=… post_vs_nginx=… tus_chunked_vs_nginx=…
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. scripts/services/lib/services.sh

MIB=256
RUNS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --mib) MIB=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

reel_install_packages nginx-light curl
bash scripts/services/install-clients.sh
dir=".reel-data/bench-upload-$$"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    reel_services_stop "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
reel_services_start "$dir"
dir=$(cd "$dir" && pwd -P)
export REEL_DATA_DIR="$dir/data"
export REEL_REGIONS="home=file:regions/home"
export REEL_MIGRATIONS_DIR="$PWD/migrations"

echo "building reel (release)…" >&2
swift build -c release >&2
reel="$(swift build -c release --show-bin-path)/reel"
"$reel" migrate > /dev/null
REEL_LOG_LEVEL=notice "$reel" api --port 0 --open-uploads --max-upload-mib $((MIB * 2)) > "$dir/api.log" 2>&1 & pids+=($!)
api=$(reel_api_url "$dir/api.log")

nport=$(_reel_free_port)
mkdir -p "$dir/nginx/put" "$dir/nginx/tmp"
chmod 777 "$dir/nginx/put" "$dir/nginx/tmp"   # nginx's workers write as an unprivileged user
cat > "$dir/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_max_body_size 0;
    client_body_temp_path $dir/nginx/tmp;
    server {
        listen 127.0.0.1:$nport;
        root $dir/nginx/put;
        dav_methods PUT;
    }
}
EOF
nginx -c "$dir/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
sleep 0.5

file="$dir/upload.bin"
head -c $((MIB << 20)) /dev/urandom > "$file"
py="$PWD/.venv-clients/bin/python"
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.3f}")' "$@"; }
# seconds CMD...: runs CMD (its output dropped) and prints how long it took.
seconds() {
    local t0 t1
    t0=$(date +%s.%N); "$@" > /dev/null || return; t1=$(date +%s.%N)
    python3 -c 'import sys; print(float(sys.argv[2]) - float(sys.argv[1]))' "$t0" "$t1"
}
# tus in one PATCH, as a browser's fetch sends a file: creation, then every byte.
tus_single() {
    local location
    location=$(curl -fsS -D - -o /dev/null -X POST -H "Tus-Resumable: 1.0.0" -H "Upload-Length: $((MIB << 20))" "$api/v1/uploads/tus" |
        tr -d '\r' | sed -n 's/^[Ll]ocation: //p') || return
    curl -fsS -X PATCH -H "Tus-Resumable: 1.0.0" -H "Upload-Offset: 0" -H "Content-Type: application/offset+octet-stream" \
        --data-binary "@$file" "$api$location"
}
nginx_s=() post_s=() chunked_s=() single_s=()
for run in $(seq 1 "$RUNS"); do
    echo "run $run of $RUNS…" >&2
    nginx_s+=("$(seconds curl -fsS -T "$file" "http://127.0.0.1:$nport/upload-$run.bin")")
    post_s+=("$(seconds curl -fsS -H "Content-Type: application/octet-stream" --data-binary "@$file" "$api/v1/uploads?title=bench-post")")
    chunked_s+=("$(seconds "$py" scripts/test-helpers/tus-client.py upload "$file" --endpoint "$api/v1/uploads/tus" \
        --chunk $((8 << 20)) --checksum --title bench-tus)")
    single_s+=("$(seconds tus_single)")
    rm -f "$dir/nginx/put/upload-$run.bin"
done
videos=$(psql -qtA "$REEL_DATABASE_URL" -c "SELECT count(*) FROM videos")
[ "$videos" = $((3 * RUNS)) ] || { echo "expected $((3 * RUNS)) published videos, found $videos" >&2; exit 1; }

rate() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.1f}")' "$MIB" "$1"; }
# Same bytes, so the ratio of rates is nginx's seconds over Reel's.
vs() { python3 -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}")' "$n" "$1"; }
row() { printf '%-58s %10s %10s %8s\n' "$1" "$2" "$(rate "$2")" "$(vs "$2")"; }
n=$(median "${nginx_s[@]}"); p=$(median "${post_s[@]}"); c=$(median "${chunked_s[@]}"); s=$(median "${single_s[@]}")
printf '\n%-58s %10s %10s %8s\n' "upload of $MIB MiB (median of $RUNS), to publish" "seconds" "MiB/s" "vs nginx"
row "nginx PUT to disk (anchor)" "$n"
row "reel one-shot POST /v1/uploads" "$p"
row "reel tus, tuspy 8 MiB chunks with sha1 checksums" "$c"
row "reel tus, one PATCH (curl)" "$s"
echo "RESULT nginx_mib_s=$(rate "$n") post_mib_s=$(rate "$p") tus_chunked_mib_s=$(rate "$c") tus_single_mib_s=$(rate "$s")" \
     "post_vs_nginx=$(vs "$p") tus_chunked_vs_nginx=$(vs "$c")"
