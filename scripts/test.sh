#!/usr/bin/env bash
# Runs every test: unit, integration over HTTP against the emulator, the azure-identity
# interop check (in a Python venv made here) and the tmux end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import azure.identity' 2>/dev/null; then
  echo "== making $venv with azure-identity"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check azure-identity
fi
export TOKSCOPE_PYTHON="$PWD/$venv/bin/python"

# The Azure CLI, in a venv of its own (it is large: made once, then reused).
az_venv=.venv-az
if [ ! -x "$az_venv/bin/az" ]; then
  echo "== making $az_venv with azure-cli"
  python3 -m venv "$az_venv"
  "$az_venv/bin/pip" install --quiet --disable-pip-version-check azure-cli
fi
export TOKSCOPE_AZ="$PWD/$az_venv/bin/az"

# The JavaScript clients: installed from the lock file, again only when it changed.
node_dir=tests/interop/node
if command -v npm >/dev/null; then
  if [ ! -f "$node_dir/node_modules/.package-lock.json" ] \
    || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
    echo "== npm ci in $node_dir"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
else
  echo "warning: npm is missing, so the JavaScript interop tests will be skipped" >&2
fi

if ! command -v tmux >/dev/null; then
  echo "warning: tmux is missing, so the end-to-end TUI test will be skipped (apt-get install tmux)" >&2
fi

echo "== cargo test"
cargo test --all-targets "$@"
