#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The one place that starts QEMU.  Every guest of the project (the test
# lanes, the demo, benchmarks, an interactive shell) boots through here, so
# that the choice of accelerator and the watchdogs live in one script.
#
#   qemu/qemu.sh accel KERNEL                   decide, print kvm or tcg
#   qemu/qemu.sh boot KERNEL INITRD APPEND LOG  boot, stream the console
#   qemu/qemu.sh shell KERNEL INITRD APPEND LOG the console on this terminal
#
# ACCEL=auto uses KVM only after a probe has booted KERNEL under it: a tiny
# initramfs whose /init prints the boot sentinel, under PROBE_TIMEOUT.  A
# /dev/kvm can exist and still be unable to run a stock kernel (a
# paravirtual KVM spins silently for ever), so its presence proves nothing.
# The decision is made once per session (ASHMEM_QEMU_SESSION, which the
# top-level Makefile sets once per make invocation) and kept in
# $QEMU_WORK/accel.state: a failed probe puts the whole session on TCG; a
# kernel that KVM booted is not probed again; another kernel is.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 accel KERNEL
       $0 boot KERNEL INITRD APPEND LOG
       $0 shell KERNEL INITRD APPEND LOG

accel  decide the accelerator for KERNEL and print it (kvm or tcg) on
       stdout; the decision and its reason go to stderr as
       "qemu: accelerator X (reason)".  Fails when ACCEL=kvm and KVM
       cannot boot KERNEL.
boot   boot KERNEL with INITRD and the command line APPEND, stream the
       serial console (carriage returns removed) to stdout and to LOG.
       A guest that prints no BOOT_SENTINEL within BOOT_TIMEOUT is killed
       and "ashmem-qemu: guest did not boot in N s (accelerator X)" ends
       the log; one still running after TIMEOUT is killed and "ashmem-qemu:
       guest timed out after N s (accelerator X)" ends it.  The exit status
       is QEMU's, 3 for a guest that did not boot, 124 for a timeout.
shell  boot the same way with the serial console on this terminal (or
       whatever stdin and stdout are), QEMU in the foreground, a copy in
       LOG; Ctrl-C goes to the guest, Ctrl-A x ends QEMU.  TIMEOUT 0
       (the default here) means none.

settings (environment):
  ACCEL          auto, kvm or tcg                  (default: auto)
  MEM            guest memory                      (default: 512M)
  SMP            guest CPUs                        (default: 2)
  TIMEOUT        seconds before a booted guest is killed (default: 1500)
  BOOT_TIMEOUT   seconds for the first line of /init (default: 120 under
                 TCG, 30 under KVM)
  BOOT_SENTINEL  what that first line starts with  (default: "ashmem-guest: init")
  PROBE_TIMEOUT  seconds the KVM probe may take    (default: 10)
  KVM_DEV        the KVM device                    (default: /dev/kvm)
  GUEST_ARCH     x86_64 or arm64                   (default: x86_64); an arm64
                 guest is a "virt" machine, and runs under TCG when the
                 host is not arm64 (KVM runs only the host's own
                 architecture: there is nothing to probe)
  GUEST_CPU      the CPU TCG emulates for an arm64 guest (default: cortex-a57;
                 neoverse-n1 for a kernel with 16 KiB pages, which the A57 lacks)
  QEMU           the emulator                      (default: qemu-system-x86_64,
                 qemu-system-aarch64 for arm64)
  QEMU_WORK      probe initramfs and accel.state   (default: build/qemu)
  ASHMEM_QEMU_SESSION  one accelerator decision per value (default: one
                 per call of this script)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ACCEL=${ACCEL:-auto}
