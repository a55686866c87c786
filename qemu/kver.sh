#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel version the guest boots and the module is built for: the
# newest version that has both an image in /boot and headers in
# /lib/modules/<version>/build.  Never the host's `uname -r`: the host kernel
# is not the one the module runs on.
set -eu

best=
for build in /lib/modules/*/build; do
	[ -d "$build" ] || continue
	ver=${build#/lib/modules/}
	ver=${ver%/build}
	[ -f "/boot/vmlinuz-$ver" ] || continue
	best=$(printf '%s\n%s\n' "$best" "$ver" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build (run 'make deps')" >&2
	exit 1
fi
echo "$best"
