#!/usr/bin/env bash
# tailor serve --queue: the server plans, guards, runs the consistency pass
# and streams; its provider calls are made by two `tailor worker`s over
# Redis against fake-llm. Servers started here (tests/services.sh).
# Skipped (0 passed) without redis-server, curl or jq; a failure then when
# TL_REQUIRE_SERVICES is set.
# usage: dist_serve.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../services.sh"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    svc_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi; }
check_true() { if [ "$2" = true ]; then ok; else fail "$1"; fi; }

if ! command -v curl >/dev/null || ! command -v jq >/dev/null || ! svc_start_redis; then
    echo "SKIP: needs curl, jq and redis-server"
    echo "0 passed, 0 failed"
    [ -n "${TL_REQUIRE_SERVICES:-}" ] && exit 1
    exit 0
fi
REDIS=redis://127.0.0.1:$SVC_REDIS_PORT
export OPENAI_API_KEY=sk-dist-serve

mkfifo "$WORK/fifo"
"$TAILOR" fake-llm --port 0 --latency-ms 10 >"$WORK/fifo" 2>/dev/null &
PIDS+=($!)
read -r -t 30 line <"$WORK/fifo"
LLM=${line##*:}

for i in 1 2; do
    "$TAILOR" worker --redis "$REDIS" --providers "openai=http://127.0.0.1:$LLM/v1" \
        --concurrency 4 2>"$WORK/worker-$i.log" &
    PIDS+=($!)
done

# The server's own openai points nowhere: every call must go through the
# workers.
OPENAI_BASE_URL=http://127.0.0.1:1/v1 "$TAILOR" serve --port 0 --db :memory: --quiet \
    --providers openai,local --queue "$REDIS" 2>"$WORK/server.log" &
SERVER=$!
PIDS+=($SERVER)
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/server.log")
    [ -n "$PORT" ] && break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    fail "server did not start: $(cat "$WORK/server.log")"
    echo "$passed passed, $failed failed"
    exit 1
fi
BASE="http://127.0.0.1:$PORT"
grep -q "provider calls go to the workers" "$WORK/server.log"
check "server says where calls go" $? 0

post() { # PATH BODY -> STATUS, BODY
    local out
    out=$(curl -s -m 120 -w '\n%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "$2" "$BASE$1")
    STATUS=${out##*$'\n'}
    BODY=${out%$'\n'*}
}

REQ=$(jq -n --slurpfile r "$DATA/alex-chen.json" --rawfile j "$DATA/senior-backend-engineer.txt" \
    '{resume: $r[0], job_description: $j, customization_strength: "BALANCED", provider: "openai,local"}')
post /api/v1/enhance-customize "$REQ"
check "customize through the workers" "$STATUS" 200
check_true "provider calls made" "$(jq '.metrics.provider_calls > 0' <<<"$BODY")"
check_true "every section by openai, none fell back" \
    "$(jq '(.sections | length) > 0 and all(.sections[]; .provider == "openai" and .fallback == false)' <<<"$BODY")"
OKS=$(curl -s "http://127.0.0.1:$LLM/stats" | jq .ok)
check_true "fake-llm answered the workers" "$([ "${OKS:-0}" -gt 0 ] && echo true)"

# Events stream from the server as the workers answer.
post /api/v1/enhance-customize "$(jq -c '. + {async: true, customization_strength: "EXTENSIVE"}' <<<"$REQ")"
check "async job accepted" "$STATUS" 202
JOB=$(jq -r '.job_id // .id' <<<"$BODY")
EVENTS=$(curl -s -m 60 "$BASE/api/v1/enhance-customize/$JOB/events")
grep -q '"provider":"openai"' <<<"$EVENTS"
check "section events name openai" $? 0
grep -q '^event: done' <<<"$EVENTS"
check "job done event" $? 0

kill "$SERVER"
wait "$SERVER"
check "server exits 0" "$?" 0
for p in "${PIDS[@]}"; do [ "$p" = "$SERVER" ] || kill "$p" 2>/dev/null; done
rc=0
for p in "${PIDS[@]}"; do
    [ "$p" = "$SERVER" ] && continue
    wait "$p" 2>/dev/null || rc=$?
done
PIDS=()
tasks=$(cat "$WORK"/worker-*.log | sed -nE 's/.*worker done: tasks=([0-9]+).*/\1/p' | awk '{s += $1} END {print s + 0}')
check_true "workers made the calls ($tasks)" "$([ "$tasks" -gt 0 ] && echo true)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
