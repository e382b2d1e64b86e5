# shellcheck shell=bash
#
# scripts/cluster/lib/stores.sh - each region's Redis and SeaweedFS cluster.
#
# region-a: a-s3m (weed master, replication 001: every volume has a second copy
# on another server of the same rack), a-s3v1, a-s3v2 and a-s3v3 (volume servers:
# three, so that with one of them dead two remain and new volumes can still be
# grown with their second copy: the region stays writable),
# a-s3g (filer + S3 gateway). region-b: b-s3m, b-s3v1, b-s3g (replication 000).
# Each region has its own admin key pair (an S3 config JSON with one identity, as
# scripts/services/lib/seaweedfs.sh writes it) and its bucket, reel-a / reel-b.
#
# weed puts its gRPC Unix sockets at /tmp/seaweedfs-SERVICE-grpc-PORT.sock,
# whatever the namespace, so the two regions use different ports.
#
# Uses scripts/services/lib/seaweedfs.sh (_reel_sw_weed, _reel_sw_random,
# _reel_sw_s3, _reel_sw_rm_sockets). Functions: cl_redis, cl_weed_start,
# cl_weed_volume, cl_weed_ready, cl_weed_port, cl_weed_stop_sockets.

CL_REDIS_PORT=6379

# cl_weed_port REGION master|volume1|volume2|volume3|filer|s3 (gRPC: this + 10000).
cl_weed_port() {
    case "$1:$2" in
        a:master) echo 9331 ;; b:master) echo 9332 ;;
        a:volume1) echo 8081 ;; a:volume2) echo 8082 ;; a:volume3) echo 8084 ;; b:volume1) echo 8083 ;;
        a:filer) echo 8881 ;; b:filer) echo 8882 ;;
        a:s3) echo 8331 ;; b:s3) echo 8332 ;;
        *) return 1 ;;
    esac
}

cl_redis() {
    local host=$1 addr
    addr=$(cl_addr "$host")
    mkdir -p "$CL_DIR/$host"
    cl_spawn "$host" redis "$(cl_log_of "$host" redis)" redis-server --bind "$addr" \
        --port "$CL_REDIS_PORT" --protected-mode no --save '' --appendonly no --dir "$CL_DIR/$host"
}

cl_redis_ready() {
    local host=$1
    cl_wait "$host" redis "Redis answering PING" \
        bash -c "[ \"\$(redis-cli -h $(cl_addr "$host") -p $CL_REDIS_PORT ping)\" = PONG ]"
}

# _cl_weed HOST PROC ARGS...: starts weed in HOST's namespace (without the caller's AWS keys).
_cl_weed() {
    local host=$1 proc=$2 weed dir=$CL_DIR/$1
    shift 2
    weed=$(_reel_sw_weed) || return 1
    mkdir -p "$dir/config"
    cl_spawn "$host" "$proc" "$(cl_log_of "$host" "$proc")" \
        env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
        WEED_MASTER_VOLUME_GROWTH_COPY_1=1 WEED_MASTER_VOLUME_GROWTH_COPY_2=1 \
        "$weed" -logtostderr -config_dir="$dir/config" "$@"
}

# _cl_weed_ports_file HOST KEY=VALUE...: what _reel_sw_rm_sockets needs to remove HOST's sockets.
_cl_weed_ports_file() {
    local host=$1
    shift
    printf '%s\n' "$@" >"$CL_DIR/$host/seaweedfs.ports"
}

# cl_weed_preflight: none of the cluster's weed gRPC sockets is in use by another weed.
cl_weed_preflight() {
    local region svc port path listening
    listening=$(ss -xlnH 2>/dev/null) || listening=
    for region in a b; do
        for svc in master:master volume1:volume volume2:volume volume3:volume filer:filer s3:s3; do
            port=$(cl_weed_port "$region" "${svc%%:*}") || continue
            path=/tmp/seaweedfs-${svc#*:}-grpc-$((port + 10000)).sock
            if [[ "$listening" == *" $path "* ]]; then
                _cl_log "another weed listens on $path (port $((port + 10000)) is taken); stop it first"
                return 1
            fi
            rm -f "$path"
        done
    done
}

# cl_weed_start REGION: starts the region's master, volume servers and filer + S3
# gateway (without waiting for them: cl_weed_ready does).
cl_weed_start() {
    local region=$1 m v f s maddr h n port repl dir key secret
    m=$(cl_weed_port "$region" master)
    maddr=$(cl_addr "$region-s3m")
    repl=000
    [ "$region" = a ] && repl=001

    # Credentials: one admin identity per region.
    dir=$CL_DIR/$region-s3g
    mkdir -p "$dir"
    key=REEL$(_reel_sw_random 16) && secret=$(_reel_sw_random 40 mixed) ||
        { _cl_log "could not read /dev/urandom"; return 1; }
    (
        umask 077
        printf '{\n  "identities": [\n    {\n      "name": "reel",\n      "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n      "actions": ["Admin", "Read", "List", "Tagging", "Write"]\n    }\n  ]\n}\n' \
            "$key" "$secret" >"$dir/s3.json"
        printf 'key=%s\nsecret=%s\n' "$key" "$secret" >"$dir/s3.keys"
    ) || return 1

    mkdir -p "$CL_DIR/$region-s3m/meta"
    _cl_weed_ports_file "$region-s3m" "master_grpc=$((m + 10000))"
    _cl_weed "$region-s3m" master master -ip="$maddr" -ip.bind="$maddr" -port="$m" \
        -port.grpc="$((m + 10000))" -mdir="$CL_DIR/$region-s3m/meta" \
        -volumeSizeLimitMB="${REEL_SEAWEEDFS_VOLUME_SIZE_MB:-64}" -defaultReplication="$repl" \
        -telemetry=false || return 1

    for h in $(cl_hosts "$region"); do
        case "$h" in *-s3v*) cl_weed_volume "$h" || return 1 ;; esac
    done

    f=$(cl_weed_port "$region" filer)
    s=$(cl_weed_port "$region" s3)
    h=$region-s3g
    mkdir -p "$CL_DIR/$h/filer"
    _cl_weed_ports_file "$h" "filer_grpc=$((f + 10000))" "s3_grpc=$((s + 10000))" \
        "filer_socket=$CL_DIR/$h/filer.sock" "s3_socket=$CL_DIR/$h/s3.sock"
    _cl_weed "$h" filer filer -ip="$(cl_addr "$h")" -ip.bind="$(cl_addr "$h")" -port="$f" \
        -port.grpc="$((f + 10000))" -master="$maddr:$m" -defaultStoreDir="$CL_DIR/$h/filer" \
        -localSocket="$CL_DIR/$h/filer.sock" \
        -s3 -s3.port="$s" -s3.port.grpc="$((s + 10000))" -s3.localSocket="$CL_DIR/$h/s3.sock" \
        -s3.port.iceberg=0 -s3.port.lance=0 -s3.autoCreateBucket=false -s3.config="$dir/s3.json"
}

