#!/usr/bin/env bash
# A cached `wktui token p00001` from a config of 10,000 profiles that each
# name their own `secret_env` variable, against the same from a config of
# one profile and against a minimal Rust binary that prints a line. The
# cached token starts no child, so it must not pay for reading the 10,000
# variable names (some 80 KB of the config index).
#
#   bash benches/secret_env_scale.sh                # the release build
#   bash benches/secret_env_scale.sh OLD_WKTUI      # and another build, back to back
#
# Needs hyperfine and rustc. Each build gets a cache dir of its own (their
# config indexes may differ).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs hyperfine rustc
OLD=${1:-}
cargo build --release -q
NEW=$PWD/target/release/wktui
private_home
SHM=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)   # tokens live on tmpfs, as under $XDG_RUNTIME_DIR
also_remove "$SHM"
SECRET='wk_secret:bench:0123456789'
printf '[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$SECRET" > "$WORK/srv.toml"
start srv "$(token_server)" "$WORK/srv.toml"
URL=$(head -1 "$WORK/srv.out")

make_fleet() {  # file count: profile i reads its secret from S_i (80 KB of names for 10,000)
  for i in $(seq 1 "$2"); do
    printf '\n[[profile]]\nname = "p%05d"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "S_%05d"\n' "$i" "$URL" "$i"
  done > "$1"
}
ONE=$WORK/one.toml TENK=$WORK/tenk.toml
make_fleet "$ONE" 1
make_fleet "$TENK" 10000
printf 'fn main() { println!("wk.floor"); }\n' > "$WORK/floor.rs"
rustc -C opt-level=3 -C strip=symbols "$WORK/floor.rs" -o "$WORK/floor"

sleep 1.1   # a config changed within the last second is not indexed yet
commands=(-n 'floor: minimal Rust binary' "$WORK/floor")
for build in new ${OLD:+old}; do
  bin=$NEW; [ "$build" = old ] && bin=$OLD
  cache=$SHM/cache-$build
  # A first run of each fetches the token and indexes the config.
  for cfg in "$ONE" "$TENK"; do
    env WKTUI_CACHE_DIR="$cache" WKTUI_CONFIG="$cfg" S_00001="$SECRET" "$bin" token p00001 > /dev/null
  done
  commands+=(-n "$build: token p00001, 1 profile" "env WKTUI_CACHE_DIR=$cache WKTUI_CONFIG=$ONE $bin token p00001"
             -n "$build: token p00001, 10,000 profiles" "env WKTUI_CACHE_DIR=$cache WKTUI_CONFIG=$TENK $bin token p00001")
done
# What the index of the 10,000 holds, in bytes: `main` is what every `token NAME` reads.
for f in "$SHM"/cache-new/config-index/*/main "$SHM"/cache-new/config-index/*/variables; do
  [ -f "$f" ] && echo "index of the build: $(basename "$f") $(stat -c %s "$f") bytes"
done | sort -u -k5
hyperfine -N --warmup 30 --runs "${RUNS:-300}" --export-json "$WORK/result.json" "${commands[@]}" > /dev/null
python3 - "$WORK/result.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = lambda name: results[name]["median"] * 1000
floor = ms("floor: minimal Rust binary")
print(f"floor (minimal Rust binary): {floor:.2f} ms")
for build in ("new", "old"):
    one, tenk = f"{build}: token p00001, 1 profile", f"{build}: token p00001, 10,000 profiles"
    if one in results:
        print(f"{build}: 10,000 profiles {ms(tenk):.2f} ms vs 1 profile {ms(one):.2f} ms: "
              f"{ms(tenk)/ms(one):.2f}x; to the floor {ms(tenk)/floor:.2f}x and {ms(one)/floor:.2f}x")
PY
