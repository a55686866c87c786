#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check the accelerator choice and the boot watchdog of qemu/qemu.sh on the
# host, without booting anything: a stand-in qemu-system-x86_64, first on
# PATH, plays a KVM and a TCG that boot and print, hang silently, print but
# never reach /init, or fail at once.  Each case runs qemu/run-tests.sh (the
# way make test does) or qemu/qemu.sh accel, and checks the accelerator
# chosen, the message that says why, how many probes ran and the verdict.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0

Runs every case against stand-in QEMU programs; the last line printed is
"N passed, N failed".
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)

WORK=
cleanup() {
	if [ -n "$WORK" ]; then
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# fake_qemu: the stand-in.  FAKE_KVM and FAKE_TCG say how each accelerator
# behaves: boot (print a passing run, or only the sentinel for a boot
# without ashmem_mode=, which is the probe), hang (print nothing, never
# exit), noinit (print kernel lines, never reach /init), error (fail at
# once), stall (boot, start a test, never finish).  Every call is logged
# to FAKE_CALLS as "<accel> <mode>".
fake_qemu() {
	cat <<'FAKE'
#!/bin/bash
accel=tcg mode=probe
while [ $# -gt 0 ]; do
	case "$1" in
	-accel) [ "$2" = kvm ] && accel=kvm; shift ;;
	-append) case "$2" in *ashmem_mode=test*) mode=test ;; *ashmem_mode=run*) mode=run ;; esac; shift ;;
	esac
	shift
done
echo "$accel $mode" >>"$FAKE_CALLS"
behaviour=$([ $accel = kvm ] && echo "$FAKE_KVM" || echo "$FAKE_TCG")
case "$behaviour" in
hang) exec sleep 1000 ;;
error) echo "qemu-system-x86_64: failed to initialize $accel: Operation not supported" >&2; exit 1 ;;
noinit) printf '[    0.000000] Linux version 6.1.0-57-amd64\r\n'; exec sleep 1000 ;;
esac
printf 'ashmem-guest: init\r\n'
[ $mode = probe ] && exec sleep 1000
echo "ashmem-guest: kernel 6.1.0-57-amd64, lane debian, mode $mode"
echo "ashmem-run: begin ksft /selftests/abi_test"
echo "ok 1 global.opens"
[ "$behaviour" = stall ] && exec sleep 1000
echo "ashmem-run: end ksft /selftests/abi_test exit=0"
echo "ashmem-dmesg: begin"
echo "[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)"
echo "ashmem-dmesg: end"
echo "ashmem-guest: done status=0"
FAKE
}

setup() {
	WORK=$(mktemp -d)
	mkdir -p "$WORK/bin" "$WORK/selftests"
	fake_qemu >"$WORK/bin/qemu-system-x86_64"
	chmod 755 "$WORK/bin/qemu-system-x86_64"
	echo kernel >"$WORK/vmlinuz-a"
	echo kernel >"$WORK/vmlinuz-b"
	echo module >"$WORK/ashmem_linux.ko"
	: >"$WORK/kvm"
	export PATH=$WORK/bin:$PATH
	export FAKE_CALLS=$WORK/calls
	export QEMU_WORK=$WORK/qemu BUILD=$WORK/build
	export MODULE=$WORK/ashmem_linux.ko SELFTESTS=$WORK/selftests
	export LIBTESTS=$WORK/none EXAMPLES=$WORK/none
	export PROBE_TIMEOUT=1 BOOT_TIMEOUT=2 TIMEOUT=4
}

PASSED=0
FAILED=0
CASE=
OUT=
STATUS=

# run NAME SETTINGS... -- COMMAND...: run COMMAND with the settings in a
# session of its own, output in OUT, exit status in STATUS.
run() {
	CASE=$1
	shift
	local settings=()
	while [ "$1" != -- ]; do
		settings+=("$1")
		shift
	done
	shift
	: >"$FAKE_CALLS"
	STATUS=0
	OUT=$(env ASHMEM_QEMU_SESSION="${SESSION:-$CASE}" KVM_DEV="$WORK/kvm" ACCEL=auto \
		"${settings[@]}" "$@" 2>&1) || STATUS=$?
}

# boot NAME SETTINGS...: a test run of kernel a through run-tests.sh.
boot() {
	run "$@" -- "$ROOT/qemu/run-tests.sh"
}

bad() {
	FAILED=$((FAILED + 1))
	echo "qemu-test: FAIL: $CASE: $*"
	echo "$OUT" | sed 's/^/qemu-test:     /'
}

# expect_line TEXT: a line of the output is TEXT.
expect_line() {
	echo "$OUT" | grep -qxF -- "$1" || { bad "no line '$1'"; return 1; }
}

