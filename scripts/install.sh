#!/bin/sh
# Install the clearml-agent executable for this machine from a release:
#   curl -fsSL https://github.com/clearml-deno/clearml-agent/releases/latest/download/install.sh | sh
#
# Detects the OS and CPU (uname), downloads clearml-agent-<os>-<arch> and SHA256SUMS from the release, checks the
# checksum, checks that the binary runs, and only then moves it into place (nothing is half-installed).
#
# Settings (environment variables):
#   CLEARML_AGENT_VERSION      release to install: "latest" (default) or a version such as 0.1.0 (tag v0.1.0)
#   CLEARML_AGENT_BASE_URL     releases URL (default: the release this script came with); the files are read from
#                              $BASE/latest/download/<file> or $BASE/download/v<version>/<file>
#   CLEARML_AGENT_INSTALL_DIR  where to put clearml-agent (default /usr/local/bin as root, else ~/.local/bin)
set -eu

# The release's address, written here by the release build (`deno task compile`, from its CLEARML_AGENT_BASE_URL);
# empty in the repository's copy of this script.
RELEASE_BASE_URL=""
BASE_URL="${CLEARML_AGENT_BASE_URL:-$RELEASE_BASE_URL}"
BASE_URL="${BASE_URL%/}"
VERSION="${CLEARML_AGENT_VERSION:-latest}"
INSTALL_DIR="${CLEARML_AGENT_INSTALL_DIR:-}"

die() {
  printf 'clearml-agent install: error: %s\n' "$*" >&2
  exit 1
}

say() {
  printf '%s\n' "$*"
}

detect_target() {
  os=$(uname -s)
  arch=$(uname -m)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) die "Unsupported operating system \"$os\": release binaries exist for Linux and macOS" ;;
  esac
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "Unsupported CPU \"$arch\": release binaries exist for x86_64 and arm64" ;;
  esac
  printf '%s-%s' "$os" "$arch"
}

release_url() {
  case "$VERSION" in
    latest) printf '%s/latest/download/%s' "$BASE_URL" "$1" ;;
    *) printf '%s/download/v%s/%s' "$BASE_URL" "${VERSION#v}" "$1" ;;
  esac
}

# download URL FILE: curl, else wget; fails on HTTP errors.
download() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 --connect-timeout 15 -o "$2" "$1" 2>/dev/null
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1"
  else
    die "Cannot download: neither curl nor wget is installed"
  fi
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "Cannot verify the download: no sha256sum, shasum or openssl"
  fi
}

default_install_dir() {
  if [ "$(id -u)" = "0" ]; then
    printf '/usr/local/bin'
  else
    printf '%s/.local/bin' "${HOME:?HOME is not set}"
  fi
}

main() {
  target=$(detect_target)
  [ -n "$BASE_URL" ] ||
    die "No release address: set CLEARML_AGENT_BASE_URL (this is the repository's install.sh; a release's has it)"
  asset="clearml-agent-$target"
  [ -n "$INSTALL_DIR" ] || INSTALL_DIR=$(default_install_dir)

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t clearml-agent)
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 1' INT TERM

  say "Downloading $asset ($VERSION) from $BASE_URL"
  download "$(release_url SHA256SUMS)" "$tmp/SHA256SUMS" ||
    die "Cannot download \"$(release_url SHA256SUMS)\": check CLEARML_AGENT_VERSION and CLEARML_AGENT_BASE_URL"
  download "$(release_url "$asset")" "$tmp/$asset" ||
    die "Cannot download \"$(release_url "$asset")\": is there a $target build in release $VERSION?"

  expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")
  [ -n "$expected" ] || die "SHA256SUMS of release $VERSION has no entry for \"$asset\""
  actual=$(sha256_of "$tmp/$asset")
  [ "$expected" = "$actual" ] ||
    die "Checksum mismatch for \"$asset\": expected $expected, got $actual (nothing installed)"

  chmod 755 "$tmp/$asset"
  version_line=$("$tmp/$asset" --version 2>&1) ||
    die "The downloaded \"$asset\" does not run on this machine: $version_line (nothing installed)"

  mkdir -p "$INSTALL_DIR" || die "Cannot create \"$INSTALL_DIR\": set CLEARML_AGENT_INSTALL_DIR to a writable folder"
  staged="$INSTALL_DIR/.clearml-agent.$$.tmp"
  cp "$tmp/$asset" "$staged" 2>/dev/null ||
    die "Cannot write to \"$INSTALL_DIR\": run as root or set CLEARML_AGENT_INSTALL_DIR"
  chmod 755 "$staged"
  mv -f "$staged" "$INSTALL_DIR/clearml-agent"

  say "Installed $INSTALL_DIR/clearml-agent ($version_line)"
  say ""
  say "Next steps:"
  case ":${PATH:-}:" in
    *":$INSTALL_DIR:"*) ;;
    *) say "  export PATH=\"$INSTALL_DIR:\$PATH\"   # $INSTALL_DIR is not on PATH yet (add it to your profile)" ;;
  esac
  say "  clearml-agent init        # connect to your ClearML server (writes ~/clearml.conf)"
  say "  clearml-agent doctor      # check server, credentials, Python, Docker, GPUs and disk"
  say "  clearml-agent daemon --queue default --detached"
  say "  sudo $INSTALL_DIR/clearml-agent install-service --queue default   # or run it as a systemd service"
}

main "$@"
