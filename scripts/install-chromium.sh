#!/usr/bin/env bash
# Install Debian's headless-capable Chromium for the browser tests (tests/browser/).
#
#   scripts/install-chromium.sh
#
# Safe to run again: apt-get skips what is installed. Needs root for apt-get; without
# root (or apt-get) it says so, and the browser tests skip (or fail under
# TESSERA_REQUIRE_SERVICES=1).
set -euo pipefail

if dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "ok installed"; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
else
    echo "install-chromium: cannot install chromium (not root or no apt-get)" >&2
fi
