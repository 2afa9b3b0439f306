# Shared by the bench scripts, sourced from the repository root: a work
# directory that goes when the script ends, a private HOME and runtime dir
# (nothing of the user's is read or touched), and background processes that
# run until the script ends.
#
#   needs TOOL...           exits 2 naming the first tool not installed
#   private_home            HOME, XDG_RUNTIME_DIR (0700) under $WORK; no proxy for 127.0.0.1
#   start NAME COMMAND...   runs COMMAND in the background; its first stdout
#                           line (a URL, an address) is in $WORK/NAME.out once
#                           this returns, its pid in $NAME_pid
#   also_remove PATH        removed with $WORK at the end
#   token_server            builds the test token server (tests/support, never
#                           shipped; `token-server CONFIG.toml` prints its URL,
#                           serves until stdin closes) and prints its path
set -euo pipefail

needs() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): needs $tool" >&2; exit 2; }
  done
}

WORK=$(mktemp -d)
pids=()
extra_dirs=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK" "${extra_dirs[@]}"
}
trap cleanup EXIT
also_remove() { extra_dirs+=("$1"); }

token_server() {
  cargo build --release -q -p wktui-test-support --bin token-server >&2
  echo "$PWD/target/release/token-server"
}

private_home() {
  # rustup finds its toolchains through HOME: pin them before HOME moves.
  export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
  export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run NO_PROXY=127.0.0.1,localhost
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
}

start() {
  local name=$1
  shift
  mkfifo "$WORK/$name.in"
  "$@" < "$WORK/$name.in" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  pids+=($!)
  eval "${name}_pid=$!"
  exec {holder}> "$WORK/$name.in"   # kept open: the process runs until this script ends
  for _ in $(seq 200); do [ -s "$WORK/$name.out" ] && break; sleep 0.05; done
}

# `wktui serve` (the build in $1) for one profile, `bench`, of the crate's
# token server (a 600 s grant), with its token already cached. Sets SERVE
# (its URL), HOSTPORT and PORT, and exports its local secret as
# WKTUI_BENCH_SECRET.
serve_bench() {
  export BENCH_REAL_SECRET='wk_secret:bench:0123456789'
  printf '[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\ntoken_lifetime_secs = 600\n' \
    "$BENCH_REAL_SECRET" > "$WORK/upstream.toml"
  start upstream "$(token_server)" "$WORK/upstream.toml"
  UPSTREAM=$(head -1 "$WORK/upstream.out")
  "$1" profile add bench --client-id bench --token-url "$UPSTREAM/oauth2/token" --secret-env BENCH_REAL_SECRET >/dev/null
  start serve "$1" serve bench --listen 127.0.0.1:0 --log "$WORK/serve.log"
  SERVE=$(head -1 "$WORK/serve.out" | awk '{print $5}')
  HOSTPORT=${SERVE#http://}
  PORT=${HOSTPORT##*:}
  export WKTUI_BENCH_SECRET
  WKTUI_BENCH_SECRET=$(sed -n 's/^WORKIVA_CLIENT_SECRET=//p' "$XDG_RUNTIME_DIR/wktui/serve.env")
  curl -s -o /dev/null -d grant_type=client_credentials -d client_id=bench \
       -d "client_secret=$WKTUI_BENCH_SECRET" "$SERVE/oauth2/token"
}

# The attacker's script where another user can read it. Sets ATTACKER_USER:
# `other` (the account wktui-attacker, made when missing) when this runs as
# root, else `same`; and PYTHON, a system python3 any user can run.
attacker_setup() {
  cp tests/python/serve_attacker.py "$WORK/attacker.py"
  chmod 755 "$WORK"
  chmod 644 "$WORK/attacker.py"
  ATTACKER_USER=same
  if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v runuser >/dev/null; then
    id -u wktui-attacker >/dev/null 2>&1 ||
      useradd --no-create-home --shell /usr/sbin/nologin wktui-attacker
    ATTACKER_USER=other
  else
    echo "not root: the attacker runs as this user" >&2
  fi
  PYTHON=$(command -v python3)
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; fi
}
