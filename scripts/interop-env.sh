# Sourced by scripts/test.sh and scripts/bench.sh: the official Python clients, each from a pinned
# requirements file (tests/interop/requirements*.txt, every package at an exact version, as
# package-lock.json pins node's, though without hashes), in a venv under the user's cache rather than the checkout.
# A venv is keyed by its file's contents and the Python version, so a fresh clone or a second run
# on the same machine reuses it, and changing a pin makes a new one.

interop_cache="${XDG_CACHE_HOME:-$HOME/.cache}/tokscope-interop"

# interop_venv REQUIREMENTS_FILE: print the venv's folder, making it first if needed.
interop_venv() {
  local req=$1 key dir
  key=$( (python3 --version; cat "$req") | sha256sum | cut -c1-16)
  dir="$interop_cache/$(basename "$req" .txt)-$key"
  # .complete is written last: an install cut short is made again, not half used.
  if [ ! -f "$dir/.complete" ]; then
    echo "== making $dir from $req" >&2
    rm -rf "$dir"
    mkdir -p "$interop_cache"
    # Called inside $(...), where set -e does not hold: every step checks its own failure.
    python3 -m venv "$dir" >&2 || { echo "cannot make a venv in $dir (python3-venv?)" >&2; return 1; }
    "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2 \
      || { echo "cannot install $req into $dir" >&2; return 1; }
    touch "$dir/.complete"
  fi
  echo "$dir"
}
