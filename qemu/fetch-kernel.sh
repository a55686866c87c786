#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the newest Debian kernel of a series (image and headers) from an
# archive suite the machine's apt sources do not list, without touching
# them: apt runs on a private sources list and state directory, the
# packages are unpacked with dpkg-deb -x, nothing is installed.  The result
# is cached outside the work tree, keyed by the kernel version, so a warm
# run only asks the archive which version is the newest.  Prints the cache
# directory: vmlinuz (the image) and kdir (the tree to build modules
# against: make -C <dir>/kdir M=...).
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 SERIES

SERIES  a kernel series, e.g. 6.12: the newest linux-headers-SERIES.N+debNN-FLAVOUR
        (or SERIES.N-ABI-FLAVOUR, as bookworm names 6.1) of SUITE that has an
        image is fetched (the version is printed on stderr); "newest": the
        newest kernel of SUITE, whatever its series

settings (environment):
  SUITE    the archive suite           (default: bookworm-backports)
  FLAVOUR  the kernel flavour          (default: amd64)
  ARCH     the Debian architecture     (default: the host's); another one is
           fetched with its own apt state, the host's dpkg is not told of it
  MIRROR   the archive                 (default: the machine's Debian mirror)
  CACHE    where kernels are kept      (default: /var/cache/ashmem-linux/kernels)
  KBUILD_IN_ROOT  set: another architecture's headers will be built in a root
           that has their linux-kbuild-* (its name is in <dir>/kbuild), not the host
USAGE
}

SUITE=${SUITE:-bookworm-backports}
FLAVOUR=${FLAVOUR:-amd64}
HOST_ARCH=$(dpkg --print-architecture)
ARCH=${ARCH:-$HOST_ARCH}
CACHE=${CACHE:-/var/cache/ashmem-linux/kernels}
MIRROR=${MIRROR:-}
KBUILD_IN_ROOT=${KBUILD_IN_ROOT:-}
WORK=

cleanup() {
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

die() {
	echo "fetch-kernel: $*" >&2
	exit 1
}

# mirror: the Debian archive the machine's own sources use.
mirror() {
	"$(dirname "$0")/debian-mirror.sh"
}

# apt_setup: a private apt for SUITE in $APT_DIR; sets APT_OPTS.
apt_setup() {
	local url
	APT_DIR=$CACHE/apt-$SUITE
	[ "$ARCH" = "$HOST_ARCH" ] || APT_DIR=$APT_DIR-$ARCH
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
	url=$(mirror)
	[ -n "$url" ] || die "no Debian mirror in /etc/apt (set MIRROR)"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${url%/} $SUITE main" \
		>"$APT_DIR/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
		-o "Dir::Etc::SourceParts=/nonexistent"
		-o "Dir::State::Lists=$APT_DIR/lists"
		-o "Dir::Cache::Archives=$APT_DIR/archives"
		-o "APT::Sandbox::User=root"
		-o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH")
}

# image_package VERSION: the package that holds the image of VERSION, if
# the archive has one (linux-image-*-unsigned until 6.x, linux-binary-* in
# 7.x, where linux-image-* is a metapackage).
image_package() {
	local pkg
	for pkg in "linux-image-$1-$FLAVOUR-unsigned" "linux-binary-$1-$FLAVOUR"; do
		if apt-cache "${APT_OPTS[@]}" show "$pkg" >/dev/null 2>&1; then
			echo "$pkg"
			return 0
		fi
	done
	return 1
}

# newest SERIES: the newest version of the series with headers and an image.
newest() {
	local re ver series='[0-9]+\.[0-9]+'
	[ "$1" = newest ] || series=${1//./\\.}
	re="^linux-headers-$series\\.[0-9]+(\\+deb[0-9]+|-[0-9]+)-$FLAVOUR\$"
	apt-cache "${APT_OPTS[@]}" search --names-only "$re" 2>/dev/null |
		sed -n "s/^linux-headers-\\([^ ]*\\)-$FLAVOUR - .*/\\1/p" | sort -V -r |
		while read -r ver; do
			if image_package "$ver" >/dev/null; then
				echo "$ver"
				break
			fi
		done
}

# suffix: the cache directories of amd64 kernels are debian-<version>,
# those of other flavours debian-<version>-<flavour>.
suffix() {
	[ "$FLAVOUR" = amd64 ] || echo "-$FLAVOUR"
}

# cached SERIES: the newest complete cached version of the series, if any.
cached() {
	local d pattern=$1.
	[ "$1" != newest ] || pattern=[0-9]
	for d in "$CACHE"/debian-"$pattern"*"$(suffix)"; do
		[ -f "$d/complete" ] || continue
		d=${d#"$CACHE"/debian-}
		if [ "$FLAVOUR" = amd64 ]; then
			case "$d" in *-*) continue ;; esac
		fi
		echo "${d%"$(suffix)"}"
	done | sort -V | tail -n 1
}

# kbuild_link ROOT RELEASE: a foreign architecture's headers run the
# build's programs from /usr/lib/linux-kbuild-*, named by their scripts
# link (linux-kbuild-6.1 in bookworm, linux-kbuild-6.12.117+deb13 in
# trixie): that name, linked to the same path where the module is built,
# the host (checked here) or, with KBUILD_IN_ROOT, a build root that holds
# the amd64 package of that name.
kbuild_link() {
	local root=$1 release=$2 kbuild
	kbuild=$(readlink "$root/usr/src/linux-headers-$release/scripts")
	kbuild=${kbuild%/scripts}
	kbuild=${kbuild##*/}
	case "$kbuild" in
	linux-kbuild-*) ;;
	*) die "the $ARCH headers of $release name no linux-kbuild-* for their programs" ;;
	esac
	if [ -z "$KBUILD_IN_ROOT" ] && [ ! -d "/usr/lib/$kbuild" ]; then
		die "no /usr/lib/$kbuild for the $ARCH headers (install linux-headers-$HOST_ARCH)"
	fi
	mkdir -p "$root/usr/lib"
	ln -sfn "/usr/lib/$kbuild" "$root/usr/lib/$kbuild"
	echo "$kbuild" >"$root/../kbuild"
}

# unpack VERSION DEST: download and unpack image and headers into DEST.
unpack() {
	local ver=$1 dest=$2 deb root release=$1-$FLAVOUR image kbuild= modules
	image=$(image_package "$ver")
	WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	# a foreign architecture's kbuild programs cannot run here: its
	# headers use the host's own linux-kbuild of the series (installed
	# with the host's headers)
	if [ "$ARCH" = "$HOST_ARCH" ]; then
		kbuild=linux-kbuild-$ver
		apt-cache "${APT_OPTS[@]}" show "$kbuild" >/dev/null 2>&1 || kbuild=linux-kbuild-${ver%.*}
	fi
	# 7.x ships the modules (binder_linux.ko among them) apart from the image
	modules=linux-modules-$release
	apt-cache "${APT_OPTS[@]}" show "$modules" >/dev/null 2>&1 || modules=
	(cd "$WORK" && apt-get "${APT_OPTS[@]}" -qq download \
		"$image" "linux-headers-$release" "linux-headers-$ver-common" $kbuild $modules) >&2 ||
		die "could not download the packages of $release from $SUITE"
	root=$WORK/root
	mkdir -p "$root"
	for deb in "$WORK"/*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	# the headers include the common tree by its installed path
	sed -i "s|^include /usr/src/|include $dest/root/usr/src/|" \
		"$root/usr/src/linux-headers-$release/Makefile"
	rm -f "$WORK"/*.deb
	[ -n "$kbuild" ] || kbuild_link "$root" "$release"
	rm -rf "$dest"
	mv "$WORK" "$dest"
	chmod 755 "$dest"
	WORK=
	# /boot until 6.x, beside the modules in 7.x
	if [ -e "$dest/root/boot/vmlinuz-$release" ]; then
		ln -s "root/boot/vmlinuz-$release" "$dest/vmlinuz"
	else
		ln -s "root/usr/lib/modules/$release/vmlinuz" "$dest/vmlinuz"
	fi
	ln -s "root/usr/src/linux-headers-$release" "$dest/kdir"
	[ -r "$dest/vmlinuz" ] && [ -f "$dest/kdir/Makefile" ] ||
		die "$release unpacked without an image or headers"
	touch "$dest/complete"
}

main() {
	[ $# -eq 1 ] || { usage >&2; exit 2; }
	[ "$1" != -h ] || { usage; exit 0; }
	local series=$1 ver dest
	mkdir -p "$CACHE"
	apt_setup
	exec 9>"$CACHE/fetch-$series.lock"
	flock 9
	if apt-get "${APT_OPTS[@]}" -qq update >&2 2>/dev/null; then
		ver=$(newest "$series")
		[ -n "$ver" ] || die "$SUITE offers no $series kernel with headers for $FLAVOUR"
	else
		# offline: the newest one fetched before, said so
		ver=$(cached "$series")
		[ -n "$ver" ] || die "cannot reach $SUITE, and no $series kernel is cached"
		echo "fetch-kernel: $SUITE unreachable, using the cached $ver" >&2
	fi
	dest=$CACHE/debian-$ver$(suffix)
	if [ ! -f "$dest/complete" ]; then
		echo "fetch-kernel: fetching $ver-$FLAVOUR from $SUITE" >&2
		unpack "$ver" "$dest"
	fi
	echo "fetch-kernel: $series is $ver-$FLAVOUR ($SUITE)" >&2
	echo "$dest"
}

main "$@"
