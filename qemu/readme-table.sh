#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rewrite the table of tested kernels in README.md from the last run of
# each lane: build/qemu/<lane>/output.txt, which qemu/lanes.sh writes.  The
# table sits between the marker lines
#     <!-- lanes table: begin (qemu/readme-table.sh) -->
#     <!-- lanes table: end -->
# and nothing else of the file changes.  A lane with no output of its own
# is left out: the table shows only what was run.
set -euo pipefail

usage() {
	cat <<USAGE
usage: $0 [README]

README  the file to rewrite (default: README.md at the top of the tree)

settings (environment):
  RUNS   where the lanes' output is (default: build/qemu)
  ORDER  the lanes in table order (default: debian debug rt 6.12 newest arm64
         arm64-16k, then any other lane found)
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-$ROOT/build/qemu}
ORDER=${ORDER:-debian debug rt 6.12 newest arm64 arm64-16k}
BEGIN='<!-- lanes table: begin (qemu/readme-table.sh) -->'
END='<!-- lanes table: end -->'

die() {
	echo "readme-table: $*" >&2
	exit 1
}

# row LANE FILE: one table row from a lane's output.
row() {
	local lane=$1 out=$2 kernel machine page verdict when
	kernel=$(sed -n 's/^ashmem-guest: kernel \([^,]*\),.*/\1/p' "$out" | head -n 1)
	machine=$(sed -n 's/^ashmem-guest: machine \(.*\)/\1/p' "$out" | head -n 1)
	# runs from before /init printed the machine: Debian's flavour says it
	if [ -z "$machine" ]; then
		case "$kernel" in
		*-amd64) machine=x86_64 ;;
		*-arm64 | *-arm64-16k) machine=aarch64 ;;
		esac
	fi
	# runs from before /init printed it: 4 KiB, the only size run then
	page=$(sed -n 's/^ashmem-guest: page size \([0-9]*\) KiB/\1 KiB/p' "$out" | head -n 1)
	verdict=$(tail -n 1 "$out")
	echo "$verdict" | grep -Eq '^[0-9]+ passed, [0-9]+ failed' || verdict="no verdict (run broken)"
	when=$(date -u -r "$out" +%Y-%m-%d)
	printf '| %s | %s | %s | %s | %s | %s |\n' "$lane" "${kernel:-not booted}" \
		"${machine:-?}" "${page:-4 KiB}" "$verdict" "$when"
}

table() {
	local lane d seen=" "
	echo "| lane | kernel | architecture | page size | last run | date |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for lane in $ORDER; do
		[ -f "$RUNS/$lane/output.txt" ] || continue
		row "$lane" "$RUNS/$lane/output.txt"
		seen+="$lane "
	done
	for d in "$RUNS"/*/; do
		lane=$(basename "$d")
		[ -f "$d/output.txt" ] || continue
		case "$seen" in *" $lane "*) continue ;; esac
		row "$lane" "$d/output.txt"
	done
}

main() {
	[ "${1:-}" != -h ] || { usage; exit 0; }
	local readme=${1:-$ROOT/README.md} rows tmp
	[ -f "$readme" ] || die "no $readme"
	grep -qxF "$BEGIN" "$readme" && grep -qxF "$END" "$readme" ||
		die "$readme has no lines '$BEGIN' and '$END'"
	rows=$(table)
	[ "$(echo "$rows" | wc -l)" -gt 2 ] || die "no lane output in $RUNS (run qemu/lanes.sh first)"
	tmp=$(mktemp "$readme.XXXXXX")
	awk -v begin="$BEGIN" -v end="$END" -v rows="$rows" '
		$0 == begin { print; print rows; skip = 1; next }
		$0 == end { skip = 0 }
		!skip { print }' "$readme" >"$tmp"
	chmod --reference="$readme" "$tmp"
	mv "$tmp" "$readme"
	echo "readme-table: $(($(echo "$rows" | wc -l) - 2)) lanes in $readme"
}

main "$@"
