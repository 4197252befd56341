#!/usr/bin/env bash
# Runs every benchmark of a Release build and writes bench/results/latest.md.
# usage: bench/run.sh BUILD_DIR [QUICK]
set -euo pipefail
BUILD=$1
cd "$(dirname "$0")/.."
mkdir -p bench/results
ITER=2000
[ "${QUICK:-0}" = "1" ] && ITER=300
out=bench/results/latest.md
{
    echo "# tailor benchmarks"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m)"
    echo
    echo '```'
    # One core: the figures are per core.
    taskset -c 0 "./$BUILD/bench_local" "$ITER"
    for b in "$BUILD"/bench_*; do
        case "$b" in */bench_local) continue ;; esac
        [ -x "$b" ] && taskset -c 0 "$b"
    done
    echo '```'
} | tee "$out"
echo "wrote $out"
