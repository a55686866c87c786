#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench`: the driver's benchmarks, and the library's
# channel_bench on /dev/ashmem, in the QEMU guest of the debian lane.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 OUT

Stages OUT/guest (the static programs of OUT/obj, stripped, and
bench/run-guest.sh), then boots the guest once per set through
qemu/run-tests.sh -m bench and writes the rows each boot printed to
OUT/rows.d/guest-<set>.csv, where bench/run.sh finds them.  A boot whose
run was not clean (a program failed, a kernel splat: qemu/judge.awk) still
leaves its rows, and makes this script exit non-zero.

settings (environment):
  SETS        vCPUs:set pairs, one boot each (default: "1:latency 2:scaling":
              latency figures on one vCPU, scaling and the channel on two)
  MODULE      the module (default: driver/ashmem_linux.ko, built by 'make
              module' for qemu/kver.sh's kernel, the debian lane's)
  BENCH_QUICK 1: a tenth of every count, for trying things out
  and qemu/run-tests.sh's (KVER, KERNEL, MEM, ACCEL, TIMEOUT, ...)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SETS=${SETS:-1:latency 2:scaling}
BENCH_QUICK=${BENCH_QUICK:-0}

die() {
	echo "bench/guest.sh: $*" >&2
	exit 1
}

# stage OBJ DIR: the programs the guest runs, in DIR.
stage() {
	local obj=$1 dir=$2 program
	rm -rf "$dir"
	mkdir -p "$dir"
	for program in pin_bench area_bench channel_bench_static handover_bench; do
		[ -x "$obj/$program" ] || die "no $obj/$program (build bench/ first)"
		strip -o "$dir/${program%_static}" "$obj/$program"
		# the guest has no dynamic loader
		if readelf -l "$dir/${program%_static}" | grep -q 'Requesting program interpreter'; then
			die "$program is not static"
		fi
	done
	install -m 755 "$ROOT/bench/run-guest.sh" "$dir/run-guest.sh"
}

# tsc=reliable: with two vCPUs under TCG the kernel finds the TSCs out of
# step and falls back to the HPET, whose every read is an emulated MMIO
# access through a system call; the programs time with the vDSO's TSC
# clock instead, and each timed process stays on one CPU or measures
# within one process.
main() {
	if [ "${1:-}" = -h ]; then
		usage
		exit 0
	fi
	if [ $# -ne 1 ]; then
		usage >&2
		exit 2
	fi
	local out=$1 pair smp set status=0 log rows
	stage "$out/obj" "$out/guest"
	mkdir -p "$out/rows.d"
	rm -f "$out"/rows.d/guest-*.csv
	for pair in $SETS; do
		smp=${pair%%:*}
		set=${pair#*:}
		echo "bench: guest, $set set, $smp vCPU(s)"
		mkdir -p "$out/qemu-$set"
		if ! SMP=$smp BENCH=$out/guest BUILD=$out/qemu-$set LANE=debian \
			GUEST_ENV="ASHMEM_BENCH=$set BENCH_QUICK=$BENCH_QUICK tsc=reliable" \
			"$ROOT/qemu/run-tests.sh" -m bench; then
			echo "bench: the $set run failed (log: $out/qemu-$set/serial-bench.log)" >&2
			status=1
		fi
		log=$out/qemu-$set/serial-bench.log
		rows=$out/rows.d/guest-$set.csv
		sed -n 's/^ashmem-row: //p' "$log" >"$rows"
		echo "bench: $(wc -l <"$rows") rows from the $set run in ${rows#"$ROOT"/}"
	done
	return $status
}

main "$@"
