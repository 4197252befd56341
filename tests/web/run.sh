#!/usr/bin/env bash
# Browser tests of the page: tests/web/page.test.mjs drives Debian's
# chromium (headless, through playwright-core) against the built tailor.
# usage: run.sh TAILOR_BINARY DATA_DIR
# Screenshots, the downloaded JSON and a printed PDF go to web-artifacts/
# next to the binary. Ends with "N passed, N failed"; exits non-zero on a
# failure. Skips (exit 0) only when chromium, node or node_modules is absent,
# and then fails instead when TL_REQUIRE_SERVICES is set.
set -u
if [ $# -lt 2 ]; then
    echo "usage: $0 TAILOR_BINARY DATA_DIR" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TAILOR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DATA=$(cd "$2" && pwd)
ARTIFACTS=$(dirname "$TAILOR")/web-artifacts

# A skip is a failure where the tests must run (TL_REQUIRE_SERVICES, as CI
# sets it): there, scripts/deps.sh has installed everything they need.
skip() {
    echo "SKIP: browser tests: $* (scripts/deps.sh installs it)"
    if [ -n "${TL_REQUIRE_SERVICES:-}" ]; then
        echo "0 passed, 1 failed"
        exit 1
    fi
    exit 0
}
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is not installed"
command -v node >/dev/null 2>&1 || skip "node is not installed"
[ -d "$HERE/node_modules/playwright-core" ] || skip "tests/web/node_modules is missing (npm ci in tests/web)"

if [ ! -x "$TAILOR" ]; then
    echo "FAIL: no tailor binary at $TAILOR"
    echo "0 passed, 1 failed"
    exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
cd "$HERE" || exit 1
timeout 240 node page.test.mjs "$TAILOR" "$DATA" "$ARTIFACTS" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
if ! tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
    echo "FAIL: the browser run ended early (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
fi
exit "$rc"
