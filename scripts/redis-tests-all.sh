#!/usr/bin/env bash
# Runs every unit of Redis's own Tcl suite (7.2.4's all_tests list, without
# unit/cluster/*) against tsdis, one unit at a time, and writes a summary.
#
# Usage: scripts/redis-tests-all.sh OUTDIR [unit ...]
#   OUTDIR/<unit>.log   runtest's output per unit
#   OUTDIR/summary.tsv  unit, exit code, [ok] / [err] / [exception] counts, seconds
# Environment: as scripts/redis-tests.sh (REDIS_SRC, REDIS_TAG, TSDIS_CLI);
#   TAGS (default "-slow": the slow tests are left out),
#   BASEPORT (default 21111).
# Each unit runs in its own extracted copy under OUTDIR/dirs (kept, with server logs).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: $0 OUTDIR [unit ...]}"; shift
src="${REDIS_SRC:-/work/.mirror/redis+redis/repo}"
[[ -d "$src" ]] || src="${XDG_CACHE_HOME:-$HOME/.cache}/tsdis/redis-${REDIS_TAG:-7.2.4}"
tags="${TAGS:--slow}"
mkdir -p "$out"
# extra runtest options for one unit (e.g. a --skiptest); none needed today
declare -A SKIP=()
if [[ $# -gt 0 ]]; then
  units=("$@")
else
  mapfile -t units < <(git -C "$src" show "${REDIS_TAG:-7.2.4}:tests/test_helper.tcl" |
    awk '/^set ::all_tests/{f=1;next} f&&/^}/{f=0} f{print $1}' | grep -v '^unit/cluster/')
fi
for u in "${units[@]}"; do
  name="${u//\//_}"
  d="$out/dirs/$name"; rm -rf "$d"; mkdir -p "$d"
  start=$(date +%s)
  # shellcheck disable=SC2086
  REDIS_TESTS_DIR="$d" timeout -k 30 900 "$here/scripts/redis-tests.sh" --single "$u" --tags "$tags" ${SKIP[$u]:-} \
    --clients 1 --durable --dont-clean --timeout 300 --baseport "${BASEPORT:-21111}" --portcount 2000 >"$out/$name.log" 2>&1
  rc=$?
  # a server the harness left behind (a killed unit) is stopped by its working directory
  for p in /proc/[0-9]*; do
    c=$(readlink "$p/cwd" 2>/dev/null) || continue
    case "$c" in "$d"|"$d"/*) kill -9 "${p#/proc/}" 2>/dev/null && echo "killed stray ${p#/proc/}" >>"$out/$name.log";; esac
  done
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$out/$name.log")
  ok=$(grep -ac '^\[ok\]:' <<<"$plain"); err=$(grep -ac '^\[err\]:' <<<"$plain"); exc=$(grep -ac '^\[exception\]:' <<<"$plain")
  printf '%s\trc=%s\tok=%s\terr=%s\texc=%s\t%ss\n' "$u" "$rc" "$ok" "$err" "$exc" "$(($(date +%s) - start))" | tee -a "$out/summary.tsv"
done
