#!/usr/bin/env bash
# Sets up .venv, generates sample data and runs the daily pipeline through Airflow on the
# embedded defaults (local ./lakehouse, in-process Sail engine, SQLite Airflow metadata).
#   USERS=2000 DAYS=14 END=2026-06-30 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/airflow-env.sh
USERS="${USERS:-2000}"; DAYS="${DAYS:-14}"; END="${END:-2026-06-30}"
START=$(python3 -c "import datetime as d; print(d.date.fromisoformat('$END') - d.timedelta(days=$DAYS - 1))")

echo "== 1/3 sample data: $USERS users x $DAYS days ($START .. $END) into $LAKEHOUSE_ROOT/landing"
lakehouse generate --users "$USERS" --days "$DAYS" --end "$END" --root "$LAKEHOUSE_ROOT"

echo "== 2/3 Airflow: metadata database in $AIRFLOW_HOME"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/migrate.log"; exit 1; }

echo "== 3/3 Airflow: the daily pipeline, one run per date"
day="$START"
while [[ "$day" < "$END" || "$day" == "$END" ]]; do
  log="$AIRFLOW_HOME/dags-test-$day.log"
  printf '   %s  lakehouse_daily ... ' "$day"
  if airflow dags test lakehouse_daily "$day" >"$log" 2>&1 && ! grep -q "state=failed\|Marking run.*failed" "$log"; then
    echo "success"
  else
    echo "FAILED (log: $log)"; tail -n 40 "$log"; exit 1
  fi
  day=$(python3 -c "import datetime as d; print(d.date.fromisoformat('$day') + d.timedelta(days=1))")
done

echo
echo "== ingestion reconciliation (lines read = accepted + duplicates + quarantined)"
lakehouse reconcile "$START" --to "$END" --root "$LAKEHOUSE_ROOT"
echo
echo "== segment sizes per day"
lakehouse sizes "$START" --to "$END" --root "$LAKEHOUSE_ROOT"
