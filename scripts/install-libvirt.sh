#!/usr/bin/env bash
# Install what Tessera's libvirt driver and its tests need (Debian 12), then
# libvirt-python and lxml into the project's venv.
#
#   scripts/install-libvirt.sh            # test driver + RNG schemas (seconds)
#   scripts/install-libvirt.sh --daemon   # also libvirtd + QEMU (TCG) for real guests
#
# Safe to run again: apt-get skips what is installed, pip what is present.
# Needs root for apt-get; without root (or apt-get) it only does the pip part and
# says so, so the tests that need what is missing skip (or fail under CI).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
DAEMON=0
[ "${1:-}" = "--daemon" ] && DAEMON=1

PKGS=(libvirt-dev pkg-config gcc libvirt-clients libxml2-utils libvirt-daemon)
if [ "$DAEMON" = 1 ]; then
    PKGS+=(libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils
           cpio busybox-static qemu-guest-agent)
fi

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "install-libvirt: cannot install ${missing[*]} (not root or no apt-get)" >&2
    fi
fi

if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" -m pip install -q 'libvirt-python>=9.0' 'lxml>=4.9'
fi
