#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot Debian's kernel under QEMU with a busybox initramfs that holds the
# ashmem module and the test programs, run them, and judge the run.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [options]

Builds an initramfs (busybox, ashmem_linux.ko, test programs, /bin/ashmemctl,
the udev rule and its helper in /lib/udev), boots it under QEMU and returns
the verdict.  The run fails when a test fails, a test
skips, a program exits non-zero, the guest prints no end-of-run sentinel,
the guest times out, or the kernel log shows an Oops, BUG, WARNING, KASAN,
lockdep or general-protection report, or an OOM report other than a memory
cgroup's that a test announced (qemu/judge.awk).  The last line printed is
"N passed, N failed".  Exits 0 on a clean run, 3 when no guest could be
started at all (ACCEL=kvm without a working KVM), 1 otherwise.

options:
  -m MODE   test (default): run every test program; run: run the demo;
            bench: run the benchmarks in BENCH (bench/run-guest.sh)
            shell: an interactive shell on this terminal (make shell)
  -h        this text

settings (environment):
  KVER      kernel version to boot            (default: qemu/kver.sh)
  KERNEL    kernel image                      (default: /boot/vmlinuz-\$KVER)
  MODULE    module to load                    (default: driver/ashmem_linux.ko)
  KUNIT_MODULE  KUnit test module, loaded once after MODULE (default: none)
  BINDER_MODULE binder_linux.ko (or .ko.xz) for libashmem's Binder tests
                (default: the one of /lib/modules/\$KVER if any; empty:
                none, for a kernel with Binder built in)
  SELFTESTS kselftest binaries (+ m32/)       (default: build/selftests/ashmem)
  LIBTESTS  libashmem gtest binaries          (default: build/guest/libashmem)
  EXAMPLES  demo programs                     (default: build/guest/examples)
  BENCH     benchmark programs, bench mode    (default: build/bench/guest)
  GUEST_BIN where ashmem-demo and ashmemctl are (default: build/guest)
  MEM       guest memory                      (default: 512M)
  SMP       guest CPUs                        (default: 2)
  TIMEOUT   seconds before the guest is killed (default: 1500 test, 300 run,
            2400 bench, 0 = never for shell)
  ACCEL, BOOT_TIMEOUT, PROBE_TIMEOUT, QEMU
            how the guest is started: see qemu/qemu.sh -h
  BUILD     work directory for the initramfs and logs (default: build/qemu)
  GUEST_ENV NAME=VALUE words for the test programs' environment, passed on
            the kernel command line (e.g. "ASHMEM_FUZZ_SEED=42")
  LANE      which kernel this is, for the guest: debian, debug, rt, 6.12,
            newest, arm64 or arm64-16k (default: debian); /selftests/debug runs in the
            debug lane only
  GUEST_ARCH  x86_64 or arm64 (default: x86_64; see qemu/qemu.sh -h)
  BUSYBOX   the guest's busybox, static, of GUEST_ARCH (default: /bin/busybox)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=test

KVER=${KVER:-}
KERNEL=${KERNEL:-}
MODULE=${MODULE:-$ROOT/driver/ashmem_linux.ko}
KUNIT_MODULE=${KUNIT_MODULE:-}
BINDER_MODULE=${BINDER_MODULE-unset}
SELFTESTS=${SELFTESTS:-$ROOT/build/selftests/ashmem}
LIBTESTS=${LIBTESTS:-$ROOT/build/guest/libashmem}
EXAMPLES=${EXAMPLES:-$ROOT/build/guest/examples}
BENCH=${BENCH:-$ROOT/build/bench/guest}
GUEST_BIN=${GUEST_BIN:-$ROOT/build/guest}
MEM=${MEM:-512M}
SMP=${SMP:-2}
TIMEOUT=${TIMEOUT:-}
BUILD=${BUILD:-$ROOT/build/qemu}
LANE=${LANE:-debian}
GUEST_ENV=${GUEST_ENV:-}
GUEST_ARCH=${GUEST_ARCH:-x86_64}
BUSYBOX=${BUSYBOX:-/bin/busybox}
export GUEST_ARCH
# the probe initramfs and the accelerator decision stay in the top build
# directory, shared by the lanes
QEMU_WORK=${QEMU_WORK:-$ROOT/build/qemu}
# one accelerator decision for this run unless a caller made one already
export ASHMEM_QEMU_SESSION=${ASHMEM_QEMU_SESSION:-run-tests-$$}

