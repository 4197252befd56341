#!/usr/bin/env bash
# Distributed workers on real servers started here (tests/services.sh):
# redis-server, tailor fake-llm, `tailor worker` processes, and the engine's
# side (bench_dist, built next to tailor: the engine with the remote
# provider as its chain; it checks that every job completes and every task
# of every job has exactly one result).
#   1. three workers, 200 jobs, one worker killed with SIGKILL mid-run:
#      all jobs complete, one result per task, nothing pending in the group
#   2. four workers against fake-llm --rpm: 429s under 1% of the calls
#   3. Redis restarted mid-run, calls in flight: everyone reconnects and
#      finishes, and nothing is lost: the engine sends the waiting calls
#      again, every task is done by a worker (none falls back to the
#      embedded engine), every call is answered once
# Skipped (0 passed) when redis-server or bench_dist is missing; a failure
# then when TL_REQUIRE_SERVICES is set.
# usage: dist_workers.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH=$(dirname "$TAILOR")/bench_dist
. "$HERE/../services.sh"
WORK=$(mktemp -d)
PIDS=()
LLM=
cleanup() {
    local p
    for p in "${PIDS[@]}" $LLM; do kill -9 "$p" 2>/dev/null; done
    for p in "${PIDS[@]}" $LLM; do wait "$p" 2>/dev/null; done
    svc_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # NAME CONDITION-STATUS DETAIL
    if [ "$2" -eq 0 ]; then ok; else fail "$1: $3"; fi
}

if [ ! -x "$BENCH" ] || ! command -v curl >/dev/null || ! command -v redis-cli >/dev/null ||
    ! svc_start_redis; then
    echo "SKIP: needs redis-server, redis-cli, curl and $BENCH"
    echo "0 passed, 0 failed"
    [ -n "${TL_REQUIRE_SERVICES:-}" ] && exit 1
    exit 0
fi
export OPENAI_API_KEY=sk-dist-test

start_llm() { # ARGS... -> LLM, LLM_PORT
    rm -f "$WORK/fifo"
    mkfifo "$WORK/fifo"
    "$TAILOR" fake-llm --port 0 --threads 4 "$@" >"$WORK/fifo" 2>"$WORK/llm.err" &
    LLM=$!
    local line=
    read -r -t 30 line <"$WORK/fifo"
    LLM_PORT=${line##*:}
}

stop_llm() {
    kill "$LLM" 2>/dev/null
    wait "$LLM" 2>/dev/null
    LLM=
}

start_workers() { # N PREFIX ARGS...
    local n=$1 prefix=$2 i
    shift 2
    WORKERS=()
    for i in $(seq 1 "$n"); do
        "$TAILOR" worker --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix "$prefix" \
            --providers "openai=http://127.0.0.1:$LLM_PORT/v1" "$@" 2>"$WORK/worker-$prefix-$i.log" &
        WORKERS+=($!)
        PIDS+=($!)
    done
    for i in $(seq 1 100); do
        [ "$(cat "$WORK"/worker-"$prefix"-*.log 2>/dev/null | grep -c 'worker ready')" -ge "$n" ] && return 0
        sleep 0.05
    done
    fail "workers did not start: $(cat "$WORK"/worker-"$prefix"-*.log)"
}

stop_workers() { # SIGTERM: each finishes its calls in hand and exits 0 (no leak)
    local p rc bad=0
    for p in "${WORKERS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${WORKERS[@]}"; do
        wait "$p" 2>/dev/null
        rc=$?
        [ "$p" = "${KILLED:-}" ] && continue
        [ $rc -eq 0 ] || bad=$rc
    done
    check "workers stop cleanly on SIGTERM" $bad "exit $bad: $(grep -h -A3 -E 'ERROR|Sanitizer' "$WORK"/worker-*.log | head -n 20)"
}

pending() { # PREFIX: tasks delivered and not acknowledged, all bands
    local total=0 b n
    for b in 0 1 2; do
        n=$(redis-cli -p "$SVC_REDIS_PORT" XPENDING "$1:tasks:$b" workers 2>/dev/null | head -n 1)
        case "$n" in '' | *[!0-9]*) n=0 ;; esac
        total=$((total + n))
    done
    echo "$total"
}

field() { sed -nE "s/.*[ ^]$1=([0-9.]+).*/\1/p" "$2" | head -n 1; }

# ---- 1. 200 jobs, three workers, one killed mid-run ----
start_llm --latency-ms 150
start_workers 3 kill --concurrency 8 --claim-idle-ms 1000 --no-cache
"$BENCH" --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix kill --jobs 200 --in-flight 60 \
    --timeout-s 100 --data "$DATA" >"$WORK/run1.out" 2>"$WORK/run1.err" &
