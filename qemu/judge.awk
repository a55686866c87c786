# SPDX-License-Identifier: GPL-2.0
#
# The verdict of a guest run, from its serial log:
#
#   awk -v mode=test|run -v qemu_status=N -f qemu/judge.awk serial.log
#
# Prints a "run-tests: FAIL: ..." line per problem, then the verdict line
# "N passed, N failed", and exits non-zero if anything failed.  Used by
# qemu/run-tests.sh.

function fail(msg) { problems[++nproblems] = msg }
/^ashmem-run: begin / { cur = $4; kind = $3; curfail = 0; ended = 0; next }
/^ashmem-run: end / {
	split($5, kv, "=")
	if (kv[2] != 0 && curfail == 0) {
		failed++
		fail(cur " exited with status " kv[2] " without reporting a failed test")
	}
	cur = ""
	next
}
/^ashmem-guest: done status=/ { sentinel = 1 }
/^ashmem-dmesg: begin/ { in_dmesg = 1 }
/^ashmem-dmesg: end/ { in_dmesg = 0 }
/^ashmem-kmemleak: begin/ { in_kmemleak = 1; next }
/^ashmem-kmemleak: end/ { in_kmemleak = 0; next }
in_kmemleak { fail("kmemleak: " $0); leak = 1; next }
# KUnit results (debug kernel), counted once from the dmesg dump
in_dmesg && /^\[ *[0-9]+\.[0-9]+\] +not ok [0-9]+ / {
	failed++
	fail("kunit: " $0)
	next
}
in_dmesg && /^\[ *[0-9]+\.[0-9]+\] +ok [0-9]+ / { passed++; next }
# kernel log lines, from the console or the final dmesg dump
/^\[ *[0-9]+\.[0-9]+\] / || in_dmesg {
	if ($0 ~ /Oops|BUG:|WARNING:|KASAN|UBSAN|kernel BUG|general protection|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|unreferenced object|Call Trace:|Kernel panic/)
	{
		fail("kernel log: " $0)
		splat = 1
	}
	next
}
cur != "" && kind == "ksft" && /^ok [0-9]+ / {
	if ($0 ~ /# SKIP/) { skipped++; fail("skipped in the guest: " cur ": " $0) }
	else passed++
	next
}
cur != "" && kind == "ksft" && /^not ok [0-9]+ / {
	if ($0 ~ /# SKIP/) { skipped++; fail("skipped in the guest: " cur ": " $0) }
	else { failed++; curfail++; fail(cur ": " $0) }
	next
}
cur != "" && kind == "gtest" && /^\[       OK \] .* \([0-9]+ ms\)$/ { passed++; next }
cur != "" && kind == "gtest" && /^\[  FAILED  \] .* \([0-9]+ ms\)$/ { failed++; curfail++; fail(cur ": " $0); next }
cur != "" && kind == "gtest" && /^\[  SKIPPED \] .* \([0-9]+ ms\)$/ { skipped++; fail("skipped in the guest: " cur ": " $0); next }
END {
	if (cur != "") { failed++; fail(cur " never finished (guest died or hung)") }
	if (!sentinel) { fail("no end-of-run sentinel: the guest crashed or timed out (qemu status " qemu_status ")"); extra++ }
	else if (qemu_status != 0) { fail("qemu exited with status " qemu_status); extra++ }
	if (mode == "test" && passed + failed + skipped == 0) { fail("no test ran"); extra++ }
	# a splat or a leak fails the run whatever the tests said: count it
	extra += splat + leak
	for (i = 1; i <= nproblems; i++) print "run-tests: FAIL: " problems[i]
	# a test that skips in the guest is a failure there
	line = (passed + 0) " passed, " (failed + skipped + extra) " failed"
	if (skipped) line = line ", " skipped " skipped"
	print line
	exit nproblems > 0 || failed + skipped > 0
}
