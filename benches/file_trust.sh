#!/usr/bin/env bash
# A cached `wktui token p` from two builds, back to back, and the file system
# calls each makes: for checks on the config's path (the directory walk of
# platform::fs::open_trusted), which the cached token must not pay for.
#
#   bash benches/file_trust.sh OLD_WKTUI NEW_WKTUI     # needs hyperfine, strace
#
# The config sits five directories below the system temp dir, as
# ~/.config/wktui/config.toml does below /.
set -euo pipefail
OLD=$(realpath "$1") NEW=$(realpath "$2")
cd "$(dirname "$0")/.."
cargo build --release -q -p wktui-test-support --bin token-server
W=$(mktemp -d)
trap 'kill "$SRV" 2>/dev/null; rm -rf "$W"' EXIT
mkdir -p "$W/home/.config/wktui" "$W/run"
chmod 700 "$W/run"
SECRET='wk_secret:bench:0123456789'
printf '[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$SECRET" > "$W/srv.toml"
mkfifo "$W/in"
target/release/token-server "$W/srv.toml" < "$W/in" > "$W/srv.out" 2> "$W/srv.err" &
SRV=$!
exec {holder}> "$W/in"   # the server runs while its stdin is open
for _ in $(seq 100); do [ -s "$W/srv.out" ] && break; sleep 0.05; done
printf '[[profile]]\nname = "p"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "BENCH_SECRET"\n' \
  "$(head -1 "$W/srv.out")" > "$W/home/.config/wktui/config.toml"
export HOME=$W/home XDG_CONFIG_HOME=$W/home/.config XDG_RUNTIME_DIR=$W/run BENCH_SECRET=$SECRET NO_PROXY=127.0.0.1
sleep 1.1   # a config changed within the last second is not indexed yet
"$OLD" token p > /dev/null
"$NEW" token p > /dev/null
hyperfine -N --warmup 50 --runs "${RUNS:-1500}" --export-json "${JSON:-/dev/null}" \
  -n old "$OLD token p" -n new "$NEW token p" -n old2 "$OLD token p" -n new2 "$NEW token p"
for b in "$OLD" "$NEW"; do
  strace -f -e trace=%file,%stat -o "$W/trace" "$b" token p > /dev/null
  echo "$b: $(grep -vc 'exited' "$W/trace") file system calls"
done
