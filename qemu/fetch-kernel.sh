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
        of SUITE that has an image is fetched (the version is printed on stderr)

settings (environment):
  SUITE    the archive suite           (default: bookworm-backports)
  FLAVOUR  the kernel flavour          (default: amd64)
  MIRROR   the archive                 (default: the machine's Debian mirror)
  CACHE    where kernels are kept      (default: /var/cache/ashmem-linux/kernels)
USAGE
}

SUITE=${SUITE:-bookworm-backports}
FLAVOUR=${FLAVOUR:-amd64}
CACHE=${CACHE:-/var/cache/ashmem-linux/kernels}
MIRROR=${MIRROR:-}
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
	if [ -n "$MIRROR" ]; then
		echo "$MIRROR"
		return
	fi
	grep -hoE '(https?|file)://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list 2>/dev/null | head -n 1 | tr -d ' ' ||
		true
}

# apt_setup: a private apt for SUITE in $APT_DIR; sets APT_OPTS.
apt_setup() {
	local url
	APT_DIR=$CACHE/apt-$SUITE
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial"
	url=$(mirror)
	[ -n "$url" ] || die "no Debian mirror in /etc/apt (set MIRROR)"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${url%/} $SUITE main" \
		>"$APT_DIR/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
		-o "Dir::Etc::SourceParts=/nonexistent"
		-o "Dir::State::Lists=$APT_DIR/lists"
		-o "Dir::Cache::Archives=$APT_DIR/archives"
		-o "APT::Sandbox::User=root")
}

# newest SERIES: the newest version of the series with headers and an image.
newest() {
	local re ver
	re="^linux-headers-${1//./\\.}\\.[0-9]+\\+deb[0-9]+-$FLAVOUR\$"
	apt-cache "${APT_OPTS[@]}" search --names-only "$re" 2>/dev/null |
		sed -n "s/^linux-headers-\\([^ ]*\\)-$FLAVOUR - .*/\\1/p" | sort -V -r |
		while read -r ver; do
			if apt-cache "${APT_OPTS[@]}" show "linux-image-$ver-$FLAVOUR-unsigned" \
				>/dev/null 2>&1; then
				echo "$ver"
				break
			fi
		done
}

# cached SERIES: the newest complete cached version of the series, if any.
cached() {
	local d
	for d in "$CACHE"/debian-"$1".*; do
		[ -f "$d/complete" ] && basename "$d"
	done | sed 's/^debian-//' | sort -V | tail -n 1
}

# unpack VERSION DEST: download and unpack image and headers into DEST.
unpack() {
	local ver=$1 dest=$2 deb root release=$1-$FLAVOUR
	WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	(cd "$WORK" && apt-get "${APT_OPTS[@]}" -qq download \
		"linux-image-$release-unsigned" "linux-headers-$release" \
		"linux-headers-$ver-common" "linux-kbuild-$ver") >&2 ||
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
	rm -rf "$dest"
	mv "$WORK" "$dest"
	chmod 755 "$dest"
	WORK=
	ln -s "root/boot/vmlinuz-$release" "$dest/vmlinuz"
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
	dest=$CACHE/debian-$ver
	if [ ! -f "$dest/complete" ]; then
		echo "fetch-kernel: fetching $ver-$FLAVOUR from $SUITE" >&2
		unpack "$ver" "$dest"
	fi
	echo "fetch-kernel: $series is $ver-$FLAVOUR ($SUITE)" >&2
	echo "$dest"
}

main "$@"
