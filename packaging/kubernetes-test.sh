#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What this machine can check of packaging/kubernetes/ashmem-node.yaml
# without a cluster: that it is a DaemonSet that asks for no more than it
# needs (no privileged container, no host namespaces, every capability
# dropped but SYS_MODULE for the module and MKNOD for the nodes), that its
# init container runs modprobe ashmem_linux, and that its node script, run
# with busybox sh against a stand-in sysfs file and boot id, makes both
# names with the device's number and mode 0666, and replaces stale ones.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MANIFEST=${MANIFEST:-$ROOT/packaging/kubernetes/ashmem-node.yaml}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failed=0

fail() {
	echo "kubernetes: FAIL: $*"
	failed=1
}

# the policy checks; prints the node script on success
python3 - "$MANIFEST" >"$WORK/script.sh" <<'PY' || fail "the manifest breaks its policy (above)"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
ds = [d for d in docs if d.get("kind") == "DaemonSet"]
assert len(ds) == 1, "one DaemonSet"
spec = ds[0]["spec"]["template"]["spec"]
for key in ("hostNetwork", "hostPID", "hostIPC"):
    assert not spec.get(key), key
want = {"load-module": ["SYS_MODULE"], "device-nodes": ["MKNOD"]}
containers = spec.get("initContainers", []) + spec["containers"]
assert sorted(c["name"] for c in containers) == sorted(want), "containers"
for c in containers:
    sc = c["securityContext"]
    assert not sc.get("privileged"), c["name"] + " is privileged"
    assert sc.get("allowPrivilegeEscalation") is False, c["name"] + " may escalate"
    assert sc["capabilities"]["drop"] == ["ALL"], c["name"] + " keeps capabilities"
    assert sc["capabilities"]["add"] == want[c["name"]], c["name"] + " adds " + str(sc["capabilities"]["add"])
init = spec["initContainers"][0]
assert init["command"] == ["modprobe", "ashmem_linux"], "modprobe"
nodes = [c for c in spec["containers"] if c["name"] == "device-nodes"][0]
assert nodes["command"][:2] == ["/bin/sh", "-c"]
print(nodes["command"][2])
PY
echo "kubernetes: ok: one DaemonSet; capabilities SYS_MODULE (init) and MKNOD (nodes) only"

run_script() {
	ASHMEM_SYS=$WORK/sys ASHMEM_DEV=$WORK/dev ASHMEM_BOOT_ID=$WORK/boot_id ASHMEM_ONCE=1 \
		busybox sh "$WORK/script.sh" >"$WORK/out" 2>&1 || { cat "$WORK/out"; return 1; }
}

# check_nodes MAJOR MINOR: both names are character devices of that number
check_nodes() {
	local name got
	for name in ashmem "ashmem$(cat "$WORK/boot_id")"; do
		got=$(stat -c '%F %t:%T %a' "$WORK/dev/$name" 2>/dev/null || echo missing)
		[ "$got" = "character special file $(printf '%x:%x' "$1" "$2") 666" ] ||
			fail "$name is '$got', not a 0666 character device $1:$2"
	done
}

mkdir -p "$WORK/sys" "$WORK/dev"
echo 6f1c2a4e-1234-4cde-9abc-0123456789ab >"$WORK/boot_id"
echo 10:123 >"$WORK/sys/dev"
if run_script; then
	check_nodes 10 123
	# a new module load may get another minor: the nodes follow it
	echo 10:57 >"$WORK/sys/dev"
	run_script && check_nodes 10 57
	[ -z "$(find "$WORK/dev" -name '.*')" ] || fail "temporary nodes left behind"
else
	fail "the node script failed"
fi
[ $failed -eq 0 ] && echo "kubernetes: ok: the node script makes and replaces both names"
exit $failed
