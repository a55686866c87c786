#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs benchmark programs and reports their figures against their goals.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
GOALS=${GOALS:-$HERE/goals.txt}
GNUPLOT=${GNUPLOT:-gnuplot}

usage() {
	cat <<USAGE
usage: $0 OUT PROGRAM...

Runs each PROGRAM, which prints "name,value,unit" lines on stdout, and
writes them all to OUT/results.csv, together with any rows that something
else left in OUT/rows.d/*.csv (a guest-side benchmark, say).  Then prints
every ratio and count beside its goal from \$GOALS ($GOALS: "name op goal"
lines) and draws OUT/throughput.png and OUT/ratios.png with gnuplot from
the throughput_<series>_<size> and <a>_vs_<b>_<size> rows.

Exits non-zero if a program fails; a missed goal is reported, not fatal.
USAGE
}

# Runs the programs; only well-formed rows reach the results.
collect() {
	local program rows
	echo "name,value,unit" >"$OUT/results.csv"
	for program in "${PROGRAMS[@]}"; do
		echo "== ${program##*/}" >&2
		rows=$("$program") || { echo "run.sh: ${program##*/} failed" >&2; return 1; }
		grep -E '^[A-Za-z0-9_]+,[^,]+,[^,]+$' <<<"$rows" >>"$OUT/results.csv" || true
	done
	if compgen -G "$OUT/rows.d/*.csv" >/dev/null; then
		cat "$OUT"/rows.d/*.csv | grep -E '^[A-Za-z0-9_]+,[^,]+,[^,]+$' \
			| grep -v '^name,value,unit$' >>"$OUT/results.csv" || true
	fi
}

# The table: figures that have a goal first, then the other ratios and
# counts (throughputs are in the CSV and the plots).
report() {
	awk -v goals="$GOALS" '
	BEGIN {
		FS = ","
		while ((getline line < goals) > 0) {
			if (line ~ /^[ \t]*(#|$)/)
				continue
			split(line, f, /[ \t]+/)
			op[f[1]] = f[2]; goal[f[1]] = f[3]; order[++n] = f[1]
		}
	}
	NR > 1 { value[$1] = $2; unit[$1] = $3; seen[++m] = $1 }
	function verdict(v, o, g) {
		if (o == ">=") return v + 0 >= g + 0 ? "met" : "MISSED"
		if (o == "<=") return v + 0 <= g + 0 ? "met" : "MISSED"
		if (o == "==") return v + 0 == g + 0 ? "met" : "MISSED"
		return "?"
	}
	END {
		printf "%-32s %12s %-10s %-9s %s\n", "figure", "value", "unit", "goal", "verdict"
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (!(k in value)) {
				printf "%-32s %12s %-10s %-9s %s\n", k, "-", "", op[k] " " goal[k], "NOT MEASURED"
				continue
			}
			printf "%-32s %12.4g %-10s %-9s %s\n", k, value[k], unit[k], op[k] " " goal[k],
				verdict(value[k], op[k], goal[k])
		}
		for (i = 1; i <= m; i++) {
			k = seen[i]
			if ((k in op) || (unit[k] != "x" && unit[k] !~ /^alloc/))
				continue
			printf "%-32s %12.4g %-10s %-9s %s\n", k, value[k], unit[k], "-", ""
		}
	}' "$OUT/results.csv"
}

# One data file per plot: a row per payload size, a column per series.
tabulate() {
	local pattern=$1 file=$2
	awk -v pattern="$pattern" '
	BEGIN { FS = "," }
	NR > 1 && match($1, pattern) {
		size = $1; sub(/.*_/, "", size)
		series = $1; sub(/_[0-9]+[KMG]iB$/, "", series); sub(/^throughput_/, "", series)
		bytes = size + 0
		if (size ~ /KiB$/) bytes *= 1024
		if (size ~ /MiB$/) bytes *= 1048576
		if (size ~ /GiB$/) bytes *= 1073741824
		if (!(series in known)) { known[series] = 1; names[++n] = series }
		if (!(bytes in has)) { has[bytes] = 1; sizes[++s] = bytes }
		v[series, bytes] = $2
	}
	END {
		line = "size"
		for (i = 1; i <= n; i++) line = line " " names[i]
		print line
		for (j = 1; j <= s; j++) for (k = j + 1; k <= s; k++)
			if (sizes[k] < sizes[j]) { t = sizes[j]; sizes[j] = sizes[k]; sizes[k] = t }
		for (j = 1; j <= s; j++) {
			line = sizes[j]
			for (i = 1; i <= n; i++)
				line = line " " (((names[i], sizes[j]) in v) ? v[names[i], sizes[j]] : "NaN")
			print line
		}
	}' "$OUT/results.csv" >"$file"
}

plot() {
	if ! command -v "$GNUPLOT" >/dev/null; then
		echo "run.sh: no $GNUPLOT (apt-get install gnuplot-nox): no plots" >&2
		return 0
	fi
	tabulate '^throughput_.*_[0-9]+[KMG]iB$' "$OUT/throughput.dat"
	tabulate '_vs_.*_[0-9]+[KMG]iB$' "$OUT/ratios.dat"
	"$GNUPLOT" -e "out='$OUT'" "$HERE/plot.gp"
	echo "plots: $OUT/throughput.png $OUT/ratios.png" >&2
}

main() {
	if [ $# -lt 2 ] || [ "$1" = "-h" ]; then
		usage
		[ "${1:-}" = "-h" ] && exit 0
		exit 2
	fi
	OUT=$1
	shift
	PROGRAMS=("$@")
	mkdir -p "$OUT"
	collect
	report | tee "$OUT/table.txt"
	plot
}

main "$@"
