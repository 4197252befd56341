#!/usr/bin/env bash
# Runs every benchmark of a Release build and writes bench/results/latest.md
# (the scenario table first, then the micro-benchmarks' output),
# bench/results/latest.json and the charts bench/results/*.png and *.svg.
# usage: bench/run.sh BUILD_DIR [QUICK]     (or QUICK=1 in the environment)
set -euo pipefail
BUILD=$1
[ "${2:-}" = "QUICK" ] && QUICK=1
cd "$(dirname "$0")/.."
mkdir -p bench/results
ITER=2000
SCEN_ARGS=()
if [ "${QUICK:-0}" = "1" ]; then
    ITER=300
    SCEN_ARGS+=(--quick)
fi

# The peer (bench/peers/node): installed from its lock file when missing.
PEER=bench/peers/node
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    if [ ! -d "$PEER/node_modules" ] || [ "$PEER/package-lock.json" -nt "$PEER/node_modules" ]; then
        echo "bench: npm ci in $PEER" >&2
        if (cd "$PEER" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
            touch "$PEER/node_modules"
        else
            echo "bench: npm ci failed: the peer is skipped" >&2
        fi
    fi
else
    echo "bench: node or npm not found: the peer (bench/peers/node) is skipped" >&2
fi

# 1. Scenarios: original vs enhanced vs the peer against fake-llm on
#    loopback; writes latest.md and latest.json.
"./$BUILD/bench_scenarios" "${SCEN_ARGS[@]}" --out bench/results --peer "$PEER" \
    --tailor "./$BUILD/tailor"

# 2. Micro-benchmarks, appended to latest.md. One core: the figures are per core.
out=bench/results/latest.md
{
    echo
    echo "## Micro-benchmarks"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m)"
    echo
    echo '```'
    taskset -c 0 "./$BUILD/bench_local" "$ITER"
    for b in "$BUILD"/bench_*; do
        case "$b" in */bench_local | */bench_scenarios | */bench_dist) continue ;; esac
        [ -x "$b" ] && taskset -c 0 "$b"
    done
    echo '```'
} | tee -a "$out"

# 3. HTTP load: wrk against `tailor serve` with the embedded engine
#    (requests/s, p99, and the server's RSS after 10,000 and 100,000
#    requests), when wrk is installed.
{
    echo
    echo '```'
    bash bench/load.sh "$BUILD"
    echo '```'
} | tee -a "$out"

# 4. Workers over Redis Streams (bench_dist through dist_scaling.sh: 1, 2
#    and 4 `tailor worker` processes), when redis-server is installed.
if command -v redis-server >/dev/null 2>&1; then
    DIST_JOBS=300
    [ "${QUICK:-0}" = "1" ] && DIST_JOBS=60
    {
        echo
        echo '```'
        bash bench/dist_scaling.sh "$BUILD" "$DIST_JOBS"
        echo '```'
    } | tee -a "$out"
else
    echo "bench: redis-server not found: no distributed-worker figures" >&2
fi

# 5. Charts.
if command -v gnuplot >/dev/null 2>&1; then
    bash bench/plot.sh bench/results
else
    echo "bench: gnuplot not found (Debian: gnuplot-nox): no charts" >&2
fi
echo "wrote $out, bench/results/latest.json"
