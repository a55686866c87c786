# SPDX-License-Identifier: Apache-2.0
#
# pin_latency_under_purge: gnuplot -e "out='build/bench'" bench/plot-pinlatency.gp
# reads out/pinlatency.dat (bench/run.sh: a latency x in ns, then for idle
# and purge the share of pairs that took longer than x).
set terminal pngcairo size 900,520 noenhanced font ",10"
set output out . "/pinlatency.png"
set datafile missing "NaN"
set title "UNPIN+PIN pair latency, idle and while another process's 256 MiB area is purged (guest, TCG, 1 vCPU)"
set logscale x 10
set logscale y 10
set format x "%.0s%cs"
set xlabel "latency x"
set ylabel "share of pairs slower than x"
set grid
set key top right autotitle columnhead
plot for [i = 2:3] out . "/pinlatency.dat" using ($1 / 1e9):i with linespoints lw 2
