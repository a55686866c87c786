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
usage: $0 [-l | -d] [LANE...]
       $0 --shell [LANE]   an interactive shell on LANE's kernel (make shell)

  -l   lint: build each lane's module with W=1 and sparse (C=1), boot
       nothing; a lane fails on any warning
  -d   DKMS: "dkms build" of the driver's DKMS tree against each lane's
       kernel (default: 6.12 newest), in a DKMS tree and source tree of
       the lane's own under build/lanes/<lane>/dkms: the machine's DKMS
       state is not touched

lanes:
  debian   Debian's 6.1 kernel (linux-image-amd64)
  debug    6.1 built from linux-source-6.1 with KASAN, lockdep, kmemleak,
           KUnit and fault injection (qemu/kernels/debug.config; cached)
  rt       Debian's 6.1 PREEMPT_RT kernel (linux-image-rt-amd64)
  6.12     the newest 6.12 LTS kernel of bookworm-backports (qemu/fetch-kernel.sh;
           cached by version)
  newest   the newest kernel of trixie-backports (7.x), whatever its version
           (printed); its module is built in a trixie root with its gcc
           (qemu/build-root.sh; both cached by version)
  arm64    Debian's arm64 6.1 kernel (bookworm) under qemu-system-aarch64
           (TCG); module, selftests and library tests cross-built in a
           bookworm root with gcc-aarch64-linux-gnu (cached)
  arm64-16k  the newest 6.12 arm64 kernel of trixie with 16 KiB pages
           (linux-image-*-arm64-16k) on a Neoverse-N1; its module is built
           in a trixie root with trixie's cross gcc, the programs are
           arm64's
default: $DEFAULT_LANES

Settings are passed on to qemu/run-tests.sh (see its -h).  DEBIAN_MODULE=PATH
makes the debian lane boot that module (make check: the one DKMS installed)
instead of its own build.
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEFAULT_LANES="debian debug rt 6.12 newest arm64 arm64-16k"
LINT=
# the lanes share one accelerator decision (qemu/qemu.sh)
export ASHMEM_QEMU_SESSION=${ASHMEM_QEMU_SESSION:-lanes-$$}

die() {
	echo "lanes: $*" >&2
	exit 1
}

# Shorter stress and fuzz budgets for the newest and the arm64 lane (the
# same test cases): 8 s of stress instead of 16, 4096 fuzz operations per
# test instead of 16384.  Measured on arm64: fuzz_test 38 s and stress_test
# 38 s of guest time at the full budgets.  A GUEST_ENV of the caller's own
# comes first and wins (getenv() finds the first).
SHORT_BUDGET="ASHMEM_STRESS_SECONDS=8 ASHMEM_FUZZ_OPS=4096"

# The bookworm root the arm64 lane cross-builds in: the cross compilers,
# bookworm's (amd64) kbuild programs for the arm64 headers, and, through
# the root's own dpkg, arm64 busybox and libraries.
XROOT_PACKAGES="make sparse gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
	linux-kbuild-6.1 cmake ninja-build busybox-static:arm64 libgtest-dev:arm64
	libxxhash-dev:arm64 libbenchmark-dev:arm64"

# binder_module DIR: Binder's module in a kernel that qemu/fetch-kernel.sh
# unpacked into DIR (/lib/modules in bookworm, /usr/lib/modules in trixie),
# or the path where bookworm would have it, for run-tests.sh to say it is
# missing.
binder_module() {
	local ko
	for ko in "$1"/root/lib/modules/*/kernel/drivers/android/binder_linux.ko* \
		"$1"/root/usr/lib/modules/*/kernel/drivers/android/binder_linux.ko*; do
		[ -e "$ko" ] && { echo "$ko"; return 0; }
	done
	echo "$1/root/lib/modules/*/kernel/drivers/android/binder_linux.ko"
}

