#!/usr/bin/env bash
# The static musl release binary against the glibc one, in one run on one
# machine: their sizes, and a cached `wktui token p` (the command scripts run
# most) from each, beside the process floor of each C library (a minimal Rust
# program that prints a line, built for each target).
#
#   bash benches/musl.sh            # results in benches/results/musl.*
#
# Needs hyperfine, musl-gcc (Debian: hyperfine musl-tools) and the
# x86_64-unknown-linux-musl Rust target. A private HOME, config and cache; the
# secret is a throwaway value in an environment variable, the token server
# the crate's own on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs hyperfine rustc musl-gcc

musl_target=x86_64-unknown-linux-musl
cargo build --release -q --locked
cargo build --release -q --locked --target "$musl_target"
GLIBC=$PWD/target/release/wktui
MUSL=$PWD/target/$musl_target/release/wktui
OUT=$PWD/benches/results
mkdir -p "$OUT"
SHM=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)   # tokens on tmpfs, as under $XDG_RUNTIME_DIR
also_remove "$SHM"
private_home

export BENCH_SECRET='wk_secret:bench:0123456789'
printf '[[clients]]\nclient_id = "bench"\nclient_secret = "%s"\n' "$BENCH_SECRET" > "$WORK/server.toml"
start server "$(token_server)" "$WORK/server.toml"
URL=$(head -1 "$WORK/server.out")
printf '[[profile]]\nname = "p"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "BENCH_SECRET"\n' "$URL" > "$WORK/p.toml"
export WKTUI_CONFIG=$WORK/p.toml WKTUI_CACHE_DIR=$SHM/cache
# Both read the one cached token: fetched once, by either.
"$GLIBC" token p > /dev/null
[ "$("$MUSL" token p)" = "$("$GLIBC" token p)" ]

printf 'fn main() { println!("wk.floor"); }\n' > "$WORK/floor.rs"
rustc -C opt-level=3 -C strip=symbols "$WORK/floor.rs" -o "$WORK/floor-glibc"
rustc -C opt-level=3 -C strip=symbols --target "$musl_target" "$WORK/floor.rs" -o "$WORK/floor-musl"

echo "== sizes (bytes)"
wc -c "$GLIBC" "$MUSL" | tee "$OUT/musl-sizes.txt"
echo "== cached token: static musl vs glibc"
hyperfine -N --warmup 30 --runs 500 --export-markdown "$OUT/musl-token.md" --export-json "$OUT/musl-token.json" \
  -n 'wktui token p (cached), glibc' "$GLIBC token p" \
  -n 'wktui token p (cached), static musl' "$MUSL token p" \
  -n 'floor, glibc' "$WORK/floor-glibc" \
  -n 'floor, static musl' "$WORK/floor-musl"
