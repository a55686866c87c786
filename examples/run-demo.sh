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

if [ "$status" -eq 0 ]; then
	echo "== demo finished: every step behaved as promised =="
else
	echo "== demo FAILED (see the messages above) ==" >&2
fi
exit "$status"
