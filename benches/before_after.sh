#!/usr/bin/env bash
# Two builds back to back on what must not get slower: a cached `wktui token`
# (1 and 10,000 profiles) and `wktui list` of 10,000 profiles with every token
# cached, against the crate's token server on 127.0.0.1. Each build keeps its
# own cache directory (filled by itself), so neither reads the other's index.
#
#   bash benches/before_after.sh OLD_WKTUI NEW_WKTUI     # needs hyperfine
#
# The interface's first frame, the same way:
#   WKTUI_BENCH_BIN=OLD cargo bench --bench tui_timing -- --quick-only
#   WKTUI_BENCH_BIN=NEW cargo bench --bench tui_timing -- --quick-only
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs hyperfine
OLD=$(realpath "$1") NEW=$(realpath "$2")
private_home

SECRET='wk_secret:bench:0123456789'
printf '[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$SECRET" > "$WORK/srv.toml"
start srv "$(token_server)" "$WORK/srv.toml"
URL=$(head -1 "$WORK/srv.out")
export BENCH_SECRET=$SECRET
make_fleet() {  # file count
  { echo "[settings]"; echo "concurrency = 32"
    for i in $(seq 1 "$2"); do
      printf '\n[[profile]]\nname = "p%05d"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "BENCH_SECRET"\n' "$i" "$URL"
    done; } > "$1"
}
make_fleet "$WORK/one.toml" 1
make_fleet "$WORK/tenk.toml" 10000
sleep 1.1   # a config changed within the last second is not indexed yet
for b in old new; do
  bin=$OLD; [ $b = new ] && bin=$NEW
  mkdir -m 700 "$XDG_RUNTIME_DIR/$b"
  WKTUI_CACHE_DIR=$XDG_RUNTIME_DIR/$b WKTUI_CONFIG=$WORK/tenk.toml "$bin" refresh --all >/dev/null
  WKTUI_CACHE_DIR=$XDG_RUNTIME_DIR/$b WKTUI_CONFIG=$WORK/one.toml "$bin" token p00001 >/dev/null
  WKTUI_CACHE_DIR=$XDG_RUNTIME_DIR/$b WKTUI_CONFIG=$WORK/tenk.toml "$bin" list >/dev/null
done
# Each measure as old, new, old, new in one hyperfine run, so a change in the
# machine's load shows as a difference between the two runs of one build.
measure() {  # runs name config args...
  local runs=$1 name=$2 cfg=$3; shift 3
  local cmds=() b bin
  for b in old new old new; do
    bin=$OLD; [ "$b" = new ] && bin=$NEW
    cmds+=(-n "$name ($b)" "env WKTUI_CACHE_DIR=$XDG_RUNTIME_DIR/$b WKTUI_CONFIG=$WORK/$cfg $bin $*")
  done
  hyperfine -N --warmup 10 --runs "$runs" --style basic "${cmds[@]}" | grep -E 'Benchmark|Time|±' || true
}
measure 500 "token p00001, 1 profile" one.toml token p00001
measure 300 "token p00001, 10,000 profiles" tenk.toml token p00001
measure 40 "list, 10,000 profiles, every token cached" tenk.toml list