BP=$!
sleep 1.5
KILLED=${WORKERS[0]}
kill -9 "$KILLED"
wait "$BP"
rc=$?
cat "$WORK/run1.out"
check "200 jobs with a worker killed: every job completes, one result per task" $rc \
    "$(cat "$WORK/run1.out") $(tail -n 5 "$WORK/run1.err")"
check "jobs done" "$([ "$(field done "$WORK/run1.out")" = 200 ]; echo $?)" "$(cat "$WORK/run1.out")"
check "calls answered once each" \
    "$([ "$(field calls "$WORK/run1.out")" = "$(field answers "$WORK/run1.out")" ]; echo $?)" \
    "$(cat "$WORK/run1.out")"
sleep 0.3
check "nothing pending in the group" "$([ "$(pending kill)" = 0 ]; echo $?)" "pending $(pending kill)"
grep -q "reclaimed an idle task" "$WORK"/worker-kill-*.log
check "the killed worker's tasks were reclaimed" $? "no reclaim in the logs"
stop_workers
stop_llm

# ---- 2. four workers against fake-llm --rpm: few 429s ----
RPM=600
start_llm --latency-ms 20 --rpm $RPM
start_workers 4 rpm --concurrency 4 --rpm $RPM --no-cache
"$BENCH" --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix rpm --jobs 220 --in-flight 60 \
    --timeout-s 100 --data "$DATA" >"$WORK/run2.out" 2>"$WORK/run2.err"
rc=$?
cat "$WORK/run2.out"
check "rate-limited run completes" $rc "$(cat "$WORK/run2.out") $(tail -n 5 "$WORK/run2.err")"
curl -s "http://127.0.0.1:$LLM_PORT/stats" >"$WORK/stats2.json"
calls=$(sed -nE 's/.*"calls":([0-9]+).*/\1/p' "$WORK/stats2.json")
limited=$(sed -nE 's/.*"rate_limited":([0-9]+).*/\1/p' "$WORK/stats2.json")
echo "fake-llm: calls=$calls rate_limited=$limited (limit $RPM/min shared by 4 workers)"
check "429s under 1% of calls" "$([ -n "$calls" ] && [ "$calls" -gt 0 ] && [ $((limited * 100)) -lt "$calls" ]; echo $?)" \
    "calls=$calls rate_limited=$limited"
stop_workers
stop_llm

# ---- 3. Redis restarted mid-run ----
start_llm --latency-ms 100
start_workers 3 restart --concurrency 8 --claim-idle-ms 1000 --no-cache
"$BENCH" --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix restart --jobs 100 --in-flight 40 \
    --timeout-s 100 --data "$DATA" >"$WORK/run3.out" 2>"$WORK/run3.err" &
BP=$!
for _ in $(seq 1 200); do # mid-run: once workers have calls in hand
    [ "$(pending restart)" -gt 0 ] && break
    sleep 0.05
done
svc_restart_redis
check "redis restarted on its port" $? "redis did not come back"
wait "$BP"
rc=$?
cat "$WORK/run3.out"
check "Redis restart: every job completes, one result per task" $rc \
    "$(cat "$WORK/run3.out") $(tail -n 5 "$WORK/run3.err")"
grep -q "reconnected" "$WORK"/worker-restart-*.log
check "workers reconnected" $? "no reconnect in the worker logs"
# What Redis forgot the engine sent again (src/dist/README.md, Redis restart):
check "the restart came with calls waiting, sent again" \
    "$([ "$(field resent "$WORK/run3.out")" -gt 0 ]; echo $?)" "$(cat "$WORK/run3.out")"
check "no task fell back to the embedded engine" \
    "$([ "$(field tasks_fell_back "$WORK/run3.out")" = 0 ]; echo $?)" "$(cat "$WORK/run3.out")"
check "every task done by a worker" \
    "$([ "$(field tasks_by_workers "$WORK/run3.out")" = "$(field tasks "$WORK/run3.out")" ]; echo $?)" \
    "$(cat "$WORK/run3.out")"
check "every call answered once (duplicates dropped)" \
    "$([ "$(field calls "$WORK/run3.out")" = "$(field answers "$WORK/run3.out")" ]; echo $?)" \
    "$(cat "$WORK/run3.out")"
sleep 0.3
check "nothing pending after the restart" "$([ "$(pending restart)" = 0 ]; echo $?)" "pending $(pending restart)"
stop_workers
stop_llm

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