MEM=${MEM:-512M}
SMP=${SMP:-2}
TIMEOUT_SET=${TIMEOUT:-}
TIMEOUT=${TIMEOUT:-1500}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-}
BOOT_SENTINEL=${BOOT_SENTINEL:-ashmem-guest: init}
PROBE_TIMEOUT=${PROBE_TIMEOUT:-10}
KVM_DEV=${KVM_DEV:-/dev/kvm}
GUEST_ARCH=${GUEST_ARCH:-x86_64}
case "$GUEST_ARCH" in
x86_64) QEMU=${QEMU:-qemu-system-x86_64} ;;
arm64) QEMU=${QEMU:-qemu-system-aarch64} ;;
*) echo "qemu: GUEST_ARCH must be x86_64 or arm64, not '$GUEST_ARCH'" >&2; exit 2 ;;
esac
GUEST_CPU=${GUEST_CPU:-cortex-a57}
QEMU_WORK=${QEMU_WORK:-$ROOT/build/qemu}
SESSION=${ASHMEM_QEMU_SESSION:-call-$$}

# set by choose_accel
ACCEL_CHOSEN=
ACCEL_REASON=

TMP=
cleanup() {
	if [ -n "$TMP" ]; then
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

die() {
	echo "qemu: $*" >&2
	exit 1
}

# accel_args ACCEL: QEMU's arguments for an accelerator (and the machine).
accel_args() {
	local machine=
	[ "$GUEST_ARCH" != arm64 ] || machine="-M virt"
	case "$1" in
	kvm) echo "$machine -accel kvm -cpu host" ;;
	tcg) echo "$machine -accel tcg${machine:+ -cpu $GUEST_CPU}" ;;
	esac
}

# now: seconds since the epoch, with microseconds.
now() {
	echo "${EPOCHREALTIME/,/.}"
}

# elapsed START: seconds since START, one decimal.
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

