#!/usr/bin/env bash
# tailor serve --db postgres://...: two servers on one PostgreSQL database
# (as behind a load balancer) see each other's resumes and jobs. The
# database is started by tests/services.sh; without PostgreSQL installed
# the test is skipped (a failure when TL_REQUIRE_SERVICES is set).
# usage: dist_store.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../services.sh"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    svc_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

if ! command -v curl >/dev/null || ! svc_start_pg; then
    echo "SKIP: no curl or no PostgreSQL server"
    echo "0 passed, 0 failed"
    [ -n "${TL_REQUIRE_SERVICES:-}" ] && exit 1
    exit 0
fi
URL=postgres://tailor@127.0.0.1:$SVC_PG_PORT/postgres

start_server() { # NAME -> sets PORT
    "$TAILOR" serve --port 0 --db "$URL" --quiet 2>"$WORK/$1.log" &
    PIDS+=($!)
    PORT=
    local i
    for i in $(seq 1 100); do
        PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/$1.log")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    fail "server $1 did not start: $(cat "$WORK/$1.log")"
    return 1
}

start_server a || { echo "$passed passed, $failed failed"; exit 1; }
PA=$PORT
start_server b || { echo "$passed passed, $failed failed"; exit 1; }
PB=$PORT

code=$(curl -s -o "$WORK/post.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$DATA/alex-chen.json" "http://127.0.0.1:$PA/api/v1/resumes")
if [ "$code" = 201 ] || [ "$code" = 200 ]; then ok; else fail "POST resume on a: $code $(cat "$WORK/post.json")"; fi
id=$(sed -nE 's/.*"id": *([0-9]+).*/\1/p' "$WORK/post.json" | head -n 1)
code=$(curl -s -o "$WORK/get.json" -w '%{http_code}' "http://127.0.0.1:$PB/api/v1/resumes/$id")
if [ "$code" = 200 ]; then ok; else fail "GET resume $id on b: $code $(cat "$WORK/get.json")"; fi
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PB/health")
if [ "$code" = 200 ]; then ok; else fail "health on b: $code"; fi
# The password of a database address never shows in an error.
"$TAILOR" serve --port 0 --db "postgres://u:secret@127.0.0.1:1/x" 2>"$WORK/bad.log" &
bad=$!
wait $bad
rc=$?
if [ $rc -ne 0 ] && ! grep -q secret "$WORK/bad.log"; then ok; else fail "bad database: rc $rc, $(cat "$WORK/bad.log")"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
