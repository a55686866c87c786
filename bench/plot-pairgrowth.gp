# SPDX-License-Identifier: Apache-2.0
#
# pin_unpin_growth: gnuplot -e "out='build/bench'" bench/plot-pairgrowth.gp
# reads out/pairgrowth.dat (bench/run.sh: N, then ns per UNPIN+PIN pair).
set terminal pngcairo size 900,520 noenhanced font ",10"
set output out . "/pairgrowth.png"
set datafile missing "NaN"
set title "UNPIN+PIN pair against the other unpinned ranges of the area (guest, TCG, 1 vCPU; median of rounds)"
set logscale x 10
set xlabel "N, other unpinned ranges in the area"
set ylabel "ns per pair"
set yrange [0:*]
set grid
set key top left autotitle columnhead
# the pair at N = 1: the first line after the header
stats out . "/pairgrowth.dat" every ::1::1 using 2 nooutput
plot out . "/pairgrowth.dat" using 1:2 with linespoints lw 2, \
     STATS_min * 1.2 title "goal at 10000: 1.2 x N=1" lc rgb "gray" dt 2 with lines, \
     STATS_min * 1.3 title "goal at 100000: 1.3 x N=1" lc rgb "gray" dt 3 with lines
