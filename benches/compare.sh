#!/usr/bin/env bash
# Whole commands, side by side with what a user would otherwise run, in one
# run on one machine, against the crate's token server on 127.0.0.1:
#
#   bash benches/compare.sh            # results in benches/results/
#
# Needs hyperfine, curl, and for the keyring comparisons dbus-daemon,
# gnome-keyring-daemon and secret-tool (Debian: hyperfine curl dbus-daemon
# gnome-keyring libsecret-tools time). Touches nothing of the user's: a private
# HOME, config, cache, D-Bus session and keyring are made for the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
needs hyperfine curl dbus-daemon gnome-keyring-daemon secret-tool rustc /usr/bin/time

cargo build --release -q
WKTUI=$PWD/target/release/wktui
OUT=$PWD/benches/results
mkdir -p "$OUT"
SHM=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)   # tokens live on tmpfs, as under $XDG_RUNTIME_DIR
also_remove "$SHM"
private_home

# A private D-Bus session with an unlocked gnome-keyring.
dbus-daemon --session --nofork --print-address=1 --address="unix:path=$WORK/bus" > "$WORK/bus.addr" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -s "$WORK/bus.addr" ] && break; sleep 0.05; done
export DBUS_SESSION_BUS_ADDRESS=$(head -1 "$WORK/bus.addr")
printf 'bench-unlock' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
pids+=($!)
sleep 1

# Two token servers: an immediate one, and one that answers in 100 ms.
SECRET='wk_secret:bench:0123456789'
cat > "$WORK/fast.toml" <<TOML
[[clients]]
client_id = "bench"
client_secret = "$SECRET"
TOML
sed 's/^\[\[clients\]\]/latency_ms = 100\n\n[[clients]]/' "$WORK/fast.toml" > "$WORK/slow.toml"
TOKEN_SERVER=$(token_server)
start fast "$TOKEN_SERVER" "$WORK/fast.toml"
start slow "$TOKEN_SERVER" "$WORK/slow.toml"
FAST=$(head -1 "$WORK/fast.out")
SLOW=$(head -1 "$WORK/slow.out")

# Profile p: secret in the keyring. list100: 100 profiles. fleet500: 500 at 100 ms.
export WKTUI_CACHE_DIR=$SHM/cache BENCH_SECRET=$SECRET
CFG_P=$WORK/p.toml CFG_LIST=$WORK/list100.toml CFG_FLEET=$WORK/fleet500.toml CFG_SERIAL=$WORK/serial500.toml
printf '%s\n' "$SECRET" | WKTUI_CONFIG=$CFG_P "$WKTUI" profile add p --client-id bench --token-url "$FAST/oauth2/token" >/dev/null
make_fleet() {  # file count url concurrency
  { echo "[settings]"; echo "concurrency = $4"
    for i in $(seq 1 "$2"); do
      printf '\n[[profile]]\nname = "p%05d"\ntoken_url = "%s/oauth2/token"\nclient_id = "bench"\nsecret_env = "BENCH_SECRET"\n' "$i" "$3"
    done; } > "$1"
}
make_fleet "$CFG_LIST" 100 "$FAST" 32
make_fleet "$CFG_FLEET" 500 "$SLOW" 32
make_fleet "$CFG_SERIAL" 500 "$SLOW" 1
WKTUI_CONFIG=$CFG_LIST "$WKTUI" refresh --all >/dev/null
WKTUI_CONFIG=$CFG_P "$WKTUI" token p >/dev/null

# The process floor: a minimal Rust program that prints a line.
printf 'fn main() { println!("wk.floor"); }\n' > "$WORK/floor.rs"
rustc -C opt-level=3 -C strip=symbols "$WORK/floor.rs" -o "$WORK/floor"

CURL="curl -s -X POST -H 'Accept: application/json' -H 'X-Version: 2026-01-01' -d grant_type=client_credentials -d client_id=bench"
BARE_CURL="$CURL -d 'client_secret=$SECRET' $FAST/oauth2/token"
SECURE_CURL="sh -c \"$CURL -d client_secret=\\\"\$(secret-tool lookup service wktui username p)\\\" $FAST/oauth2/token\""
export WKTUI_CONFIG=$CFG_P

echo "== 1. cached token vs curl vs the process floor"
hyperfine -N --warmup 30 --runs 500 --export-markdown "$OUT/1-cached.md" --export-json "$OUT/1-cached.json" \
  -n 'wktui token p (cached)' "$WKTUI token p" \
  -n 'curl one-liner' "$BARE_CURL" \
  -n 'floor: minimal Rust binary' "$WORK/floor" \
  -n 'wktui --version (start-up and argument parsing only)' "$WKTUI --version"

