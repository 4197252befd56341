#!/usr/bin/env bash
# The real `tailor serve` binary: options and environment, API keys from a
# file and from the environment, a database file that outlives the
# process, and a graceful stop on SIGTERM and SIGINT (exit 0). HTTP is
# spoken through bash's /dev/tcp, so nothing beyond bash is needed.
# (Every route and status is covered in depth by tests/unit/test_api.c.)
# usage: api.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$2
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -KILL "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() { # NAME GOT WANT
    if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
contains() { # NAME HAYSTACK NEEDLE
    case "$2" in *"$3"*) ok ;; *) fail "$1: '$3' not in: ${2:0:300}" ;; esac
}

# json_string TEXT: TEXT as a JSON string literal.
json_string() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    printf '"%s"' "$s"
}

# http METHOD PATH [BODY_FILE] [AUTH]: sets STATUS and BODY.
http() {
    local method=$1 path=$2 file=${3:-} auth=${4:-}
    STATUS=000
    BODY=
    if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then return; fi
    {
        printf '%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n' "$method" "$path"
        if [ -n "$auth" ]; then printf 'Authorization: Bearer %s\r\n' "$auth"; fi
        if [ -n "$file" ]; then
            printf 'Content-Type: application/json\r\nContent-Length: %s\r\n' "$(wc -c <"$file")"
        fi
        printf '\r\n'
        if [ -n "$file" ]; then cat "$file"; fi
    } >&3
    local answer
    answer=$(cat <&3)
    exec 3<&-
    STATUS=$(printf '%s' "$answer" | head -n1 | cut -d' ' -f2)
    BODY=${answer#*$'\r\n\r\n'}
}

# start_server ARGS...: starts tailor serve on a free port, in $WORK, sets
# PORT.
start_server() {
    rm -f "$WORK/server.log" # never read the previous server's port
    (cd "$WORK" && exec "$TAILOR" serve --port 0 "$@" 2>"$WORK/server.log") &
    SERVER_PID=$!
    PORT=
    for _ in $(seq 1 100); do
        PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/server.log" 2>/dev/null)
        if [ -n "$PORT" ]; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    fail "server did not start: $(cat "$WORK/server.log")"
    return 1
}

# stop_server SIGNAL: sends it and checks a clean exit 0.
stop_server() {
    kill "-$1" "$SERVER_PID"
    wait "$SERVER_PID"
    local rc=$?
    SERVER_PID=
    check "exit status after SIG$1" "$rc" 0
    contains "drained on SIG$1" "$(cat "$WORK/server.log")" 'msg="stopped" drained=yes'
}

id_of() { printf '%s' "$1" | sed -nE 's/^\{"(id|job_id)":([0-9]+).*/\2/p'; }

# --- options ------------------------------------------------------------
"$TAILOR" serve --help >"$WORK/out" 2>&1
check "serve --help exit" "$?" 0
contains "serve --help text" "$(cat "$WORK/out")" "--api-keys"
"$TAILOR" serve --port nope >/dev/null 2>&1
check "bad --port" "$?" 2
"$TAILOR" serve --workers 0 >/dev/null 2>&1
check "bad --workers" "$?" 2
"$TAILOR" serve --port 0 --db :memory: --bind not-an-address >/dev/null 2>&1
check "bad --bind" "$?" 2
"$TAILOR" serve --port 0 --db :memory: --api-keys "$WORK/missing" >/dev/null 2>&1
check "missing keys file" "$?" 2

# --- keys from a file, a database file, SIGTERM ----------------------------
printf '# keys\nfirst-key\n\n  second-key  \n' >"$WORK/keys"
DB="$WORK/first.db"
if start_server --db "$DB" --api-keys "$WORK/keys" --workers 1 --drain-s 5; then
    http GET /health
    check "health" "$STATUS" 200
    contains "health body" "$BODY" '"status":"ok"'
    http GET /
    check "page" "$STATUS" 200
    contains "page is html" "$BODY" "<html"
    http GET /openapi.json
    check "openapi" "$STATUS" 200

    cp "$DATA/alex-chen.json" "$WORK/resume.json"
    http POST /api/v1/resumes "$WORK/resume.json"
    check "no key" "$STATUS" 401
    http POST /api/v1/resumes "$WORK/resume.json" wrong-key
    check "wrong key" "$STATUS" 401
    http POST /api/v1/resumes "$WORK/resume.json" second-key
    check "trimmed key from file" "$STATUS" 201
    RESUME_ID=$(id_of "$BODY")

    printf '{"text":%s}' "$(json_string "$(cat "$DATA/senior-backend-engineer.txt")")" >"$WORK/jd.json"
    http POST /api/v1/job-descriptions "$WORK/jd.json" first-key
    check "job description" "$STATUS" 201
    JD_ID=$(id_of "$BODY")

    printf '{"resume_id":%s,"job_description_id":%s,"customization_strength":"BALANCED","async":true}' \
        "$RESUME_ID" "$JD_ID" >"$WORK/customize.json"
    http POST /api/v1/enhance-customize "$WORK/customize.json" first-key
    check "async customize" "$STATUS" 202
    JOB_ID=$(id_of "$BODY")
    stop_server TERM
    contains "access log line" "$(cat "$WORK/server.log")" 'msg=access method=POST path="/api/v1/enhance-customize" status=202'
fi

# --- the same database after a restart; keys from the environment; SIGINT --
if TAILOR_API_KEYS="env-one, env-two" start_server --db "$DB" --quiet; then
    http GET "/api/v1/resumes/$RESUME_ID" "" env-two
    check "resume survives a restart" "$STATUS" 200
    contains "stored version" "$BODY" '"latest_version":2'
    http GET "/api/v1/enhance-customize/$JOB_ID" "" env-one
    check "job survives a restart" "$STATUS" 200
    contains "job done" "$BODY" '"status":"done"'
    http GET "/api/v1/resumes/$RESUME_ID" "" first-key
    check "file keys no longer valid" "$STATUS" 401
    stop_server INT
fi

# count_done FIRST LAST KEY: how many of jobs FIRST..LAST are done.
count_done() {
    local n=0 id
    for id in $(seq "$1" "$2"); do
        http GET "/api/v1/enhance-customize/$id" "" "$3"
        case "$BODY" in *'"status":"done"'*) n=$((n + 1)) ;; esac
    done
    printf '%s' "$n"
}

