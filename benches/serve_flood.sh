#!/usr/bin/env bash
# `wktui serve` under a connection flood from another local user (issue 15,
# point 2): the attacker opens plain TCP connections to serve's port as fast
# as it can (non-blocking connects, nothing sent, closed 400 at a time; the
# `flood` mode of tests/python/serve_attacker.py), in 0, 1 and 3 processes.
# Each connection is refused by serve's peer check; what is measured is
# whether the user's own client still gets in:
#
#   bash benches/serve_flood.sh [SECONDS]        # default 10
#   WKTUI_BIN=path bash benches/serve_flood.sh   # another build, the same way
#
# The client (benches/serve_flood_client.py) asks for a token on a new
# connection, rests 50 ms, and again, for SECONDS, started a second into the
# flood; it reports tokens, failures, tokens/s, p50, p99 and the longest.
# Also shown: the connects the attackers started, and the kernel's count of
# connections dropped because serve's accept queue was full
# (TcpExt ListenOverflows, for the whole machine).
# The attacker runs as another user (`wktui-attacker`, made with useradd when
# this runs as root), otherwise as this user. Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
SECONDS_PER_RUN=${1:-10}
needs curl python3

cargo build --release -q --bin wktui
WKTUI=${WKTUI_BIN:-$PWD/target/release/wktui}
private_home
export XDG_CONFIG_HOME=$WORK/config

serve_bench "$WKTUI"
attacker_setup

flood() {  # seconds
  if [ "$ATTACKER_USER" = other ]; then
    (cd / && runuser -u wktui-attacker -- "$PYTHON" "$WORK/attacker.py" flood 127.0.0.1 "$PORT" "$1")
  else
    "$PYTHON" "$WORK/attacker.py" flood 127.0.0.1 "$PORT" "$1"
  fi
}

overflows() {
  awk '/^TcpExt:/ { if (!names) { for (i = 1; i <= NF; i++) col[$i] = i; names = 1 } else print $col["ListenOverflows"] }' /proc/net/netstat
}

row() {  # attacker processes
  local processes=$1 attackers=() before after connects=0
  before=$(overflows)
  for i in $(seq "$processes"); do
    flood $((SECONDS_PER_RUN + 2)) > "$WORK/flood$i.txt" &
    attackers+=($!)
  done
  [ "$processes" -gt 0 ] && sleep 1
  local result
  result=$("$PYTHON" benches/serve_flood_client.py 127.0.0.1 "$PORT" bench "$SECONDS_PER_RUN")
  for pid in "${attackers[@]}"; do wait "$pid"; done
  after=$(overflows)
  for i in $(seq "$processes"); do
    connects=$((connects + $(sed 's/.*"connects": \([0-9]*\).*/\1/' "$WORK/flood$i.txt")))
  done
  printf '%-3s %-7s attacker(s)  %s   attacker connects %8s   accept queue overflows %8s\n' \
    "$processes" "($ATTACKER_USER)" "$result" "$connects" "$((after - before))"
}

echo "$SECONDS_PER_RUN s a row, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)," \
     "somaxconn $(cat /proc/sys/net/core/somaxconn)"
for processes in 0 1 3; do row "$processes"; done
echo "request log: $(wc -l < "$WORK/serve.log") lines, $(stat -c %s "$WORK/serve.log") bytes"
