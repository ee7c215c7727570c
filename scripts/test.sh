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

if ! command -v tmux >/dev/null; then
  echo "warning: tmux is missing, so the end-to-end TUI test will be skipped (apt-get install tmux)" >&2
fi

echo "== cargo test"
cargo test --all-targets "$@"
