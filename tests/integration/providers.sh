#!/usr/bin/env bash
# Providers end to end with the real binaries: three `tailor fake-llm`
# servers (one healthy, one failing every call, one hallucinating), `tailor
# serve` with a tailor.conf naming them and --providers openai,flaky,local,
# and `tailor customize --providers ...`. Checks customizations made by the
# provider, a provider outage where every section falls back to the
# embedded engine and the job still completes, the seed's example request
# to the performance comparison, /health and /metrics, the CLI, and cover
# letters written down the chain (a hallucinated letter is refused).
# usage: providers.sh TAILOR_BINARY DATA_DIR
set -u
TAILOR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$(cd "$2" && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
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
check_true() { # NAME VALUE ("true" passes)
    if [ "$2" = "true" ]; then ok; else fail "$1: got '$2'"; fi
}
contains() { # NAME HAYSTACK NEEDLE
    case "$2" in *"$3"*) ok ;; *) fail "$1: '$3' not in: ${2:0:400}" ;; esac
}

for tool in curl jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP: $tool not installed"
        echo "0 passed, 0 failed"
        exit 0
    fi
done

# start_llm VAR ARGS...: starts fake-llm on a free port; VAR gets the port.
start_llm() {
    local var=$1
    shift
    local out="$WORK/llm.$var"
    "$TAILOR" fake-llm --port 0 "$@" >"$out" 2>/dev/null &
    PIDS+=($!)
    local port=
    for _ in $(seq 1 100); do
        port=$(sed -nE 's/^listening on 127\.0\.0\.1:([0-9]+)$/\1/p' "$out")
        if [ -n "$port" ]; then break; fi
        sleep 0.1
    done
    if [ -z "$port" ]; then
        fail "fake-llm did not start"
        echo "$passed passed, $failed failed"
        exit 1
    fi
    printf -v "$var" '%s' "$port"
}

start_llm LLM
start_llm FLAKY --error-rate 1.0
start_llm LIAR --hallucinate-rate 1.0
export OPENAI_API_KEY=sk-providers-test
export OPENAI_BASE_URL="http://127.0.0.1:$LLM/v1"
cat >"$WORK/tailor.conf" <<EOF
providers = openai, local

[openai]
base_url = http://127.0.0.1:$LLM/v1
model = fake-small

[flaky]
type = openai
base_url = http://127.0.0.1:$FLAKY/v1
timeout_ms = 5000

[liar]
type = openai
base_url = http://127.0.0.1:$LIAR/v1
EOF

# ---- the server ----

(cd "$WORK" && exec "$TAILOR" serve --port 0 --db :memory: --quiet --config tailor.conf \
    --providers openai,flaky,local 2>"$WORK/server.log") &
SERVER=$!
PIDS+=($SERVER)
PORT=
for _ in $(seq 1 100); do
    PORT=$(sed -nE 's|^tailor: serving on http://[^:]+:([0-9]+)/$|\1|p' "$WORK/server.log")
    if [ -n "$PORT" ]; then break; fi
    sleep 0.1
done
if [ -z "$PORT" ]; then
    fail "server did not start: $(cat "$WORK/server.log")"
    echo "$passed passed, $failed failed"
    exit 1
fi
BASE="http://127.0.0.1:$PORT"
contains "startup names the chain" "$(cat "$WORK/server.log")" "providers: openai flaky local"