# probe_initramfs: a busybox initramfs whose /init prints the boot sentinel
# and reboots (with -no-reboot, QEMU then exits on every kernel).
probe_initramfs() {
	local cpio=$QEMU_WORK/probe.cpio.gz root
	if [ ! -s "$cpio" ] || [ /bin/busybox -nt "$cpio" ]; then
		[ -x /bin/busybox ] || die "/bin/busybox missing (run 'make deps')"
		root=$TMP/probe-root
		mkdir -p "$root/bin"
		cp /bin/busybox "$root/bin/busybox"
		printf '#!/bin/busybox sh\necho "%s (probe)"\n/bin/busybox reboot -f\n' \
			"$BOOT_SENTINEL" >"$root/init"
		chmod 755 "$root/init"
		(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
			gzip -1 >"$cpio.tmp"
		mv "$cpio.tmp" "$cpio"
	fi
	echo "$cpio"
}

# launch ACCEL KERNEL INITRD APPEND RAW LIMIT: start QEMU in the background,
# its console (raw) in RAW, killed after LIMIT seconds; sets QPID.
launch() {
	local args
	read -ra args <<<"$(accel_args "$1")"
	timeout -k 10 "$6" "$QEMU" "${args[@]}" -m "$MEM" -smp "$SMP" \
		-display none -monitor none -serial stdio -no-reboot \
		-kernel "$2" -initrd "$3" -append "$4" </dev/null >>"$5" 2>&1 &
	QPID=$!
}

# watch RAW LIMIT: wait until RAW holds the boot sentinel (returns 0), QEMU
# exits first (1), or LIMIT seconds pass (2, QEMU is then killed).
watch() {
	local deadline
	deadline=$(awk -v t="$(now)" -v l="$2" 'BEGIN { printf "%.6f", t + l }')
	while kill -0 "$QPID" 2>/dev/null; do
		if grep -q "^$BOOT_SENTINEL" "$1"; then
			return 0
		fi
		if awk -v t="$(now)" -v d="$deadline" 'BEGIN { exit !(t >= d) }'; then
			kill -TERM "$QPID" 2>/dev/null || true
			return 2
		fi
		sleep 0.1
	done
	# it exited: the sentinel may have come with its last output
	grep -q "^$BOOT_SENTINEL" "$1"
}

# probe KERNEL: boot KERNEL under KVM with the probe initramfs; on success
# returns 0, and sets PROBE_RESULT to what happened either way.
probe() {
	local raw=$TMP/probe.log start status=0 first
	start=$(now)
	launch kvm "$1" "$(probe_initramfs)" "console=ttyS0 quiet panic=-1" "$raw" \
		$((PROBE_TIMEOUT + 5))
	watch "$raw" "$PROBE_TIMEOUT" || status=$?
	if [ $status -eq 0 ]; then
		PROBE_RESULT="the probe boot of ${1##*/} reached /init in $(elapsed "$start") s"
		kill -TERM "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
		return 0
	fi
	local qstatus=0
	wait "$QPID" 2>/dev/null || qstatus=$?
	# the first line, but not QEMU's own word that the watchdog killed it
	first=$(tr -d '\r' <"$raw" | grep -v ': terminating on signal [0-9]* from pid ' |
		sed -n '/./{p;q}')
	if [ $status -eq 2 ] && [ -z "$first" ]; then
		PROBE_RESULT="the probe boot printed nothing in $PROBE_TIMEOUT s"
	elif [ $status -eq 2 ]; then
		PROBE_RESULT="the probe boot did not reach /init in $PROBE_TIMEOUT s"
	else
		PROBE_RESULT="the probe boot exited with status $qstatus${first:+: $first}"
	fi
	return 1
}

# state_get KERNEL: print "ACCEL<TAB>REASON" recorded for KERNEL in this
# session, or for every kernel ("*"), if any.
state_get() {
	local state=$QEMU_WORK/accel.state
	[ -f "$state" ] || return 0
	[ "$(sed -n 1p "$state")" = "session $SESSION" ] || return 0
	awk -F '\t' -v k="$1" 'NR > 1 && ($1 == k || $1 == "*") { print $2 "\t" $3; exit }' "$state"
}

# state_put KERNEL ACCEL REASON: record a decision for this session.
state_put() {
	local state=$QEMU_WORK/accel.state
	if [ ! -f "$state" ] || [ "$(sed -n 1p "$state")" != "session $SESSION" ]; then
		echo "session $SESSION" >"$state"
	fi
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$state"
}

# decide KERNEL: set ACCEL_CHOSEN and ACCEL_REASON; returns 1 when ACCEL=kvm
# cannot be had.
decide() {
	local kernel=$1 known
	case "$ACCEL" in
	tcg)
		ACCEL_CHOSEN=tcg ACCEL_REASON="ACCEL=tcg"
		return 0
		;;
	kvm | auto) ;;
	*) die "ACCEL must be auto, kvm or tcg, not '$ACCEL'" ;;
	esac
	if [ "$GUEST_ARCH" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
		ACCEL_CHOSEN=tcg ACCEL_REASON="an arm64 guest on a $(uname -m) host: KVM runs only the host's architecture, no probe"
	elif [ ! -e "$KVM_DEV" ]; then
		ACCEL_CHOSEN=tcg ACCEL_REASON="no $KVM_DEV"
	elif [ ! -r "$KVM_DEV" ] || [ ! -w "$KVM_DEV" ]; then
		ACCEL_CHOSEN=tcg ACCEL_REASON="$KVM_DEV is not readable and writable"
	else
		known=$(state_get "$kernel")
		if [ -n "$known" ]; then
			ACCEL_CHOSEN=${known%%$'\t'*}
			ACCEL_REASON="${known#*$'\t'}; decided earlier in this run"
		elif probe "$kernel"; then
			ACCEL_CHOSEN=kvm ACCEL_REASON=$PROBE_RESULT
			state_put "$kernel" kvm "$PROBE_RESULT"
		else
			ACCEL_CHOSEN=tcg ACCEL_REASON="kvm present but $PROBE_RESULT"
			state_put "*" tcg "$ACCEL_REASON"
		fi
	fi
	if [ "$ACCEL" = kvm ] && [ "$ACCEL_CHOSEN" != kvm ]; then
		echo "qemu: ACCEL=kvm, but kvm cannot be used: $ACCEL_REASON" >&2
		return 1
	fi
	return 0
}

