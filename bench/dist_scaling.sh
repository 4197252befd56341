#!/usr/bin/env bash
# Scaling of distributed workers: the engine (bench_dist) sends every
# provider call to 1, 2 and 4 `tailor worker` processes over Redis; the
# provider is fake-llm with a fixed latency (the I/O-bound case), each
# worker making CONC calls at once. Prints jobs per minute for each and the
# speed-up over one worker.
# usage: bench/dist_scaling.sh BUILD_DIR [JOBS] [LATENCY_MS] [CONC]
set -u
BUILD=$(cd "$1" && pwd)
JOBS=${2:-300}
LAT=${3:-200}
CONC=${4:-4}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../tests/services.sh"
WORK=$(mktemp -d)
LLM=
WORKERS=()
cleanup() {
    local p
    for p in "${WORKERS[@]}" $LLM; do kill "$p" 2>/dev/null; done
    for p in "${WORKERS[@]}" $LLM; do wait "$p" 2>/dev/null; done
    svc_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
svc_start_redis || { echo "dist_scaling: needs redis-server"; exit 1; }
export OPENAI_API_KEY=sk-bench
mkfifo "$WORK/fifo"
"$BUILD/tailor" fake-llm --port 0 --threads 4 --latency-ms "$LAT" >"$WORK/fifo" 2>/dev/null &
LLM=$!
read -r line <"$WORK/fifo"
PORT=${line##*:}
base=
echo "distributed workers: $JOBS jobs, fake-llm latency $LAT ms, $CONC calls per worker, $(nproc) cores"
for n in 1 2 4; do
    WORKERS=()
    for i in $(seq 1 "$n"); do
        "$BUILD/tailor" worker --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix "s$n" \
            --providers "openai=http://127.0.0.1:$PORT/v1" --concurrency "$CONC" --no-cache \
            2>"$WORK/w$n-$i.log" &
        WORKERS+=($!)
    done
    sleep 0.5
    out=$("$BUILD/bench_dist" --redis "redis://127.0.0.1:$SVC_REDIS_PORT" --prefix "s$n" \
        --jobs "$JOBS" --in-flight 100 --timeout-s 600 2>/dev/null)
    jpm=$(echo "$out" | sed -nE 's/.*jobs_per_min=([0-9]+).*/\1/p')
    calls=$(echo "$out" | sed -nE 's/.* calls=([0-9]+).*/\1/p')
    [ -z "$base" ] && base=$jpm
    printf '%d worker(s): %6s jobs/min  (%s calls)  x%s\n' "$n" "$jpm" "$calls" \
        "$(awk -v a="$jpm" -v b="$base" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
    for p in "${WORKERS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${WORKERS[@]}"; do wait "$p" 2>/dev/null; done
done
