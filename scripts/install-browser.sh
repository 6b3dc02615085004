#!/usr/bin/env bash
# What the browser tests (tests/browser, marked `browser`) and benchmarks/player.py need:
#   - Debian's Chromium at /usr/bin/chromium (Playwright drives it; never `playwright install`),
#   - axe-core from npm, into .cache/npm (never committed; the accessibility test reads it).
# Idempotent: each step is skipped when its result is already there. Needs root for apt-get.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AXE_VERSION="4.14.1"
CACHE="$ROOT/.cache/npm"

say() { printf 'install-browser: %s\n' "$*" >&2; }

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "error: /usr/bin/chromium is missing and only root can install it (apt-get install chromium)"
    exit 1
  fi
  say "installing chromium (Debian package)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi

axe="$CACHE/node_modules/axe-core/axe.min.js"
installed=""
if [ -f "$CACHE/node_modules/axe-core/package.json" ]; then
  installed="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$CACHE/node_modules/axe-core/package.json" | head -1)"
fi
if [ ! -f "$axe" ] || [ "$installed" != "$AXE_VERSION" ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
      say "installing npm (Debian package)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
    else
      say "error: npm is missing; install it to fetch axe-core"
      exit 1
    fi
  fi
  say "installing axe-core $AXE_VERSION into $CACHE"
  mkdir -p "$CACHE"
  npm install --silent --no-audit --no-fund --no-save --ignore-scripts \
    --prefix "$CACHE" "axe-core@$AXE_VERSION" >&2
fi
say "ready: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) / axe-core $AXE_VERSION"
