# shellcheck shell=bash
#
# scripts/cluster/lib/postgres.sh - region-a's PostgreSQL primary with PgBouncer
# beside it (host a-pg), and region-b's hot standby (host b-pg), streaming from
# the primary through the relay.
#
# Uses the PostgreSQL helpers of scripts/services/lib/services.sh (_reel_pg_bin,
# _reel_pg_traversable, _reel_pgconf_quote). The servers run as the postgres user,
# trust authentication inside the cluster's networks (no secrets to hand around).
#
# Functions: cl_pg_primary, cl_pgbouncer, cl_pgbouncer_repoint, cl_pg_standby, cl_psql,
# cl_pg_promote.

CL_PG_PORT=5432
CL_PGB_PORT=6432

# _cl_as_pg HOST CMD...: CMD in HOST's namespace as the postgres user, from /.
_cl_as_pg() {
    local ns
    ns=$(cl_ns "$1")
    shift
    (cd / && ip netns exec "$ns" setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
}

# cl_psql HOST SQL: one value (or rows, |-separated) from the database reel on HOST's server.
cl_psql() {
    cl_in "$1" psql -X -q -A -t -h "$(cl_addr "$1")" -p "$CL_PG_PORT" -U reel -d reel \
        -v ON_ERROR_STOP=1 -c "$2"
}

# _cl_pg_conf HOST REGION: the cluster's settings for HOST's server (cluster.conf in its data dir).
_cl_pg_conf() {
    local host=$1 region=$2
    cat <<EOF
# written by scripts/cluster.sh; included from postgresql.conf
listen_addresses = '$(cl_addr "$host"),127.0.0.1'
port = $CL_PG_PORT
unix_socket_directories = $(_reel_pgconf_quote "$CL_DIR/$host/sock")
cluster_name = 'region-$region'
max_connections = ${REEL_CLUSTER_PG_MAX_CONNECTIONS:-300}
shared_buffers = ${REEL_CLUSTER_PG_SHARED_BUFFERS:-64MB}
huge_pages = off
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
max_wal_size = 512MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_timeout = 30s
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

# _cl_pg_dirs HOST: HOST's folder with a data dir and socket dir the postgres user owns.
_cl_pg_dirs() {
    local dir=$CL_DIR/$1
    mkdir -p "$dir/data" "$dir/sock" || return 1
    touch "$dir/postgres.log" || return 1
    _reel_pg_traversable "$dir" || return 1
    chown postgres: "$dir" "$dir/data" "$dir/sock" "$dir/postgres.log" || return 1
    chmod 700 "$dir/data"
}

# _cl_pg_start HOST: pg_ctl start in HOST's namespace; records the postmaster (stopped with INT: fast shutdown).
_cl_pg_start() {
    local host=$1 dir=$CL_DIR/$1 pgbin pid
    pgbin=$(_reel_pg_bin) || return 1
    chown postgres: "$dir/data/cluster.conf"
    if ! _cl_as_pg "$host" "$pgbin/pg_ctl" start --wait -t "$CL_TIMEOUT" -D "$dir/data" \
            -l "$dir/postgres.log" >>"$dir/pg_ctl.log" 2>&1; then
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) && [ -n "$pid" ] && cl_record "$host" postgres "$pid" INT
        cl_fail "$host" "PostgreSQL did not start (pg_ctl.log: $(tail -n 1 "$dir/pg_ctl.log"))" "$dir/postgres.log"
        return 1
    fi
    pid=$(head -n 1 "$dir/data/postmaster.pid") || return 1
    cl_record "$host" postgres "$pid" INT
    cl_wait "$host" postgres "PostgreSQL accepting connections" \
        "$pgbin/pg_isready" -q -h "$(cl_addr "$host")" -p "$CL_PG_PORT" -U reel -d postgres -t 1
}

# cl_pg_primary: initdb, start, create database reel.
cl_pg_primary() {
    local host=a-pg dir=$CL_DIR/a-pg pgbin out
    pgbin=$(_reel_pg_bin) || return 1
    _cl_pg_dirs "$host" || return 1
    if ! _cl_as_pg "$host" "$pgbin/initdb" -D "$dir/data" -U reel --auth=trust --encoding=UTF8 \
            --locale=C >"$dir/initdb.log" 2>&1; then
        cl_fail "$host" "initdb failed" "$dir/initdb.log"
        return 1
    fi
    printf "\ninclude_if_exists = 'cluster.conf'\n" >>"$dir/data/postgresql.conf"
    _cl_pg_conf "$host" a >"$dir/data/cluster.conf"
    # Both regions' hosts (the relay's legs included) may connect, and replicate.
    printf 'host all all %s.0.0/16 trust\nhost replication all %s.0.0/16 trust\n' "$CL_NET" "$CL_NET" \
        >>"$dir/data/pg_hba.conf"
    _cl_pg_start "$host" || return 1
    out=$(cl_in "$host" psql -X -q -h "$(cl_addr "$host")" -p "$CL_PG_PORT" -U reel -d postgres \
        -c 'CREATE DATABASE reel' 2>&1) || { cl_fail "$host" "CREATE DATABASE reel failed: $out" "$dir/postgres.log"; return 1; }
}

# cl_pgbouncer_db HOST PORT: the [databases] line of PgBouncer for the server at HOST:PORT.
# The API's statement_timeout is the pooler's to set in transaction pooling (docs/operations.md).
cl_pgbouncer_db() {
    echo "reel = host=$1 port=$2 dbname=reel connect_query='SET statement_timeout = 5000'"
}

# cl_pgbouncer: PgBouncer on a-pg:6432 in transaction pooling mode, in front of the primary.
# PgBouncer 1.18 takes one host per database: after a promotion an operator (or the
# failover tool) repoints it with cl_pgbouncer_repoint. A client waits at most
# query_wait_timeout (10 s, not 120) for a server, and a failed server login is retried
# after 1 s (server_login_retry), so a repointed PgBouncer serves again at once.
cl_pgbouncer() {
    local host=a-pg dir=$CL_DIR/a-pg/pgbouncer addr
    addr=$(cl_addr "$host")
    mkdir -p "$dir" || return 1
    printf '"reel" ""\n' >"$dir/userlist.txt"
    cat >"$dir/pgbouncer.ini" <<EOF
; written by scripts/cluster.sh
[databases]
$(cl_pgbouncer_db 127.0.0.1 "$CL_PG_PORT")

[pgbouncer]
listen_addr = $addr
listen_port = $CL_PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = ${REEL_CLUSTER_PGB_POOL_SIZE:-40}
ignore_startup_parameters = extra_float_digits
query_wait_timeout = 10
server_connect_timeout = 3
server_login_retry = 1
admin_users = reel
stats_users = reel
EOF
    chown -R postgres: "$dir" || return 1
    cl_spawn "$host" pgbouncer "$CL_DIR/$host/pgbouncer.log" \
        setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$dir/pgbouncer.ini"
    cl_wait "$host" pgbouncer "PgBouncer answering on :$CL_PGB_PORT" \
        psql -X -q -A -t -h "$addr" -p "$CL_PGB_PORT" -U reel -d reel -c 'SELECT 1'
}

# cl_pgbouncer_repoint HOST PORT: PgBouncer's database reel now at HOST:PORT (RELOAD:
# new server connections go there, and the old ones are closed as they come back).
cl_pgbouncer_repoint() {
    local dir=$CL_DIR/a-pg/pgbouncer
    [ -n "${1:-}" ] && [ -n "${2:-}" ] || { _cl_log "usage: cl_pgbouncer_repoint HOST PORT"; return 2; }
    sed -i "s|^reel = .*|$(cl_pgbouncer_db "$1" "$2")|" "$dir/pgbouncer.ini" || return 1
    cl_in a-pg psql -X -q -h "$(cl_addr a-pg)" -p "$CL_PGB_PORT" -U reel -d pgbouncer -c RELOAD >/dev/null || return 1
    _cl_log "PgBouncer (a-pg:$CL_PGB_PORT) now points at $1:$2"
}

# cl_pg_standby: pg_basebackup -R from the primary through the relay, start as a hot
# standby, wait until the primary reports it streaming.
cl_pg_standby() {
    local host=b-pg dir=$CL_DIR/b-pg pgbin relay
    pgbin=$(_reel_pg_bin) || return 1
    relay=$(cl_addr relay b)
    _cl_pg_dirs "$host" || return 1
    _cl_log "b-pg: pg_basebackup from the primary through the relay ($relay:$CL_PG_PORT)"
    if ! _cl_as_pg "$host" timeout "$CL_TIMEOUT" "$pgbin/pg_basebackup" -h "$relay" -p "$CL_PG_PORT" \
            -U reel -D "$dir/data" -R -X stream -C -S region_b -c fast >"$dir/basebackup.log" 2>&1; then
        cl_fail "$host" "pg_basebackup from $relay:$CL_PG_PORT failed" "$dir/basebackup.log"
        return 1
    fi
    _cl_pg_conf "$host" b >"$dir/data/cluster.conf"
    _cl_pg_start "$host" || return 1
    cl_wait a-pg postgres "region-b's standby streaming (pg_stat_replication)" \
        bash -c "[ \"\$(psql -X -q -A -t -h $(cl_addr a-pg) -p $CL_PG_PORT -U reel -d postgres -c \
            \"SELECT state FROM pg_stat_replication WHERE application_name = 'region-b'\")\" = streaming ]"
}

# cl_pg_failover: a planned failover to region-b, as an operator would do it: stops the
# primary (pg_ctl stop -m fast: its last WAL, the shutdown checkpoint included, is sent to
# the standby first), checks that the standby received all of it, promotes the standby
# (pg_ctl promote), and repoints PgBouncer (which cannot list two hosts) at the new primary
# through the relay. The Reel processes find the new primary themselves (multi-host URLs
# with target_session_attrs=read-write). Prints one line per step, with the time it took.
cl_pg_failover() {
    local pgbin a=$CL_DIR/a-pg b=$CL_DIR/b-pg ckpt recv t0 i
    pgbin=$(_reel_pg_bin) || return 1
    t0=$(date +%s%3N)
    [ "$(cl_psql b-pg 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] ||
        { _cl_log "b-pg is not a standby (a failover was done already?)"; return 1; }
    _cl_as_pg a-pg "$pgbin/pg_ctl" stop -m fast -w -t "$CL_TIMEOUT" -D "$a/data" >>"$a/pg_ctl.log" 2>&1 ||
        { cl_fail a-pg "pg_ctl stop -m fast failed" "$a/pg_ctl.log"; return 1; }
    ckpt=$("$pgbin/pg_controldata" "$a/data" | sed -n 's/^Latest checkpoint location: *//p')
    echo "failover: a-pg stopped (fast) after $(( $(date +%s%3N) - t0 )) ms; its last checkpoint is at $ckpt"
    for i in $(seq 1 $((CL_TIMEOUT * 10))); do
        recv=$(cl_psql b-pg "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), '$ckpt') >= 0" 2>/dev/null) || recv=
        [ "$recv" = t ] && break
        sleep 0.1
    done
    [ "$recv" = t ] || { cl_fail b-pg "the standby did not receive the primary's last WAL ($ckpt)" "$b/postgres.log"; return 1; }
    _cl_as_pg b-pg "$pgbin/pg_ctl" promote -w -t "$CL_TIMEOUT" -D "$b/data" >>"$b/pg_ctl.log" 2>&1 ||
        { cl_fail b-pg "pg_ctl promote failed" "$b/pg_ctl.log"; return 1; }
    echo "failover: b-pg promoted $(( $(date +%s%3N) - t0 )) ms after the stop began (it had received up to $(cl_psql b-pg 'SELECT pg_last_wal_receive_lsn()' 2>/dev/null || echo ?))"
    cl_pgbouncer_repoint "$(cl_addr relay a)" "$CL_PG_PORT" || return 1
    echo "failover: PgBouncer repointed at b-pg (through the relay) $(( $(date +%s%3N) - t0 )) ms after the stop began"
}