STAGE=
cleanup() {
	if [ -n "$STAGE" ]; then
		rm -rf "$STAGE"
	fi
}
trap cleanup EXIT

die() {
	echo "run-tests: $*" >&2
	exit 1
}

parse_args() {
	local opt
	while getopts "m:h" opt; do
		case "$opt" in
		m) MODE=$OPTARG ;;
		h) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
	done
	case "$MODE" in
	test) TIMEOUT=${TIMEOUT:-1500} ;;
	run) TIMEOUT=${TIMEOUT:-300} ;;
	bench) TIMEOUT=${TIMEOUT:-2400} ;;
	shell) TIMEOUT=${TIMEOUT:-0} ;;
	*) die "unknown mode '$MODE'" ;;
	esac
	[ -n "$KVER" ] || KVER=$("$ROOT/qemu/kver.sh")
	KERNEL=${KERNEL:-/boot/vmlinuz-$KVER}
	if [ "$BINDER_MODULE" = unset ]; then
		BINDER_MODULE=/lib/modules/$KVER/kernel/drivers/android/binder_linux.ko
		[ -r "$BINDER_MODULE" ] || BINDER_MODULE=
	fi
	[ -z "$BINDER_MODULE" ] || [ -r "$BINDER_MODULE" ] || die "no module $BINDER_MODULE"
	[ -r "$KERNEL" ] || die "no kernel image $KERNEL (run 'make deps')"
	[ -r "$MODULE" ] || die "no module $MODULE (run 'make')"
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (run 'make deps')"
}

# copy_dir SRC DST: copy a directory of programs into the initramfs if it exists.
copy_dir() {
	if [ -d "$1" ]; then
		mkdir -p "$2"
		cp -a "$1"/. "$2"/
	fi
}

build_initramfs() {
	STAGE=$(mktemp -d "$BUILD/stage.XXXXXX")
	local root=$STAGE/root

	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,root,lib/modules}
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$ROOT/qemu/init" "$root/init"
	chmod 755 "$root/init"
	cp "$MODULE" "$root/lib/modules/ashmem_linux.ko"
	# /init loads it (with devices=binder) before the tests and the demo
	case "$BINDER_MODULE" in
	*.xz) xz -dc "$BINDER_MODULE" >"$root/lib/modules/binder_linux.ko" ;;
	?*) cp "$BINDER_MODULE" "$root/lib/modules/binder_linux.ko" ;;
	esac
	if [ -n "$KUNIT_MODULE" ] && [ "$MODE" = test ]; then
		cp "$KUNIT_MODULE" "$root/lib/modules/ashmem_linux_kunit.ko"
	fi
	if [ "$MODE" = test ] || [ "$MODE" = shell ]; then
		copy_dir "$SELFTESTS" "$root/selftests"
		copy_dir "$LIBTESTS" "$root/libashmem"
	fi
	if [ "$MODE" = bench ]; then
		[ -x "$BENCH/run-guest.sh" ] || die "no $BENCH/run-guest.sh (run 'make bench')"
		copy_dir "$BENCH" "$root/bench"
	fi
	copy_dir "$EXAMPLES" "$root/examples"
	if [ -x "$GUEST_BIN/ashmem-demo" ]; then
		cp "$GUEST_BIN/ashmem-demo" "$root/bin/"
	fi
	if [ -x "$GUEST_BIN/ashmemctl" ]; then
		cp "$GUEST_BIN/ashmemctl" "$root/bin/"
	fi
	# the udev rule and its helper where udev keeps them; the guest runs
	# no udev, its tests invoke the helper the way udev would
	mkdir -p "$root/lib/udev/rules.d"
	cp "$ROOT/udev/99-ashmem.rules" "$root/lib/udev/rules.d/"
	install -m 755 "$ROOT/udev/ashmem-boot-id-node" "$root/lib/udev/"

	INITRD=$BUILD/initramfs-$MODE.cpio.gz
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$INITRD"
}

