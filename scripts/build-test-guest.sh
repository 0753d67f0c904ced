#!/usr/bin/env bash
# Build the tiny guest the real-libvirt tests boot: Debian's kernel plus an initramfs
# of busybox-static, the virtio/ext4 modules and the host's real qemu-ga.
#
#   scripts/build-test-guest.sh [OUTDIR]     # default build/test-guest
#
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.img (direct kernel boot, console=ttyS0).
# Cached: does nothing when OUTDIR holds a build from this kernel and this script.
# Needs busybox-static, cpio and qemu-guest-agent (scripts/install-libvirt.sh --daemon)
# and apt-get to fetch the kernel package (not installed, only unpacked).
#
# The guest, on boot: loads the modules, mounts /dev/vda (ext4) on /mnt when there is
# one, starts qemu-ga on the org.qemu.guest_agent.0 port when there is one (unless the
# kernel command line says tessera.agent=off), writes
# "TESSERA-GUEST-READY agent=yes|no disk=yes|no" on ttyS0, then, with a disk, appends
# a tick to /mnt/ticks every second and prints "TESSERA-TICK N" once it is synced.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-build/test-guest}
for tool in busybox cpio qemu-ga apt-get dpkg-deb; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || [ -x "/bin/$tool" ] || {
        echo "build-test-guest: $tool is missing (scripts/install-libvirt.sh --daemon)" >&2
        exit 1; }
done
BUSYBOX=$(command -v busybox || echo /bin/busybox)
QEMU_GA=$(command -v qemu-ga || echo /usr/sbin/qemu-ga)
file "$BUSYBOX" 2>/dev/null | grep -q "dynamically linked" && {
    echo "build-test-guest: $BUSYBOX is not static (install busybox-static)" >&2; exit 1; }

KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$KPKG" ] || { echo "build-test-guest: apt knows no linux-image-amd64" >&2; exit 1; }
KEY="$KPKG $(sha256sum "$0" | cut -c1-16) $(dpkg-query -W -f='${Version}' qemu-guest-agent)"
if [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.img" ] && [ "$(cat "$OUT/KEY" 2>/dev/null)" = "$KEY" ]; then
    exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && apt-get download -q "$KPKG" >/dev/null 2>&1) || {
    echo "build-test-guest: apt-get download $KPKG failed" >&2; exit 1; }
dpkg-deb -x "$WORK"/linux-image-*.deb "$WORK/k"
KVER=$(ls "$WORK/k/lib/modules")
KMOD="$WORK/k/lib/modules/$KVER/kernel"

ROOT="$WORK/root"
mkdir -p "$ROOT"/{bin,dev,proc,sys,mnt,run,tmp,var/run,lib/modules,etc}
cp "$BUSYBOX" "$ROOT/bin/busybox"
# Load order matters: each module after the ones it needs (no modprobe in the guest).
MODS=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
      drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
      drivers/char/virtio_console lib/crc16 crypto/crc32c_generic lib/libcrc32c fs/mbcache
      fs/jbd2/jbd2 fs/ext4/ext4)
for m in "${MODS[@]}"; do
    src="$KMOD/$m.ko"
    [ -f "$src" ] || src=$(ls "$KMOD/$m".ko.* 2>/dev/null | head -1)
    case "$src" in
        *.xz) xz -dc "$src" > "$ROOT/lib/modules/$(basename "$m").ko" ;;
        *.zst) zstd -qdc "$src" > "$ROOT/lib/modules/$(basename "$m").ko" ;;
        *.ko) cp "$src" "$ROOT/lib/modules/" ;;
        *) echo "build-test-guest: no module $m in $KPKG" >&2; exit 1 ;;
    esac
    echo "$(basename "$m")" >> "$ROOT/lib/modules/order"
done

cp "$QEMU_GA" "$ROOT/bin/qemu-ga"
ldd "$QEMU_GA" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
done

cat > "$ROOT/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko 2>/dev/null; done
disk=no
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
if [ -b /dev/vda ] && mount -t ext4 /dev/vda /mnt; then
    disk=yes
    echo "booted $(date)" >> /mnt/boot.log
    sync
fi
agent=no
for i in 1 2 3 4 5 6 7 8 9 10; do
    for p in /sys/class/virtio-ports/vport*; do
        [ "$(cat $p/name 2>/dev/null)" = org.qemu.guest_agent.0 ] && port=/dev/${p##*/}
    done
    [ -n "$port" ] && [ -c "$port" ] && break
    sleep 0.2
done
if [ -n "$port" ] && ! grep -q "tessera.agent=off" /proc/cmdline; then
    # -v -l: every agent command is logged on the serial console (freeze/thaw visible)
    qemu-ga -m virtio-serial -p "$port" -t /run -v -l /dev/ttyS0 -d && agent=yes
fi
echo "TESSERA-GUEST-READY agent=$agent disk=$disk" > /dev/ttyS0
# A tick per second through the disk: the ticks stop while its filesystem is frozen.
i=0
while [ "$disk" = yes ]; do
    i=$((i + 1))
    echo "$i" >> /mnt/ticks && sync && echo "TESSERA-TICK $i" > /dev/ttyS0
    sleep 1
done
while true; do sleep 3600; done
EOF
chmod 755 "$ROOT/init"

mkdir -p "$OUT"
cp "$WORK/k/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"
(cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT/initrd.img.new"
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
echo "$KEY" > "$OUT/KEY"
echo "build-test-guest: $OUT/vmlinuz ($KVER) and $OUT/initrd.img"