post() { # PATH BODY -> sets STATUS, BODY
    local out
    out=$(curl -s -m 120 -w '\n%{http_code}' -H 'Content-Type: application/json' \
        --data-binary "$2" "$BASE$1")
    STATUS=${out##*$'\n'}
    BODY=${out%$'\n'*}
}

HEALTH=$(curl -s "$BASE/health")
check "health lists the providers" "$(jq -c '[.providers[].name]' <<<"$HEALTH")" \
    '["openai","flaky","local"]'
check "openai breaker closed" "$(jq -r '.providers[0].breaker' <<<"$HEALTH")" closed

post /api/v1/resumes "$(cat "$DATA/alex-chen.json")"
check "resume stored" "$STATUS" 201
RID=$(jq -r .id <<<"$BODY")
post /api/v1/job-descriptions "$(jq -Rs '{text: .}' "$DATA/senior-backend-engineer.txt")"
check "job description stored" "$STATUS" 201
JID=$(jq -r .id <<<"$BODY")
SEED="{\"resume_id\":$RID,\"job_description_id\":$JID,\"customization_strength\":\"BALANCED\"}"

# A customization through the provider.
curl -s -X POST "http://127.0.0.1:$LLM/stats/reset" >/dev/null
post /api/v1/enhance-customize "$(jq -c '. + {provider: "openai,local"}' <<<"$SEED")"
check "customize through openai" "$STATUS" 200
check_true "provider calls made" "$(jq '.metrics.provider_calls > 0' <<<"$BODY")"
check "engine" "$(jq -r .metrics.engine <<<"$BODY")" enhanced
check_true "every section by openai" \
    "$(jq '(.sections | length) > 0 and all(.sections[]; .provider == "openai" and .fallback == false)' <<<"$BODY")"
CALLS=$(jq .metrics.provider_calls <<<"$BODY")
check "fake-llm saw the calls" "$(curl -s "http://127.0.0.1:$LLM/stats" | jq .ok)" "$CALLS"

# An outage: every call to flaky fails; the sections fall back, the job ends.
post /api/v1/enhance-customize "$(jq -c '. + {provider: ["flaky"], async: true}' <<<"$SEED")"
check "outage job accepted" "$STATUS" 202
JOB=$(jq -r .job_id <<<"$BODY")
EVENTS=$(curl -s -m 120 "$BASE/api/v1/enhance-customize/$JOB/events")
contains "fallback events" "$EVENTS" "event: fallback"
contains "section events say fallback" "$EVENTS" '"fallback":true'
contains "the job ends" "$EVENTS" "event: done"
RESULT=$(curl -s "$BASE/api/v1/enhance-customize/$JOB")
check "outage job done" "$(jq -r .status <<<"$RESULT")" done
check_true "fallbacks counted" "$(jq '.result.metrics.fallbacks > 0' <<<"$RESULT")"
check_true "sections made locally" \
    "$(jq 'all(.result.sections[]; .provider == "local" and .fallback == true)' <<<"$RESULT")"

# The seed's example request to the performance comparison.
post /api/v1/enhance-customize/performance-comparison "$SEED"
check "comparison" "$STATUS" 200
check_true "comparison shape" "$(jq '[.original, .enhanced] | all(
    has("wall_ms") and has("provider_calls") and has("tokens_in") and has("tokens_out") and
    has("retries") and has("failures") and has("fallbacks") and has("cache_hits") and
    has("cost_usd"))' <<<"$BODY")"
check_true "improvement ratios" \
    "$(jq '.improvement | has("time_ratio") and has("calls_ratio") and has("failure_ratio")' <<<"$BODY")"
check_true "original called the provider" "$(jq '.original.provider_calls > 0' <<<"$BODY")"
check_true "enhanced made no more calls, calls ratio as stated" \
    "$(jq '.enhanced.provider_calls > 0 and .enhanced.provider_calls <= .original.provider_calls and
        ((.improvement.calls_ratio - .enhanced.provider_calls / .original.provider_calls)
         | fabs < 0.001)' <<<"$BODY")"

METRICS=$(curl -s "$BASE/metrics")
contains "metrics: breaker" "$METRICS" 'tailor_provider_breaker_state{provider="flaky",tier="small"}'
contains "metrics: calls" "$METRICS" 'tailor_provider_calls_total{provider="openai",outcome="admitted"}'
contains "metrics: cache" "$METRICS" "tailor_engine_cache_hits_total"
contains "metrics: fallbacks" "$METRICS" "tailor_engine_fallbacks_total"
FLAKY_ERR=$(sed -nE 's/^tailor_provider_answers_total\{provider="flaky",outcome="server"\} ([0-9]+)$/\1/p' <<<"$METRICS")
check_true "metrics: flaky's server errors counted" "$([ "${FLAKY_ERR:-0}" -gt 0 ] && echo true)"

