#!/bin/bash
# CPU samples (perf, cpu-clock at 2 kHz) of each build's server during one redis-benchmark run
# of TEST at -P 16 over 100,000 keys (or members), interleaved across builds and repeated: prints the total
# and the samples of the top JS function (for GET, the handler with its inlined lookup). No
# hardware counters on this VM, and requests/s swing with the neighbours; sample counts of one
# function over a fixed number of requests were the steadier figure (bench/RESULTS.md).
# Usage: bench/micro/perf-samples.sh TEST REPEATS <checkout with dist/>...
#   e.g. bench/micro/perf-samples.sh get 3 /tmp/old /work/main
# TEST with a space is a command for redis-benchmark to send instead of a -t test, run
# 300,000 times before the measured run (no glob expansion):
#   bench/micro/perf-samples.sh 'XADD s * field value__rand_int__' 4 /tmp/old /work/main
set -u
set -f
T=$1; R=$2; shift 2
if [[ "$T" == *" "* ]]; then
  setup=(-n 300000 $T)
  measured=(-n 600000 $T)
else
  setup=(-t "set,$T" -n 300000)
  measured=(-t "$T" -n 600000)
fi
# (below 32768, where Linux picks the ephemeral ports of outgoing connections)
port=$((20000 + RANDOM % 10000))
for r in $(seq "$R"); do
  for b in "$@"; do
    port=$((port + 1))
    node --perf-basic-prof --max-old-space-size=4096 "$b/dist/cli.js" --port $port --save '' --appendonly no >/dev/null 2>&1 &
    sp=$!
    for i in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.2; done
    if ! redis-cli -p $port ping >/dev/null 2>&1; then
      echo "$b: the server did not answer on port $port; this round is skipped"
      kill $sp 2>/dev/null
      continue
    fi
    redis-benchmark -p $port -c 50 -P 16 -r 100000 -q "${setup[@]}" >/dev/null
    data=$(mktemp /tmp/perf-samples.XXXXXX)
    perf record -q -e cpu-clock -F 2000 -o "$data" -p $sp -- redis-benchmark -p $port -c 50 -P 16 -r 100000 -q "${measured[@]}" >/dev/null 2>&1
    redis-cli -p $port shutdown nosave >/dev/null 2>&1
    wait $sp
    top=$(perf report -i "$data" --no-children --sort symbol --stdio -n -g none 2>/dev/null | grep -m1 'JS:\*')
    # the event count is in ns of cpu-clock: 500,000 per sample at 2 kHz
    total=$(perf report -i "$data" --no-children --sort symbol --stdio -n -g none 2>/dev/null | awk '/Event count/ {print int($NF / 500000)}')
    echo "$b  samples $total  top JS: $(echo "$top" | awk '{print $2, $4, $5}')"
    rm -f "$data" /tmp/perf-$sp.map
  done
done
