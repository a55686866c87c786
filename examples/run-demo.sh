#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# The libashmem demo: a service and a client, two processes, share one region
# of memory.  Runs under any POSIX sh (busybox too).  ASHMEM_BACKEND=memfd or
# =ashmem picks the backend; by default /dev/ashmem is used when present.
# Exits non-zero if either program fails.
set -u

here=$(cd "$(dirname "$0")" && pwd)
dir=${TMPDIR:-/tmp}
[ -d "$dir" ] && [ -w "$dir" ] || dir=$here
sock=$dir/ashmem-demo.$$.sock

echo "== libashmem demo: two processes, one region of shared memory =="
echo "   backend: ${ASHMEM_BACKEND:-automatic (/dev/ashmem if present, else memfd)}"

"$here/ashmem-demo-service" "$sock" &
service=$!

status=0
"$here/ashmem-demo-client" "$sock" || status=1
wait "$service" || status=1
rm -f "$sock"

# Android's own flows, over Binder, where there is a Binder device (the
# guest loads binder_linux; a host usually has none)
if [ -e /dev/binder ]; then
	for p in memory-file memory-service buffer-service channel; do
		echo
		"$here/ashmem-binder-$p" || status=1
	done
else
	echo "(no /dev/binder here: the Binder flows, ashmem-binder-*, are not shown)"
fi

if [ "$status" -eq 0 ]; then
	echo "== demo finished: every step behaved as promised =="
else
	echo "== demo FAILED (see the messages above) ==" >&2
fi
exit "$status"
