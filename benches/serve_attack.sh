#!/usr/bin/env bash
# `wktui serve` under the attacks of issue 15 (point 2), measured from the
# legitimate client's side:
#
#   bash benches/serve_attack.sh [SECONDS]        # default 10
#
# For each attack, started a second before and running all through the
# measurement:
#   none      no attack (the baseline);
#   pipeline  256 connections each sending four wrong-secret token requests
#             every 100 ms, reopened when closed;
#   idle      400 idle connections, reopened when closed;
# the attacker (tests/python/serve_attacker.py) runs as another user
# (`wktui-attacker`, made with useradd when this runs as root) and, to
# measure the defences that do not tell users apart (what macOS and Windows
# get), as the same user. Two legitimate clients are measured, one after the
# other, with wrk and benches/serve.lua: 4 keep-alive connections, and one
# client opening a new connection for each token (`Connection: close`).
# Reports tokens/s, p99, non-2xx answers and the bytes the request log grew.
# Needs wrk, curl, python3 (and root plus useradd for the other-user rows).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
SECONDS_PER_RUN=${1:-10}
needs wrk curl python3

# The same build as serve.sh (an example changes the features of the dependencies).
cargo build --release -q --bin wktui --example bare_hyper
# WKTUI_BIN=path measures another build (an older commit's) the same way.
WKTUI=${WKTUI_BIN:-$PWD/target/release/wktui}
LUA=$PWD/benches/serve.lua
private_home
export XDG_CONFIG_HOME=$WORK/config

serve_bench "$WKTUI"
attacker_setup
users=(same)
[ "$ATTACKER_USER" = other ] && users=(other same)

attack() {  # who mode seconds
  local count=256
  [ "$2" = idle ] && count=400
  if [ "$1" = other ]; then
    (cd / && runuser -u wktui-attacker -- "$PYTHON" "$WORK/attacker.py" "$2" 127.0.0.1 "${HOSTPORT##*:}" "$count" "$3")
  else
    "$PYTHON" "$WORK/attacker.py" "$2" 127.0.0.1 "${HOSTPORT##*:}" "$count" "$3"
  fi
}

row() {  # who mode client wrk-args...
  local who=$1 mode=$2 client=$3 out="$WORK/wrk.txt" attacker=""
  shift 3
  local log_before
  log_before=$(stat -c %s "$WORK/serve.log")
  if [ "$mode" != none ]; then
    attack "$who" "$mode" $((SECONDS_PER_RUN + 2)) > "$WORK/attack.txt" &
    attacker=$!
    sleep 1
  fi
  wrk -t1 -d"${SECONDS_PER_RUN}s" --latency -s "$LUA" "$@" "$SERVE/oauth2/token" > "$out"
  local log_after
  log_after=$(stat -c %s "$WORK/serve.log")
  [ -n "$attacker" ] && wait "$attacker"
  local report="-"
  [ "$mode" != none ] && report=$(cat "$WORK/attack.txt")
  printf '%-6s %-9s %-16s %10s tokens/s   p99 %8s   non-2xx %5s   errors %-28s log +%8s B   attacker %s\n' \
    "$who" "$mode" "$client" \
    "$(awk '/^Requests\/sec:/ {print $2}' "$out")" \
    "$(awk '$1 == "99%" {print $2}' "$out")" \
    "$(awk '/^non-2xx answers:/ {print $3}' "$out")" \
    "$(awk -F': ' '/Socket errors/ {print $2}' "$out" | tr -d ' ' | sed 's/^$/-/')" \
    "$((log_after - log_before))" "$report"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "wrk -t1 -d${SECONDS_PER_RUN}s --latency -s benches/serve.lua, $(nproc) cores, load average before: $load_before"
row - none keep-alive -c4
row - none new-connection -c1 -H "Connection: close"
for who in "${users[@]}"; do
  for mode in pipeline idle; do
    row "$who" "$mode" keep-alive -c4
    row "$who" "$mode" new-connection -c1 -H "Connection: close"
  done
done
echo "request log: $(wc -l < "$WORK/serve.log") lines, $(stat -c %s "$WORK/serve.log") bytes in all"
