#!/bin/bash
# XACK in random order from a 250,000-entry PEL, against redis-server, interleaved: each server gets
# 250,000 entries with IDs 1-0..250000-0, one XREADGROUP of them all, then 100,000
# `XACK s g <random>-0` at -P 16 (IDs from 0 to 249,999; about a third ack nothing, their entry
# acked already); prints the rate, the server's CPU µs per XACK (/proc/<pid>/stat) and what is left pending.
# bench/RESULTS.md, "Issue 19, seventeenth session".
# Usage: bench/micro/xack.sh REPEATS redis <checkout with dist/>...
set -f
. "$(dirname "$0")/probe-servers.sh"

measure() {
  awk 'BEGIN { for (i = 1; i <= 250000; i++) printf "*5\r\n$4\r\nXADD\r\n$1\r\ns\r\n$%d\r\n%d-0\r\n$1\r\nf\r\n$1\r\nv\r\n", length(i) + 2, i }' |
    redis-cli -p $port --pipe >/dev/null
  redis-cli -p $port XGROUP CREATE s g 0 >/dev/null
  redis-cli -p $port XREADGROUP GROUP g c STREAMS s '>' >/dev/null
  c0=$(probe_cpu_ticks)
  out=$(timeout 300 redis-benchmark -p $port -n 100000 -c 50 -P 16 -r 250000 -q XACK s g __rand_int__-0 2>/dev/null |
    tr '\r' '\n' | grep "requests per second" | tail -1)
  c1=$(probe_cpu_ticks)
  rps=$(echo "$out" | grep -oE '[0-9.]+ requests' | cut -d' ' -f1)
  echo "$1  XACKs/s $rps  server CPU µs/XACK $(echo "scale=2; ($c1 - $c0) * 10000 / 100000" | bc)  pending left $(redis-cli -p $port XPENDING s g | head -1)"
}

probe_each "$1" measure "${@:2}"
