#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# usage: debian-mirror.sh
#
# Print the Debian archive that the machine's own apt sources use (without a
# trailing slash), or $MIRROR if set; nothing when there is none.  For the
# scripts that reach other suites of the same archive (fetch-kernel.sh,
# build-root.sh) without changing those sources.
set -eu

if [ -n "${MIRROR:-}" ]; then
	echo "${MIRROR%/}"
	exit 0
fi
grep -hoE '(https?|file)://[^ ]*/debian/?( |$)' /etc/apt/sources.list.d/*.sources \
	/etc/apt/sources.list 2>/dev/null | head -n 1 | tr -d ' ' | sed 's|/$||' || true
