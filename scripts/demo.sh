#!/usr/bin/env bash
# Sets up .venv, generates sample data and runs the daily pipeline on the embedded defaults
# (local ./lakehouse, in-process Sail engine, SQLite Airflow metadata in ./.airflow):
# the earlier days are backfilled with `lakehouse run`, the last AIRFLOW_DAYS days run through
# Airflow (`airflow dags test lakehouse_daily <date>`), exactly as a scheduler would run them.
#   USERS=2000 DAYS=14 AIRFLOW_DAYS=3 END=2026-06-30 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/airflow-env.sh
USERS="${USERS:-2000}"; DAYS="${DAYS:-14}"; AIRFLOW_DAYS="${AIRFLOW_DAYS:-3}"; END="${END:-2026-06-30}"
(( AIRFLOW_DAYS >= 1 && AIRFLOW_DAYS <= DAYS )) || { echo "AIRFLOW_DAYS must be in 1..DAYS" >&2; exit 2; }
day_offset() { python3 -c "import datetime as d; print(d.date.fromisoformat('$1') + d.timedelta(days=$2))"; }
START=$(day_offset "$END" $((1 - DAYS)))
FIRST_AIRFLOW=$(day_offset "$END" $((1 - AIRFLOW_DAYS)))

echo "== 1/4 sample data: $USERS users x $DAYS days ($START .. $END) into $LAKEHOUSE_ROOT/landing"
lakehouse generate --users "$USERS" --days "$DAYS" --end "$END" --root "$LAKEHOUSE_ROOT"

if [[ "$START" < "$FIRST_AIRFLOW" ]]; then
  echo "== 2/4 history: the pipeline for $START .. $(day_offset "$FIRST_AIRFLOW" -1) (lakehouse run)"
  lakehouse run "$START" --to "$(day_offset "$FIRST_AIRFLOW" -1)" --root "$LAKEHOUSE_ROOT" >/dev/null
else
  echo "== 2/4 history: none (every day runs through Airflow)"
fi

echo "== 3/4 Airflow: metadata database in $AIRFLOW_HOME; lakehouse_daily for $FIRST_AIRFLOW .. $END"
# The upstream has not finished $END yet: its _SUCCESS markers come later (below), and the run of
# $END waits for them (deferred: on the triggerer, or in-process under `airflow dags test`).
for feed in events users; do rm -f "$LAKEHOUSE_ROOT/landing/$feed/dt=$END/_SUCCESS"; done
export LANDING_POKE_SECONDS="${LANDING_POKE_SECONDS:-5}"
mkdir -p "$AIRFLOW_HOME"
airflow db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 || { cat "$AIRFLOW_HOME/migrate.log"; exit 1; }
day="$FIRST_AIRFLOW"
while [[ ! "$day" > "$END" ]]; do
  log="$AIRFLOW_HOME/dags-test-$day.log"
  printf '   %s  lakehouse_daily ... ' "$day"
  # `airflow dags test` exits non-zero when the run fails (probed on Airflow 3.3.2: exit 1,
  # "DagRun failed", after the tasks' retries); the recorded run state is checked as well.
  if [[ "$day" == "$END" ]]; then
    ( sleep 20; echo "(the upstream writes the _SUCCESS markers of $END) " >&2
      for feed in events users; do : > "$LAKEHOUSE_ROOT/landing/$feed/dt=$END/_SUCCESS"; done ) &
    printf 'waiting for the landing markers ... '
  fi
  if airflow dags test lakehouse_daily "$day" >"$log" 2>&1 \
     && airflow dags list-runs lakehouse_daily -o json 2>/dev/null | python3 -c '
import json, sys
runs = json.loads([line for line in sys.stdin if line.startswith("[")][-1])  # warnings come first
states = [r["state"] for r in sorted(runs, key=lambda r: r["run_after"]) if r["logical_date"][:10] == sys.argv[1]]
sys.exit(0 if states and states[-1] == "success" else 1)' "$day"; then
    echo "success"
  else
    echo "FAILED (log: $log)"; tail -n 40 "$log"; exit 1
  fi
  day=$(day_offset "$day" 1)
done

echo "== 4/4 results"
echo "-- ingestion reconciliation (lines read = accepted + duplicates + quarantined)"
lakehouse reconcile "$START" --to "$END" --root "$LAKEHOUSE_ROOT"
echo
echo "-- segment sizes per day"
lakehouse sizes "$START" --to "$END" --root "$LAKEHOUSE_ROOT"
