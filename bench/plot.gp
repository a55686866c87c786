# SPDX-License-Identifier: Apache-2.0
#
# The plots of `make bench`: gnuplot -e "out='build/bench'" bench/plot.gp
# reads out/throughput.dat and out/ratios.dat (bench/run.sh writes them: a
# header line of series names, then one line per payload size in bytes).
set terminal pngcairo size 1100,560 noenhanced font ",10"
set datafile missing "NaN"
set logscale x 2
set format x "%.0b%BB"
set xlabel "payload per message"
set grid
set key outside right autotitle columnhead
set style data linespoints

set output out . "/throughput.png"
set title "Two processes, producer builds, consumer reads every byte (memcpy: one process)"
set ylabel "GB/s"
set logscale y
stats out . "/throughput.dat" skip 1 nooutput
plot for [i = 2:STATS_columns] out . "/throughput.dat" using 1:i

unset logscale y
set output out . "/ratios.png"
set title "Ratios within one run (goals: channel_vs_socket >= 1.5 at 4 KiB, >= 3 at 1 and 16 MiB)"
set ylabel "ratio"
stats out . "/ratios.dat" skip 1 nooutput
plot for [i = 2:STATS_columns] out . "/ratios.dat" using 1:i, \
     1 title "1" lc rgb "gray" dt 2 with lines
