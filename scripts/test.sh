#!/usr/bin/env bash
# Runs every test: unit, integration over HTTP against the emulator, the azure-identity
# interop checks (official clients, pinned, in venvs cached outside the checkout) and the tmux end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/interop-env.sh
# azure-identity and MSAL in one venv; the Azure CLI (large) in its own.
py_venv=$(interop_venv tests/interop/requirements.txt)
az_venv=$(interop_venv tests/interop/requirements-az.txt)
export TOKSCOPE_PYTHON="$py_venv/bin/python" TOKSCOPE_AZ="$az_venv/bin/az"

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
