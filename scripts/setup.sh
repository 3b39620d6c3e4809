#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs the project with the pinned versions in constraints.txt.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
"$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { echo "error: Python 3.11 is required (found $("$PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PY" --version)"
  "$PY" -m venv .venv
fi
if [ ! -x .venv/bin/uv ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9" \
    || .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
fi
echo "setup: installing the project and its pinned dependencies (first run: about a minute)"
VIRTUAL_ENV="$PWD/.venv" .venv/bin/uv pip install --quiet -c constraints.txt -e '.[dev]'
echo "setup: done ($(.venv/bin/python --version), $(.venv/bin/lakehouse --version 2>/dev/null || echo 'lakehouse CLI'))"
