# Sourced by the bash probes in bench/micro (xreadgroup.sh, xack.sh): servers on ports from 20000-29999,
# below Linux's ephemeral range (a busy port there can make redis-benchmark connect to itself).
probe_port=$((20000 + RANDOM % 10000))

# probe_start TARGET: "redis" or a checkout with dist/; sets $port and $sp (the server's pid) once it answers.
probe_start() {
  probe_port=$((probe_port + 1))
  port=$probe_port
  if [ "$1" = redis ]; then
    redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
  else
    node "$1/dist/cli.js" --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
  fi
  sp=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

# probe_cpu_ticks: the server's user + system CPU so far, in /proc's 10 ms ticks.
probe_cpu_ticks() {
  awk '{print $14+$15}' "/proc/$sp/stat"
}

probe_stop() {
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
  wait "$sp" 2>/dev/null
}

# probe_each REPEATS FN TARGET...: for each repeat, each target in turn: its server started, FN TARGET run, stopped.
probe_each() {
  local repeats=$1 fn=$2
  shift 2
  for _ in $(seq "$repeats"); do
    for b in "$@"; do
      probe_start "$b"
      "$fn" "$b"
      probe_stop
    done
  done
}
