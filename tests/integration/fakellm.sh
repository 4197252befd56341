#!/usr/bin/env bash
# tailor fake-llm as a user runs it: port 0 printed on the first line, the
# OpenAI and Anthropic endpoints answered over HTTP (curl), /stats and
# /stats/reset, 429 with Retry-After, bad flags refused, SIGTERM and SIGINT
# stop it cleanly. Optionally (tests/compat) the official openai npm
# package against it.
# usage: fakellm.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$1
DATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect_grep() { # NAME FILE PATTERN
    if grep -qE -- "$3" "$2"; then ok; else fail "$1: '$3' not in $2: $(head -c 400 "$2")"; fi
}

if ! command -v curl >/dev/null; then
    echo "SKIP: curl not installed"
    exit 0
fi

# start_llm ARGS...: starts fake-llm on a free port, sets PID and PORT.
start_llm() {
    rm -f "$WORK/fifo"
    mkfifo "$WORK/fifo"
    "$TAILOR" fake-llm --port 0 "$@" >"$WORK/fifo" 2>"$WORK/llm.err" &
    PID=$!
    exec 3<"$WORK/fifo"
    local line=
    if ! read -r -t 30 line <&3; then
        fail "fake-llm printed no first line: $(cat "$WORK/llm.err")"
        exit 1
    fi
    case "$line" in
        "listening on 127.0.0.1:"*) ok ;;
        *) fail "first line: '$line'" ;;
    esac
    PORT=${line##*:}
    exec 3<&- # later output is not read (and fake-llm prints nothing else)
}

stop_llm() { # SIGNAL
    kill -"$1" "$PID"
    local i rc=
    for i in $(seq 1 300); do
        if ! kill -0 "$PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    wait "$PID"
    rc=$?
    PID=
    if [ "$rc" -eq 0 ]; then ok; else fail "fake-llm exit $rc after SIG$1"; fi
}

PROMPT='### Job (JSON)\n{\"title\":\"Backend\",\"matched_keywords\":[\"Kafka\"],\"missing_keywords\":[],\"term_map\":{\"golang\":\"Go\"}}\n\n### Subsections (JSON)\n[{\"id\":\"w0\",\"bullets\":[\"Wrote docs\",\"Built services in golang on Kafka\"]}]\n'

# --- OpenAI and Anthropic shapes ---------------------------------------------
start_llm --seed 1
B="http://127.0.0.1:$PORT"
curl -sS -o "$WORK/chat.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"model\":\"m\",\"response_format\":{\"type\":\"json_object\"},\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}" \
    "$B/v1/chat/completions" >"$WORK/code"
expect_grep "chat status" "$WORK/code" '^200$'
expect_grep "chat object" "$WORK/chat.json" '"object":"chat.completion"'
expect_grep "tailored answer" "$WORK/chat.json" 'Built services in Go on Kafka'
expect_grep "usage" "$WORK/chat.json" '"usage":\{"prompt_tokens":[0-9]+'
curl -sS -N -H 'Content-Type: application/json' \
    -d "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}" \
    "$B/v1/chat/completions" >"$WORK/stream.txt"
expect_grep "stream chunks" "$WORK/stream.txt" '^data: \{"id":"chatcmpl-'
expect_grep "stream done" "$WORK/stream.txt" '^data: \[DONE\]'
curl -sS -H 'Content-Type: application/json' -H 'anthropic-version: 2023-06-01' \
    -d "{\"model\":\"m\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"$PROMPT\"}]}" \
    "$B/v1/messages" >"$WORK/msg.json"
expect_grep "messages shape" "$WORK/msg.json" '"type":"message".*"content":\[\{"type":"text"'
curl -sS "$B/stats" >"$WORK/stats.json"
expect_grep "stats" "$WORK/stats.json" '"calls":3,"ok":3,"errors":0,"timeouts":0,"rate_limited":0,"malformed":0,"hallucinated":0'
expect_grep "stats tokens" "$WORK/stats.json" '"tokens_in":[1-9][0-9]*,"tokens_out":[1-9]'
curl -sS -X POST "$B/stats/reset" >/dev/null
curl -sS "$B/stats" >"$WORK/stats.json"
expect_grep "stats reset" "$WORK/stats.json" '"calls":0,"ok":0'
curl -sS -o /dev/null -w '%{http_code}' "$B/nope" >"$WORK/code"
expect_grep "404" "$WORK/code" '^404$'

# --- the official openai npm package, when installed (tests/compat) ----------
if command -v node >/dev/null && [ -d "$HERE/../compat/node_modules/openai" ]; then
    if OPENAI_BASE_URL="$B/v1" node "$HERE/../compat/openai_compat.mjs" >"$WORK/compat.out" 2>&1; then
        ok
    else
        fail "openai npm compat: $(tail -c 600 "$WORK/compat.out")"
    fi
elif [ -n "${TL_REQUIRE_SERVICES:-}" ]; then
    fail "openai npm compat: node or tests/compat/node_modules missing (scripts/deps.sh installs them)"
else
    echo "SKIP: openai npm compat (node or tests/compat/node_modules missing; run npm ci in tests/compat)"
fi
stop_llm TERM

# --- rate limits: 429 + Retry-After ------------------------------------------
start_llm --rpm 1
B="http://127.0.0.1:$PORT"
body="{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
curl -sS -o /dev/null -H 'Content-Type: application/json' -d "$body" "$B/v1/chat/completions"
curl -sS -D "$WORK/h429" -o /dev/null -H 'Content-Type: application/json' -d "$body" "$B/v1/chat/completions"
expect_grep "429 status" "$WORK/h429" '^HTTP/1.1 429'
expect_grep "Retry-After" "$WORK/h429" '^Retry-After: [0-9]+'
curl -sS "$B/stats" >"$WORK/stats.json"
expect_grep "rate_limited counted" "$WORK/stats.json" '"rate_limited":1'
stop_llm INT

# --- bad flags ---------------------------------------------------------------
"$TAILOR" fake-llm --error-rate 2 >/dev/null 2>"$WORK/err"
rc=$?
if [ "$rc" -eq 2 ]; then ok; else fail "--error-rate 2: exit $rc, want 2"; fi
expect_grep "bad flag message" "$WORK/err" "bad value '2' for --error-rate"
"$TAILOR" fake-llm --outage 5 >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then ok; else fail "--outage 5: exit $rc, want 2"; fi

echo "fakellm.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
