#!/usr/bin/env bash
# Draws the scenario charts from DIR/data/*.dat (written by bench_scenarios)
# into DIR/<scenario>.png and .svg: for each scenario, one panel per figure
# (wall time, failed or degraded jobs, provider calls, CPU seconds, peak
# RSS) with a bar for the original processor, the enhanced one and the peer.
# usage: bench/plot.sh [DIR]   (default bench/results; needs gnuplot)
set -euo pipefail
DIR=${1:-bench/results}
DATA=$DIR/data

# rows of DATA/NAME.dat: who wall_s degraded_or_failed_jobs calls cpu_s rss_mb
panels() { # name title
    local name=$1 title=$2 f=$DATA/$1.dat
    [ -s "$f" ] || return 0
    for term in png svg; do
        if [ "$term" = png ]; then
            setterm="set terminal pngcairo size 1500,420 font 'DejaVu Sans,10'"
        else
            setterm="set terminal svg size 1500,420 font 'DejaVu Sans,10' dynamic"
        fi
        gnuplot <<GP
$setterm
set output '$DIR/$name.$term'
set multiplot layout 1,5 title '$title' font ',13'
set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set xtics rotate by -25 font ',9' nomirror
set key off
set format y '%g'
set offsets 0.3, 0.3, graph 0.12, 0
set linetype 1 lc rgb '#9e9e9e'
set linetype 2 lc rgb '#1f77b4'
set linetype 3 lc rgb '#ff7f0e'
set linetype 4 lc rgb '#2ca02c'
do for [c in "2 3 4 5 6"] {
    col = int(c)
    t = col == 2 ? 'wall time (s)' : col == 3 ? 'failed or degraded jobs' : col == 4 ? 'provider calls' : col == 5 ? 'CPU seconds' : 'peak RSS (MB)'
    set title t
    plot '$f' using 0:col:(\$0+1):xtic(1) with boxes lc variable, \
         '' using 0:col:(sprintf(col == 2 || col == 5 ? '%.2f' : '%.0f', column(col))) with labels offset 0,0.6 font ',9'
}
unset multiplot
GP
    done
}

panels 1-latency "1 latency: single jobs (lognormal provider latency)"
panels 2-faults "2 faults: 20% server errors, 5% timeouts"
panels 3-outage-all "3 outage: provider down for the middle third"
panels 4-ratelimit-all "4 rate limit: fake-llm --rpm/--tpm (stopped at the end of the window)"
panels 5-cache "5 cache: 20 resumes x 50 job descriptions, Zipf(1.0)"
panels 6-batching "6 batching: many short sections"

# scenario-specific figures
two() { # name title col1-title col2-title
    local name=$1 f=$DATA/$1.dat
    [ -s "$f" ] || return 0
    for term in png svg; do
        if [ "$term" = png ]; then
            setterm="set terminal pngcairo size 900,420 font 'DejaVu Sans,10'"
        else
            setterm="set terminal svg size 900,420 font 'DejaVu Sans,10' dynamic"
        fi
        gnuplot <<GP
$setterm
set output '$DIR/$name-figures.$term'
set multiplot layout 1,$5 title '$2' font ',13'
set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics
set yrange [0:*]
set key off
set offsets 0.3, 0.3, graph 0.12, 0
set linetype 1 lc rgb '#9e9e9e'
set linetype 2 lc rgb '#1f77b4'
set linetype 3 lc rgb '#ff7f0e'
set title '$3'
plot '$f' using 0:2:(\$0+1):xtic(1) with boxes lc variable, '' using 0:2:(sprintf('%.3g', \$2)) with labels offset 0,0.6
if ($5 > 1) {
    set title '$4'
    plot '$f' using 0:3:(\$0+1):xtic(1) with boxes lc variable, '' using 0:3:(sprintf('%.3g', \$3)) with labels offset 0,0.6
}
unset multiplot
GP
    done
}
two 3-outage "3 outage: calls sent to the dead provider during the outage" "calls during the outage" "" 1
two 4-ratelimit "4 rate limit" "achieved requests/min / limit" "429s / calls" 2
echo "charts in $DIR/*.png and $DIR/*.svg"
