#!/usr/bin/env bash
# `wktui serve` under load, in one run on one machine:
#
#   bash benches/serve.sh [SECONDS]        # default 10
#
# wrk with 16 keep-alive connections POSTs the client-credentials form
# (benches/serve.lua) for SECONDS against:
#   1. `wktui serve` with a cached token (request log on, to a file);
#   2. the limit: bare hyper answering a fixed body (examples/bare_hyper.rs);
#   3. `wktui serve` for a grant whose tokens live 5 s (refresh_margin = 1),
#      to count upstream fetches while tokens expire under load.
# Reports requests/s, p99 latency, peak RSS and upstream fetches. Needs wrk
# and curl (Debian: wrk curl). Touches nothing of the user's: a private
# HOME, config and runtime dir are made for the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
SECONDS_PER_RUN=${1:-10}
needs wrk curl

cargo build --release -q --bin wktui --example bare_hyper
# WKTUI_BIN=path measures another build (an older commit's) the same way.
WKTUI=${WKTUI_BIN:-$PWD/target/release/wktui}
BARE=$PWD/target/release/examples/bare_hyper
LUA=$PWD/benches/serve.lua
private_home
export XDG_CONFIG_HOME=$WORK/config

# The upstream: the crate's token server, with a 600 s grant and a 5 s one.
export BENCH_REAL_SECRET='wk_secret:bench:0123456789'
cat > "$WORK/upstream.toml" <<TOML
[[clients]]
client_id = "bench"
client_secret = "$BENCH_REAL_SECRET"
token_lifetime_secs = 600

[[clients]]
client_id = "short"
client_secret = "$BENCH_REAL_SECRET"
token_lifetime_secs = 5
TOML
start upstream "$(token_server)" "$WORK/upstream.toml"
UPSTREAM=$(head -1 "$WORK/upstream.out")

mkdir -p "$XDG_CONFIG_HOME/wktui"
printf '[settings]\nrefresh_margin = 1\n' > "$XDG_CONFIG_HOME/wktui/config.toml"
"$WKTUI" profile add bench --client-id bench --token-url "$UPSTREAM/oauth2/token" --secret-env BENCH_REAL_SECRET >/dev/null
"$WKTUI" profile add short --client-id short --token-url "$UPSTREAM/oauth2/token" --secret-env BENCH_REAL_SECRET >/dev/null

start serve "$WKTUI" serve bench short --listen 127.0.0.1:0 --log "$WORK/serve.log"
SERVE=$(head -1 "$WORK/serve.out" | awk '{print $5}')
export WKTUI_BENCH_SECRET
WKTUI_BENCH_SECRET=$(sed -n 's/^WORKIVA_CLIENT_SECRET=//p' "$XDG_RUNTIME_DIR/wktui/serve.env")
start bare "$BARE"
BAREURL=$(head -1 "$WORK/bare.out")

rss_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
run_wrk() {  # client url output
  WKTUI_BENCH_CLIENT=$1 wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$LUA" "$2" > "$3"
}
summary() {  # label wrk-output rss-kib
  local rps p99 non200 total
  total=$(awk '/requests in/ {print $1}' "$2")
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$2")
  p99=$(awk '$1 == "99%" {print $2}' "$2")
  non200=$(awk '/^non-2xx answers:/ {print $3}' "$2")
  printf '%-32s %9s answers %10s req/s   p99 %7s   peak RSS %5.1f MB   non-2xx %s\n' \
    "$1" "$total" "$rps" "$p99" "$(awk -v k="$3" 'BEGIN {print k / 1024}')" "$non200"
}
fetches() { grep -c "$1 200 token (fetched from Workiva" "$WORK/serve.log" || true; }

# Other work on the machine shows in the tail latencies: say how busy it was.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Warm the cache: the first request fetches, the run is all cached answers.
curl -s -o /dev/null -d grant_type=client_credentials -d client_id=bench \
     -d "client_secret=$WKTUI_BENCH_SECRET" "$SERVE/oauth2/token"
before=$(fetches client=bench)
run_wrk bench "$SERVE/oauth2/token" "$WORK/wrk-serve.txt"
after=$(fetches client=bench)
serve_rss=$(rss_kib "$serve_pid")

run_wrk bench "$BAREURL/oauth2/token" "$WORK/wrk-bare.txt"
bare_rss=$(rss_kib "$bare_pid")

run_wrk short "$SERVE/oauth2/token" "$WORK/wrk-short.txt"
short_fetches=$(fetches client=short)
short_rss=$(rss_kib "$serve_pid")

echo "wrk -t2 -c16 -d${SECONDS_PER_RUN}s --latency -s benches/serve.lua, $(nproc) cores, load average before: $load_before"
summary "wktui serve, cached token" "$WORK/wrk-serve.txt" "$serve_rss"
summary "bare hyper, fixed body (limit)" "$WORK/wrk-bare.txt" "$bare_rss"
summary "wktui serve, 5 s tokens" "$WORK/wrk-short.txt" "$short_rss"
serve_rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-serve.txt")
bare_rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-bare.txt")
printf 'ratio serve / bare: %.2f\n' "$(awk -v a="$serve_rps" -v b="$bare_rps" 'BEGIN {print a / b}')"
echo "upstream fetches during the cached run: $((after - before)) (one before it, at warm-up)"
echo "upstream fetches during the 5 s-token run: $short_fetches (tokens live 5 s, renewed 1 s before expiry)"
echo "log lines written: $(wc -l < "$WORK/serve.log")"