# show_console: what the terminal sees of the serial output.  The kernel
# log dump stays in the log file (the verdict quotes any bad line from it);
# the demo shows only its own story.
show_console() {
	if [ "$MODE" != test ]; then
		grep --line-buffered -v -E '^\[ *[0-9]+\.[0-9]+\] |^ashmem-' || true
	else
		awk '/^ashmem-dmesg: begin/ { skip = 1; print "(kernel log: see the log file)" }
		     !skip { print; fflush() }
		     /^ashmem-dmesg: end/ { skip = 0 }'
	fi
}

run_guest() {
	local cmdline
	# the judge reads the whole kernel log from its dump at the end of the
	# run: a buffer far larger than the 128 KiB default keeps it unwrapped
	cmdline="console=$([ "$GUEST_ARCH" = arm64 ] && echo ttyAMA0 || echo ttyS0)"
	cmdline+=" quiet log_buf_len=8M panic=-1 oops=panic"
	cmdline+=" ashmem_mode=$MODE ashmem_lane=$LANE $GUEST_ENV"
	LOG=$BUILD/serial-$MODE.log
	echo "run-tests: booting $KERNEL with $MODULE ($MODE mode, log in ${LOG#"$ROOT"/})"
	rm -f "$LOG"
	set +e
	MEM=$MEM SMP=$SMP TIMEOUT=$TIMEOUT QEMU_WORK=$QEMU_WORK \
		"$ROOT/qemu/qemu.sh" boot "$KERNEL" "$INITRD" "$cmdline" "$LOG" | show_console
	QEMU_STATUS=${PIPESTATUS[0]}
	set -e
	# no log: qemu.sh refused to start a guest, and said why
	if [ ! -f "$LOG" ]; then
		echo "run-tests: FAIL: the guest could not be started"
		echo "0 passed, 1 failed"
		exit 3
	fi
}

# judge: read the serial log and print the verdict (qemu/judge.awk);
# returns non-zero on failure.
judge() {
	awk -v mode="$MODE" -v qemu_status="$QEMU_STATUS" -f "$ROOT/qemu/judge.awk" "$LOG"
}

# shell: the guest's console on this terminal; the status is the shell's
shell() {
	local cmdline="console=ttyS0 quiet panic=-1 oops=panic ashmem_mode=shell ashmem_lane=$LANE"
	LOG=$BUILD/serial-shell.log
	echo "run-tests: booting $KERNEL with $MODULE (shell, log in ${LOG#"$ROOT"/})"
	MEM=$MEM SMP=$SMP TIMEOUT=$TIMEOUT QEMU_WORK=$QEMU_WORK \
		"$ROOT/qemu/qemu.sh" shell "$KERNEL" "$INITRD" "$cmdline" "$LOG" || true
	grep -q '^ashmem-guest: done status=0' "$LOG" || die "the guest ended badly (log: $LOG)"
}

main() {
	parse_args "$@"
	mkdir -p "$BUILD"
	build_initramfs
	if [ "$MODE" = shell ]; then
		shell
		return 0
	fi
	run_guest
	if [ "$MODE" = run ] || [ "$MODE" = bench ]; then
		local verdict
		grep -q '^ashmem-guest: done status=0$' "$LOG" || die "the $MODE run failed (log: $LOG)"
		if ! verdict=$(judge); then
			echo "$verdict" | grep '^run-tests: FAIL' >&2
			die "the $MODE run was not clean"
		fi
		return 0
	fi
	judge
}

main "$@"
