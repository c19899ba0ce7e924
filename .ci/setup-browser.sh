#!/usr/bin/env bash
# Chromium for the browser tests (tests/test_browser.py): Debian's package, driven
# by the `playwright` Python package (which cannot download its own browsers here).
# Run by .ci/run before `make test`; safe to run again (does nothing when present).
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup-browser: need root or sudo to apt-get install chromium" >&2; exit 1; }
    SUDO="sudo"
fi
command -v apt-get >/dev/null || { echo "setup-browser: no apt-get; install Chromium so that /usr/bin/chromium exists" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "setup-browser: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium installed')"
