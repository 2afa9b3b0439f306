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
