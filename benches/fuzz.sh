#!/usr/bin/env bash
# Fuzzes the three parsers that read what comes from outside (a token
# server's answer, a cache file, the config file) with cargo fuzz
# (libFuzzer), SECONDS seconds each (default 180), then minimises each
# corpus in fuzz/corpus so that what was learnt can be committed.
# Not part of CI: run by hand after changing a parser.
#
#   cargo install cargo-fuzz
#   bash benches/fuzz.sh [SECONDS]
#
# cargo fuzz needs nightly-only compiler flags; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-180}
export RUSTC_BOOTSTRAP=1
for target in token_response cache_entry config; do
  echo "== $target: $seconds s"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=8192 \
    -print_final_stats=1 2>&1 | grep -E "^(#[0-9]+.*DONE|stat::|Done|==|SUMMARY|.*panicked)" || true
  cargo fuzz cmin "$target" "corpus/$target" >/dev/null 2>&1
  echo "   corpus: $(ls "corpus/$target" | wc -l) inputs"
done