echo "== 2. fresh token: wktui --refresh vs curl with the secret from secret-tool"
hyperfine -N --warmup 10 --runs 200 --export-markdown "$OUT/2-refresh.md" --export-json "$OUT/2-refresh.json" \
  -n 'wktui token p --refresh' "$WKTUI token p --refresh" \
  -n 'secure one-liner: curl + secret-tool' "$SECURE_CURL" \
  -n 'curl one-liner' "$BARE_CURL"

echo "== 3. list with 100 profiles vs a cached token"
hyperfine -N --warmup 20 --runs 300 --export-markdown "$OUT/3-list.md" --export-json "$OUT/3-list.json" \
  -n 'wktui list (100 profiles)' "env WKTUI_CONFIG=$CFG_LIST $WKTUI list" \
  -n 'wktui token p (cached)' "env WKTUI_CONFIG=$CFG_P $WKTUI token p"

echo "== 4. refresh 500 profiles, server answering in 100 ms: concurrent vs one at a time"
hyperfine -N --warmup 1 --runs 5 --export-markdown "$OUT/4a-refresh-500.md" --export-json "$OUT/4a-refresh-500.json" \
  -n 'wktui refresh --all (concurrency 32)' "env WKTUI_CONFIG=$CFG_FLEET $WKTUI refresh --all"
hyperfine -N --runs 2 --export-markdown "$OUT/4b-refresh-500-serial.md" --export-json "$OUT/4b-refresh-500-serial.json" \
  -n 'wktui refresh --all (concurrency 1)' "env WKTUI_CONFIG=$CFG_SERIAL $WKTUI refresh --all"

echo "== 5. 10,000 profiles: cached token and list, against one profile"
# Configs of 1 and 10,000 profiles (the same profile p00001 in both), all
# with cached tokens; the 10,000 also with an empty cache dir (no tokens).
CFG_ONE=$WORK/fleet1.toml CFG_10K=$WORK/fleet10k.toml
make_fleet "$CFG_ONE" 1 "$FAST" 32
make_fleet "$CFG_10K" 10000 "$FAST" 32
EMPTY_CACHE=$SHM/empty-cache
# A config changed within the last second is not indexed yet: let them settle,
# then let a first run index each, as any earlier command would have.
sleep 1.1
WKTUI_CONFIG=$CFG_10K "$WKTUI" refresh --all >/dev/null
WKTUI_CONFIG=$CFG_ONE "$WKTUI" token p00001 >/dev/null
WKTUI_CONFIG=$CFG_10K WKTUI_CACHE_DIR=$EMPTY_CACHE "$WKTUI" list >/dev/null
hyperfine -N --warmup 30 --runs 300 --export-markdown "$OUT/5a-token-10k.md" --export-json "$OUT/5a-token-10k.json" \
  -n 'wktui token p00001, 1 profile' "env WKTUI_CONFIG=$CFG_ONE $WKTUI token p00001" \
  -n 'wktui token p00001, 10,000 profiles' "env WKTUI_CONFIG=$CFG_10K $WKTUI token p00001"
hyperfine -N --warmup 5 --runs 60 --export-markdown "$OUT/5b-list-10k.md" --export-json "$OUT/5b-list-10k.json" \
  -n 'wktui list, 1 profile' "env WKTUI_CONFIG=$CFG_ONE $WKTUI list" \
  -n 'wktui list, 10,000 profiles, no token cached' "env WKTUI_CONFIG=$CFG_10K WKTUI_CACHE_DIR=$EMPTY_CACHE $WKTUI list" \
  -n 'wktui list, 10,000 profiles, every token cached' "env WKTUI_CONFIG=$CFG_10K $WKTUI list"
# The first list after a script stored a token: the summary of the cached
# tokens is brought up to date (a stat a token file, one file read).
hyperfine -N --warmup 2 --runs 30 --export-markdown "$OUT/5d-list-10k-changed.md" --export-json "$OUT/5d-list-10k-changed.json" \
  --prepare "env WKTUI_CONFIG=$CFG_ONE $WKTUI token --refresh p00001" \
  -n 'wktui list, 10,000 profiles, every token cached, one just refreshed' "env WKTUI_CONFIG=$CFG_10K $WKTUI list"
# Peak resident memory of one run, the largest of 20, by GNU time: a child
# forked from a bigger process (python, a shell) would count the parent's
# pages it held before exec.
peak_rss_kib() {
  local peak=0 kib
  for _ in $(seq 20); do
    kib=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
    [ "$kib" -gt "$peak" ] && peak=$kib
  done
  echo "$peak"
}
{
  echo "token_1 $(peak_rss_kib env WKTUI_CONFIG=$CFG_ONE $WKTUI token p00001)"
  echo "token_10k $(peak_rss_kib env WKTUI_CONFIG=$CFG_10K $WKTUI token p00001)"
} > "$OUT/5c-peak-rss.txt"
cat "$OUT/5c-peak-rss.txt"

