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

# ---- 200 jobs on one server and three workers, one worker SIGKILLed ----
# Every job's resume is its own (a word of its number in every bullet and
# skill group), so that no cache (the server's, the workers') answers for
# another job: every job makes its own provider calls, and the worker is
# killed with calls of its own in flight.
"$TAILOR" fake-llm --port 0 --latency-ms 200 >"$WORK/fifo" 2>/dev/null &
PIDS+=($!)
read -r -t 30 line <"$WORK/fifo"
LLM=${line##*:}
WORKERS=()
for i in 1 2 3; do
    "$TAILOR" worker --redis "$REDIS" --providers "openai=http://127.0.0.1:$LLM/v1" \
        --concurrency 8 --claim-idle-ms 1000 2>"$WORK/many-$i.log" &
    WORKERS+=($!)
    PIDS+=($!)
done
rm -f "$WORK/server.log"
OPENAI_BASE_URL=http://127.0.0.1:1/v1 "$TAILOR" serve --port 0 --db "$WORK/many.db" --quiet \
    --workers 32 --providers openai,local --queue "$REDIS" 2>"$WORK/server.log" &
SERVER=$!
PIDS+=($SERVER)
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/server.log" 2>/dev/null)
    [ -n "$PORT" ] && break
    sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
post /api/v1/job-descriptions "$(jq -Rs '{text: .}' "$DATA/senior-backend-engineer.txt")"
JID=$(jq -r .id <<<"$BODY")
jq -c --argjson jid "$JID" 'range(1; 201) as $i | ($i | tostring) as $n | {
        resume: (.
            | .work |= map(.highlights |= map(. + " (site " + $n + ")"))
            | .projects |= map(.highlights |= map(. + " (site " + $n + ")"))
            | .skills |= map(.name += " " + $n)),
        job_description_id: $jid,
        customization_strength: (if $i % 2 == 0 then "BALANCED" else "EXTENSIVE" end),
        provider: "openai,local", async: true}' "$DATA/alex-chen.json" >"$WORK/jobs.jsonl"
# Entries a worker has taken and not finished (its consumers' pending).
in_flight_of() { # PID
    local b n=0 c
    for b in 0 1 2; do
        c=$(redis-cli -p "$SVC_REDIS_PORT" XINFO CONSUMERS "tailor:tasks:$b" workers 2>/dev/null |
            awk -v pid="-$1-" 'prev == "name" { name = $0 }
                prev == "pending" && index(name, pid) { s += $0 } { prev = $0 } END { print s + 0 }')
        n=$((n + c))
    done
    echo "$n"
}
JOBS=()
killed_in_flight=0
t0=$(date +%s.%N)
i=0
while IFS= read -r job; do
    i=$((i + 1))
    post /api/v1/enhance-customize "$job"
    [ "$STATUS" = 202 ] && JOBS+=("$(sed -nE 's/.*"job_id": *([0-9]+).*/\1/p' <<<"$BODY")")
    if [ "$i" = 60 ]; then # mid-run, once the worker has calls in hand
        for _ in $(seq 1 100); do
            killed_in_flight=$(in_flight_of "${WORKERS[0]}")
            [ "$killed_in_flight" -gt 0 ] && break
            sleep 0.05
        done
        kill -9 "${WORKERS[0]}"
    fi
done <"$WORK/jobs.jsonl"
check "200 jobs accepted" "${#JOBS[@]}" 200
check_true "the killed worker had calls in flight ($killed_in_flight)" \
    "$([ "$killed_in_flight" -gt 0 ] && echo true)"
# Wait for the last job, then read every job once and judge them together.
deadline=$((SECONDS + 90))
last=${JOBS[$((${#JOBS[@]} - 1))]}
while [ $SECONDS -le $deadline ]; do
    st=$(curl -s "$BASE/api/v1/enhance-customize/$last" | sed -nE 's/.*"status": *"([a-z]+)".*/\1/p')
    [ "$st" = done ] || [ "$st" = failed ] && break
    sleep 0.3
done
: >"$WORK/all.jsonl"
for id in "${JOBS[@]}"; do
    for _ in $(seq 1 100); do
        R=$(curl -s "$BASE/api/v1/enhance-customize/$id")
        case "$R" in *'"status":"done"'* | *'"status":"failed"'*) break ;; esac
        [ $SECONDS -gt $deadline ] && break
        sleep 0.2
    done
    printf '%s\n' "$R" >>"$WORK/all.jsonl"
done
t1=$(date +%s.%N)
done_n=$(jq -s '[.[] | select(.status == "done")] | length' "$WORK/all.jsonl")
# One result per task: no section of a job twice.
bad_sections=$(jq -s '[.[] | (.result.sections // []) | map(.id) | select(length != (unique | length))] | length' "$WORK/all.jsonl")
nsec=$(jq -s '[.[] | (.result.sections // []) | length] | add // 0' "$WORK/all.jsonl")
check_true "every job reports its sections ($nsec)" "$([ "$nsec" -ge 800 ] && echo true)"
# One result per section: every job has as many sections as its plan has
# tasks (the resumes differ in words only; job i is BALANCED when i is even).
for s in BALANCED EXTENSIVE; do
    want=$("$TAILOR" plan "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" \
        --strength "$s" --json | jq '.tasks | length')
    even=$([ "$s" = BALANCED ] && echo 0 || echo 1)
    other=$(jq -s --argjson want "${want:-0}" --argjson even "$even" \
        '[to_entries[] | select((.key + 1 + $even) % 2 == 0)
          | (.value.result.sections // []) | select(length != $want)] | length' "$WORK/all.jsonl")
    check "$s jobs: $want sections each" "$other" 0
done
calls=$(jq -s '[.[] | .result.metrics.provider_calls // 0] | add' "$WORK/all.jsonl")
check_true "every job made its own calls ($calls)" "$([ "$calls" -ge 400 ] && echo true)"
fell=$(jq -s '[.[] | (.result.sections // [])[] | select(.fallback == true)] | length' "$WORK/all.jsonl")
check "every job completes with a worker killed" "$done_n" 200
check "every task has exactly one result" "$bad_sections" 0
echo "200 jobs through serve --queue and 3 workers (one killed with $killed_in_flight calls in hand): $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'), $calls provider calls, $fell sections fell back"
pend=0
for b in 0 1 2; do
    n=$(redis-cli -p "$SVC_REDIS_PORT" XPENDING "tailor:tasks:$b" workers 2>/dev/null | head -n 1)
    case "$n" in '' | *[!0-9]*) n=0 ;; esac
    pend=$((pend + n))
done
check "nothing pending in the group" "$pend" 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
