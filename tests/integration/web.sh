#!/usr/bin/env bash
# The page in a real browser: see tests/web/run.sh.
# usage: web.sh TAILOR_BINARY DATA_DIR
exec bash "$(dirname "$0")/../web/run.sh" "$@"
