# Sourced by the run scripts: a local Airflow home (SQLite metadata DB) that reads this repo's dags/.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$REPO/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export LAKEHOUSE_ROOT="${LAKEHOUSE_ROOT:-$REPO/lakehouse}"
export PATH="$REPO/.venv/bin:$PATH"