# choose_accel KERNEL: decide under the session's lock, and say so.
choose_accel() {
	local status=0
	mkdir -p "$QEMU_WORK"
	exec 8>"$QEMU_WORK/accel.lock"
	flock 8
	decide "$1" || status=$?
	exec 8>&-
	[ $status -eq 0 ] || exit 1
	echo "qemu: accelerator $ACCEL_CHOSEN ($ACCEL_REASON)" >&2
}

cmd_accel() {
	[ $# -eq 1 ] || { usage >&2; exit 2; }
	[ -r "$1" ] || die "no kernel image $1"
	choose_accel "$1"
	echo "$ACCEL_CHOSEN"
}

cmd_boot() {
	[ $# -eq 4 ] || { usage >&2; exit 2; }
	local kernel=$1 initrd=$2 append=$3 log=$4 raw status=0 qstatus=0 tpid start
	[ -r "$kernel" ] || die "no kernel image $kernel"
	[ -r "$initrd" ] || die "no initramfs $initrd"
	command -v "$QEMU" >/dev/null || die "$QEMU missing (run 'make deps')"
	choose_accel "$kernel"
	if [ -z "$BOOT_TIMEOUT" ]; then
		BOOT_TIMEOUT=$([ "$ACCEL_CHOSEN" = kvm ] && echo 30 || echo 120)
	fi
	raw=$TMP/serial.raw
	: >"$raw"
	# the log says how it was made; the console shows only the guest
	echo "ashmem-qemu: accelerator $ACCEL_CHOSEN ($ACCEL_REASON)" >"$log"
	start=$(now)
	launch "$ACCEL_CHOSEN" "$kernel" "$initrd" "$append" "$raw" "$TIMEOUT"
	tail -s 0.1 -n +1 -f --pid="$QPID" "$raw" | tr -d '\r' | tee -a "$log" &
	tpid=$!
	local booted="did not reach /init"
	if watch "$raw" "$BOOT_TIMEOUT"; then
		booted="reached /init in $(elapsed "$start") s"
	else
		status=$?
	fi
	wait "$QPID" || qstatus=$?
	wait "$tpid" || true
	local marker=
	if [ $status -eq 2 ]; then
		marker="ashmem-qemu: guest did not boot in $BOOT_TIMEOUT s (accelerator $ACCEL_CHOSEN)"
		qstatus=3
	elif [ $qstatus -eq 124 ] || [ $qstatus -eq 137 ]; then
		marker="ashmem-qemu: guest timed out after $TIMEOUT s (accelerator $ACCEL_CHOSEN)"
		qstatus=124
	fi
	if [ -n "$marker" ]; then
		echo "$marker" | tee -a "$log"
	fi
	echo "qemu: guest $booted, ran $(elapsed "$start") s, qemu status $qstatus" >&2
	return $qstatus
}

cmd_shell() {
	[ $# -eq 4 ] || { usage >&2; exit 2; }
	local args status=0
	[ -r "$1" ] || die "no kernel image $1"
	[ -r "$2" ] || die "no initramfs $2"
	command -v "$QEMU" >/dev/null || die "$QEMU missing (run 'make deps')"
	choose_accel "$1"
	read -ra args <<<"$(accel_args "$ACCEL_CHOSEN")"
	echo "qemu: the guest's console follows; 'exit' powers it off, Ctrl-A x ends QEMU" >&2
	rm -f "$4"
	timeout --foreground "${TIMEOUT_SET:-0}" "$QEMU" "${args[@]}" -m "$MEM" -smp "$SMP" \
		-display none -no-reboot \
		-chardev "stdio,id=console,mux=on,signal=off,logfile=$4" \
		-serial chardev:console -mon chardev=console \
		-kernel "$1" -initrd "$2" -append "$3" || status=$?
	return $status
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	accel | boot | shell) ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	TMP=$(mktemp -d)
	"cmd_$cmd" "$@"
}

main "$@"
