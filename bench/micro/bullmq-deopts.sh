#!/bin/bash
# A fresh server of each build under --trace-opt --trace-deopt, then rounds of BullMQ jobs
# (bullmq-rounds.mjs): the server's CPU per job per round, and the deoptimizations ("wrong map":
# an object whose hidden class the optimized code did not expect), TurboFan compiles and their
# compile time over the run. Needs `npm run build` in each checkout.
# Usage: bench/micro/bullmq-deopts.sh JOBS ROUNDS REPEATS <checkout with dist/>...
set -u
J=$1; R=$2; N=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
# (below 32768, where Linux picks the ephemeral ports of outgoing connections)
port=$((20000 + RANDOM % 10000))
for n in $(seq "$N"); do
  for b in "$@"; do
    port=$((port + 1))
    log=$(mktemp /tmp/bullmq-deopts.XXXXXX)
    node --trace-opt --trace-deopt "$b/dist/cli.js" --port $port --bind 127.0.0.1 --save '' --appendonly no >"$log" 2>&1 &
    sp=$!
    for i in $(seq 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.2; done
    if ! redis-cli -p $port ping >/dev/null 2>&1; then
      echo "$b: the server did not answer on port $port; this round is skipped"
      kill $sp 2>/dev/null
      rm -f "$log"
      continue
    fi
    rounds=$(node "$here/bullmq-rounds.mjs" $port "$J" "$R" $sp | sed -E 's/server CPU //' | tr '\n' ';')
    redis-cli -p $port shutdown nosave >/dev/null 2>&1
    wait $sp
    ms=$(grep -oE 'completed compiling.*took [0-9.]+, [0-9.]+, [0-9.]+ ms' "$log" | grep -oE '[0-9.]+, [0-9.]+, [0-9.]+ ms$' |
      tr -d ',ms' | awk '{s += $1 + $2 + $3} END {printf "%.0f", s}')
    echo "$b: deopts $(grep -c '^\[bailout (kind' "$log"), wrong map $(grep -c 'reason: wrong map' "$log")," \
      "TurboFan compiles $(grep -c 'completed compiling' "$log") ($ms ms) | $rounds"
    rm -f "$log"
  done
done
