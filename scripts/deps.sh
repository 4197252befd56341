#!/usr/bin/env bash
# Installs the Debian packages tailor needs to build and test, if missing.
# Idempotent: runs apt-get only when something is absent.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang
  libjansson-dev libutf8proc-dev libxxhash-dev libcmocka-dev
  libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev libhiredis-dev
  redis-server postgresql libpq-dev
  libpoppler-glib-dev libzip-dev libxml2-dev libpango1.0-dev libcairo2-dev fonts-dejavu-core
  poppler-utils libreoffice-writer-nogui curl jq
  chromium gnuplot-nox wrk
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js runs the browser and client-compatibility tests. A machine that
# already has node and npm (from any source) keeps them; otherwise Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the JavaScript tests, from their lock files: installed
# when node_modules is missing or older than package-lock.json.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  for dir in tests/web tests/compat; do
    lock="$ROOT/$dir/package-lock.json"
    [ -f "$lock" ] || continue
    modules="$ROOT/$dir/node_modules"
    if [ ! -d "$modules" ] || [ "$lock" -nt "$modules" ]; then
      echo "deps: npm ci in $dir" >&2
      (cd "$ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
      touch "$modules"
    fi
  done
fi
