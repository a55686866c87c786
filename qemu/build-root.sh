#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian root to build modules in, for kernels whose headers need a newer
# userland than the host's (trixie's kernels want gcc-14 and trixie's
# glibc for their kbuild programs).  `debootstrap --variant=minbase SUITE`,
# then the kernel's headers and the build tools from BPO_SUITE installed
# inside it with the root's own apt: the host's apt sources and dpkg are
# never touched.  The root is cached outside the work tree, keyed by what
# it is made from (suite, headers version, package list, RECIPE), so
# only the first run pays (about 80 s here).  Prints the root's directory;
# `qemu/build-root.sh run ROOT DIR CMD...` runs CMD in it with DIR visible
# at the same path (a private mount namespace: nothing stays mounted).
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 make [VERSION]      make (or reuse) the root with PACKAGES and, given
                              VERSION, linux-headers-VERSION-FLAVOUR
       $0 run ROOT DIRS CMD... run CMD inside ROOT, each directory of DIRS
                              (separated by colons) bind-mounted at its own path

settings (environment):
  SUITE      the root's Debian release     (default: trixie)
  BPO_SUITE  where the headers come from   (default: SUITE-backports)
  FLAVOUR    the kernel flavour            (default: amd64)
  MIRROR     the archive                   (default: the machine's Debian mirror)
  CACHE      where roots are kept          (default: /var/cache/ashmem-linux/roots)
  PACKAGES   what else the root holds      (default: binutils make sparse dkms);
             name:ARCH for another architecture's packages (ROOT_ARCHES)
  ROOT_ARCHES  other architectures the root's own dpkg takes (e.g. arm64:
             cross-building libraries and busybox-static:arm64)
  SPARSE_SUITE  a newer suite whose newest sparse the root gets as
             /usr/local/bin/sparse, unpacked, not installed (installing it would
             pull that suite's libc); it must parse the headers' __typeof_unqual__
USAGE
}

SUITE=${SUITE:-trixie}
BPO_SUITE=${BPO_SUITE:-$SUITE-backports}
FLAVOUR=${FLAVOUR:-amd64}
CACHE=${CACHE:-/var/cache/ashmem-linux/roots}
MIRROR=${MIRROR:-}
# what the module build, sparse and dkms need besides the headers
PACKAGES=${PACKAGES:-binutils make sparse dkms}
ROOT_ARCHES=${ROOT_ARCHES:-}
SPARSE_SUITE=${SPARSE_SUITE:-}
# raise when the way the root is made changes (part of its cache key)
RECIPE=1
WORK=

