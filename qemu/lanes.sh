#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the guest test suite on several kernels ("lanes") and add up the
# verdicts.  Each lane builds the module against its own kernel tree, boots
# that kernel and runs every test program; the last line printed is the
# total "N passed, N failed" over all lanes.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [LANE...]

lanes:
  debian   Debian's 6.1 kernel (linux-image-amd64)
  debug    6.1 built from linux-source-6.1 with KASAN, lockdep, kmemleak,
           KUnit and fault injection (qemu/kernels/debug.config; cached)
  rt       Debian's 6.1 PREEMPT_RT kernel (linux-image-rt-amd64)
  6.12     the newest 6.12 LTS kernel of bookworm-backports (qemu/fetch-kernel.sh;
           cached by version)
default: debian debug rt 6.12

Settings are passed on to qemu/run-tests.sh (see its -h).
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the lanes share one accelerator decision (qemu/qemu.sh)
export ASHMEM_QEMU_SESSION=${ASHMEM_QEMU_SESSION:-lanes-$$}

die() {
	echo "lanes: $*" >&2
	exit 1
}

# lane_kernel LANE: set KERNEL, KDIR, LANE_MEM and LANE_TIMEOUT for a lane.
lane_kernel() {
	local kver dir
	case "$1" in
	debian | rt)
		kver=$("$ROOT/qemu/kver.sh" "$([ "$1" = rt ] && echo rt-amd64 || echo amd64)") ||
			return 1
		KERNEL=/boot/vmlinuz-$kver
		KDIR=/lib/modules/$kver/build
		BINDER_MODULE=/lib/modules/$kver/kernel/drivers/android/binder_linux.ko
		LANE_MEM=512M
		LANE_TIMEOUT=1500
		;;
	6.12)
		# the newest 6.12 LTS of bookworm-backports, fetched and cached
		dir=$("$ROOT/qemu/fetch-kernel.sh" 6.12) || return 1
		KERNEL=$dir/vmlinuz
		KDIR=$dir/kdir
		BINDER_MODULE=$(echo "$dir"/root/lib/modules/*/kernel/drivers/android/binder_linux.ko*)
		LANE_MEM=512M
		LANE_TIMEOUT=1500
		;;
	debug)
		dir=$("$ROOT/qemu/build-kernel.sh" "$ROOT/qemu/kernels/debug.config") || return 1
		KERNEL=$dir/bzImage
		KDIR=$dir/out
		# Binder and binderfs are built in (debug.config)
		BINDER_MODULE=
		LANE_MEM=1G
		# KASAN and lockdep: the same tests take four to eight times as long
		LANE_TIMEOUT=2700
		;;
	*)
		die "unknown lane '$1'"
		;;
	esac
}

# lane_module LANE: build the module for the lane's kernel in its own tree.
# Both lane_* functions return non-zero when their lane cannot run.
lane_module() {
	local dir=$ROOT/build/lanes/$1/driver
	rm -rf "$dir"
	mkdir -p "$dir/uapi/linux"
	cp "$ROOT"/driver/Kbuild "$ROOT"/driver/*.[ch] "$dir/"
	cp "$ROOT/uapi/linux/ashmem.h" "$dir/uapi/linux/"
	make -s -C "$KDIR" M="$dir" modules >&2 || return 1
	MODULE=$dir/ashmem_linux.ko
	KUNIT_MODULE=
	if [ -f "$dir/ashmem_linux_kunit.ko" ]; then
		KUNIT_MODULE=$dir/ashmem_linux_kunit.ko
	fi
}

main() {
	local lanes=("$@") lane verdict total_pass=0 total_fail=0 p f status=0 rc
	[ "${1:-}" != -h ] || { usage; exit 0; }
	[ ${#lanes[@]} -gt 0 ] || lanes=(debian debug rt 6.12)
	declare -A verdicts
	for lane in "${lanes[@]}"; do
		echo "lanes: === $lane ==="
		mkdir -p "$ROOT/build/qemu/$lane"
		# a kernel that cannot be had, or a module that does not build
		# for it, fails the lane (and says so), never skips it
		if ! lane_kernel "$lane" || ! lane_module "$lane"; then
			echo "lanes: $lane: no kernel or no module for it (see above)"
			verdicts[$lane]="0 passed, 1 failed (no kernel or module)"
			total_fail=$((total_fail + 1))
			status=1
			continue
		fi
		# (not tee /dev/stderr: reopening it truncates a log file it points to)
		rc=0
		KERNEL=$KERNEL MODULE=$MODULE KUNIT_MODULE=$KUNIT_MODULE BINDER_MODULE=$BINDER_MODULE MEM=${MEM:-$LANE_MEM} TIMEOUT=${TIMEOUT:-$LANE_TIMEOUT} \
			BUILD=$ROOT/build/qemu/$lane LANE=$lane \
			"$ROOT/qemu/run-tests.sh" -m test | tee "$ROOT/build/qemu/$lane/output.txt" ||
			rc=${PIPESTATUS[0]}
		[ $rc -eq 0 ] || status=1
		verdict=$(tail -n 1 "$ROOT/build/qemu/$lane/output.txt")
		verdicts[$lane]=$verdict
		p=$(echo "$verdict" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p')
		f=$(echo "$verdict" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p')
		if [ -z "$p" ]; then
			p=0
			f=1
			status=1
		fi
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		if [ $rc -eq 3 ]; then
			echo "lanes: no guest can be started (see above); the other lanes would fail alike"
			lanes=("${lanes[@]:0:${#verdicts[@]}}")
			break
		fi
	done
	for lane in "${lanes[@]}"; do
		echo "lanes: $lane: ${verdicts[$lane]}"
	done
	[ $status -eq 0 ] || [ $total_fail -gt 0 ] || total_fail=1
	echo "$total_pass passed, $total_fail failed"
	return $status
}

main "$@"