# cl_weed_volume HOST: starts the volume server of HOST (REGION-s3vN: port volumeN), on
# its data folder (a restart after a kill finds its volumes there).
cl_weed_volume() {
    local h=$1 region v m
    region=$(cl_host_field "$h" 2)
    v=$(cl_weed_port "$region" "volume${h##*-s3v}") || return 1
    m=$(cl_weed_port "$region" master)
    mkdir -p "$CL_DIR/$h/data"
    _cl_weed_ports_file "$h" "volume_grpc=$((v + 10000))"
    _cl_weed "$h" volume volume -ip="$(cl_addr "$h")" -ip.bind="$(cl_addr "$h")" -port="$v" \
        -port.grpc="$((v + 10000))" -dir="$CL_DIR/$h/data" -max="${REEL_SEAWEEDFS_VOLUME_MAX:-20}" \
        -master="$(cl_addr "$region-s3m"):$m" -preStopSeconds=0 -dataCenter="dc-$region" -rack=rack1
}

# _cl_s3_in HOST KEY SECRET METHOD URL [CURL_ARGS...]: seaweedfs.sh's signed request, from HOST's namespace.
_cl_s3_in() {
    local ns
    ns=$(cl_ns "$1")
    shift
    (
        curl() { ip netns exec "$ns" curl "$@"; }
        _reel_sw_s3 "$@"
    )
}

# cl_weed_ready REGION: the bucket exists and an object can be written and deleted
# (the master, enough volume servers for the replication, the filer and the gateway
# all work). Fails naming the first of the region's weed hosts that died, or the gateway.
cl_weed_ready() {
    local region=$1 h=$1-s3g key secret endpoint bucket=reel-$1 code deadline host proc pid
    key=$(_reel_kv "$CL_DIR/$h/s3.keys" key)
    secret=$(_reel_kv "$CL_DIR/$h/s3.keys" secret)
    endpoint=http://$(cl_addr "$h"):$(cl_weed_port "$region" s3)
    deadline=$(( $(date +%s) + CL_TIMEOUT ))
    while :; do
        for host in $(cl_hosts "$region"); do
            case "$host" in *-s3*) ;; *) continue ;; esac
            proc=volume
            case "$host" in *-s3m) proc=master ;; *-s3g) proc=filer ;; esac
            pid=$(cl_pid "$host" "$proc")
            _reel_alive "$pid" || { cl_fail "$host" "weed $proc (pid $pid) exited" "$(cl_log_of "$host" "$proc")"; return 1; }
        done
        code=$(_cl_s3_in "$h" "$key" "$secret" PUT "$endpoint/$bucket") || :
        if [ "$code" = 200 ] || [ "$code" = 409 ]; then
            # sha256("ready"): SeaweedFS wants x-amz-content-sha256 with a body.
            code=$(_cl_s3_in "$h" "$key" "$secret" PUT "$endpoint/$bucket/.reel-ready" \
                -H 'Content-Type: text/plain' --data-binary ready \
                -H 'x-amz-content-sha256: b24d6d33736ecd5604a4b17bc9c6481039fac362bb7df044ef1c10a2bfd21db6') || :
            if [ "$code" = 200 ]; then
                code=$(_cl_s3_in "$h" "$key" "$secret" DELETE "$endpoint/$bucket/.reel-ready") || :
                [ "$code" = 204 ] || [ "$code" = 200 ] && return 0
            fi
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            cl_fail "$h" "S3 gateway $endpoint not writable within ${CL_TIMEOUT}s (last HTTP status $code)" \
                "$(cl_log_of "$h" filer)"
            return 1
        fi
        sleep 0.3
    done
}

# cl_weed_stop_sockets: removes the gRPC and local sockets of every weed host (after they stopped).
cl_weed_stop_sockets() {
    local h
    for h in $(cl_hosts); do
        [ -f "$CL_DIR/$h/seaweedfs.ports" ] && _reel_sw_rm_sockets "$CL_DIR/$h" 2
    done
    return 0
}