# lane_kernel LANE: set KERNEL, KDIR, LANE_MEM and LANE_TIMEOUT for a lane;
# LANE_RUN, the command the module's make runs under (if any), LANE_BIND,
# the directories it must see besides the module's, LANE_MAKE, make's
# arguments, and LANE_ENV, settings for qemu/run-tests.sh.
lane_kernel() {
	local kver dir xroot kroot=
	LANE_RUN=() LANE_MAKE=() LANE_ENV=() LANE_BIND= USERLAND_RUN=()
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
		BINDER_MODULE=$(binder_module "$dir")
		LANE_MEM=512M
		LANE_TIMEOUT=1500
		;;
	newest)
		# trixie's kernels: headers that want gcc-14 and trixie's glibc
		dir=$(SUITE=trixie-backports "$ROOT/qemu/fetch-kernel.sh" newest) || return 1
		kver=${dir##*/debian-}
		KERNEL=$dir/vmlinuz
		# trixie's sparse (0.6.4) cannot parse them (__typeof_unqual__):
		# the root has unstable's too, the one C=1 runs
		LANE_RUN=("$ROOT/qemu/build-root.sh" run
			"$(SUITE=trixie SPARSE_SUITE=unstable "$ROOT/qemu/build-root.sh" make "$kver")")
		[ -n "${LANE_RUN[2]}" ] || return 1
		KDIR=/usr/src/linux-headers-$kver-amd64
		LANE_MAKE=(CHECK=/usr/local/bin/sparse)
		# 7.x keeps modules in linux-modules-*, unpacked beside the image
		BINDER_MODULE=$(binder_module "$dir")
		LANE_ENV=(GUEST_ENV="${GUEST_ENV:+$GUEST_ENV }$SHORT_BUDGET")
		LANE_MEM=512M
		LANE_TIMEOUT=1500
		;;
	arm64 | arm64-16k)
		if [ "$1" = arm64 ]; then
			dir=$(SUITE=bookworm ARCH=arm64 FLAVOUR=arm64 \
				"$ROOT/qemu/fetch-kernel.sh" 6.1) || return 1
		else
			# trixie's kbuild programs want trixie's glibc, its
			# headers trixie's gcc: a root of their own
			dir=$(SUITE=trixie ARCH=arm64 FLAVOUR=arm64-16k KBUILD_IN_ROOT=1 \
				"$ROOT/qemu/fetch-kernel.sh" 6.12) || return 1
			kroot=$(SUITE=trixie BPO_SUITE=trixie-updates \
				PACKAGES="make sparse gcc-aarch64-linux-gnu $(cat "$dir/kbuild")" \
				"$ROOT/qemu/build-root.sh" make) || return 1
		fi
		xroot=$(SUITE=bookworm BPO_SUITE=bookworm-updates ROOT_ARCHES=arm64 \
			PACKAGES="$(echo $XROOT_PACKAGES)" "$ROOT/qemu/build-root.sh" make) || return 1
		KERNEL=$dir/vmlinuz
		KDIR=$dir/kdir
		BINDER_MODULE=$(binder_module "$dir")
		LANE_RUN=("$ROOT/qemu/build-root.sh" run "${kroot:-$xroot}")
		LANE_BIND=$dir:$ROOT
		LANE_MAKE=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
		# the programs, static, are built once for both lanes, in the
		# bookworm root (lane_userland)
		USERLAND_RUN=("$ROOT/qemu/build-root.sh" run "$xroot")
		LANE_ENV=(GUEST_ARCH=arm64 BUSYBOX=$xroot/bin/busybox
			SELFTESTS=$ROOT/build/arm64/selftests/ashmem
			LIBTESTS=$ROOT/build/arm64/guest/libashmem
			EXAMPLES=$ROOT/build/arm64/guest/examples
			GUEST_BIN=$ROOT/build/arm64/guest
			GUEST_ENV="${GUEST_ENV:+$GUEST_ENV }$SHORT_BUDGET")
		# a Cortex-A57 has no 16 KiB granule; a Neoverse-N1 has all three
		[ "$1" = arm64 ] || LANE_ENV+=(GUEST_CPU=neoverse-n1)
		LANE_MEM=1G
		LANE_TIMEOUT=2700
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

