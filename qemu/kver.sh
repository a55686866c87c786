#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: kver.sh [FLAVOUR]
#
# Print the kernel version the guest boots and the module is built for: the
# newest version of Debian's FLAVOUR (default "amd64"; "rt-amd64" for the
# PREEMPT_RT kernel) that has both an image in /boot and headers in
# /lib/modules/<version>/build.  Never the host's `uname -r`: the host kernel
# is not the one the module runs on.
set -eu

flavour=${1:-amd64}
best=
for build in /lib/modules/*/build; do
	[ -d "$build" ] || continue
	ver=${build#/lib/modules/}
	ver=${ver%/build}
	# 6.1.0-56-amd64 is the amd64 flavour; 6.1.0-56-rt-amd64 is not
	echo "$ver" | grep -Eq "^[0-9.]+-[0-9]+-$flavour\$" || continue
	[ -f "/boot/vmlinuz-$ver" ] || continue
	best=$(printf '%s\n%s\n' "$best" "$ver" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$best" ]; then
	echo "kver.sh: no $flavour kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (run 'make deps')" >&2
	exit 1
fi
echo "$best"
