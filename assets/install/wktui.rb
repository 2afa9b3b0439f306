# Homebrew formula for wktui @VERSION@: the release's prebuilt archives, with
# the man page and the bash, zsh and fish completions. The release workflow
# fills in the version, URLs and checksums (.ci/installers) and publishes the
# result to the tap repository homebrew-wktui when it has a token for it.
class Wktui < Formula
  desc "Bearer tokens for the Workiva APIs, in a terminal UI and for scripts"
  homepage "@HOMEPAGE@"
  version "@VERSION@"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    on_arm do
      url "@BASE_URL@/wktui-aarch64-apple-darwin.tar.gz"
      sha256 "@SHA256:aarch64-apple-darwin@"
    end
    on_intel do
      url "@BASE_URL@/wktui-x86_64-apple-darwin.tar.gz"
      sha256 "@SHA256:x86_64-apple-darwin@"
    end
  end

  on_linux do
    on_arm do
      url "@BASE_URL@/wktui-aarch64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256:aarch64-unknown-linux-musl@"
    end
    on_intel do
      url "@BASE_URL@/wktui-x86_64-unknown-linux-musl.tar.gz"
      sha256 "@SHA256:x86_64-unknown-linux-musl@"
    end
  end

  def install
    bin.install "wktui"
    man1.install "wktui.1"
    bash_completion.install "completions/wktui.bash" => "wktui"
    zsh_completion.install "completions/_wktui"
    fish_completion.install "completions/wktui.fish"
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/wktui --version")
  end
end
