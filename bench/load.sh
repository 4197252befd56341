#!/usr/bin/env bash
# HTTP load on `tailor serve` with the embedded engine: the server
# must stay fast and flat under load: wrk against POST /api/v1/ats/analyze
# and POST /api/v1/enhance-customize, requests/s and p99 for each, and the
# server's RSS after 10,000 and after 100,000 requests.
# usage: bench/load.sh BUILD_DIR [SECONDS]   (QUICK=1: shorter runs)
set -u
BUILD=$(cd "$1" && pwd)
SECS=${2:-10}
[ "${QUICK:-0}" = "1" ] && SECS=3
HERE=$(cd "$(dirname "$0")" && pwd)
DATA="$HERE/../tests/data"
command -v wrk >/dev/null 2>&1 || { echo "load: wrk not found (Debian: wrk; scripts/deps.sh installs it)"; exit 0; }
WORK=$(mktemp -d)
SRV=
cleanup() {
    [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BUILD/tailor" serve --port 0 --bind 127.0.0.1 --db :memory: --quiet 2>"$WORK/serve.log" &
SRV=$!
for _ in $(seq 100); do
    PORT=$(sed -nE 's/.*msg="listening".* port=([0-9]+).*/\1/p' "$WORK/serve.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "${PORT:-}" ] || { echo "load: the server did not start"; cat "$WORK/serve.log"; exit 1; }
BASE="http://127.0.0.1:$PORT"
RID=$(curl -s "$BASE/api/v1/resumes" -H 'Content-Type: application/json' \
    --data-binary @"$DATA/alex-chen.json" | sed -nE 's/.*"id": ?([0-9]+).*/\1/p' | head -1)
JID=$(jq -Rs '{text: .}' "$DATA/senior-backend-engineer.txt" |
    curl -s "$BASE/api/v1/job-descriptions" -H 'Content-Type: application/json' --data-binary @- |
    sed -nE 's/.*"id": ?([0-9]+).*/\1/p' | head -1)
[ -n "$RID" ] && [ -n "$JID" ] || { echo "load: could not store the fixtures"; exit 1; }

lua() { # $1: body
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' "$1" \
        >"$WORK/post.lua"
}
TOTAL=0
rss_kb() { sed -nE 's/^VmRSS:\s+([0-9]+).*/\1/p' "/proc/$SRV/status"; }
# run NAME PATH SECONDS: prints "NAME req/s p99"; adds to TOTAL
run() {
    local out reqs rps p99
    out=$(wrk -t2 -c32 -d"$3"s --latency -s "$WORK/post.lua" "$BASE$2" 2>&1)
    reqs=$(echo "$out" | sed -nE 's/^\s*([0-9]+) requests in.*/\1/p')
    rps=$(echo "$out" | sed -nE 's/^Requests\/sec:\s+([0-9.]+).*/\1/p')
    p99=$(echo "$out" | sed -nE 's/^\s+99%\s+([0-9.]+[a-z]+).*/\1/p')
    non2xx=$(echo "$out" | sed -nE 's/.*Non-2xx or 3xx responses: ([0-9]+).*/\1/p')
    TOTAL=$((TOTAL + ${reqs:-0}))
    LAST_RPS=${rps:-0}
    LAST_P99_MS=$(echo "${p99:-0ms}" | awk '/us$/ {print $0 / 1000; next} /ms$/ {print $0 + 0; next} /s$/ {print $0 * 1000; next} {print 0}')
    printf '%-44s %8s req/s  p99 %-8s %s\n' "$1" "${rps:-?}" "${p99:-?}" \
        "${non2xx:+($non2xx non-2xx!)}"
}
# meets RPS P99_MS: "yes" when the last run reached RPS req/s with p99 under P99_MS
meets() {
    awk -v r="$LAST_RPS" -v p="$LAST_P99_MS" -v R="$1" -v P="$2" \
        'BEGIN { print (r >= R && p < P) ? "yes" : "NO" }'
}

echo "HTTP load: tailor serve (embedded engine, SQLite :memory:), wrk 2 threads x 32 connections, ${SECS}s a run, $(nproc) cores"
lua "'{\"resume_id\":$RID,\"job_description_id\":$JID}'"
run "POST /api/v1/ats/analyze" /api/v1/ats/analyze "$SECS"
lua "'{\"resume_id\":$RID,\"job_description_id\":$JID,\"customization_strength\":\"BALANCED\"}'"
run "POST /api/v1/enhance-customize (embedded)" /api/v1/enhance-customize "$SECS"
echo "  target >= 5000 req/s with p99 < 20 ms (each request a whole customization and a new stored version): $(meets 5000 20)"

# RSS: after 10,000 requests, and after 100,000 (the cheap route, so the
# count is reached in bounded time).
lua "'{\"resume_id\":$RID,\"job_description_id\":$JID}'"
while [ "$TOTAL" -lt 10000 ]; do run "  (warming to 10,000 requests)" /api/v1/ats/analyze 2 >/dev/null; done
RSS10=$(rss_kb)
LIMIT=$((SECS * 30))
t0=$SECONDS
while [ "$TOTAL" -lt 100000 ] && [ $((SECONDS - t0)) -lt "$LIMIT" ]; do
    run "  (to 100,000 requests)" /api/v1/ats/analyze 5 >/dev/null
done
RSS100=$(rss_kb)
awk -v a="$RSS10" -v b="$RSS100" -v n="$TOTAL" 'BEGIN {
    printf "server RSS after 10,000 requests %.1f MB, after %d: %.1f MB (x%.3f; target <= 1.10)\n",
        a / 1024, n, b / 1024, (a > 0 ? b / a : 0) }'