# batch_body N: one resume, N times the same job description, async.
batch_body() {
    local ids
    ids=$(seq -s, 1 "$1" | sed "s/[0-9][0-9]*/$JD_ID/g")
    printf '{"resume_id":%s,"job_description_ids":[%s],"async":true}' "$RESUME_ID" "$ids"
}

# --- SIGTERM with jobs queued: they all finish before the exit --------------
if start_server --db "$DB" --api-keys "$WORK/keys" --workers 1 --drain-s 60 --quiet; then
    batch_body 100 >"$WORK/batch.json"
    http POST /api/v1/enhance-customize/batch "$WORK/batch.json" first-key
    check "batch accepted" "$STATUS" 202
    FIRST=$(printf '%s' "$BODY" | sed -nE 's/.*"jobs":\[\{"job_id":([0-9]+).*/\1/p')
    stop_server TERM
fi
# first_job: the first job id of a batch answer in BODY.
first_job() { printf '%s' "$BODY" | sed -nE 's/.*"jobs":\[\{"job_id":([0-9]+).*/\1/p'; }

# status_of ID KEY: the job's status ("queued", "running", "done", ...).
status_of() {
    http GET "/api/v1/enhance-customize/$1" "" "$2"
    printf '%s' "$BODY" | sed -nE 's/^\{"job_id":[0-9]+,"status":"([a-z_]+)".*/\1/p'
}

# versions_of_job ID: how many versions of the resume job ID made.
versions_of_job() {
    http GET "/api/v1/resumes/$RESUME_ID/versions" "" first-key
    printf '%s' "$BODY" | grep -o "\"job_id\":$1," | wc -l | tr -d ' '
}

# One worker, so that jobs wait their turn: the embedded engine is fast
# enough to finish a whole batch before the kill otherwise.
if start_server --db "$DB" --api-keys "$WORK/keys" --workers 1 --quiet; then
    check "drained jobs all done" "$(count_done "$FIRST" $((FIRST + 99)) first-key)" 100
    # --- kill -9 with jobs queued: the next start runs them ---------------------
    # Batches until the last job is still queued; the last ten jobs, checked
    # queued right before the kill, sit hundreds of jobs behind the worker.
    FIRSTS=
    LAST=0
    for n in 1 2 3 4 5 6; do
        http POST /api/v1/enhance-customize/batch "$WORK/batch.json" first-key
        check "batch $n accepted before the kill" "$STATUS" 202
        first=$(first_job)
        FIRSTS="$FIRSTS $first"
        LAST=$((first + 99))
        if [ "$n" -ge 2 ] && [ "$(status_of "$LAST" first-key)" = queued ]; then break; fi
    done
    QUEUED=
    for id in $(seq $((LAST - 9)) "$LAST"); do
        if [ "$(status_of "$id" first-key)" = queued ]; then QUEUED="$QUEUED $id"; fi
    done
    kill -KILL "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    if [ -n "$QUEUED" ]; then ok; else fail "no job still queued at the kill"; fi
fi
if start_server --db "$DB" --api-keys "$WORK/keys" --quiet; then
    for id in $QUEUED; do
        st=
        for _ in $(seq 1 100); do
            st=$(status_of "$id" first-key)
            if [ "$st" = done ]; then break; fi
            sleep 0.2
        done
        check "job $id queued at the kill is done after restart" "$st" done
        check "job $id queued at the kill made one version" "$(versions_of_job "$id")" 1
    done
    done_n=0
    total=0
    for first in $FIRSTS; do
        done_n=$((done_n + $(count_done "$first" $((first + 99)) first-key)))
        total=$((total + 100))
    done
    check "jobs of a killed server all done after restart" "$done_n" "$total"
    stop_server TERM
fi

# --- environment defaults ---------------------------------------------------
if TAILOR_DB=":memory:" start_server; then
    http GET /health
    check "TAILOR_DB in memory" "$STATUS" 200
    if [ -e "$WORK/tailor.db" ]; then fail "TAILOR_DB ignored: tailor.db created"; else ok; fi
    stop_server TERM
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
