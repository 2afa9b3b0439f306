#!/bin/sh
# Installs wktui @VERSION@ on Linux (x86_64, aarch64; static binaries) and
# macOS (x86_64, Apple silicon) from the release's archives, each checked
# against the SHA-256 written into this script when the release was made:
#
#   curl -fsSL @BASE_URL@/install.sh | sh
#
# Into ~/.local/bin (WKTUI_INSTALL_DIR=DIR or `sh -s -- --to DIR` for
# another), the man page into ~/.local/share/man/man1, the bash and fish
# completions where those shells look for a user's own, and zsh's into
# ~/.local/share/zsh/site-functions (zsh looks there once ~/.zshrc adds it to
# fpath: the installer says how). Nothing needs root.
# (.ci/installers fills in the version, the URL and the checksums.)
set -eu

version='@VERSION@'
base_url='@BASE_URL@'

die() {
  echo "wktui installer: $*" >&2
  exit 1
}

install_dir=${WKTUI_INSTALL_DIR:-${HOME:?HOME is not set}/.local/bin}
data_dir=${XDG_DATA_HOME:-$HOME/.local/share}
while [ $# -gt 0 ]; do
  case $1 in
    --to)
      [ $# -ge 2 ] || die "--to needs a directory"
      install_dir=$2
      shift 2 ;;
    --to=*)
      install_dir=${1#--to=}
      shift ;;
    -h | --help)
      echo "usage: install.sh [--to DIR]   (default: ~/.local/bin, or \$WKTUI_INSTALL_DIR)"
      exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

case $version in @*) die "this is the template in the source tree; use the install.sh of a release" ;; esac

os=$(uname -s)
arch=$(uname -m)
# A shell under Rosetta says x86_64 on Apple silicon: take the native build.
if [ "$os" = Darwin ] && [ "$arch" = x86_64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
  arch=arm64
fi
case "$os/$arch" in
  Linux/x86_64 | Linux/amd64) target=x86_64-unknown-linux-musl ;;
  Linux/aarch64 | Linux/arm64) target=aarch64-unknown-linux-musl ;;
  Darwin/x86_64) target=x86_64-apple-darwin ;;
  Darwin/arm64 | Darwin/aarch64) target=aarch64-apple-darwin ;;
  *) die "no prebuilt wktui for $os $arch; build it from source with Rust (README, Install, \"From source\")" ;;
esac

case $target in
  x86_64-unknown-linux-musl) expected='@SHA256:x86_64-unknown-linux-musl@' ;;
  aarch64-unknown-linux-musl) expected='@SHA256:aarch64-unknown-linux-musl@' ;;
  x86_64-apple-darwin) expected='@SHA256:x86_64-apple-darwin@' ;;
  aarch64-apple-darwin) expected='@SHA256:aarch64-apple-darwin@' ;;
esac
case $expected in @*) die "release $version has no build for $target" ;; esac

download() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --output-document="$2" "$1"
  else
    die "needs curl or wget to download $1"
  fi || die "could not download $1"
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  else
    die "needs sha256sum or shasum to check the download"
  fi
}

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t wktui)
trap 'rm -rf "$tmp"' EXIT INT TERM

name=wktui-$target
echo "wktui installer: downloading wktui $version for $target"
download "$base_url/$name.tar.gz" "$tmp/$name.tar.gz"
actual=$(sha256_of "$tmp/$name.tar.gz")
[ "$actual" = "$expected" ] || die "$name.tar.gz has SHA-256 $actual, expected $expected: not installed"
tar -xzf "$tmp/$name.tar.gz" -C "$tmp" || die "could not unpack $name.tar.gz"
[ -f "$tmp/$name/wktui" ] || die "$name.tar.gz holds no $name/wktui"

mkdir -p "$install_dir" || die "cannot create $install_dir"
# Into place by rename, so a wktui that is running keeps its old file.
cp "$tmp/$name/wktui" "$install_dir/.wktui.new" || die "cannot write to $install_dir"
chmod 755 "$install_dir/.wktui.new"
mv -f "$install_dir/.wktui.new" "$install_dir/wktui" || die "cannot write $install_dir/wktui"

# zsh has no per-user completion directory of its own: this one mirrors
# /usr/local/share/zsh/site-functions under the user's data directory.
zsh_dir=$data_dir/zsh/site-functions
mkdir -p "$data_dir/man/man1" "$data_dir/bash-completion/completions" "$data_dir/fish/vendor_completions.d" "$zsh_dir"
cp "$tmp/$name/wktui.1" "$data_dir/man/man1/wktui.1"
cp "$tmp/$name/completions/wktui.bash" "$data_dir/bash-completion/completions/wktui"
cp "$tmp/$name/completions/wktui.fish" "$data_dir/fish/vendor_completions.d/wktui.fish"
cp "$tmp/$name/completions/_wktui" "$zsh_dir/_wktui"

echo "wktui installer: installed $("$install_dir/wktui" --version) as $install_dir/wktui"
echo "  man page: $data_dir/man/man1/wktui.1; bash, zsh and fish completions under $data_dir"
# zsh (macOS' shell) finds _wktui only through fpath, which ~/.zshrc sets; a
# .zshrc that already names the directory needs nothing more.
zshrc=${ZDOTDIR:-$HOME}/.zshrc
if ! grep -qsF "$zsh_dir" "$zshrc"; then
  echo "  zsh: for its completions, add to $zshrc (fpath before compinit runs):"
  echo "    fpath=(\"$zsh_dir\" \$fpath)"
  echo "    autoload -Uz compinit && compinit"
fi
on_path=no
case ":$PATH:" in
  *":$install_dir:"*) on_path=yes ;;
  *) echo "  $install_dir is not on your PATH: add it in your shell's profile, e.g. export PATH=\"$install_dir:\$PATH\"" ;;
esac

# man finds a user's own pages through MANPATH or, while MANPATH is unset,
# in DIR/../share/man for each DIR on PATH: ~/.local/share/man only while
# ~/.local/bin is on PATH.
man_dir=$data_dir/man
beside_bin=no
[ "$(dirname "$install_dir")/share/man" != "$man_dir" ] || beside_bin=yes
case ":${MANPATH:-}:" in
  *":$man_dir:"*) ;;
  *)
    if [ -z "${MANPATH:-}" ] && [ "$beside_bin" = yes ]; then
      [ "$on_path" = yes ] || echo "  man wktui finds the page once $install_dir is on your PATH; until then: man $man_dir/man1/wktui.1"
    else
      echo "  man wktui does not look in $man_dir: read the page with 'man $man_dir/man1/wktui.1',"
      echo "    or add $man_dir to man's search path in your shell's profile: export MANPATH=\"$man_dir:\$MANPATH\""
    fi ;;
esac
