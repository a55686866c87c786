# SPDX-License-Identifier: GPL-2.0
#
# The verdict of a guest run, from its serial log:
#
#   awk -v mode=test|run -v qemu_status=N -f qemu/judge.awk serial.log
#
# Prints a "run-tests: FAIL: ..." line per problem, then the verdict line
# "N passed, N failed", and exits non-zero if anything failed.  Used by
# qemu/run-tests.sh; qemu/judge-test.sh feeds it made-up logs.
#
# The kernel log is judged from the dump between "ashmem-dmesg: begin" and
# "end", which holds every message in order, the markers that tests write
# to /dev/kmsg included.  The console shows only the urgent messages (the
# guest boots "quiet"), so it is judged only when the guest died before
# the dump.  A kernel splat is:
#
#  - a line matching SPLAT, wherever it is;
#  - a "Call Trace:", unless it is an OOM report's own stack dump (the
#    report is judged as a whole);
#  - an OOM report (from "... invoked oom-killer: ..." to its
#    "oom-kill:constraint=..." summary or "Out of memory and no killable
#    processes...") or a "Killed process" line, unless it is a memory
#    cgroup's OOM inside a window that a test announced with
#        ashmem-selftest: expect memcg oom: begin <test>
#        ashmem-selftest: expect memcg oom: end
#    A global OOM is a splat even there.

BEGIN {
	SPLAT = "Oops|BUG:|WARNING:|KASAN|UBSAN|kernel BUG|general protection|" \
		"possible recursive locking|possible circular locking|" \
		"inconsistent lock state|suspicious RCU usage|" \
		"sleeping function called from invalid context|" \
		"unreferenced object|Kernel panic"
	WINDOW_BEGIN = "ashmem-selftest: expect memcg oom: begin "
	WINDOW_END = "ashmem-selftest: expect memcg oom: end$"
}

function fail(msg) { problems[++nproblems] = msg }
function splat(line) { fail("kernel log: " line); splats = 1 }

# oom_end(): the OOM report that began with the line in oom is complete.
function oom_end() {
	if (!oom_expected || window == "")
		splat("OOM outside an expected-OOM window: " oom)
	else if (!oom_memcg || oom_global)
		splat("global OOM (not a memory cgroup's): " oom)
	oom = ""
}

# dump_line(): judge one line of the kernel log dump.
function dump_line() {
	# the banner, or on arm64 the line before it
	if (!dump_lines++ && $0 !~ /\] (Linux version|Booting Linux on physical CPU) /)
		splat("the dump does not start at boot (the log buffer wrapped): " $0)
	if ($0 ~ SPLAT)
		splat($0)
	if ($0 ~ WINDOW_BEGIN) {
		if (window != "")
			splat("expected-OOM window opened twice: " $0)
		window = $0
	} else if ($0 ~ WINDOW_END) {
		window = ""
	} else if ($0 ~ /invoked oom-killer: /) {
		if (oom != "")
			splat("OOM report without an end: " oom)
		oom = $0
		oom_expected = window != ""
		oom_memcg = oom_global = oom_traces = 0
	} else if ($0 ~ /Call Trace:/) {
		# the stack dump of the report, and no second one
		if (oom == "" || oom_traces++)
			splat($0)
	} else if (oom != "" && $0 ~ /\] Memory cgroup stats for /) {
		oom_memcg = 1
	} else if (oom != "" && $0 ~ /\] Mem-Info:|constraint=CONSTRAINT_NONE|,global_oom/) {
		oom_global = 1
	}
	if (oom != "" && $0 ~ /\] oom-kill:constraint=|\] Out of memory and no killable processes/)
		oom_end()
	# the kill itself; its report may have been rate-limited away
	if ($0 ~ /: Killed process [0-9]+ / &&
	    !(window != "" && $0 ~ /\] Memory cgroup out of memory: Killed process /))
		splat($0)
}

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
# qemu/qemu.sh's watchdogs: a guest that never reached /init, or that ran
# past the run's timeout
/^ashmem-qemu: guest did not boot in / { noboot = substr($0, 14); next }
/^ashmem-qemu: guest timed out after / { timedout = substr($0, 20); next }
/^ashmem-guest: done status=/ { sentinel = 1 }
/^ashmem-dmesg: begin/ { in_dmesg = 1; next }
/^ashmem-dmesg: end/ { in_dmesg = 0; dumped = 1; next }
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
in_dmesg { dump_line(); next }
# kernel messages on the console: kept in case the dump never comes
/^\[ *[0-9]+\.[0-9]+\] / {
	if ($0 ~ SPLAT || $0 ~ /Call Trace:|: Killed process /)
		console[++nconsole] = $0
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
	if (noboot != "") {
		# its own verdict: nothing ran, so nothing else is worth saying
		fail(noboot)
		extra++
	} else {
		if (cur != "") { failed++; fail(cur " never finished (guest died or hung)") }
		if (!sentinel && timedout != "")
			fail("the guest hung: no end-of-run sentinel, killed when it " timedout)
		else if (!sentinel)
			fail("no end-of-run sentinel: the guest crashed (qemu status " qemu_status ")")
		else if (qemu_status != 0)
			fail("qemu exited with status " qemu_status)
		if (!sentinel || qemu_status != 0) extra++
		if (mode == "test" && passed + failed + skipped == 0) { fail("no test ran"); extra++ }
	}
	if (oom != "") splat("OOM report without an end: " oom)
	if (window != "") splat("expected-OOM window never closed: " window)
	if (!dumped)
		for (i = 1; i <= nconsole; i++) splat(console[i])
	# a splat or a leak fails the run whatever the tests said: count it
	extra += splats + leak
	for (i = 1; i <= nproblems; i++) print "run-tests: FAIL: " problems[i]
	# a test that skips in the guest is a failure there
	line = (passed + 0) " passed, " (failed + skipped + extra) " failed"
	if (skipped) line = line ", " skipped " skipped"
	print line
	exit nproblems > 0 || failed + skipped > 0
}
