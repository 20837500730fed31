#!/bin/bash
# XREADGROUP of new entries as a consumer group's PEL grows, against redis-server, interleaved: each
# server gets 300,000 XADDs (-P 16), a group, then 25,000 `XREADGROUP ... COUNT 10 STREAMS s >` at
# -P 16 (the PEL reaches 250,000); prints the rate and the server's CPU µs per read (/proc/<pid>/stat).
# bench/RESULTS.md, "Issue 19, sixteenth session".
# Usage: bench/micro/xreadgroup.sh REPEATS redis <checkout with dist/>...
#   e.g. bench/micro/xreadgroup.sh 3 redis /tmp/old /work/main
set -f
. "$(dirname "$0")/probe-servers.sh"

measure() {
  redis-benchmark -p $port -n 300000 -c 50 -P 16 -r 100000 -q XADD bench:s '*' field value__rand_int__ >/dev/null 2>&1
  redis-cli -p $port XGROUP CREATE bench:s g 0 >/dev/null
  c0=$(probe_cpu_ticks)
  out=$(timeout 300 redis-benchmark -p $port -n 25000 -c 50 -P 16 -q XREADGROUP GROUP g c COUNT 10 STREAMS bench:s '>' 2>/dev/null |
    tr '\r' '\n' | grep "requests per second" | tail -1)
  c1=$(probe_cpu_ticks)
  rps=$(echo "$out" | grep -oE '[0-9.]+ requests' | cut -d' ' -f1)
  echo "$1  reads/s $rps  server CPU µs/read $(echo "scale=1; ($c1 - $c0) * 10000 / 25000" | bc)"
}

probe_each "$1" measure "${@:2}"
