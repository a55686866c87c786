#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS and module signing, the way users get the module: register the tree
# with Debian's dkms (`make dkms-install`), build and install it for the
# guest kernel, and check what DKMS left behind.  Then sign a copy with a
# throwaway key and kernel's sign-file, and read the signature back with
# modinfo.  The debian test lane then boots the module DKMS installed
# (qemu/lanes.sh, DEBIAN_MODULE).  Runs again on the same machine: the
# earlier registration is removed first.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [dkms|sign]...   (default: both)

  dkms   make dkms-install for KVER; check dkms status, the installed file,
         depmod's index, the code against driver/ashmem_linux.ko, the
         signature DKMS gave it, and that BUILD_EXCLUSIVE_CONFIG declines a
         kernel built with CONFIG_ASHMEM
  sign   sign a copy of driver/ashmem_linux.ko with a fresh key
         (scripts/sign-file of KVER's headers) and check modinfo's
         signer, sig_key and sig_hashalgo

settings: KVER (default: qemu/kver.sh), BUILD (default: build/packaging)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KVER=${KVER:-$("$ROOT/qemu/kver.sh")}
BUILD=${BUILD:-$ROOT/build/packaging}
VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/driver/dkms.conf")
TREE_MODULE=$ROOT/driver/ashmem_linux.ko
DKMS_MODULE=/lib/modules/$KVER/updates/dkms/ashmem_linux.ko
fails=0

ok() { echo "packaging: ok: $*"; }
fail() {
	echo "packaging: FAIL: $*"
	fails=$((fails + 1))
}

# expect WHAT GOT WANT
expect() {
	if [ "$2" = "$3" ]; then ok "$1: $2"; else fail "$1: '$2', expected '$3'"; fi
}

# text_digest MODULE: a digest of the module's code
text_digest() {
	objcopy -O binary --only-section=.text "$1" "$BUILD/text.bin"
	sha256sum <"$BUILD/text.bin" | cut -d' ' -f1
	rm -f "$BUILD/text.bin"
}

check_dkms_conf() {
	local conf=$ROOT/driver/dkms.conf
	expect "dkms.conf PACKAGE_NAME" "$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' "$conf")" ashmem
	expect "dkms.conf BUILT_MODULE_NAME" \
		"$(sed -n 's/^BUILT_MODULE_NAME\[0\]="\(.*\)"/\1/p' "$conf")" ashmem_linux
	expect "dkms.conf DEST_MODULE_LOCATION" \
		"$(sed -n 's/^DEST_MODULE_LOCATION\[0\]="\(.*\)"/\1/p' "$conf")" /updates/dkms
	expect "dkms.conf AUTOINSTALL" "$(sed -n 's/^AUTOINSTALL="\(.*\)"/\1/p' "$conf")" yes
}

step_dkms() {
	local log=$BUILD/dkms.log status signer fake out rc
	command -v dkms >/dev/null || { fail "dkms missing (run 'make deps')"; return; }
	[ -f "$TREE_MODULE" ] || { fail "no $TREE_MODULE (run 'make module')"; return; }
	check_dkms_conf
	# the Debian package owns the same source tree: take it out of the way
	if dpkg-query -W -f='${db:Status-Abbrev}' ashmem-dkms 2>/dev/null | grep -q '^i'; then
		dpkg -P ashmem-dkms >>"$log" 2>&1
	fi
	echo "packaging: make dkms-install DKMS_KVER=$KVER (log in ${log#"$ROOT"/})"
	if ! make -C "$ROOT" --no-print-directory dkms-install DKMS_KVER="$KVER" >"$log" 2>&1; then
		tail -n 20 "$log"
		fail "make dkms-install"
		return
	fi
	status=$(dkms status -m ashmem -v "$VERSION" -k "$KVER")
	case "$status" in
	*": installed"*) ok "dkms status: $status" ;;
	*) fail "dkms status: '$status'" ;;
	esac
	if [ ! -f "$DKMS_MODULE" ]; then
		fail "no $DKMS_MODULE"
		return
	fi
	ok "installed as $DKMS_MODULE"
	if grep -q '^updates/dkms/ashmem_linux.ko:' "/lib/modules/$KVER/modules.dep"; then
		ok "depmod: modules.dep lists updates/dkms/ashmem_linux.ko"
	else
		fail "modules.dep of $KVER does not list updates/dkms/ashmem_linux.ko"
	fi
	# built from the same sources by the same compiler: the same code
	# (DKMS strips and signs its copy, which changes other sections)
	expect "the DKMS module's .text is the tree module's" "$(text_digest "$DKMS_MODULE")" \
		"$(text_digest "$TREE_MODULE")"
	expect "vermagic kernel" "$(modinfo -F vermagic "$DKMS_MODULE" | cut -d' ' -f1)" "$KVER"
	# DKMS signs with its own MOK, /var/lib/dkms/mok.key (made on first use)
	signer=$(modinfo -F signer "$DKMS_MODULE")
	expect "DKMS signed it with its MOK" "$signer" "DKMS module signing key"

	# BUILD_EXCLUSIVE_CONFIG: a kernel with ashmem built in is declined
	# (dkms exits 77).  A made-up kernel version, so that the real one's
	# build stays as it is, with the headers' .config plus CONFIG_ASHMEM=y;
	# without that line the same build fails for another reason.
	fake=$BUILD/kernel-with-ashmem
	for with in y n; do
		rm -rf "$fake"
		mkdir -p "$fake"
		cp "/lib/modules/$KVER/build/.config" "$fake/.config"
		[ $with = n ] || echo CONFIG_ASHMEM=y >>"$fake/.config"
		rc=0
		out=$(dkms build -m ashmem -v "$VERSION" -k 0.0.0-ashmem-exclusive-test \
			--kernelsourcedir "$fake" 2>&1) || rc=$?
		if [ $with = y ] && [ $rc -eq 77 ] && echo "$out" | grep -q 'BUILD_EXCLUSIVE'; then
			ok "BUILD_EXCLUSIVE_CONFIG declines a kernel with CONFIG_ASHMEM=y (dkms exit 77)"
		elif [ $with = n ] && [ $rc -ne 77 ] && ! echo "$out" | grep -q 'BUILD_EXCLUSIVE'; then
			ok "without CONFIG_ASHMEM=y the same kernel is not declined (dkms exit $rc)"
		else
			fail "dkms build, CONFIG_ASHMEM=$with: exit $rc: $out"
		fi
	done
	rm -rf "$fake"
}

