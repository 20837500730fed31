#!/usr/bin/env bash
# Runs Redis's own Tcl test suite (./runtest from a Redis git checkout) against tsdis.
#
# Usage:
#   scripts/redis-tests.sh [runtest arguments...]
#   scripts/redis-tests.sh --single unit/type/list --tags -slow --clients 1
#   scripts/redis-tests.sh --host 127.0.0.1 --port 7000 --single unit/type/incr   # a running tsdis, started with --enable-debug-command yes
#   scripts/redis-tests.sh --single unit/cluster/cluster-response-tls --clients 1 --tls   # TLS: makes tests/tls
#                    with the tag's utils/gen-test-certs.sh (needs openssl and Debian's tcl-tls)
#   scripts/redis-tests.sh --sentinel [--single 00-base ...]   # tests/sentinel (./runtest-sentinel):
#                    the system's redis-sentinel (Debian's package) monitoring tsdis instances
#   scripts/redis-tests.sh --cluster [--single 00-base ...]    # tests/cluster (./runtest-cluster):
#                    20 tsdis instances with cluster-enabled yes
#
# Ports of the two multi-instance modes: tests/instances.tcl fixes them (Redis servers from
# 30000, Sentinels from 20000, each with its port + 10000 free too: bus ports 40000-41023)
# and has no --baseport. Its free-port check binds 127.0.0.1, so a second run would skip
# ports the first one holds, but a unit that kills an instance and restarts it on the same
# port can lose that port to the other run: two --cluster runs, or a --cluster and a
# --sentinel run (both put their Redis servers at 30000-31023), cannot share the machine.
# ./runtest runs (random --baseport below) stay below 30000 with their servers, but their
# bus ports (+10000) can fall in 30000-31023 too.
#
# Environment:
#   REDIS_SRC        a Redis git directory (default /work/.mirror/redis+redis/repo if present,
#                    else a shallow clone of the tag under ~/.cache/tsdis)
#   REDIS_TAG        the tag whose tests to run (default 7.2.4)
#   REDIS_TESTS_DIR  where to extract them (default: a new temp dir, removed afterwards)
#   REDIS_TESTS_KEEP=1  keep the temp dir (server logs are under tests/tmp/, see --dont-clean)
#   TSDIS_CLI        the server to start (default: this checkout's dist/cli.js)
#   REDIS_TESTS_SERVER=/usr/bin/redis-server  run the same tests against that binary instead
#                    (a control run: what fails there is not tsdis's doing)
#
# It extracts `git archive $REDIS_TAG tests runtest` (read only; nothing of Redis is
# copied into this repository), makes src/redis-server a shell script that execs
# tsdis's dist/cli.js with node (same PID, all arguments: the harness passes a config
# file path), links src/redis-cli, redis-benchmark, redis-check-aof and redis-check-rdb
# to the system's binaries, and runs ./runtest with the given arguments. Its exit code
# is runtest's.
#
# Features tsdis lacks (replication, cluster, modules) are for the caller to
# skip with --tags (-needs:repl ...) or to leave out (--skipunit); see README, Tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cli="${TSDIS_CLI:-$here/dist/cli.js}"
src="${REDIS_SRC:-/work/.mirror/redis+redis/repo}"
tag="${REDIS_TAG:-7.2.4}"

if [[ ! -f "$cli" ]]; then
  echo "redis-tests: $cli is missing: run npm run build first" >&2
  exit 2
fi
command -v tclsh8.6 >/dev/null 2>&1 || command -v tclsh >/dev/null 2>&1 || {
  echo "redis-tests: tclsh (8.5 or newer) is needed: apt-get install tcl" >&2
  exit 2
}
if [[ -z "${REDIS_SRC:-}" && ! -d "$src" ]]; then
  # a fresh machine: a shallow clone of the tag, kept for the next runs
  src="${XDG_CACHE_HOME:-$HOME/.cache}/tsdis/redis-$tag"
  if [[ ! -d "$src" ]]; then
    echo "redis-tests: cloning Redis $tag into $src" >&2
    git clone --quiet --bare --depth 1 --branch "$tag" https://github.com/redis/redis.git "$src"
  fi
fi
git -C "$src" rev-parse --verify --quiet "$tag^{commit}" >/dev/null || {
  echo "redis-tests: no tag $tag in $src (set REDIS_SRC / REDIS_TAG)" >&2
  exit 2
}

if [[ -n "${REDIS_TESTS_DIR:-}" ]]; then
  dir="$REDIS_TESTS_DIR"
  mkdir -p "$dir"
else
  dir="$(mktemp -d "${TMPDIR:-/tmp}/redis-tests.XXXXXX")"
  if [[ "${REDIS_TESTS_KEEP:-}" != 1 ]]; then
    trap 'rm -rf "$dir"' EXIT
  fi
fi
echo "redis-tests: Redis $tag tests in $dir, server: ${REDIS_TESTS_SERVER:-node $cli}" >&2

runner=./runtest
if [[ "${1:-}" == --sentinel ]]; then
  shift
  runner=./runtest-sentinel
elif [[ "${1:-}" == --cluster ]]; then
  shift
  runner=./runtest-cluster
fi
git -C "$src" archive "$tag" tests runtest runtest-sentinel runtest-cluster | tar -x -C "$dir"
mkdir -p "$dir/src" "$dir/tests/tmp" "$dir/tests/cluster/tmp" "$dir/tests/sentinel/tmp"