# A cover letter written down the request's chain.
post /api/v1/cover-letter "$(jq -c '. + {provider: "flaky,openai"}' <<<"$SEED")"
check "letter through the chain" "$STATUS" 200
check "letter written by openai" "$(jq -r .provider <<<"$BODY")" openai
check "letter: flaky passed over" "$(jq -r '.fell_back[0].provider + " " + .fell_back[0].outcome' <<<"$BODY")" "flaky server"
contains "letter names the company" "$(jq -r .text <<<"$BODY")" "Northwind Financial"
post /api/v1/cover-letter "$(jq -c '. + {provider: "local"}' <<<"$SEED")"
check "letter by the embedded engine" "$(jq -r .provider <<<"$BODY")" local
post /api/v1/cover-letter "$(jq -c '. + {provider: "nosuch"}' <<<"$SEED")"
check "letter: unknown provider" "$STATUS" 422

kill -TERM "$SERVER"
wait "$SERVER"
check "server exits 0" "$?" 0

# ---- the CLI ----

curl -s -X POST "http://127.0.0.1:$LLM/stats/reset" >/dev/null
"$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" \
    --providers openai --explain -o "$WORK/out.json" 2>"$WORK/cli.err"
check "cli --providers openai" "$?" 0
ERR=$(cat "$WORK/cli.err")
contains "cli: no fallback" "$ERR" "fallbacks: none"
contains "cli: metrics" "$ERR" "metrics: wall_ms="
N=$(sed -nE 's/.* provider_calls=([0-9]+) .*/\1/p' "$WORK/cli.err")
check_true "cli: provider calls" "$([ "${N:-0}" -gt 0 ] && echo true)"
check "cli: fake-llm saw them" "$(curl -s "http://127.0.0.1:$LLM/stats" | jq .ok)" "${N:-0}"
check_true "cli: valid JSON Resume" "$(jq 'has("basics")' "$WORK/out.json")"

(cd "$WORK" && TAILOR_PROVIDERS=flaky "$TAILOR" customize "$DATA/alex-chen.json" \
    "$DATA/senior-backend-engineer.txt" --explain -o out2.json 2>cli2.err)
check "cli: outage still completes" "$?" 0
contains "cli: fell back" "$(cat "$WORK/cli2.err")" "fell back: "

"$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" \
    --providers nosuch >/dev/null 2>&1
check "cli: unknown provider" "$?" 2

"$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" \
    --providers local -o "$WORK/local.json" 2>/dev/null
check "cli: local alone" "$?" 0
"$TAILOR" customize "$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" \
    -o "$WORK/default.json" 2>/dev/null
check "cli: local is the default, same result" "$(cmp -s "$WORK/local.json" "$WORK/default.json" && echo same)" same

# Cover letters written down the chain from the CLI.
LETTER_ARGS=("$DATA/alex-chen.json" "$DATA/senior-backend-engineer.txt" --config "$WORK/tailor.conf")
OUT=$("$TAILOR" cover-letter "${LETTER_ARGS[@]}" --providers openai 2>"$WORK/letter.err")
check "cli letter by openai" "$?" 0
contains "cli letter: who wrote it" "$(cat "$WORK/letter.err")" "letter: written by openai"
contains "cli letter: the company" "$OUT" "Northwind Financial"
OUT=$("$TAILOR" cover-letter "${LETTER_ARGS[@]}" --provider liar 2>"$WORK/letter.err")
check "cli hallucinated letter" "$?" 0
contains "cli letter: rejected" "$(cat "$WORK/letter.err")" "liar fell back (rejected)"
contains "cli letter: embedded instead" "$(cat "$WORK/letter.err")" "letter: written by local"
case "$OUT" in *Initech*) fail "cli letter: the fake employer got through" ;; *) ok ;; esac
"$TAILOR" cover-letter "${LETTER_ARGS[@]}" --providers flaky,liar,openai >/dev/null 2>"$WORK/letter.err"
contains "cli letter: down the chain" "$(cat "$WORK/letter.err")" "letter: written by openai"
"$TAILOR" cover-letter "${LETTER_ARGS[@]}" --providers nosuch >/dev/null 2>&1
check "cli letter: unknown provider" "$?" 2

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
