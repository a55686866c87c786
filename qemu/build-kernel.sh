#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a guest kernel from Debian's linux-source-6.1 with a config fragment
# kept in this repository, and cache it outside the work tree, keyed by the
# fragment and the source package version, so that only the first run pays.
# Prints the cache directory: bzImage, and out/, the tree to build modules
# against (make -C <dir>/out M=...).
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 FRAGMENT

settings (environment):
  CACHE    where built kernels are kept (default: /var/cache/ashmem-linux/kernels)
  TARBALL  kernel source (default: /usr/src/linux-source-6.1.tar.xz)
  JOBS     parallel jobs (default: nproc)
USAGE
}

CACHE=${CACHE:-/var/cache/ashmem-linux/kernels}
TARBALL=${TARBALL:-/usr/src/linux-source-6.1.tar.xz}
JOBS=${JOBS:-$(nproc)}
WORK=

cleanup() {
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

die() {
	echo "build-kernel: $*" >&2
	exit 1
}

# cache_key FRAGMENT: what the kernel is built from.
cache_key() {
	local srcver
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed (make deps)"
	{ echo "$srcver"; cat "$1" "$0"; } | sha256sum | cut -c1-16
}

# check_config FRAGMENT CONFIG: every option of the fragment must have stuck.
check_config() {
	local opt missing=0
	while IFS= read -r opt; do
		if ! grep -qx "$opt" "$2"; then
			echo "build-kernel: option did not stick: $opt" >&2
			missing=1
		fi
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$1")
	[ $missing -eq 0 ] || die "the fragment cannot be satisfied on this source"
}

# build FRAGMENT DEST: build in place (the tree records its own path, so
# it cannot be moved afterwards); the stamp marks a finished build.
build() {
	local fragment=$1 dest=$2 src out
	rm -rf "$dest"
	WORK=$dest
	src=$WORK/src
	out=$WORK/out
	echo "build-kernel: unpacking $TARBALL" >&2
	mkdir -p "$src" "$out"
	tar -xJf "$TARBALL" -C "$src" --strip-components=1
	make -s -C "$src" O="$out" tinyconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >&2
	make -s -C "$src" O="$out" olddefconfig >&2
	check_config "$fragment" "$out/.config"
	echo "build-kernel: building (about 10 minutes on 2 cores)" >&2
	# "modules" writes Module.symvers, so that out-of-tree modules link cleanly
	make -s -C "$src" O="$out" -j"$JOBS" bzImage modules >&2
	cp "$out/arch/x86/boot/bzImage" "$WORK/bzImage"
	cp "$fragment" "$WORK/fragment.config"
	touch "$WORK/complete"
	WORK=
}

main() {
	[ $# -eq 1 ] || { usage >&2; exit 2; }
	[ "$1" != -h ] || { usage; exit 0; }
	local fragment dest
	fragment=$(realpath "$1")
	[ -r "$fragment" ] || die "no fragment $1"
	mkdir -p "$CACHE"
	dest=$CACHE/$(basename "$fragment" .config)-$(cache_key "$fragment")
	# one build per key at a time; a second caller waits and reuses it
	exec 9>"$dest.lock"
	flock 9
	if [ ! -f "$dest/complete" ]; then
		build "$fragment" "$dest"
	fi
	echo "$dest"
}

main "$@"
