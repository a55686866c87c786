#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages, built with Debian's own tools from a copy of the tree
# (dpkg-buildpackage writes its results beside the source directory, so the
# copy keeps them in OUT, out of the source tree), and their CI test.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 build [OUT]   dpkg-buildpackage -b into OUT (default build/deb); skipped
                        when OUT holds packages of exactly this tree
       $0 test [OUT]    build, lintian (no errors), dpkg -i on this machine,
                        dkms status for KVER, then a program built against the
                        installed libashmem-dev with pkg-config and with CMake

settings: KVER (default: qemu/kver.sh)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES=(ashmem-dkms libashmem0 libashmem-dev ashmem-tools)
fails=0

ok() { echo "deb: ok: $*"; }
fail() {
	echo "deb: FAIL: $*"
	fails=$((fails + 1))
}
die() {
	echo "deb: $*" >&2
	exit 1
}

# source_files: the tree's files, tracked or not, without what is ignored
source_files() {
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$ROOT" ls-files -co --exclude-standard | while read -r f; do
			[ -f "$ROOT/$f" ] && echo "$f"
		done
	else
		(cd "$ROOT" && find . -path ./build -prune -o -type f -print | sed 's|^\./||')
	fi
}

# tree_digest: one digest of every source file's name and content
tree_digest() {
	(cd "$ROOT" && source_files | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -d' ' -f1)
}

cmd_build() {
	local out=$1 version digest src start p
	version=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
	digest=$(tree_digest)
	if [ -f "$out/tree.sha256" ] && [ "$(cat "$out/tree.sha256")" = "$digest" ] &&
		[ -f "$out/ashmem_${version}_$(dpkg --print-architecture).changes" ]; then
		echo "deb: packages of this tree already in ${out#"$ROOT"/}"
		return 0
	fi
	rm -rf "$out"
	src=$out/ashmem-$version
	mkdir -p "$src"
	(cd "$ROOT" && source_files | cpio -pdm --quiet "$src")
	start=$(date +%s)
	echo "deb: dpkg-buildpackage -b in ${src#"$ROOT"/} (log in ${out#"$ROOT"/}/build.log)"
	# not the make variables of a make check that runs this
	if ! (cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEB_BUILD_OPTIONS="noddebs parallel=$(nproc)" \
		dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
		tail -n 30 "$out/build.log"
		die "dpkg-buildpackage failed"
	fi
	echo "deb: built in $(($(date +%s) - start)) s:"
	for p in "$out"/*.deb; do echo "  ${p##*/}"; done
	echo "$digest" >"$out/tree.sha256"
}

check_lintian() {
	local changes=$1 log
	log=$(lintian --fail-on error --tag-display-limit 0 "$changes" 2>&1) && {
		ok "lintian: no errors ($(echo "$log" | grep -c '^W:') warnings)"
		echo "$log" | { grep -v 'running with root privileges' || true; } | sed 's/^/    /'
		return
	}
	echo "$log"
	fail "lintian reported errors"
}

check_dkms() {
	local kver=$1 version status
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/driver/dkms.conf")
	status=$(dkms status -m ashmem -v "$version" -k "$kver")
	case "$status" in
	*": installed"*) ok "dkms status after dpkg -i: $status" ;;
	*) fail "dkms status for $kver after dpkg -i: '$status'" ;;
	esac
	if [ -f "/lib/modules/$kver/updates/dkms/ashmem_linux.ko" ]; then
		ok "/lib/modules/$kver/updates/dkms/ashmem_linux.ko"
	else
		fail "no /lib/modules/$kver/updates/dkms/ashmem_linux.ko"
	fi
}

# check_files: the files each package promised are where it said
check_files() {
	local f arch
	arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	for f in /usr/src/ashmem-*/dkms.conf /usr/lib/udev/rules.d/99-ashmem.rules \
		/usr/lib/udev/ashmem-boot-id-node /usr/lib/modules-load.d/ashmem.conf \
		/usr/lib/"$arch"/libashmem.so.0 /usr/lib/"$arch"/libashmem.a \
		/usr/lib/"$arch"/pkgconfig/libashmem.pc /usr/lib/"$arch"/cmake/ashmem/ashmemConfig.cmake \
		/usr/include/cutils/ashmem.h /usr/include/ashmem/region.h /usr/bin/ashmemctl \
		/usr/share/man/man1/ashmemctl.1.gz /usr/share/man/man4/ashmem.4.gz; do
		if [ -e "$f" ]; then ok "installed $f"; else fail "not installed: $f"; fi
	done
	if /usr/bin/ashmemctl --help | grep -q '^usage: ashmemctl'; then
		ok "ashmemctl --help"
	else
		fail "ashmemctl --help"
	fi
}

