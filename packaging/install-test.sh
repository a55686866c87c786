#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a DESTDIR: the files installed are
# the ones packaging/install.sh lists (and the list holds what the README
# promises), uninstall leaves none of them, and depmod indexes the module
# where the DESTDIR has the kernel's module lists and forgets it after
# uninstall.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/packaging}
KVER=${KVER:-$("$ROOT/qemu/kver.sh")}
fails=0

ok() { echo "install-test: ok: $*"; }
fail() {
	echo "install-test: FAIL: $*"
	fails=$((fails + 1))
}

# make_install TARGET DESTDIR
make_install() {
	make -C "$ROOT" --no-print-directory "$1" DESTDIR="$2" PREFIX=/usr KVER="$KVER" \
		>>"$BUILD/install.log" 2>&1 || { tail -n 20 "$BUILD/install.log"; fail "make $1 DESTDIR=$2"; }
}

found() {
	(cd "$1" && find . ! -type d | sed 's|^\.||' | LC_ALL=C sort)
}

main() {
	local dest=$BUILD/destdir list want f
	mkdir -p "$BUILD"
	: >"$BUILD/install.log"

	# a bare staging directory
	rm -rf "$dest"
	mkdir -p "$dest"
	make_install install "$dest"
	list=$(PREFIX=/usr DESTDIR="$dest" KVER=$KVER "$ROOT/packaging/install.sh" list)
	if [ "$(found "$dest")" = "$list" ]; then
		ok "make install put exactly the $(echo "$list" | wc -l) listed files in DESTDIR"
	else
		fail "installed files differ from the list:"
		diff <(echo "$list") <(found "$dest") || true
	fi
	for want in /usr/bin/ashmemctl /usr/include/cutils/ashmem.h /usr/include/ashmem/region.h \
		'/usr/lib/*/libashmem.so.0' '/usr/lib/*/libashmem.a' '/usr/lib/*/pkgconfig/libashmem.pc' \
		'/usr/lib/*/pkgconfig/libashmem-c.pc' '/usr/lib/*/cmake/ashmem/ashmemConfig.cmake' \
		/usr/share/man/man1/ashmemctl.1 /usr/share/man/man4/ashmem.4 \
		/usr/lib/udev/rules.d/99-ashmem.rules /usr/lib/udev/ashmem-boot-id-node \
		/etc/modules-load.d/ashmem.conf "/lib/modules/$KVER/updates/ashmem_linux.ko"; do
		# shellcheck disable=SC2086 # the pattern is meant to expand
		if compgen -G "$dest$want" >/dev/null; then ok "installed $want"; else fail "missing $want"; fi
	done
	if grep -q 'run .depmod' "$BUILD/install.log"; then
		ok "a bare DESTDIR: depmod left to the target, and install said so"
	else
		fail "install did not say that depmod is left to the target"
	fi
	make_install uninstall "$dest"
	if [ -z "$(found "$dest")" ]; then
		ok "make uninstall removed every file"
	else
		fail "left after uninstall: $(found "$dest" | tr '\n' ' ')"
	fi
	for f in include/ashmem include/cutils; do
		[ ! -d "$dest/usr/$f" ] || fail "uninstall left the directory /usr/$f"
	done

	# a DESTDIR holding the kernel's module lists: depmod runs there
	rm -rf "$dest"
	mkdir -p "$dest/lib/modules/$KVER"
	cp /lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$KVER/"
	make_install install "$dest"
	if grep -q '^updates/ashmem_linux.ko:' "$dest/lib/modules/$KVER/modules.dep"; then
		ok "depmod: modules.dep lists updates/ashmem_linux.ko"
	else
		fail "modules.dep does not list updates/ashmem_linux.ko after install"
	fi
	make_install uninstall "$dest"
	if [ ! -e "$dest/lib/modules/$KVER/updates/ashmem_linux.ko" ] &&
		! grep -q 'ashmem_linux' "$dest/lib/modules/$KVER/modules.dep"; then
		ok "after uninstall the module is gone and depmod forgot it"
	else
		fail "the module or its modules.dep entry survived uninstall"
	fi
	rm -rf "$dest"
	[ $fails -eq 0 ] || { echo "install-test: $fails check(s) failed"; exit 1; }
	echo "install-test: all checks passed"
}

main "$@"
