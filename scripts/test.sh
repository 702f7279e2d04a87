#!/usr/bin/env bash
# The project's one test command: prepares the Python interop venv (pinned peers from PyPI)
# and runs the whole Rust test suite. Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${HVREMOTE_VENV:-$PWD/.venv}"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s tests/py/requirements.txt "$VENV/.requirements.txt"; then
  echo "== preparing python venv for interop tests: $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q -r tests/py/requirements.txt
  cp tests/py/requirements.txt "$VENV/.requirements.txt"
fi
export HVREMOTE_TEST_PYTHON="$VENV/bin/python"
cargo test --no-fail-fast --all-targets "$@"
cargo test --doc "$@"
