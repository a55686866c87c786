#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A cold `make test`, measured: a clean clone of REV run by .ci/run inside
# a fresh bookworm root (debootstrap minbase with git and make, the host's
# apt sources), with nothing installed and nothing cached, as on a new
# machine.  The root has its own /var/cache, so every kernel, root and
# debug build is made afresh; /dev (for /dev/kvm, which the harness must
# reject by itself) and the host's kernel are shared, as on a real machine.
# The run's output goes to DIR/run.log, each line stamped with the seconds
# since the start; the last line printed is its time.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [REV]     a cold make test of REV (default: HEAD) of this repository

settings (environment):
  DIR      where the fresh root is made (default: /var/tmp/ashmem-cold; emptied first)
  MIRROR   the archive                  (default: the machine's Debian mirror)
USAGE
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
esac
[ $# -le 1 ] || { usage >&2; exit 2; }

SRC=$(cd "$(dirname "$0")/.." && pwd)
REV=$(git -C "$SRC" rev-parse "${1:-HEAD}")
DIR=${DIR:-/var/tmp/ashmem-cold}
MIRROR=${MIRROR:-$("$SRC/qemu/debian-mirror.sh")}

die() {
	echo "cold-test: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
[ -n "$MIRROR" ] || die "no Debian mirror in /etc/apt (set MIRROR)"
command -v debootstrap >/dev/null || die "debootstrap missing (run 'make deps')"

# a run in DIR has its root in use: never empty it from under it
exec 9>"$DIR.lock"
flock -n 9 || die "another cold test runs in $DIR"
rm -rf "$DIR"
mkdir -p "$DIR"
start=$SECONDS
debootstrap --variant=minbase --include=git,make,ca-certificates bookworm "$DIR/root" \
	"$MIRROR" >"$DIR/debootstrap.log" 2>&1 ||
	die "debootstrap failed: $(tail -n 3 "$DIR/debootstrap.log")"
echo "cold-test: bookworm root made in $((SECONDS - start)) s (not part of the time below)"
# the machine's own apt sources and settings (a new machine of this kind
# has both), so that the root installs the same kernels from the same mirror
rm -f "$DIR/root/etc/apt/sources.list"
cp -a /etc/apt/sources.list* "$DIR/root/etc/apt/" 2>/dev/null || true
cp -a /etc/apt/apt.conf.d/. "$DIR/root/etc/apt/apt.conf.d/"
git clone -q "$SRC" "$DIR/root/work/ashmem-linux"
git -C "$DIR/root/work/ashmem-linux" checkout -q "$REV"

echo "cold-test: make test of $REV in $DIR/root (output: $DIR/run.log)"
start=$SECONDS
# each line stamped with the seconds since the start, to see the parts
set +e
# (the root is bind-mounted on itself so that its / is a mount point, as a
# machine's is: unshare -m, which the build roots use, needs one)
unshare -m -- sh -c 'root=$1
	mount --make-rprivate / &&
	mount --bind "$root" "$root" &&
	mount -t proc proc "$root/proc" &&
	mount -t sysfs sysfs "$root/sys" &&
	mount --rbind /dev "$root/dev" &&
	mount -t tmpfs tmpfs "$root/tmp" &&
	exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		bash -c "cd /work/ashmem-linux && bash .ci/run"' cold "$DIR/root" 2>&1 |
	while IFS= read -r line; do
		printf '[%5d s] %s\n' $((SECONDS - start)) "$line"
	done >"$DIR/run.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$((SECONDS - start))
tail -n 5 "$DIR/run.log"
echo "cold-test: a cold make test of $REV took $((elapsed / 60)) min $((elapsed % 60)) s" \
	"(exit status $status)"
exit $status
