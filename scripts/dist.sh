#!/usr/bin/env bash
# Builds the portable release binary and checks it:
#
#   scripts/dist.sh           build dist/tokscope-<version>-x86_64-linux-gnu and dist/SHA256SUMS, then check
#   scripts/dist.sh check     only check what dist/ holds (CI runs the build, which runs this)
#
# The binary needs glibc 2.17 or later, so it starts on every x86-64 Linux VM image still in use
# (RHEL/CentOS/Oracle Linux 7+, SLES 12+, Ubuntu 16.04+, Debian 9+, Azure Linux). It is built
# with `cargo zigbuild --target x86_64-unknown-linux-gnu.2.17`: zig's linker and its copy of old
# glibc's symbol versions. ziglang and cargo-zigbuild come from PyPI into a venv under
# $TOKSCOPE_DIST_CACHE (default ~/.cache/tokscope-dist), next to the build's own target dir, so
# a second run reuses both.
#
# The check: the highest GLIBC_ symbol version the binary needs is at most 2.17 (objdump -T),
# there is no symbol table left, SHA256SUMS matches, and the binary runs here: `--version`
# names the version, and `decode` reads a token made on the spot.
set -euo pipefail
cd "$(dirname "$0")/.."

GLIBC_MAX=2.17
TARGET=x86_64-unknown-linux-gnu
CACHE=${TOKSCOPE_DIST_CACHE:-$HOME/.cache/tokscope-dist}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
NAME=tokscope-$VERSION-x86_64-linux-gnu
OUT=dist

fail() { echo "dist: $*" >&2; exit 1; }

build() {
  local venv=$CACHE/venv
  if ! "$venv/bin/cargo-zigbuild" --version >/dev/null 2>&1 || ! "$venv/bin/python" -m ziglang version >/dev/null 2>&1; then
    echo "dist: installing ziglang and cargo-zigbuild into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check ziglang cargo-zigbuild
  fi
  local started=$SECONDS
  # cargo-zigbuild finds zig through the venv's python-zig; the machine's own linker flags
  # (a mold wrapper, say) and the checkout's (.cargo/config.toml: --icf, which zig's linker
  # refuses) do not apply to zig's linker. An empty RUSTFLAGS replaces every configured set;
  # an empty CARGO_TARGET_*_RUSTFLAGS does not.
  PATH="$venv/bin:$PATH" RUSTFLAGS="" \
    cargo zigbuild --locked --profile dist --target "$TARGET.$GLIBC_MAX" \
    --target-dir "$CACHE/target" --bin tokscope
  echo "dist: build took $((SECONDS - started)) s" >&2
  mkdir -p "$OUT"
  cp "$CACHE/target/$TARGET/dist/tokscope" "$OUT/$NAME"
  strip "$OUT/$NAME"
  (cd "$OUT" && sha256sum "$NAME" >SHA256SUMS)
}

# A compact JWS of tokscope's own making: header, claims and a dummy signature.
demo_token() {
  local b64url='base64 -w0 | tr "+/" "-_" | tr -d "="'
  local header claims
  header=$(printf '{"typ":"JWT","alg":"RS256","kid":"dist-check"}' | eval "$b64url")
  claims=$(printf '{"aud":"https://management.azure.com/","iss":"https://sts.windows.net/00000000-0000-4000-8000-000000000000/","iat":1700000000,"nbf":1700000000,"exp":1700003600,"oid":"11111111-2222-4333-8444-555555555555","tid":"00000000-0000-4000-8000-000000000000","ver":"1.0"}' | eval "$b64url")
  printf '%s.%s.%s' "$header" "$claims" "$(printf 'not-a-signature' | eval "$b64url")"
}

check() {
  local bin=$OUT/$NAME
  [ -x "$bin" ] || fail "$bin is missing; run scripts/dist.sh"
  (cd "$OUT" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match $bin"

  local needed
  needed=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
  [ -n "$needed" ] || fail "no GLIBC_ symbol versions found in $bin (not a glibc binary?)"
  if [ "$(printf '%s\n%s\n' "$needed" "$GLIBC_MAX" | sort -V | tail -n1)" != "$GLIBC_MAX" ]; then
    fail "$bin needs glibc $needed, more than $GLIBC_MAX"
  fi
  if objdump -h "$bin" | grep -q '\.symtab'; then
    fail "$bin is not stripped"
  fi

  local version decoded
  version=$("$bin" --version) || fail "$bin --version failed"
  case $version in
    "tokscope $VERSION (commit "*")") ;;
    *) fail "$bin --version says '$version'" ;;
  esac
  # The token is long expired: its verdict is FAIL, and this checks only that it decodes.
  decoded=$(demo_token | "$bin" decode --json --allow-unusable) || fail "$bin decode failed"
  printf '%s' "$decoded" | grep -q '"oid":"11111111-2222-4333-8444-555555555555"' ||
    fail "$bin decode did not show the token's claims: $decoded"

  echo "dist: $bin: $(stat -c %s "$bin") bytes, needs glibc $needed (at most $GLIBC_MAX), $version, decode works"
}

case ${1:-build} in
  build) build; check ;;
  check) check ;;
  *) fail "usage: scripts/dist.sh [build|check]" ;;
esac
