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
  poppler-utils libreoffice-writer-nogui
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