echo "== where a cached 'wktui token' spends its time"
if command -v strace >/dev/null; then
  strace -f -c -o "$OUT/5-cached-syscalls.txt" "$WKTUI" token p >/dev/null
  strace -f -e trace=socket,connect,clone,clone3,execve -o "$OUT/5-cached-trace.txt" "$WKTUI" token p >/dev/null
  echo "syscalls: $(tail -1 "$OUT/5-cached-syscalls.txt")"
  echo "sockets, connections, threads: $(grep -cE 'socket|connect|clone' "$OUT/5-cached-trace.txt" || true)"
fi

python3 - "$OUT" <<'PY'
import json, sys, os
out = sys.argv[1]
def medians(name):
    data = json.load(open(os.path.join(out, name)))
    return {r["command"]: r["median"] for r in data["results"]}
m1, m2, m3 = medians("1-cached.json"), medians("2-refresh.json"), medians("3-list.json")
m4a, m4b = medians("4a-refresh-500.json"), medians("4b-refresh-500-serial.json")
ms = lambda s: f"{s*1000:.2f} ms"
cached, curl, floor = m1["wktui token p (cached)"], m1["curl one-liner"], m1["floor: minimal Rust binary"]
fresh, secure, curl2 = m2["wktui token p --refresh"], m2["secure one-liner: curl + secret-tool"], m2["curl one-liner"]
lst, cached3 = m3["wktui list (100 profiles)"], m3["wktui token p (cached)"]
conc, serial = list(m4a.values())[0], list(m4b.values())[0]
rows = [
  ("cached `wktui token p` vs curl one-liner", f"{ms(cached)} vs {ms(curl)}", cached/curl, "≤ 0.4×"),
  ("cached `wktui token p` vs process floor", f"{ms(cached)} vs {ms(floor)}", cached/floor, "≤ 2×"),
  ("`wktui token p --refresh` vs curl + secret-tool", f"{ms(fresh)} vs {ms(secure)}", fresh/secure, "≤ 0.8×"),
  ("`wktui token p --refresh` vs bare curl", f"{ms(fresh)} vs {ms(curl2)}", fresh/curl2, "(reported)"),
  ("`wktui list` (100 profiles) vs cached token", f"{ms(lst)} vs {ms(cached3)}", lst/cached3, "≤ 2×"),
  ("refresh 500 at 100 ms: one at a time / concurrent", f"{serial:.2f} s vs {conc:.2f} s", serial/conc, "≥ 25× faster"),
]
m5a, m5b = medians("5a-token-10k.json"), medians("5b-list-10k.json")
rss = dict(line.split() for line in open(os.path.join(out, "5c-peak-rss.txt")))
one, tenk = m5a["wktui token p00001, 1 profile"], m5a["wktui token p00001, 10,000 profiles"]
list1 = m5b["wktui list, 1 profile"]
list_empty = m5b["wktui list, 10,000 profiles, no token cached"]
list_full = m5b["wktui list, 10,000 profiles, every token cached"]
us_each = lambda t: (t - list1) / 9999 * 1e6
rows += [
  ("cached `wktui token p00001`: 10,000 profiles vs 1", f"{ms(tenk)} vs {ms(one)}", tenk/one, "≤ 1.3×"),
  ("peak RSS of that token, 10,000 profiles (1 profile)", f"{int(rss['token_10k'])/1024:.1f} MB ({int(rss['token_1'])/1024:.1f} MB)", f"{int(rss['token_10k'])/8192:.2f}× the limit", "≤ 8 MB"),
  ("`wktui list`, 10,000 profiles, no token cached, above 1 profile", f"{ms(list_empty)} vs {ms(list1)}: {us_each(list_empty):.2f} µs a profile", f"{us_each(list_empty)/3:.2f}× the limit", "≤ 3 µs a profile"),
  ("`wktui list`, 10,000 profiles, every token cached, above 1 profile", f"{ms(list_full)} vs {ms(list1)}: {us_each(list_full):.2f} µs a profile", f"{us_each(list_full)/3:.2f}× the limit", "≤ 3 µs a profile"),
]
list_changed = list(medians("5d-list-10k-changed.json").values())[0]
rows += [
  ("`wktui list`, 10,000 cached, the first after a script stored a token", f"{ms(list_changed)}: {us_each(list_changed):.2f} µs a profile", f"{us_each(list_changed)/3:.2f}× the limit", "(reported)"),
]
with open(os.path.join(out, "summary.md"), "w") as f:
    f.write("| measure (medians) | figures | ratio | target |\n|---|---|---|---|\n")
    for r in rows:
        ratio = r[2] if isinstance(r[2], str) else f"{r[2]:.2f}×"
        f.write(f"| {r[0]} | {r[1]} | {ratio} | {r[3]} |\n")
print(open(os.path.join(out, "summary.md")).read())
PY