cleanup() {
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

die() {
	echo "build-root: $*" >&2
	exit 1
}

# mirror: the Debian archive the machine's own sources use.
mirror() {
	"$(dirname "$0")/debian-mirror.sh"
}

# in_root ROOT CMD...: CMD inside ROOT with /proc and /dev, in a private
# mount namespace.
in_root() {
	local root=$1
	shift
	unshare -m -- sh -c 'root=$1; shift
		mount --make-rprivate / &&
		mount -t proc proc "$root/proc" &&
		mount --rbind /dev "$root/dev" &&
		exec chroot "$root" "$@"' in_root "$root" "$@"
}

# host_apt_policy: the machine's own settings for a Release file's dates,
# as apt options for the root's apt (a mirror that serves a snapshot has
# Release files past their Valid-Until, and the machine's apt accepts them).
# A machine without such settings has none to pass on (and grep's finding
# nothing must not end the script).
host_apt_policy() {
	apt-config dump | { grep -E '^Acquire::Check-(Valid-Until|Date) ' || true; } |
		sed -E 's/^([^ ]*) "(.*)";$/-o \1=\2/' | tr '\n' ' '
}

# checker_script ROOT VERSION: kbuild's scripts/checker-valid.sh, where the
# headers of VERSION lack it (Debian's 7.x packages do): without it, C=1
# turns itself off.
checker_script() {
	local common=$1/usr/src/linux-headers-$2-common script
	script=$common/scripts/checker-valid.sh
	grep -q checker-valid.sh "$common/Makefile" 2>/dev/null || return 0
	[ -e "$script" ] || install -m 755 "$(dirname "$0")/checker-valid.sh" "$script"
}

# newer_sparse ROOT URL: SPARSE_SUITE's newest sparse, unpacked into ROOT
# and checked against the construct the newest headers need.
newer_sparse() {
	local root=$1 url=$2 ver apt
	apt="apt-get -qq $(host_apt_policy)"
	echo "deb $url $SPARSE_SUITE main" >"$root/etc/apt/sources.list.d/sparse.list"
	in_root "$root" sh -c "cd /tmp && $apt update &&
		$apt download sparse/$SPARSE_SUITE &&
		dpkg-deb -x sparse_*.deb /opt/sparse && rm -f sparse_*.deb" \
		>"$WORK/sparse.log" 2>&1 ||
		die "no sparse from $SPARSE_SUITE: $(tail -n 3 "$WORK/sparse.log")"
	rm -f "$root/etc/apt/sources.list.d/sparse.list"
	rm -f "$root"/var/lib/apt/lists/*_"$SPARSE_SUITE"_*
	ln -sfn /opt/sparse/usr/bin/sparse "$root/usr/local/bin/sparse"
	cp "$(dirname "$0")/checker-valid.sh" "$root/tmp/checker-valid.sh"
	[ "$(in_root "$root" sh /tmp/checker-valid.sh /usr/local/bin/sparse)" = 1 ] ||
		die "$SPARSE_SUITE's sparse cannot parse __typeof_unqual__ (or run in the $SUITE root)"
	rm -f "$root/tmp/checker-valid.sh"
	ver=$(in_root "$root" /usr/local/bin/sparse --version)
	echo "build-root: sparse $ver from $SPARSE_SUITE in /usr/local/bin" >&2
}

cmd_make() {
	[ $# -le 1 ] || { usage >&2; exit 2; }
	local ver=${1:-} key dest url headers= start=$SECONDS apt
	[ -z "$ver" ] || headers=linux-headers-$ver-$FLAVOUR
	command -v debootstrap >/dev/null || die "debootstrap missing (run 'make deps')"
	key=$(printf '%s\n' "$SUITE" "$BPO_SUITE" "$headers" "$PACKAGES" "$ROOT_ARCHES" "$RECIPE" \
		${headers:+checker-valid} ${SPARSE_SUITE:+"sparse from $SPARSE_SUITE"} |
		sha256sum | cut -c1-12)
	dest=$CACHE/$SUITE-${ver:+$ver-$FLAVOUR-}$key
	mkdir -p "$CACHE"
	exec 9>"$dest.lock"
	flock 9
	if [ -f "$dest/complete" ]; then
		echo "$dest"
		return 0
	fi
	url=$(mirror)
	[ -n "$url" ] || die "no Debian mirror in /etc/apt (set MIRROR)"
	echo "build-root: making a $SUITE root with $PACKAGES $headers (once; cached in $dest)" >&2
	WORK=$(mktemp -d "$CACHE/.root.XXXXXX")
	debootstrap --variant=minbase "$SUITE" "$WORK/root" "$url" >"$WORK/debootstrap.log" 2>&1 ||
		die "debootstrap $SUITE failed: $(tail -n 3 "$WORK/debootstrap.log")"
	echo "deb $url $BPO_SUITE main" >"$WORK/root/etc/apt/sources.list.d/$BPO_SUITE.list"
	apt="apt-get -qq $(host_apt_policy)"
	in_root "$WORK/root" sh -c "export DEBIAN_FRONTEND=noninteractive
		for a in $ROOT_ARCHES; do dpkg --add-architecture \$a || exit 1; done
		$apt update &&
		$apt install -y --no-install-recommends -t $BPO_SUITE $PACKAGES $headers &&
		apt-get clean" >"$WORK/install.log" 2>&1 ||
		die "installing $headers in the $SUITE root failed: $(tail -n 3 "$WORK/install.log")"
	[ -z "$headers" ] || [ -f "$WORK/root/usr/src/$headers/Makefile" ] ||
		die "the root has no /usr/src/$headers"
	[ -z "$headers" ] || checker_script "$WORK/root" "$ver"
	[ -z "$SPARSE_SUITE" ] || newer_sparse "$WORK/root" "$url"
	rm -rf "$dest"
	mv "$WORK/root" "$dest"
	touch "$dest/complete"
	echo "build-root: $SUITE root made in $((SECONDS - start)) s" >&2
	echo "$dest"
}

cmd_run() {
	[ $# -ge 3 ] || { usage >&2; exit 2; }
	local root=$1 dirs=$2 dir
	shift 2
	[ -f "$root/complete" ] || die "$root is not a complete root"
	local IFS=:
	for dir in $dirs; do
		mkdir -p "$root$dir"
	done
	unshare -m -- sh -c 'root=$1 dirs=$2; shift 2
		mount --make-rprivate / || exit 1
		IFS=:
		for dir in $dirs; do
			mount --bind "$dir" "$root$dir" || exit 1
		done
		unset IFS
		mount -t proc proc "$root/proc" &&
		exec chroot "$root" "$@"' run "$root" "$dirs" "$@"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	make | run) "cmd_$cmd" "$@" ;;
	-h | --help) usage ;;
	*) usage >&2; exit 2 ;;
	esac
}

main "$@"