tls_run=0
[[ " $* " == *" --tls "* ]] && tls_run=1
# --tls: the harness reads its certificates from tests/tls, which Redis's
# utils/gen-test-certs.sh of the same tag makes (openssl; the DH parameters take a while),
# and talks TLS through Tcl's tls package (Debian's tcl-tls).
if [[ "$tls_run" == 1 && ! -d "$dir/tests/tls" ]]; then
  command -v openssl >/dev/null 2>&1 || { echo "redis-tests: --tls needs openssl" >&2; exit 2; }
  tclsh_bin="$(command -v tclsh8.6 || command -v tclsh)"
  echo 'package require tls' | "$tclsh_bin" >/dev/null 2>&1 || {
    echo "redis-tests: --tls needs Tcl's tls package: apt-get install tcl-tls" >&2
    exit 2
  }
  git -C "$src" show "$tag:utils/gen-test-certs.sh" >"$dir/gen-test-certs.sh"
  (cd "$dir" && bash gen-test-certs.sh >/dev/null 2>&1) || { echo "redis-tests: gen-test-certs.sh failed" >&2; exit 2; }
fi

# The harness signals the PID it started and waits for " PID: <pid>" then "Server
# initialized" in the server's stdout (tsdis prints both: its banner under
# always-show-logo yes, which tests/assets/default.conf sets), so the wrapper execs
# node in place: same PID, same stdout.
node_bin="$(command -v node)"
if [[ -n "${REDIS_TESTS_SERVER:-}" ]]; then
  ln -sf "$REDIS_TESTS_SERVER" "$dir/src/redis-server"
else
  cat >"$dir/src/redis-server" <<EOF
#!/usr/bin/env bash
# Generated by tsdis scripts/redis-tests.sh: Redis's test harness starts this as its server.
# (-a: node's argv[0] is this script's path, the process title's {title} as Redis's is its binary)
exec -a "\$0" "$node_bin" "$cli" "\$@"
EOF
  chmod +x "$dir/src/redis-server"
fi

# redis-cli: the tag's own, built once from its source and kept under ~/.cache/tsdis,
# when the system's is of an older minor version (Debian ships 7.0.15) and make and cc
# exist: units test the redis-cli of their release (unit/cluster/cli needs 7.2's reuse of
# the previous host on a "MOVED <slot> :<port>", integration/redis-cli 7.2's hints).
# REDIS_TESTS_CLI=system keeps the system's; REDIS_TESTS_CLI=/path/to/redis-cli picks one.
tag_cli() {
  local want="${REDIS_TESTS_CLI:-}" sys ver out tmp
  if [[ "$want" == system ]]; then return 1; fi
  if [[ -n "$want" ]]; then echo "$want"; return 0; fi
  # (a --tls run keeps the system's: the tag's is built without TLS)
  if [[ "$tls_run" == 1 ]]; then return 1; fi
  sys="$(command -v redis-cli || true)"
  ver="$( [[ -n "$sys" ]] && "$sys" --version 2>/dev/null | sed -n 's/^redis-cli \([0-9]*\.[0-9]*\).*/\1/p' || true)"
  [[ "$tag" =~ ^([0-9]+\.[0-9]+) ]] || return 1
  [[ "$ver" == "${BASH_REMATCH[1]}" ]] && return 1
  out="${XDG_CACHE_HOME:-$HOME/.cache}/tsdis/redis-cli-$tag"
  if [[ ! -x "$out" ]]; then
    command -v make >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 || return 1
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/redis-cli-build.XXXXXX")"
    echo "redis-tests: building redis-cli $tag (system's is ${ver:-missing}) into $out" >&2
    if git -C "$src" archive "$tag" src deps utils Makefile | tar -x -C "$tmp" &&
      make -C "$tmp/src" MALLOC=libc BUILD_TLS=no redis-cli -j2 >"$tmp/build.log" 2>&1; then
      mkdir -p "$(dirname "$out")"
      cp "$tmp/src/redis-cli" "$out.$$" && mv -f "$out.$$" "$out"
      rm -rf "$tmp"
    else
      echo "redis-tests: building redis-cli $tag failed (log in $tmp/build.log); using the system's" >&2
      return 1
    fi
  fi
  echo "$out"
}
cli_tool="$(tag_cli || true)"
[[ -n "$cli_tool" ]] && echo "redis-tests: redis-cli is $cli_tool" >&2

for tool in redis-cli redis-benchmark redis-check-aof redis-check-rdb redis-sentinel; do
  bin="$(command -v "$tool" || true)"
  [[ "$tool" == redis-cli && -n "$cli_tool" ]] && bin="$cli_tool"
  if [[ -z "$bin" ]]; then
    echo "redis-tests: $tool not found (apt-get install redis-tools redis-sentinel); tests using it will fail" >&2
    continue
  fi
  ln -sf "$bin" "$dir/src/$tool"
done

# Several runs at once (helpers, CI) would all put their test server at 21079 and their
# servers from 21111 (the harness's check of a free port binds the wildcard address, which
# succeeds beside another run's 127.0.0.1 listener): unless the caller picks --baseport, each
# run starts at a random one, kept with its bus port (+10000) below Linux's ephemeral range.
base=()
[[ "$runner" == ./runtest && " $* " != *" --baseport "* ]] && base=(--baseport $((10000 + (RANDOM % 36) * 300)))

cd "$dir"
set +e
"$runner" "${base[@]}" "$@"
rc=$?
set -e
exit $rc
