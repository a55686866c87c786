#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make shell, without a person at the keyboard: boot the guest in shell
# mode with stdin a pipe, wait for the guest to say that its shell is
# ready, type a few commands and `exit`, and check what the shell printed:
# both device names, ashmemctl working on a live area, the tests and
# examples on PATH, and a clean power-off.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build/qemu/shell-test}
READY_TIMEOUT=${READY_TIMEOUT:-240}
LOG=$BUILD/serial-shell.log
fails=0

ok() { echo "shell-test: ok: $*"; }
fail() {
	echo "shell-test: FAIL: $*"
	fails=$((fails + 1))
}

# what is typed at the prompt; each check prints a "shell-test:" word
# that the host looks for (the echo of the typed line cannot match it:
# the words are built from two halves)
commands() {
	cat <<'CMDS'
w=shell-test; echo "$w: kernel $(uname -r)"
ls -l /dev/ashmem /dev/ashmem$(cat /proc/sys/kernel/random/boot_id)
ashmemctl node --check && echo "$w: nodes-ok"
ashmemctl create shelltest-area 64K -- ashmemctl ls | grep -q shelltest-area && echo "$w: ls-ok"
command -v ashmem-demo-service >/dev/null && command -v abi_test >/dev/null && echo "$w: path-ok"
exit
CMDS
}

# type_when_ready: wait for the guest's ready line in the log, then type
type_when_ready() {
	local deadline=$((SECONDS + READY_TIMEOUT))
	# polling a file the guest writes for a line: a wait for a condition
	until grep -q '^ashmem-shell: ready' "$LOG" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 0
		sleep 0.2
	done
	commands
}

main() {
	local out status=0
	mkdir -p "$BUILD"
	rm -f "$LOG"
	# one test program is enough to show that they are on PATH, and a
	# small initramfs boots faster
	rm -rf "$BUILD/selftests" "$BUILD/libtests"
	mkdir -p "$BUILD/selftests" "$BUILD/libtests"
	cp "$ROOT/build/selftests/ashmem/abi_test" "$BUILD/selftests/"
	out=$(type_when_ready | TIMEOUT=$((READY_TIMEOUT + 120)) BUILD=$BUILD \
		SELFTESTS=$BUILD/selftests LIBTESTS=$BUILD/libtests \
		"$ROOT/qemu/run-tests.sh" -m shell 2>&1) || status=$?
	out=$(echo "$out" | tr -d '\r')
	if [ $status -eq 0 ]; then ok "the guest powered off after exit, status 0"; else fail "run-tests.sh -m shell exited $status"; fi
	for word in nodes-ok ls-ok path-ok; do
		if echo "$out" | grep -q "^shell-test: $word"; then ok "$word"; else fail "no '$word'"; fi
	done
	if echo "$out" | grep -q '^crw-rw-rw- .* /dev/ashmem[0-9a-f-]\{36\}$'; then
		ok "the boot-id node is there, mode 0666"
	else
		fail "no /dev/ashmem<boot_id> in the listing"
	fi
	if [ $fails -ne 0 ]; then
		echo "$out" | tail -n 40
		echo "shell-test: $fails check(s) failed (log: $LOG)"
		exit 1
	fi
	echo "shell-test: all checks passed"
}

main "$@"
