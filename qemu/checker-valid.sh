#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kbuild asks $(srctree)/scripts/checker-valid.sh, given CHECK and its
# flags, whether the checker can read the kernel's headers: it must print
# 1, or C=1 is turned off with a warning.  Debian's 7.x linux-headers
# packages leave that script out, so qemu/build-root.sh installs this one
# in their place: it prints 1 when the checker exists and takes the newest
# construct those headers use, __typeof_unqual__, without an error.
[ $# -gt 0 ] && command -v "$1" >/dev/null 2>&1 || { echo 0; exit 0; }
probe=$(mktemp --suffix=.c) || { echo 0; exit 0; }
trap 'rm -f "$probe"' EXIT
cat >"$probe" <<PROBE
int unqual(const volatile int *p);
int unqual(const volatile int *p)
{
	__typeof_unqual__(*p) v = *p;

	return ++v;
}
PROBE
# sparse exits 0 after an error, so its output is what tells
if "$@" "$probe" 2>&1 | grep -q 'error'; then
	echo 0
else
	echo 1
fi