# lane_module LANE: build the module for the lane's kernel in its own tree
# (with W=1 and sparse under -l, failing on any warning).
# The lane_* functions return non-zero when their lane cannot run.
lane_module() {
	local dir=$ROOT/build/lanes/$1/driver flags=() status=0
	if [ -n "$LINT" ]; then
		flags=(W=1 C=1)
	fi
	rm -rf "$dir"
	mkdir -p "$dir/uapi/linux"
	cp "$ROOT"/driver/Kbuild "$ROOT"/driver/*.[ch] "$dir/"
	cp "$ROOT/uapi/linux/ashmem.h" "$dir/uapi/linux/"
	if [ ${#LANE_RUN[@]} -gt 0 ]; then
		"${LANE_RUN[@]}" "$dir${LANE_BIND:+:$LANE_BIND}" \
			make -s -C "$KDIR" M="$dir" "${LANE_MAKE[@]}" "${flags[@]}" modules \
			>"$dir.log" 2>&1 || status=1
	else
		make -s -C "$KDIR" M="$dir" "${flags[@]}" modules >"$dir.log" 2>&1 || status=1
	fi
	# BTF needs the vmlinux of the kernel, which a headers tree lacks
	sed -i '/Skipping BTF generation/d' "$dir.log"
	cat "$dir.log" >&2
	[ $status -eq 0 ] || return 1
	if [ -n "$LINT" ] && grep -Eq 'warning:|error:|sparse is not available|is not available or not up to date' "$dir.log"; then
		echo "lanes: $1: the W=1 / sparse build is not clean" >&2
		return 1
	fi
	MODULE=$dir/ashmem_linux.ko
	KUNIT_MODULE=
	if [ -f "$dir/ashmem_linux_kunit.ko" ]; then
		KUNIT_MODULE=$dir/ashmem_linux_kunit.ko
	fi
	# make check: the debian lane boots the module that DKMS built and
	# installed from this tree (packaging/dkms-test.sh)
	if [ "$1" = debian ] && [ -n "${DEBIAN_MODULE:-}" ]; then
		[ -f "$DEBIAN_MODULE" ] || { echo "lanes: no $DEBIAN_MODULE" >&2; return 1; }
		MODULE=$DEBIAN_MODULE
		echo "lanes: debian: the module DKMS installed, $MODULE" \
			"(signer: $(modinfo -F signer "$MODULE"))"
	fi
}

# lane_userland LANE: build the test programs of a lane whose guest is not
# of the host's architecture (the others run the host's build).  Both arm64
# lanes run the same static programs: the first of them in a session
# builds them, the other waits for it and takes them.
lane_userland() {
	local out=$ROOT/build/arm64 lock status=0
	[ ${#USERLAND_RUN[@]} -gt 0 ] || return 0
	mkdir -p "$out"
	exec {lock}>"$out.lock"
	flock "$lock"
	if [ "$(cat "$out/session" 2>/dev/null)" != "$ASHMEM_QEMU_SESSION" ]; then
		rm -f "$out/session"
		if arm64_userland "$out"; then
			echo "$ASHMEM_QEMU_SESSION" >"$out/session"
		else
			status=1
		fi
	fi
	exec {lock}>&-
	return $status
}

# arm64_userland OUT: cross-build the selftests, the library's tests, the
# examples and ashmemctl, static, into OUT.
arm64_userland() {
	local out=$1
	"${USERLAND_RUN[@]}" "$ROOT" make -s -C "$ROOT/selftests/ashmem" \
		OUTPUT="$out/selftests/ashmem" CC=aarch64-linux-gnu-gcc M32=n >&2 || return 1
	"${USERLAND_RUN[@]}" "$ROOT" sh -c 'cd "$1" && out=$2 &&
		cmake -S libashmem -B "$out/libashmem" -G Ninja --log-level=WARNING \
			-DCMAKE_TOOLCHAIN_FILE="$1/qemu/aarch64-linux-gnu.cmake" \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo -DASHMEM_WERROR=ON \
			-DASHMEM_STATIC_EXECUTABLES=ON >/dev/null &&
		cmake --build "$out/libashmem" -j 2 >/dev/null &&
		rm -rf "$out/guest" && mkdir -p "$out/guest/libashmem" "$out/guest/examples" &&
		for t in "$out"/libashmem/tests/*_test "$out"/libashmem/tests/guest/*_test; do
			aarch64-linux-gnu-strip -o "$out/guest/libashmem/${t##*/}" "$t" || exit 1
		done &&
		for p in ashmem-demo-service ashmem-demo-client ashmem-binder-memory-file \
			ashmem-binder-memory-service ashmem-binder-buffer-service ashmem-binder-channel; do
			aarch64-linux-gnu-strip -o "$out/guest/examples/$p" "$out/libashmem/examples/$p" || exit 1
		done &&
		install -m 755 examples/run-demo.sh "$out/guest/examples/" &&
		aarch64-linux-gnu-strip -o "$out/guest/ashmemctl" "$out/libashmem/tools/ashmemctl/ashmemctl"' \
		sh "$ROOT" "$out" >&2 || return 1
}

