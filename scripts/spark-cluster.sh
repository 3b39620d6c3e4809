#!/usr/bin/env bash
# A local Spark standalone cluster with Delta over Spark Connect: start | stop | status.
# Needs Java 17 and Maven (first start resolves jvm-packages.txt); details in scripts/spark_cluster.py.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || bash scripts/setup.sh
exec .venv/bin/python scripts/spark_cluster.py "$@"