# expect_match REGEX: a line of the output matches REGEX.
expect_match() {
	echo "$OUT" | grep -qE -- "$1" || { bad "no line matching '$1'"; return 1; }
}

# expect_calls CALLS: the stand-in was started exactly so, in this order.
expect_calls() {
	local got
	got=$(paste -sd, "$FAKE_CALLS")
	[ "$got" = "$1" ] || { bad "qemu calls '$got', expected '$1'"; return 1; }
}

# expect_status N
expect_status() {
	[ "$STATUS" = "$1" ] || { bad "exit status $STATUS, expected $1"; return 1; }
}

ok() {
	PASSED=$((PASSED + 1))
}

verdict_pass() {
	expect_status 0 && expect_line "1 passed, 0 failed"
}

cases() {
	local kernel_a=$WORK/vmlinuz-a kernel_b=$WORK/vmlinuz-b

	boot "ACCEL=tcg never probes" ACCEL=tcg FAKE_KVM=boot FAKE_TCG=boot KERNEL="$kernel_a" &&
		expect_line "qemu: accelerator tcg (ACCEL=tcg)" && expect_calls "tcg test" &&
		verdict_pass && ok

	boot "auto without a KVM device" KVM_DEV="$WORK/nokvm" FAKE_KVM=boot FAKE_TCG=boot \
		KERNEL="$kernel_a" &&
		expect_line "qemu: accelerator tcg (no $WORK/nokvm)" && expect_calls "tcg test" &&
		verdict_pass && ok

	boot "auto, KVM boots the kernel" FAKE_KVM=boot FAKE_TCG=hang KERNEL="$kernel_a" &&
		expect_match '^qemu: accelerator kvm \(the probe boot of vmlinuz-a reached /init in [0-9.]+ s\)$' &&
		expect_calls "kvm probe,kvm test" && verdict_pass && ok

	boot "auto, KVM hangs silently (a paravirtual KVM)" FAKE_KVM=hang FAKE_TCG=boot \
		KERNEL="$kernel_a" &&
		expect_line "qemu: accelerator tcg (kvm present but the probe boot printed nothing in 1 s)" &&
		expect_calls "kvm probe,tcg test" && verdict_pass && ok

	boot "auto, KVM boots the kernel but never reaches /init" FAKE_KVM=noinit FAKE_TCG=boot \
		KERNEL="$kernel_a" &&
		expect_line "qemu: accelerator tcg (kvm present but the probe boot did not reach /init in 1 s)" &&
		expect_calls "kvm probe,tcg test" && verdict_pass && ok

	boot "auto, KVM fails at once" FAKE_KVM=error FAKE_TCG=boot KERNEL="$kernel_a" &&
		expect_line "qemu: accelerator tcg (kvm present but the probe boot exited with status 1: qemu-system-x86_64: failed to initialize kvm: Operation not supported)" &&
		expect_calls "kvm probe,tcg test" && verdict_pass && ok

	local start=$SECONDS
	boot "ACCEL=kvm, KVM hangs: fails after the probe, boots nothing" ACCEL=kvm FAKE_KVM=hang \
		FAKE_TCG=boot KERNEL="$kernel_a" &&
		expect_line "qemu: ACCEL=kvm, but kvm cannot be used: kvm present but the probe boot printed nothing in 1 s" &&
		expect_calls "kvm probe" && expect_line "0 passed, 1 failed" &&
		{ [ "$STATUS" -ne 0 ] || bad "exit status 0"; } &&
		{ [ $((SECONDS - start)) -lt 10 ] || bad "took $((SECONDS - start)) s"; } && ok

	run "ACCEL=kvm without a KVM device fails at once" ACCEL=kvm KVM_DEV="$WORK/nokvm" \
		FAKE_KVM=boot FAKE_TCG=boot -- "$ROOT/qemu/qemu.sh" accel "$kernel_a" &&
		expect_line "qemu: ACCEL=kvm, but kvm cannot be used: no $WORK/nokvm" &&
		expect_calls "" && expect_status 1 && ok

	run "ACCEL=kvm, KVM boots" ACCEL=kvm FAKE_KVM=boot FAKE_TCG=hang -- \
		"$ROOT/qemu/qemu.sh" accel "$kernel_a" &&
		expect_line kvm && expect_calls "kvm probe" && expect_status 0 && ok

	run "an arm64 guest on this host is TCG, without a probe" GUEST_ARCH=arm64 \
		FAKE_KVM=boot FAKE_TCG=boot -- "$ROOT/qemu/qemu.sh" accel "$kernel_a" &&
		expect_line tcg && expect_calls "" && expect_status 0 &&
		expect_line "qemu: accelerator tcg (an arm64 guest on a $(uname -m) host: KVM runs only the host's architecture, no probe)" &&
		ok

	run "ACCEL=kvm for an arm64 guest on this host fails at once" GUEST_ARCH=arm64 ACCEL=kvm \
		FAKE_KVM=boot FAKE_TCG=boot -- "$ROOT/qemu/qemu.sh" accel "$kernel_a" &&
		expect_match "^qemu: ACCEL=kvm, but kvm cannot be used: an arm64 guest on a " &&
		expect_calls "" && expect_status 1 && ok

	run "an unknown ACCEL is refused" ACCEL=hvf FAKE_KVM=boot FAKE_TCG=boot -- \
		"$ROOT/qemu/qemu.sh" accel "$kernel_a" &&
		expect_line "qemu: ACCEL must be auto, kvm or tcg, not 'hvf'" &&
		expect_calls "" && expect_status 1 && ok

	# one decision per session: a failed probe holds for every kernel
	SESSION=shared-fail
	boot "a failed probe is made once per session (first boot)" FAKE_KVM=hang FAKE_TCG=boot \
		KERNEL="$kernel_a" && expect_calls "kvm probe,tcg test" && verdict_pass && ok
	boot "a failed probe is made once per session (another kernel)" FAKE_KVM=hang \
		FAKE_TCG=boot KERNEL="$kernel_b" &&
		expect_line "qemu: accelerator tcg (kvm present but the probe boot printed nothing in 1 s; decided earlier in this run)" &&
		expect_calls "tcg test" && verdict_pass && ok
	# a kernel KVM booted is not probed again; another kernel is
	SESSION=shared-kvm
	boot "KVM that booted a kernel (first boot)" FAKE_KVM=boot FAKE_TCG=hang \
		KERNEL="$kernel_a" && expect_calls "kvm probe,kvm test" && verdict_pass && ok
	boot "KVM that booted a kernel (the same kernel again)" FAKE_KVM=boot FAKE_TCG=hang \
		KERNEL="$kernel_a" && expect_calls "kvm test" && verdict_pass && ok
	boot "KVM that booted a kernel (another kernel is probed)" FAKE_KVM=boot FAKE_TCG=hang \
		KERNEL="$kernel_b" && expect_calls "kvm probe,kvm test" && verdict_pass && ok
	SESSION=

	start=$SECONDS
	boot "the boot watchdog kills a guest that prints nothing" ACCEL=tcg FAKE_TCG=hang \
		TIMEOUT=60 KERNEL="$kernel_a" &&
		expect_line "run-tests: FAIL: guest did not boot in 2 s (accelerator tcg)" &&
		expect_line "0 passed, 1 failed" && expect_calls "tcg test" &&
		{ [ "$STATUS" -ne 0 ] || bad "exit status 0"; } &&
		{ [ $((SECONDS - start)) -lt 15 ] || bad "took $((SECONDS - start)) s, not the boot deadline"; } &&
		! echo "$OUT" | grep -q "no end-of-run sentinel" && ok

	boot "the boot watchdog kills a kernel that never reaches /init" ACCEL=tcg FAKE_TCG=noinit \
		TIMEOUT=60 KERNEL="$kernel_a" &&
		expect_line "run-tests: FAIL: guest did not boot in 2 s (accelerator tcg)" &&
		expect_line "0 passed, 1 failed" && ok

	boot "a guest that hangs after booting is a timeout, not a boot failure" ACCEL=tcg \
		FAKE_TCG=stall KERNEL="$kernel_a" &&
		expect_line "run-tests: FAIL: the guest hung: no end-of-run sentinel, killed when it timed out after 4 s (accelerator tcg)" &&
		expect_line "run-tests: FAIL: /selftests/abi_test never finished (guest died or hung)" &&
		{ [ "$STATUS" -ne 0 ] || bad "exit status 0"; } &&
		! echo "$OUT" | grep -q "did not boot" && ok

	boot "QEMU that fails at once is a crash, without waiting for the deadline" ACCEL=tcg \
		FAKE_TCG=error KERNEL="$kernel_a" &&
		expect_line "run-tests: FAIL: no end-of-run sentinel: the guest crashed (qemu status 1)" &&
		expect_line "0 passed, 2 failed" && ! echo "$OUT" | grep -q "did not boot" && ok

	boot "the serial log records the accelerator" ACCEL=tcg FAKE_TCG=boot KERNEL="$kernel_a" &&
		{ grep -qxF "ashmem-qemu: accelerator tcg (ACCEL=tcg)" "$WORK/build/serial-test.log" ||
			bad "serial-test.log does not name the accelerator"; } && ok
}

main() {
	[ "${1:-}" != -h ] || { usage; exit 0; }
	setup
	cases
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

main "$@"
