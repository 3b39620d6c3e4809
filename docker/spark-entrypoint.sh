#!/usr/bin/env bash
# Runs one Spark role in the foreground (exec: the JVM is the container's main process, its log
# goes to stdout; no daemon and no `tail -f`):
#   connect  the Spark Connect server with Delta (the driver), on SPARK_MASTER (default local[*])
#   master   a standalone master;  worker  a worker of SPARK_MASTER (the executors)
#   health [connect|master|worker]  exits 0 when that role answers (the image's HEALTHCHECK)
set -euo pipefail
role="${1:-connect}"
[ "$#" -gt 0 ] && shift

delta_and_s3=(
  --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension
  --conf spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog
  --conf spark.sql.session.timeZone=UTC
  --conf spark.hadoop.fs.s3.impl=org.apache.hadoop.fs.s3a.S3AFileSystem
  --conf spark.hadoop.fs.s3a.path.style.access=true
  --conf "spark.hadoop.fs.s3a.endpoint.region=${AWS_REGION:-us-east-1}"
)
if [ -n "${AWS_ENDPOINT_URL:-}" ]; then
  delta_and_s3+=(--conf "spark.hadoop.fs.s3a.endpoint=${AWS_ENDPOINT_URL}")
fi

case "$role" in
  connect)
    exec "$SPARK_HOME/bin/spark-submit" \
      --class org.apache.spark.sql.connect.service.SparkConnectServer --name spark-connect \
      --master "${SPARK_MASTER:-local[*]}" \
      --conf spark.connect.grpc.binding.port=15002 \
      --conf "spark.executorEnv.PYSPARK_PYTHON=${PYSPARK_PYTHON}" \
      "${delta_and_s3[@]}" "$@"
    ;;
  master)
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
      --host "$(hostname)" --port 7077 --webui-port 8080 "$@"
    ;;
  worker)
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "${SPARK_MASTER:?set SPARK_MASTER=spark://host:7077}" \
      --cores "${SPARK_WORKER_CORES:-2}" --memory "${SPARK_WORKER_MEMORY:-2g}" --webui-port 8081 "$@"
    ;;
  health)
    case "${1:-connect}" in
      connect) exec python3.11 -c "from pyspark.sql import SparkSession
spark = SparkSession.builder.remote('sc://127.0.0.1:15002').create()
assert spark.sql('SELECT 1').collect()[0][0] == 1
spark.stop()" ;;
      master) exec python3.11 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080', timeout=5)" ;;
      worker) exec python3.11 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8081', timeout=5)" ;;
      *) echo "unknown role to check: $1" >&2; exit 2 ;;
    esac
    ;;
  *)
    echo "usage: spark-entrypoint.sh connect|master|worker|health [role]" >&2
    exit 2
    ;;
esac