step_sign() {
	local dir=$BUILD/sign sign_file=/lib/modules/$KVER/build/scripts/sign-file
	local hash serial sig_key
	[ -x "$sign_file" ] || { fail "no $sign_file (linux-headers-$KVER)"; return; }
	[ -f "$TREE_MODULE" ] || { fail "no $TREE_MODULE (run 'make module')"; return; }
	rm -rf "$dir"
	mkdir -p "$dir"
	# a throwaway key, made the way packaging.rst tells users to make a MOK
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=ashmem CI throwaway key/" \
		-outform DER -keyout "$dir/mok.priv" -out "$dir/mok.der" 2>/dev/null
	cp "$TREE_MODULE" "$dir/ashmem_linux.ko"
	expect "the tree's module is unsigned: signer" "$(modinfo -F signer "$dir/ashmem_linux.ko")" ""
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "/lib/modules/$KVER/build/.config")
	"$sign_file" "${hash:-sha256}" "$dir/mok.priv" "$dir/mok.der" "$dir/ashmem_linux.ko"
	expect "sign-file appended the signature marker" \
		"$(tail -c 28 "$dir/ashmem_linux.ko" | tr -d '\n')" "~Module signature appended~"
	expect "modinfo signer" "$(modinfo -F signer "$dir/ashmem_linux.ko")" "ashmem CI throwaway key"
	expect "modinfo sig_hashalgo" "$(modinfo -F sig_hashalgo "$dir/ashmem_linux.ko")" "${hash:-sha256}"
	# modinfo prints the key id as the certificate's serial, XX:XX:...
	serial=$(openssl x509 -inform DER -in "$dir/mok.der" -noout -serial | sed 's/^serial=//')
	sig_key=$(modinfo -F sig_key "$dir/ashmem_linux.ko" | tr -d ':\n\t ' | tr a-f A-F)
	expect "modinfo sig_key is the certificate's serial" "$sig_key" "$serial"
	expect "the code is unchanged by signing" "$(text_digest "$dir/ashmem_linux.ko")" \
		"$(text_digest "$TREE_MODULE")"
}

main() {
	local steps=("$@") s
	[ "${1:-}" != -h ] || { usage; exit 0; }
	[ ${#steps[@]} -gt 0 ] || steps=(dkms sign)
	mkdir -p "$BUILD"
	echo "packaging: kernel $KVER, ashmem $VERSION"
	for s in "${steps[@]}"; do
		case "$s" in
		dkms | sign) "step_$s" ;;
		*) usage >&2; exit 2 ;;
		esac
	done
	if [ $fails -ne 0 ]; then
		echo "packaging: $fails check(s) failed"
		exit 1
	fi
	echo "packaging: all checks passed"
}

main "$@"
