# shellcheck shell=bash
#
# scripts/cluster/lib/netns.sh - the cluster's hosts: one network namespace each.
#
# Sourced by scripts/cluster.sh. Two regions, each a /24 behind a bridge that lives
# in a namespace of its own (the region's "switch"; the root namespace gets no
# address), and a relay host with a leg in each. No host has a route to the other
# region: traffic between them goes through scripts/cluster/relay.py only.
#
#   namespace   reel-HOST (reel-a-api1, reel-b-pg, reel-relay, ...); switches reel-a-sw, reel-b-sw
#   addresses   $CL_NET.1.0/24 (region-a), $CL_NET.2.0/24 (region-b); the relay is .254 in both
#   names       /etc/netns/reel-HOST/hosts (what `ip netns exec` shows a process as
#               /etc/hosts): this region's hosts, and edge-a.reel / edge-b.reel as
#               this region reaches them (directly, or through the relay)
#
# Functions: cl_hosts, cl_host_field, cl_addr, cl_ns, cl_in, cl_net_up, cl_net_down,
# cl_net_exists.

CL_NET=${REEL_CLUSTER_NET:-10.77}
CL_NS_PREFIX=reel-

# HOST REGION LAST-OCTET ROLE (the order is the order of start and of the table).
CL_HOSTS=(
    "relay    -  254 relay between the regions (relay.py)"
    "a-pg     a  31  PostgreSQL primary + PgBouncer"
    "a-redis  a  41  Redis"
    "a-s3m    a  51  SeaweedFS master"
    "a-s3v1   a  52  SeaweedFS volume"
    "a-s3v2   a  53  SeaweedFS volume"
    "a-s3v3   a  55  SeaweedFS volume"
    "a-s3g    a  54  SeaweedFS filer + S3"
    "a-api1   a  11  reel api"
    "a-api2   a  12  reel api"
    "a-lb     a  10  HAProxy"
    "a-edge   a  61  Varnish edge + reel edge-agent"
    "a-worker a  21  reel worker"
    "a-sched  a  22  reel scheduler"
    "a-mon    a  71  Prometheus (both regions)"
    "b-pg     b  31  PostgreSQL hot standby"
    "b-redis  b  41  Redis"
    "b-s3m    b  51  SeaweedFS master"
    "b-s3v1   b  52  SeaweedFS volume"
    "b-s3g    b  54  SeaweedFS filer + S3"
    "b-api1   b  11  reel api"
    "b-edge   b  61  Varnish edge + reel edge-agent"
    "b-worker b  21  reel worker"
)

# cl_hosts [REGION]: host names, in order (REGION a or b: only that region's).
cl_hosts() {
    local line name region
    for line in "${CL_HOSTS[@]}"; do
        read -r name region _ <<<"$line"
        [ -z "${1:-}" ] || [ "$region" = "$1" ] || continue
        printf '%s\n' "$name"
    done
}

# cl_host_field HOST N: field N (1 name, 2 region, 3 octet, 4 role) of HOST.
cl_host_field() {
    local line name region octet role
    for line in "${CL_HOSTS[@]}"; do
        read -r name region octet role <<<"$line"
        [ "$name" = "$1" ] || continue
        case "$2" in 1) echo "$name" ;; 2) echo "$region" ;; 3) echo "$octet" ;; 4) echo "$role" ;; esac
        return 0
    done
    return 1
}

# cl_addr HOST [REGION]: HOST's address (the relay's: its leg in REGION).
cl_addr() {
    local region octet
    region=$(cl_host_field "$1" 2) || { _cl_log "no host $1"; return 1; }
    octet=$(cl_host_field "$1" 3)
    [ "$region" = - ] && region=${2:?cl_addr relay REGION}
    case "$region" in a) echo "$CL_NET.1.$octet" ;; b) echo "$CL_NET.2.$octet" ;; esac
}

cl_subnet() { case "$1" in a) echo "$CL_NET.1.0/24" ;; b) echo "$CL_NET.2.0/24" ;; esac; }

cl_ns() { printf '%s%s\n' "$CL_NS_PREFIX" "$1"; }