# dkms_build LANE: dkms add and build the driver against the lane's kernel,
# with private DKMS trees (the machine's /var/lib/dkms stays as it is).
dkms_build() {
	local top=$ROOT/build/lanes/$1/dkms conf=$ROOT/driver/dkms.conf name ver src kver run=()
	# the package's name and version as dkms.conf gives them (the module
	# is ashmem_linux, the package ashmem)
	name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$conf")
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$conf")
	src=$top/src/$name-$ver
	rm -rf "$top"
	mkdir -p "$top/tree" "$src/uapi/linux"
	cp "$ROOT"/driver/Kbuild "$conf" "$ROOT"/driver/*.[ch] "$src/"
	cp "$ROOT/uapi/linux/ashmem.h" "$src/uapi/linux/"
	# the release the headers were built for, as modules.dep would name it
	kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		"$KDIR/include/generated/utsrelease.h" 2>/dev/null || true)
	[ -n "$kver" ] || kver=${KDIR%/build}
	kver=${kver##*/linux-headers-}
	[ ${#LANE_RUN[@]} -eq 0 ] || run=("${LANE_RUN[@]}" "$top${LANE_BIND:+:$LANE_BIND}")
	"${run[@]}" dkms --dkmstree "$top/tree" --sourcetree "$top/src" \
		add -m "$name" -v "$ver" >"$top.log" 2>&1 &&
		"${run[@]}" dkms --dkmstree "$top/tree" --sourcetree "$top/src" \
			build -m "$name" -v "$ver" -k "$kver" --kernelsourcedir "$KDIR" \
			>>"$top.log" 2>&1 ||
		{ cat "$top.log" "$top/tree/$name/$ver/build/make.log" >&2 2>/dev/null; return 1; }
	ls "$top/tree/$name/$ver/$kver"/*/module/ashmem_linux.ko* >/dev/null 2>&1 ||
		{ cat "$top.log" >&2; return 1; }
}

# lint LANE...: build every lane's module with W=1 and sparse.
lint() {
	local lane status=0
	for lane in "$@"; do
		if lane_kernel "$lane" && lane_module "$lane"; then
			echo "lanes: $lane: W=1 and sparse clean"
		else
			echo "lanes: $lane: FAIL: no kernel, or the W=1 / sparse build is not clean"
			status=1
		fi
	done
	return $status
}

# run_lane LANE tee|quiet: prepare and run one lane; its output goes to
# build/qemu/LANE/output.txt (and to stdout with tee), its verdict line to
# .../verdict and run-tests.sh's status to .../rc.
run_lane() {
	local lane=$1 dir=$ROOT/build/qemu/$1 rc=0 start=$SECONDS
	mkdir -p "$dir"
	rm -f "$dir/verdict" "$dir/rc"
	echo "lanes: === $lane ==="
	# a kernel that cannot be had, or a module that does not build for
	# it, fails the lane (and says so), never skips it
	if ! lane_kernel "$lane" || ! lane_module "$lane" || ! lane_userland "$lane"; then
		echo "lanes: $lane: no kernel or no module for it (see above)"
		echo "0 passed, 1 failed (no kernel or module)" >"$dir/verdict"
		echo 1 >"$dir/rc"
		return 0
	fi
	local run=(env "${LANE_ENV[@]}" KERNEL="$KERNEL" MODULE="$MODULE"
		KUNIT_MODULE="$KUNIT_MODULE" BINDER_MODULE="$BINDER_MODULE"
		MEM="${MEM:-$LANE_MEM}" TIMEOUT="${TIMEOUT:-$LANE_TIMEOUT}" BUILD="$dir" LANE="$lane"
		"$ROOT/qemu/run-tests.sh" -m test)
	# (not tee /dev/stderr: reopening it truncates a log file it points to)
	if [ "$2" = tee ]; then
		"${run[@]}" | tee "$dir/output.txt" || rc=${PIPESTATUS[0]}
	else
		"${run[@]}" >"$dir/output.txt" 2>&1 || rc=$?
		cat "$dir/output.txt"
	fi
	echo "lanes: $lane took $((SECONDS - start)) s"
	tail -n 1 "$dir/output.txt" >"$dir/verdict"
	echo $rc >"$dir/rc"
}

main() {
	[ "${1:-}" != -h ] || { usage; exit 0; }
	# make shell: the lane's kernel and module, an interactive shell
	if [ "${1:-}" = --shell ]; then
		local lane=${2:-debian}
		if ! lane_kernel "$lane" || ! lane_module "$lane"; then
			die "$lane: no kernel or no module for it"
		fi
		KERNEL=$KERNEL MODULE=$MODULE KUNIT_MODULE='' BINDER_MODULE=$BINDER_MODULE MEM=${MEM:-$LANE_MEM} \
			BUILD=$ROOT/build/qemu/$lane LANE=$lane exec "$ROOT/qemu/run-tests.sh" -m shell
	fi
	if [ "${1:-}" = -d ]; then
		shift
		[ $# -gt 0 ] || set -- 6.12 newest
		local lane status=0
		for lane in "$@"; do
			if lane_kernel "$lane" && dkms_build "$lane"; then
				echo "lanes: $lane: dkms build succeeded"
			else
				echo "lanes: $lane: FAIL: dkms build"
				status=1
			fi
		done
		return $status
	fi
	if [ "${1:-}" = -l ]; then
		shift
		LINT=1
		[ $# -gt 0 ] || set -- $DEFAULT_LANES
		lint "$@"
		return
	fi
	local lanes=("$@") lane verdict total_pass=0 total_fail=0 p f status=0 rc
	local jobs=${LANE_JOBS:-1} running=0 dir
	[ ${#lanes[@]} -gt 0 ] || read -ra lanes <<<"$DEFAULT_LANES"
	declare -A verdicts
	if [ "$jobs" -gt 1 ]; then
		# LANE_JOBS lanes at a time, each into its own log, printed
		# whole and in order once all are done
		for lane in "${lanes[@]}"; do
			if [ $running -ge "$jobs" ]; then
				wait -n || true
				running=$((running - 1))
			fi
			mkdir -p "$ROOT/build/qemu/$lane"
			run_lane "$lane" quiet >"$ROOT/build/qemu/$lane/lane.log" 2>&1 &
			running=$((running + 1))
			echo "lanes: $lane started (up to $jobs at a time)"
		done
		wait || true
		for lane in "${lanes[@]}"; do
			cat "$ROOT/build/qemu/$lane/lane.log"
		done
	fi
	for lane in "${lanes[@]}"; do
		dir=$ROOT/build/qemu/$lane
		if [ "$jobs" -le 1 ]; then
			run_lane "$lane" tee
		fi
		rc=$(cat "$dir/rc" 2>/dev/null || echo 1)
		[ "$rc" -eq 0 ] || status=1
		verdict=$(cat "$dir/verdict" 2>/dev/null || echo "0 passed, 1 failed (the lane did not finish)")
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
		if [ "$rc" -eq 3 ] && [ "$jobs" -le 1 ]; then
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
