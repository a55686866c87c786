#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest's part of `make bench`: /init runs this in ashmem_mode=bench
# (qemu/run-tests.sh -m bench) with the programs beside it in /bench.
# ASHMEM_BENCH (from the kernel command line) picks the set:
#   latency   one vCPU: pin_bench growth latency, area_bench
#   scaling   two vCPUs: pin_bench scaling, channel_bench on /dev/ashmem,
#             handover_bench (a region handed over Binder and a Unix socket)
# Each program's rows ("name,value,unit") are printed at the end, each
# line prefixed "ashmem-row: " so that the host finds them in the serial
# log whatever else the console shows; channel_bench's names get a
# "guest_" prefix, so that they stand beside the host's memfd rows.
# Exits non-zero if a program failed.

dir=$(dirname "$0")
set=${ASHMEM_BENCH:-latency}
out=/tmp/bench-rows
status=0
mkdir -p $out

# bench NAME PREFIX PROGRAM ARGS...: run one program, keep its rows.
bench() {
	name=$1
	prefix=$2
	shift 2
	echo "ashmem-bench: begin $name ($(nproc) CPUs)"
	start=$(cut -d' ' -f1 /proc/uptime)
	if "$@" >"$out/$name.raw" </dev/null; then
		rc=0
	else
		rc=$?
		status=1
	fi
	sed "s/^/$prefix/" "$out/$name.raw" >"$out/$name.csv"
	echo "ashmem-bench: end $name exit=$rc ($start -> $(cut -d' ' -f1 /proc/uptime) s)"
}

echo "ashmem-bench: set $set, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
case "$set" in
latency)
	bench pin_bench "" "$dir/pin_bench" growth latency
	bench area_bench "" "$dir/area_bench"
	;;
scaling)
	bench pin_scaling "" "$dir/pin_bench" scaling
	if [ -x "$dir/channel_bench" ]; then
		# a sixteenth of the host's volume per trial, 5 trials: TCG is slow
		export ASHMEM_BACKEND=ashmem CHANNEL_BENCH_MIB=16 CHANNEL_BENCH_TRIALS=5
		bench channel_bench guest_ "$dir/channel_bench"
	fi
	bench handover_bench "" "$dir/handover_bench"
	;;
*)
	echo "ashmem-bench: unknown set '$set'"
	status=1
	;;
esac
cat $out/*.csv | sed 's/^/ashmem-row: /'
exit $status
