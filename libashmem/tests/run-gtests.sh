#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# run-gtests.sh LABEL DIR: runs every DIR/*_test GoogleTest program, prints
# each one's failures and summary, then one total line.  Exits non-zero if
# any test failed or any program did not finish.
set -u
label=$1
dir=$2
passed=0 failed=0 skipped=0 status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

for t in "$dir"/*_test; do
	[ -x "$t" ] || continue
	echo "--- $label: ${t##*/}"
	"$t" --gtest_brief=1 --gtest_color=no >"$out" 2>&1
	rc=$?
	# Skips are expected on a host without /dev/ashmem; keep their noise out.
	grep -v -e '^/dev/ashmem is absent' -e ': Skipped$' "$out"
	n=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' "$out")
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\.$/\1/p' "$out")
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}.*/\1/p' "$out")
	f=$(( ${n:-0} - ${p:-0} - ${s:-0} ))
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ]; then
		status=1
		[ "$f" -gt 0 ] || { echo "$label: ${t##*/} exited with status $rc"; failed=$((failed + 1)); }
	fi
done
echo "=== $label: $passed passed, $failed failed, $skipped skipped (skips need /dev/ashmem)"
exit $status
