#!/usr/bin/env bash
# A rate-limited token server and `wktui refresh --all` of 500 profiles,
# server answering in 100 ms: how many profiles fail, what share of the
# requests the server refused (429), and the wall time against the ideal
# (profiles / the limit). Also, with no limit, concurrent against one at a
# time, and 200 profiles refreshed twice (`ten_twice`): the second run starts
# at the pace the host allowed the first (remembered in the cache dir).
#
#   bash benches/rate_limits.sh              # every row, about 5 minutes
#   bash benches/rate_limits.sh ten_ra open  # only the rows named
#   WKTUI_BENCH_BIN=PATH bash benches/rate_limits.sh ten_twice   # another build
#
# The server is the test support crate's (tests/support, token-server), whose limit is a
# bucket of N requests refilled at N a second over all clients.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs curl
if [ -n "${WKTUI_BENCH_BIN:-}" ]; then
  WKTUI=$WKTUI_BENCH_BIN
else
  cargo build --release -q
  WKTUI=$PWD/target/release/wktui
fi
private_home
export SECRET='wk_secret:bench:0123456789'

start_server() {  # name, extra TOML: the base URL lands in $WORK/srv_name.out
  printf 'latency_ms = 100\n%s\n\n[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$2" "$SECRET" > "$WORK/$1.toml"
  start "srv_$1" "$(token_server)" "$WORK/$1.toml"
}

fleet() {  # name, base URL, concurrency, profiles -> $WORK/name.config.toml
  {
    printf '[settings]\nconcurrency = %s\n' "$3"
    for i in $(seq -w 1 "$4"); do
      printf '\n[[profile]]\nname = "p%s"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "SECRET"\n' "$i" "$2"
    done
  } > "$WORK/$1.config.toml"
}

printf '| server limit | Retry-After | profiles | run | failed | requests | of them 429 | wall | ideal | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n'
wanted=" ${*:-ten_ra ten_none hundred_ra open open_seq ten_twice} "
# name, limit (0: none), retry_after (empty: none), concurrency, profiles, runs
scenario() {
  [[ $wanted == *" $1 "* ]] || return 0
  local profiles=${5:-500} runs=${6:-1}
  local extra=""
  if [ "$2" != 0 ]; then
    extra=$(printf '\n[rate_limit]\nper_second = %s\n' "$2")
    [ -n "$3" ] && extra="$extra"$'\n'"retry_after = $3"
  fi
  start_server "$1" "$extra"
  local url; url=$(head -1 "$WORK/srv_$1.out")
  fleet "$1" "$url" "$4" "$profiles"
  # The pace a host allowed is remembered in the cache dir: a first run starts without.
  rm -rf "$XDG_RUNTIME_DIR/wktui"
  local run started ended failed stats requests limited counted=0 refused=0
  for run in $(seq 1 "$runs"); do
    # The server's bucket fills again between runs.
    [ "$run" -gt 1 ] && sleep 2
    started=$(date +%s.%N)
    WKTUI_CONFIG=$WORK/$1.config.toml "$WKTUI" refresh --all > "$WORK/$1.out" 2> "$WORK/$1.err" || true
    ended=$(date +%s.%N)
    failed=$(grep -c '^wktui: error: p' "$WORK/$1.err" || true)
    stats=$(curl -s "$url/__stats")
    requests=$(( $(echo "$stats" | sed 's/.*"token_requests":\([0-9]*\).*/\1/') - counted ))
    limited=$(( $(echo "$stats" | sed 's/.*"rate_limited":\([0-9]*\).*/\1/') - refused ))
    counted=$((counted + requests)) refused=$((refused + limited))
    awk -v ra="${3:-none}" -v f="$failed" -v r="$requests" -v l="$limited" -v n="$profiles" -v run="$run" \
        -v s="$started" -v e="$ended" -v lim="$2" -v c="$4" 'BEGIN {
      wall = e - s
      if (lim > 0) { ideal = n / lim; ratio = sprintf("%.2fx", wall / ideal); idealtxt = sprintf("%.0f s", ideal) }
      else { ideal = 0; ratio = "-"; idealtxt = "-" }
      label = (lim > 0) ? lim "/s" : "none (concurrency " c ")"
      printf "| %s | %s | %d | %d | %d | %d | %d (%.1f%%) | %.2f s | %s | %s |\n", label, (lim > 0 ? ra : "-"), n, run, f, r, l, 100 * l / r, wall, idealtxt, ratio
    }'
  done
}
scenario ten_ra 10 1 32
scenario ten_none 10 "" 32
scenario hundred_ra 100 1 32
scenario open 0 "" 32
scenario open_seq 0 "" 1
scenario ten_twice 10 1 32 200 2