# cl_in HOST CMD...: run CMD in HOST's namespace.
cl_in() {
    local ns
    ns=$(cl_ns "$1")
    shift
    ip netns exec "$ns" "$@"
}

# Every namespace of the cluster (switches included), whether it exists or not.
_cl_all_ns() {
    local h
    for h in $(cl_hosts); do cl_ns "$h"; done
    cl_ns a-sw
    cl_ns b-sw
}

cl_net_exists() {
    local ns
    for ns in $(_cl_all_ns); do
        [ -e "/run/netns/$ns" ] && return 0
    done
    return 1
}

# _cl_plug HOST REGION IFNAME ADDR: a veth from REGION's bridge to HOST (as IFNAME, with ADDR/24).
_cl_plug() {
    local host=$1 region=$2 ifname=$3 addr=$4 sw port
    sw=$(cl_ns "$region-sw")
    port=$host
    [ "$host" = relay ] && port=relay
    ip -n "$sw" link add "$port" type veth peer name "$ifname" netns "$(cl_ns "$host")" || return 1
    ip -n "$sw" link set "$port" master br0 up || return 1
    ip -n "$(cl_ns "$host")" addr add "$addr/24" dev "$ifname" || return 1
    ip -n "$(cl_ns "$host")" link set "$ifname" up
}

# _cl_hosts_file HOST: what /etc/hosts holds in HOST's namespace.
_cl_hosts_file() {
    local host=$1 region h
    region=$(cl_host_field "$host" 2)
    printf '# written by scripts/cluster.sh for %s\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$(cl_ns "$host")"
    [ "$region" = - ] && return 0
    for h in $(cl_hosts "$region"); do printf '%s\t%s\n' "$(cl_addr "$h")" "$h"; done
    printf '%s\trelay\n' "$(cl_addr relay "$region")"
    # The edges by the name their catalog URLs use: ours directly, the other's through the relay.
    if [ "$region" = a ]; then
        printf '%s\tedge-a.reel\n%s\tedge-b.reel\n' "$(cl_addr a-edge)" "$(cl_addr relay a)"
    else
        printf '%s\tedge-a.reel\n%s\tedge-b.reel\n' "$(cl_addr relay b)" "$(cl_addr b-edge)"
    fi
}

# cl_net_up: namespaces, bridges, veths, addresses, hosts files.
cl_net_up() {
    local h region ns
    for region in a b; do
        ns=$(cl_ns "$region-sw")
        ip netns add "$ns" || return 1
        ip -n "$ns" link add br0 type bridge || return 1
        ip -n "$ns" link set br0 up || return 1
    done
    [ -d /etc/netns ] || { mkdir -p /etc/netns && touch "$CL_DIR/etc-netns-created"; } || return 1
    for h in $(cl_hosts); do
        ns=$(cl_ns "$h")
        ip netns add "$ns" || return 1
        ip -n "$ns" link set lo up || return 1
        region=$(cl_host_field "$h" 2)
        if [ "$region" = - ]; then
            _cl_plug "$h" a eth-a "$(cl_addr "$h" a)" || return 1
            _cl_plug "$h" b eth-b "$(cl_addr "$h" b)" || return 1
            # A router it is not: only relay.py carries bytes between the legs.
            ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=0 || return 1
        else
            _cl_plug "$h" "$region" eth0 "$(cl_addr "$h")" || return 1
        fi
        mkdir -p "/etc/netns/$ns" || return 1
        _cl_hosts_file "$h" >"/etc/netns/$ns/hosts" || return 1
    done
}

# cl_net_down: deletes every namespace of the cluster (their veths and bridges go
# with them) and the hosts files; idempotent.
cl_net_down() {
    local ns
    for ns in $(_cl_all_ns); do
        [ -e "/run/netns/$ns" ] && { ip netns del "$ns" 2>/dev/null || _cl_log "could not delete namespace $ns"; }
        if [ -d "/etc/netns/$ns" ]; then
            rm -f "/etc/netns/$ns/hosts"
            rmdir "/etc/netns/$ns" 2>/dev/null || :
        fi
    done
    if [ -f "$CL_DIR/etc-netns-created" ]; then
        rmdir /etc/netns 2>/dev/null || :
        rm -f "$CL_DIR/etc-netns-created"
    fi
    return 0
}
