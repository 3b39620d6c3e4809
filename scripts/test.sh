#!/usr/bin/env bash
# Sets up .venv (see setup.sh) and runs the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v java >/dev/null 2>&1; then
  echo "note: no java on PATH: the JVM Spark comparison tests will be skipped (install openjdk-17-jre-headless)" >&2
fi
exec .venv/bin/pytest "$@"