# check_consumer DIR: the documented ways of using the installed -dev package
check_consumer() {
	local dir=$1/consumer src=$ROOT/libashmem/tests/consumer cxxflags cflags
	# word splitting of pkg-config's output is intended: it is a list of flags
	read -ra cxxflags <<<"$(pkg-config --cflags --libs libashmem)"
	read -ra cflags <<<"$(pkg-config --cflags --libs libashmem-c)"
	rm -rf "$dir"
	mkdir -p "$dir"
	if c++ -Wall -Wextra -Werror -o "$dir/consumer_pc" "$src/consumer.cc" \
		"${cxxflags[@]}" && ASHMEM_BACKEND=memfd "$dir/consumer_pc" >/dev/null; then
		ok "pkg-config libashmem: built and ran a C++ program (${cxxflags[*]})"
	else
		fail "a C++ program with pkg-config libashmem"
	fi
	if cc -std=c11 -Wall -Wextra -Werror -o "$dir/c_pc" "$ROOT/libashmem/tests/dropin/libcutils_program.c" \
		"$ROOT/libashmem/tests/dropin/libcutils_checks.c" "${cflags[@]}" &&
		ASHMEM_BACKEND=memfd "$dir/c_pc" >/dev/null; then
		ok "pkg-config libashmem-c: built and ran the libcutils C program"
	else
		fail "a C program with pkg-config libashmem-c"
	fi
	if cmake -S "$src" -B "$dir/cmake" --log-level=WARNING >/dev/null &&
		cmake --build "$dir/cmake" >/dev/null &&
		ASHMEM_BACKEND=memfd "$dir/cmake/consumer" >/dev/null &&
		ASHMEM_BACKEND=memfd "$dir/cmake/consumer_static" >/dev/null; then
		ok "find_package(ashmem): built and ran a program against ashmem::ashmem and ashmem::ashmem_static"
	else
		fail "a CMake project with find_package(ashmem)"
	fi
}

cmd_test() {
	local out=$1 kver changes start p debs version
	kver=${KVER:-$("$ROOT/qemu/kver.sh")}
	version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/driver/dkms.conf")
	start=$(date +%s)
	cmd_build "$out"
	changes=$(ls "$out"/ashmem_*.changes)
	SECONDS=0
	check_lintian "$changes"
	echo "deb: lintian took $SECONDS s"
	# make dkms-install's registration of the same version would collide
	# with the package's (packaging/dkms-test.sh made it)
	if dkms status -m ashmem | grep -q . && ! dpkg-query -W ashmem-dkms >/dev/null 2>&1; then
		dkms remove -m ashmem -v "$version" --all >/dev/null
		rm -rf "/usr/src/ashmem-$version"
	fi
	debs=()
	for p in "${PACKAGES[@]}"; do
		debs+=("$(ls "$out/${p}_"*.deb)")
	done
	echo "deb: dpkg -i ${PACKAGES[*]} (log in ${out#"$ROOT"/}/dpkg.log)"
	SECONDS=0
	if ! dpkg -i "${debs[@]}" >"$out/dpkg.log" 2>&1; then
		tail -n 30 "$out/dpkg.log"
		fail "dpkg -i"
	fi
	echo "deb: dpkg -i took $SECONDS s (DKMS builds the module for each kernel with headers)"
	check_files
	check_dkms "$kver"
	SECONDS=0
	check_consumer "$out"
	echo "deb: the programs against libashmem-dev took $SECONDS s"
	echo "deb: $(($(date +%s) - start)) s"
	[ $fails -eq 0 ] || die "$fails check(s) failed"
	echo "deb: all checks passed"
}

main() {
	local cmd=${1:-} out
	case "$cmd" in
	build | test) ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	out=${2:-$ROOT/build/deb}
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	"cmd_$cmd" "$out"
}

main "$@"
