#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS, on a scratch corpus seeded from
# tests/fuzz/seeds/<target>. Stops at the first crash (non-zero exit).
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
BUILD=$1
SECONDS_EACH=${2:-60}
cd "$(dirname "$0")/../.."
for f in "$BUILD"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=tests/fuzz/corpus-$name
    mkdir -p "$corpus"
    [ -d "tests/fuzz/seeds/$name" ] && cp -n tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
    echo "== $name for ${SECONDS_EACH}s"
    "$f" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 "$corpus"
done
