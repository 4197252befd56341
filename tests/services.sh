#!/usr/bin/env bash
# Real servers for tests: redis-server and PostgreSQL on loopback, in a
# temporary directory, on free ports, stopped afterwards even on failure.
#
#   tests/services.sh run [--pg] [--redis] -- COMMAND ARGS...
#       starts the services asked for, runs COMMAND with
#         TL_TEST_PG_URL=postgres://tailor@127.0.0.1:PORT/postgres
#         TL_TEST_REDIS_URL=redis://127.0.0.1:PORT
#       (a variable is left unset when its server could not be started; a
#       line on stderr says why), TL_SERVICES_TRIED=1, and exits with
#       COMMAND's status after stopping everything.
#
#   . tests/services.sh   (from another script) defines svc_start_redis,
#       svc_stop_redis, svc_restart_redis, svc_start_pg, svc_stop_pg and
#       svc_stop_all; the caller traps EXIT to call svc_stop_all.
#
# PostgreSQL refuses to run as root: as root the cluster is made and run as
# the user TL_PG_USER (default nobody), which owns the temporary directory.
# Nothing is installed here: scripts/deps.sh installs the packages.

SVC_DIR=${SVC_DIR:-}
SVC_REDIS_PID=
SVC_REDIS_PORT=
SVC_PG_DIR=
SVC_PG_PORT=
SVC_PG_AS=

svc__dir() {
    if [ -z "$SVC_DIR" ]; then
        SVC_DIR=$(mktemp -d /tmp/tailor-svc-XXXXXX) || return 1
        chmod 755 "$SVC_DIR"
    fi
}

# A port nothing listens on now (a race with other processes remains; the
# start functions retry on another port).
svc__free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

svc__wait_port() { # PORT SECONDS
    local i
    for i in $(seq 1 $(($2 * 20))); do
        if (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    return 1
}

# svc_start_redis [PORT]: starts redis-server (no persistence) in the
# background; sets SVC_REDIS_PORT and SVC_REDIS_PID. A given port is kept
# (to restart on the same address).
svc_start_redis() {
    command -v redis-server >/dev/null || { echo "services: redis-server not installed" >&2; return 1; }
    svc__dir || return 1
    local want=${1:-} try port
    for try in 1 2 3; do
        port=${want:-$(svc__free_port)} || return 1
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --daemonize no --dir "$SVC_DIR" --logfile "$SVC_DIR/redis.log" &
        SVC_REDIS_PID=$!
        if svc__wait_port "$port" 10; then
            SVC_REDIS_PORT=$port
            return 0
        fi
        kill "$SVC_REDIS_PID" 2>/dev/null
        wait "$SVC_REDIS_PID" 2>/dev/null
        SVC_REDIS_PID=
        [ -n "$want" ] && sleep 0.5
    done
    echo "services: redis-server did not start: $(tail -n 3 "$SVC_DIR/redis.log" 2>/dev/null)" >&2
    return 1
}

svc_stop_redis() {
    if [ -n "$SVC_REDIS_PID" ]; then
        kill "$SVC_REDIS_PID" 2>/dev/null
        wait "$SVC_REDIS_PID" 2>/dev/null
        SVC_REDIS_PID=
    fi
}

# svc_restart_redis: stops redis and starts it again on the same port
# (empty: nothing was persisted).
svc_restart_redis() {
    svc_stop_redis
    svc_start_redis "$SVC_REDIS_PORT"
}

svc__pg() { # runs a PostgreSQL program as the cluster's owner
    local bin=$1
    shift
    if [ -n "$SVC_PG_AS" ]; then
        runuser -u "$SVC_PG_AS" -- "$SVC_PG_BIN/$bin" "$@"
    else
        "$SVC_PG_BIN/$bin" "$@"
    fi
}

# svc_start_pg: a fresh cluster (trust authentication, superuser "tailor",
# fsync off) listening on 127.0.0.1 only; sets SVC_PG_PORT.
svc_start_pg() {
    SVC_PG_BIN=${SVC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
    if [ -z "$SVC_PG_BIN" ] || [ ! -x "$SVC_PG_BIN/initdb" ]; then
        echo "services: PostgreSQL server not installed (/usr/lib/postgresql/*/bin/initdb)" >&2
        return 1
    fi
    svc__dir || return 1
    SVC_PG_DIR=$SVC_DIR/pg
    mkdir -p "$SVC_PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        SVC_PG_AS=${TL_PG_USER:-nobody}
        chown "$SVC_PG_AS" "$SVC_PG_DIR"
    fi
    if ! svc__pg initdb -D "$SVC_PG_DIR/data" -U tailor -A trust --no-sync -E UTF8 \
        >"$SVC_DIR/initdb.log" 2>&1; then
        echo "services: initdb failed: $(tail -n 3 "$SVC_DIR/initdb.log")" >&2
        return 1
    fi
    local try port
    for try in 1 2 3; do
        port=$(svc__free_port) || return 1
        if svc__pg pg_ctl -D "$SVC_PG_DIR/data" -l "$SVC_PG_DIR/log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $SVC_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            SVC_PG_PORT=$port
            return 0
        fi
    done
    echo "services: postgres did not start: $(tail -n 3 "$SVC_PG_DIR/log" 2>/dev/null)" >&2
    return 1
}

svc_stop_pg() {
    if [ -n "$SVC_PG_PORT" ]; then
        svc__pg pg_ctl -D "$SVC_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
        SVC_PG_PORT=
    fi
}

svc_stop_all() {
    svc_stop_redis
    svc_stop_pg
    if [ -n "$SVC_DIR" ]; then
        rm -rf "$SVC_DIR"
        SVC_DIR=
    fi
}

svc_main() {
    if [ "${1:-}" != run ]; then
        echo "usage: services.sh run [--pg] [--redis] -- COMMAND ARGS..." >&2
        return 2
    fi
    shift
    local want_pg=0 want_redis=0
    while [ $# -gt 0 ]; do
        case "$1" in
            --pg) want_pg=1 ;;
            --redis) want_redis=1 ;;
            --) shift; break ;;
            *) echo "services: unknown option $1" >&2; return 2 ;;
        esac
        shift
    done
    [ $# -gt 0 ] || { echo "services: no command" >&2; return 2; }
    trap svc_stop_all EXIT
    trap 'exit 130' INT TERM
    export TL_SERVICES_TRIED=1
    if [ $want_redis = 1 ] && svc_start_redis; then
        export TL_TEST_REDIS_URL=redis://127.0.0.1:$SVC_REDIS_PORT
    fi
    if [ $want_pg = 1 ] && svc_start_pg; then
        export TL_TEST_PG_URL=postgres://tailor@127.0.0.1:$SVC_PG_PORT/postgres
    fi
    "$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    svc_main "$@"
    exit $?
fi
