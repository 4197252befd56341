#!/usr/bin/env bash
# tailor serve --db postgres://...: two servers on one PostgreSQL database
# (as behind a load balancer) see each other's resumes and jobs; a server
# that starts does not run again the jobs another live server runs; the
# jobs of a server killed mid-run are finished by the other once their
# lease ends, each exactly once; a job's events read through the server
# that does not run it. The
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
    [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
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

start_server() { # NAME [ARGS...] -> sets PORT and PID
    local name=$1
    shift
    "$TAILOR" serve --port 0 --db "$URL" --quiet "$@" 2>"$WORK/$name.log" &
    PID=$!
    PIDS+=($PID)
    PORT=
    local i
    for i in $(seq 1 100); do
        PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/$name.log")
        [ -n "$PORT" ] && return 0
        sleep 0.1
    done
    fail "server $name did not start: $(cat "$WORK/$name.log")"
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

# --- leases: server A runs a batch, B starts meanwhile, A is killed -------
# Jobs ask fake-llm (150 ms a call) first, so that a is killed mid-run.
N=40
LEASE_MS=1500
mkfifo "$WORK/fifo"
"$TAILOR" fake-llm --port 0 --latency-ms 150 >"$WORK/fifo" 2>/dev/null &
PIDS+=($!)
read -r -t 30 line <"$WORK/fifo"
export OPENAI_BASE_URL=http://127.0.0.1:${line##*:}/v1 OPENAI_API_KEY=sk-dist-store
post() { # PORT PATH FILE -> BODY
    BODY=$(curl -s -H 'Content-Type: application/json' --data-binary "@$3" "http://127.0.0.1:$1$2")
}
count_status() { # PORT STATUS IDS...
    local port=$1 want=$2 n=0 id
    shift 2
    for id in "$@"; do
        case "$(curl -s "http://127.0.0.1:$port/api/v1/enhance-customize/$id")" in
        *"\"status\":\"$want\""*) n=$((n + 1)) ;;
        esac
    done
    printf '%s' "$n"
}
start_server lease-a --workers 1 --providers openai,local --job-lease-ms $LEASE_MS || { echo "$passed passed, $failed failed"; exit 1; }
PA=$PORT
PID_A=$PID
printf '{"text":%s}' "$(jq -Rs . "$DATA/senior-backend-engineer.txt")" >"$WORK/jd.json"
post "$PA" /api/v1/job-descriptions "$WORK/jd.json"
JD=$(jq -r .id <<<"$BODY")
# Every job tailors a stored resume of its own (a word of its number in
# every bullet and skill), so that no cache answers for another job and
# each job adds version 2 of its resume.
RIDS=()
JOBS=()
for i in $(seq 1 $N); do
    jq -c --arg n "$i" '.work |= map(.highlights |= map(. + " (site " + $n + ")"))
        | .skills |= map(.name += " " + $n)' "$DATA/alex-chen.json" >"$WORK/resume.json"
    post "$PA" /api/v1/resumes "$WORK/resume.json"
    RIDS+=("$(jq -r .id <<<"$BODY")")
done
for rid in "${RIDS[@]}"; do
    printf '{"resume_id":%s,"job_description_id":%s,"async":true}' "$rid" "$JD" >"$WORK/job.json"
    post "$PA" /api/v1/enhance-customize "$WORK/job.json"
    JOBS+=("$(jq -r .job_id <<<"$BODY")")
done
if [ "${#JOBS[@]}" -eq $N ] && [ "${JOBS[-1]}" != null ]; then ok; else fail "jobs on a: $BODY"; fi
LAST=${JOBS[$((${#JOBS[@]} - 1))]:-0}

start_server lease-b --providers openai,local --job-lease-ms $LEASE_MS || { echo "$passed passed, $failed failed"; exit 1; }
PB=$PORT
# The last job's events, through b while a runs it.
curl -sN --max-time 120 "http://127.0.0.1:$PB/api/v1/enhance-customize/$LAST/events" >"$WORK/events.txt" &
EVENTS_PID=$!
sleep 0.5
# b started while a runs its jobs under live leases: b runs none of them.
if ! grep -q 'queued again' "$WORK/lease-b.log"; then ok; else fail "b ran a's jobs while a was alive: $(grep -c 'queued again' "$WORK/lease-b.log")"; fi
kill -KILL "$PID_A"
wait "$PID_A" 2>/dev/null
done_n=0
for _ in $(seq 1 120); do
    done_n=$(count_status "$PB" done "${JOBS[@]}")
    [ "$done_n" -eq $N ] && break
    sleep 0.5
done
if [ "$done_n" -eq $N ]; then ok; else fail "after a was killed: $done_n of $N jobs done"; fi
# b took over the jobs a left (an unfinished job only: a finished one is
# never claimed), and at most the one a was running when it died may have
# stored its version already (b then keeps that version).
taken=$(grep -c 'queued again' "$WORK/lease-b.log")
if [ "$taken" -ge 1 ]; then ok; else fail "b took over no job of a"; fi
again=$(grep -c 'its version was stored already' "$WORK/lease-b.log")
if [ "$again" -le 1 ]; then ok; else fail "$again jobs of a had stored their version before b ran them"; fi
# Exactly once: every job added one version (version 2) to its resume.
twice=0
for rid in "${RIDS[@]}"; do
    n=$(curl -s "http://127.0.0.1:$PB/api/v1/resumes/$rid/versions" | jq '.versions | length')
    [ "$n" = 2 ] || twice=$((twice + 1))
done
if [ "$twice" -eq 0 ]; then ok; else fail "$twice resumes without exactly one new version"; fi
wait "$EVENTS_PID"
if grep -q '^event: accepted' "$WORK/events.txt" && [ "$(grep -c '^event: done' "$WORK/events.txt")" -eq 1 ]; then ok; else fail "events of job $LAST through b: $(head -c 300 "$WORK/events.txt")"; fi
echo "# leases: a did $((N - taken)) of $N jobs before it was killed; b took over $taken"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
