#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall.  Both stage the complete installation in a
# temporary directory first, so that uninstall removes exactly the files
# that install would put there, without a file list kept from the install.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 install|uninstall|list

install    libashmem (library, headers, pkg-config and CMake files) and
           ashmemctl under PREFIX, the man pages under PREFIX/share/man,
           the udev rule and its helper in UDEVDIR, the modules-load.d
           entry in MODULESLOADDIR and the module in
           /lib/modules/KVER/updates, then depmod
uninstall  remove every one of those files, then depmod
list       print the files install puts in place, relative to DESTDIR

depmod runs on the installed system (DESTDIR empty) and on a DESTDIR that
holds the kernel's own module lists (lib/modules/KVER/modules.order); a
bare staging DESTDIR is left for the target's depmod (the packager's
postinst), and install says so.

settings: PREFIX (/usr/local) DESTDIR () KVER (qemu/kver.sh)
          UDEVDIR (/usr/lib/udev) MODULESLOADDIR (/etc/modules-load.d)
          LIBASHMEM_BUILD (build/libashmem) MODULE (driver/ashmem_linux.ko)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
KVER=${KVER:-$("$ROOT/qemu/kver.sh")}
UDEVDIR=${UDEVDIR:-/usr/lib/udev}
MODULESLOADDIR=${MODULESLOADDIR:-/etc/modules-load.d}
LIBASHMEM_BUILD=${LIBASHMEM_BUILD:-$ROOT/build/libashmem}
MODULE=${MODULE:-$ROOT/driver/ashmem_linux.ko}
MODDIR=/lib/modules/$KVER

STAGE=
cleanup() {
	if [ -n "$STAGE" ]; then
		rm -rf "$STAGE"
	fi
}
trap cleanup EXIT

die() {
	echo "install: $*" >&2
	exit 1
}

# stage: everything install puts in place, in $STAGE
stage() {
	[ -f "$LIBASHMEM_BUILD/CMakeCache.txt" ] || die "no $LIBASHMEM_BUILD (run 'make')"
	[ -f "$MODULE" ] || die "no $MODULE (run 'make')"
	STAGE=$(mktemp -d)
	DESTDIR=$STAGE cmake --install "$LIBASHMEM_BUILD" --prefix "$PREFIX" >/dev/null
	install -D -m 644 "$ROOT/man/ashmemctl.1" "$STAGE$PREFIX/share/man/man1/ashmemctl.1"
	install -D -m 644 "$ROOT/man/ashmem.4" "$STAGE$PREFIX/share/man/man4/ashmem.4"
	install -D -m 644 "$ROOT/udev/99-ashmem.rules" "$STAGE$UDEVDIR/rules.d/99-ashmem.rules"
	install -D -m 755 "$ROOT/udev/ashmem-boot-id-node" "$STAGE$UDEVDIR/ashmem-boot-id-node"
	install -D -m 644 "$ROOT/packaging/modules-load.d/ashmem.conf" \
		"$STAGE$MODULESLOADDIR/ashmem.conf"
	install -D -m 644 "$MODULE" "$STAGE$MODDIR/updates/ashmem_linux.ko"
}

# files: the staged files and links, relative to the root, deepest first
files() {
	(cd "$STAGE" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort -r)
}

# own_dirs: directories that only this project's files live in
own_dirs() {
	(cd "$STAGE" && find . -type d \( -path "*/include/ashmem" -o -path "*/include/cutils" \
		-o -path "*/cmake/ashmem" \) | sed 's|^\.||')
}

run_depmod() {
	if [ -z "$DESTDIR" ]; then
		echo "  DEPMOD  $KVER"
		depmod "$KVER"
	elif [ -f "$DESTDIR$MODDIR/modules.order" ]; then
		echo "  DEPMOD  $KVER (in $DESTDIR)"
		depmod -b "$DESTDIR" "$KVER"
	else
		echo "install: DESTDIR has no $MODDIR/modules.order: run 'depmod $KVER' on the target"
	fi
}

cmd_install() {
	stage
	mkdir -p "${DESTDIR:-/}"
	files | while read -r f; do echo "  INSTALL $DESTDIR$f"; done
	# directories that exist already keep their owner and mode
	tar -C "$STAGE" -cf - . | tar -C "${DESTDIR:-/}" -xf - --no-overwrite-dir
	run_depmod
}

cmd_uninstall() {
	local f d
	stage
	files | while read -r f; do
		if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
			echo "  RM      $DESTDIR$f"
			rm -f "$DESTDIR$f"
		fi
	done
	own_dirs | while read -r d; do
		if [ -d "$DESTDIR$d" ]; then
			rmdir --ignore-fail-on-non-empty "$DESTDIR$d"
		fi
	done
	run_depmod
}

cmd_list() {
	stage
	files | LC_ALL=C sort
}

case "${1:-}" in
install | uninstall | list) "cmd_$1" ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
