#!/usr/bin/env bash
# A rate-limited token server and `wktui refresh --all` of 500 profiles,
# server answering in 100 ms: how many profiles fail, what share of the
# requests the server refused (429), and the wall time against the ideal
# (500 / the limit). Also, with no limit, concurrent against one at a time.
#
#   bash benches/rate_limits.sh              # every row, about 4 minutes
#   bash benches/rate_limits.sh ten_ra open  # only the rows named
#
# The server is the test support crate's (tests/support, token-server), whose limit is a
# bucket of N requests refilled at N a second over all clients.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs curl
cargo build --release -q
WKTUI=$PWD/target/release/wktui
private_home
export SECRET='wk_secret:bench:0123456789'

start_server() {  # name, extra TOML: the base URL lands in $WORK/srv_name.out
  printf 'latency_ms = 100\n%s\n\n[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$2" "$SECRET" > "$WORK/$1.toml"
  start "srv_$1" "$(token_server)" "$WORK/$1.toml"
}

fleet() {  # name, base URL, concurrency -> $WORK/name.config.toml with 500 profiles
  {
    printf '[settings]\nconcurrency = %s\n' "$3"
    for i in $(seq -w 1 500); do
      printf '\n[[profile]]\nname = "p%s"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "SECRET"\n' "$i" "$2"
    done
  } > "$WORK/$1.config.toml"
}

printf '| server limit | Retry-After | failed | requests | of them 429 | wall | ideal | ratio |\n|---|---|---|---|---|---|---|---|\n'
wanted=" ${*:-ten_ra ten_none hundred_ra open open_seq} "
scenario() {  # name, limit (0: none), retry_after (empty: none), concurrency
  [[ $wanted == *" $1 "* ]] || return 0
  local extra=""
  if [ "$2" != 0 ]; then
    extra=$(printf '\n[rate_limit]\nper_second = %s\n' "$2")
    [ -n "$3" ] && extra="$extra"$'\n'"retry_after = $3"
  fi
  start_server "$1" "$extra"
  local url; url=$(head -1 "$WORK/srv_$1.out")
  fleet "$1" "$url" "$4"
  rm -rf "$XDG_RUNTIME_DIR/wktui"
  local started ended failed
  started=$(date +%s.%N)
  WKTUI_CONFIG=$WORK/$1.config.toml "$WKTUI" refresh --all > "$WORK/$1.out" 2> "$WORK/$1.err" || true
  ended=$(date +%s.%N)
  failed=$(grep -c '^wktui: error: p' "$WORK/$1.err" || true)
  local stats requests limited
  stats=$(curl -s "$url/__stats")
  requests=$(echo "$stats" | sed 's/.*"token_requests":\([0-9]*\).*/\1/')
  limited=$(echo "$stats" | sed 's/.*"rate_limited":\([0-9]*\).*/\1/')
  awk -v name="$2" -v ra="${3:-none}" -v f="$failed" -v r="$requests" -v l="$limited" \
      -v s="$started" -v e="$ended" -v lim="$2" -v c="$4" 'BEGIN {
    wall = e - s
    if (lim > 0) { ideal = 500 / lim; ratio = sprintf("%.2fx", wall / ideal); idealtxt = sprintf("%.0f s", ideal) }
    else { ideal = 0; ratio = "-"; idealtxt = "-" }
    label = (lim > 0) ? lim "/s" : "none (concurrency " c ")"
    printf "| %s | %s | %d | %d | %d (%.1f%%) | %.2f s | %s | %s |\n", label, (lim > 0 ? ra : "-"), f, r, l, 100 * l / r, wall, idealtxt, ratio
  }'
}
scenario ten_ra 10 1 32
scenario ten_none 10 "" 32
scenario hundred_ra 100 1 32
scenario open 0 "" 32
scenario open_seq 0 "" 1
