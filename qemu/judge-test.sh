#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the guest run's judge (qemu/judge.awk) against made-up serial logs:
# a memory cgroup's OOM report inside the window a test announced is not a
# splat; the same report outside it, a global OOM, or anything else that
# is a splat, is one even inside the window.
set -euo pipefail
# each case is "pieces | expect ...": expect counts in this shell
shopt -s lastpipe

usage() {
	cat <<USAGE
usage: $0

Feeds qemu/judge.awk one serial log per case and checks its verdict.  The
last line printed is "N passed, N failed".
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JUDGE=${JUDGE:-$ROOT/qemu/judge.awk}

WORK=
cleanup() {
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# --- pieces of kernel logs (trimmed from a 6.1 guest) ----------------------

window_begin() {
	echo "[    6.180217] ashmem-selftest: expect memcg oom: begin memcg.ranges.unkillable_hog_gets_enomem_while_others_work"
}

window_end() {
	echo "[    7.041830] ashmem-selftest: expect memcg oom: end"
}

# oom_head CGROUP: the start of an OOM report, up to its task list.
oom_head() {
	cat <<LOG
[    6.892354] limits_test invoked oom-killer: gfp_mask=0x400dc0(GFP_KERNEL_ACCOUNT|__GFP_ZERO), order=0, oom_score_adj=-1000
[    6.892400] CPU: 0 PID: 111 Comm: limits_test Tainted: G           OE      6.1.0-56-amd64 #1  Debian 6.1.192-2
[    6.892500] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[    6.892601] Call Trace:
[    6.892610]  <TASK>
[    6.892620]  dump_stack_lvl+0x44/0x5c
[    6.892630]  dump_header+0x4c/0x22b
[    6.892640]  out_of_memory.cold+0xa/0x7e
[    6.892650]  mem_cgroup_out_of_memory+0x134/0x150
[    6.892660]  try_charge_memcg+0x696/0x780
[    6.892670]  obj_cgroup_charge+0xb4/0x1b0
[    6.892680]  kmem_cache_alloc+0x96/0x300
[    6.892690]  ashmem_range_alloc+0x16/0x30 [ashmem_linux]
[    6.892700]  ashmem_ioctl+0x19e/0x4b0 [ashmem_linux]
[    6.892710]  __x64_sys_ioctl+0x90/0xd0
[    6.892720]  do_syscall_64+0x5d/0xb0
[    6.892730]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8
[    6.892740]  </TASK>
LOG
	if [ "$1" = / ]; then
		cat <<LOG
[    6.899500] Mem-Info:
[    6.899510] active_anon:2 inactive_anon:5105 isolated_anon:0
[    6.899520] Node 0 DMA32 free:2720kB boost:0kB min:2744kB low:3428kB high:4112kB
LOG
	else
		cat <<LOG
[    6.899500] memory: usage 8192kB, limit 8192kB, failcnt 35
[    6.899510] swap: usage 0kB, limit 0kB, failcnt 0
[    6.899590] Memory cgroup stats for $1:
[    6.899600] anon 0
[    6.899600] kernel 8388608
[    6.899600] slab 8263680
LOG
	fi
	cat <<LOG
[    6.899900] Tasks state (memory values in pages):
[    6.899910] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name
[    6.899920] [    111]     0   111      262       52    36864        0         -1000 limits_test
LOG
}

# A memory cgroup OOM that finds no victim: the charge fails, ENOMEM.
memcg_oom_enomem() {
	oom_head /ashmem-hog-110
	echo "[    6.900013] Out of memory and no killable processes..."
}

# A memory cgroup OOM that kills.
memcg_oom_kill() {
	oom_head /ashmem-hog-110
	cat <<LOG
[    6.900100] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/ashmem-hog-110,task_memcg=/ashmem-hog-110,task=limits_test,pid=111,uid=0
[    6.900200] Memory cgroup out of memory: Killed process 111 (limits_test) total-vm:1048kB, anon-rss:208kB, file-rss:0kB, shmem-rss:708kB, UID:0 pgtables:36kB oom_score_adj:0
[    6.910000] oom_reaper: reaped process 111 (limits_test), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
LOG
}

global_oom() {
	oom_head /
	cat <<LOG
[    6.900100] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=stress_test,pid=120,uid=0
[    6.900200] Out of memory: Killed process 120 (stress_test) total-vm:300000kB, anon-rss:290000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:600kB oom_score_adj:0
LOG
}

warning() {
	cat <<LOG
[    6.895000] ------------[ cut here ]------------
[    6.895010] WARNING: CPU: 1 PID: 111 at mm/page_counter.c:56 page_counter_cancel+0x40/0x50
[    6.895020] Call Trace:
[    6.895030]  <TASK>
[    6.895040]  </TASK>
[    6.895050] ---[ end trace 0000000000000000 ]---
LOG
}

hung_task() {
	cat <<LOG
[    6.895000] INFO: task limits_test:111 blocked for more than 120 seconds.
[    6.895020] Call Trace:
[    6.895030]  <TASK>
[    6.895040]  </TASK>
LOG
}

# --- running the judge -----------------------------------------------------

# make_log [CONSOLE]: a serial log of one passing test, with the kernel log
# dump read from stdin and CONSOLE as a kernel message on the console.
make_log() {
	echo "ashmem-guest: kernel 6.1.0-56-amd64, lane debian, mode test"
	echo "ashmem-run: begin ksft /selftests/limits_test"
	if [ -n "${1:-}" ]; then
		echo "$1"
	fi
	echo "ok 1 memcg.ranges.unkillable_hog_gets_enomem_while_others_work"
	echo "ashmem-run: end ksft /selftests/limits_test exit=0"
	echo "ashmem-dmesg: begin"
	echo "$BOOT"
	cat
	echo "ashmem-dmesg: end"
	echo "ashmem-guest: done status=0"
}

# the first line of the dump
BOOT="[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2"
PASSED=0
FAILED=0

# expect VERDICT NAME [CONSOLE]: judge the dump on stdin, which must pass
# ("1 passed, 0 failed") or fail.
expect() {
	local want=$1 name=$2 out got=fail
	make_log "${3:-}" >"$WORK/serial.log"
	if out=$(awk -v mode=test -v qemu_status=0 -f "$JUDGE" "$WORK/serial.log") &&
	   [ "$(echo "$out" | tail -n 1)" = "1 passed, 0 failed" ]; then
		got=pass
	fi
	if [ "$got" = "$want" ]; then
		PASSED=$((PASSED + 1))
		return
	fi
	FAILED=$((FAILED + 1))
	echo "judge-test: FAIL: $name: the judge says $got, expected $want:"
	echo "$out" | sed 's/^/judge-test:     /'
}

cases() {
	echo "[    3.000000] ashmem_linux: loading out-of-tree module taints kernel." |
		expect pass "a clean run"
	{ window_begin; memcg_oom_enomem; window_end; } |
		expect pass "memcg OOM without a victim, inside the window"
	{ window_begin; memcg_oom_kill; window_end; } |
		expect pass "memcg OOM kill, inside the window"
	{ window_begin; memcg_oom_kill; window_end; } |
		expect pass "memcg OOM kill, its kill line on the console too" \
			"[    6.900200] Memory cgroup out of memory: Killed process 111 (limits_test) total-vm:1048kB"
	{ window_begin; memcg_oom_enomem; window_end; window_begin; memcg_oom_kill; window_end; } |
		expect pass "two windows, one OOM each"

	memcg_oom_enomem | expect fail "memcg OOM, no window"
	{ window_begin; window_end; memcg_oom_kill; } |
		expect fail "memcg OOM after the window closed"
	{ memcg_oom_kill | sed -n 1,2p; window_begin; memcg_oom_kill | tail -n +3; window_end; } |
		expect fail "memcg OOM that began before the window opened"
	{ window_begin; window_end; memcg_oom_kill | tail -n 2; } |
		expect fail "memcg kill line (report rate-limited away), no window"
	{ window_begin; global_oom; window_end; } |
		expect fail "global OOM inside the window"
	{ window_begin; global_oom | sed '$d'; window_end; } |
		expect fail "global OOM whose victim was exiting (no kill line), inside the window"
	{ window_begin; memcg_oom_enomem; warning; window_end; } |
		expect fail "WARNING inside the window"
	{ window_begin; hung_task; memcg_oom_enomem; window_end; } |
		expect fail "another Call Trace inside the window"
	{ window_begin; oom_head /ashmem-hog-110; hung_task; memcg_oom_enomem | tail -n 1; window_end; } |
		expect fail "another Call Trace inside the OOM report"
	{ window_begin; memcg_oom_kill | sed -n 1,5p; window_end; } |
		expect fail "OOM report that never ends"
	{ window_begin; memcg_oom_enomem; } |
		expect fail "window never closed"
	{ window_begin; memcg_oom_enomem; window_end; } |
		BOOT="[    2.500000] ashmem_linux: loading out-of-tree module taints kernel." \
		expect fail "dump that does not start at boot"
	# arm64 kernels say which CPU they boot on before the banner
	: | BOOT="[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x411fd070]" \
		expect pass "arm64 dump that starts at boot"
}

main() {
	[ "${1:-}" != -h ] || { usage; exit 0; }
	[ -r "$JUDGE" ] || { echo "judge-test: $JUDGE missing" >&2; exit 1; }
	WORK=$(mktemp -d)
	cases
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main "$@"
