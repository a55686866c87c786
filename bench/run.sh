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
the throughput_<series>_<size> and <a>_vs_<b>_<size> rows, and OUT/<plot>.png
from the plot_<plot>_<series>_<x> rows with bench/plot-<plot>.gp.  A
<figure>_note row carries, as its unit, why <figure> has the value it has.

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
		for (i = 1; i <= m; i++)
			if (seen[i] ~ /_note$/)
				printf "note: %s: %s\n", substr(seen[i], 1, length(seen[i]) - 5), unit[seen[i]]
	}' "$OUT/results.csv"
}

# plot_rows PLOT: the plot_PLOT_<series>_<x> rows as a table, a line
# per x (ascending), a column per series.
plot_rows() {
	awk -v plot="$1" '
	BEGIN { FS = ","; prefix = "plot_" plot "_" }
	NR > 1 && index($1, prefix) == 1 {
		rest = substr($1, length(prefix) + 1)
		x = rest; sub(/.*_/, "", x)
		series = rest; sub(/_[^_]*$/, "", series)
		if (!(series in known)) { known[series] = 1; names[++n] = series }
		if (!(x in has)) { has[x] = 1; xs[++s] = x + 0 }
		v[series, x + 0] = $2
	}
	END {
		line = "x"
		for (i = 1; i <= n; i++) line = line " " names[i]
		print line
		for (j = 1; j <= s; j++) for (k = j + 1; k <= s; k++)
			if (xs[k] < xs[j]) { t = xs[j]; xs[j] = xs[k]; xs[k] = t }
		for (j = 1; j <= s; j++) {
			line = xs[j]
			for (i = 1; i <= n; i++)
				line = line " " (((names[i], xs[j]) in v) ? v[names[i], xs[j]] : "NaN")
			print line
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
	local plots="" name
	# (only the guest's rows, say, when a host program failed)
	if [ "$(wc -l <"$OUT/throughput.dat")" -gt 1 ]; then
		"$GNUPLOT" -e "out='$OUT'" "$HERE/plot.gp"
		plots="$OUT/throughput.png $OUT/ratios.png"
	fi
	for name in $(sed -n 's/^plot_\([A-Za-z0-9]*\)_.*/\1/p' "$OUT/results.csv" | sort -u); do
		[ -f "$HERE/plot-$name.gp" ] || continue
		plot_rows "$name" >"$OUT/$name.dat"
		"$GNUPLOT" -e "out='$OUT'" "$HERE/plot-$name.gp"
		plots+=" $OUT/$name.png"
	done
	echo "plots: $plots" >&2
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
