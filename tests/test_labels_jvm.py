"""The label transforms give the same table on JVM Spark as on the embedded engine (acceptance 4).

JVM Spark runs in a subprocess (two Spark Connect sessions in one process can conflict): it
runs ``jvm_labels_case.py`` and prints the rows as JSON; this process runs the same function on
the embedded engine. No Delta on the JVM side here: the case feeds DataFrames directly.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
from jvm_labels_case import label_rows

TESTS = pathlib.Path(__file__).parent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_same_labels_on_jvm_spark_and_embedded_engine(spark):
    embedded = label_rows(spark)
    # this process's Spark Connect client marks the environment as connect mode; the JVM case
    # runs classic Spark, so it must not inherit that
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE")}
    run = subprocess.run(
        [sys.executable, str(TESTS / "jvm_labels_case.py"), "local[2]"],
        cwd=TESTS, env=env, capture_output=True, text=True, timeout=840, check=False,
    )  # fmt: skip
    lines = [line for line in run.stdout.splitlines() if line.startswith("LABEL_ROWS ")]
    assert run.returncode == 0 and lines, f"JVM Spark run failed:\n{run.stderr[-3000:]}"
    jvm = json.loads(lines[0].removeprefix("LABEL_ROWS "))

    assert len(embedded) == 29  # 28 scenario users + 2 edge users - 1 deleted
    assert [(r["app_id"], r["uid"]) for r in jvm] == [(r["app_id"], r["uid"]) for r in embedded]
    differences = [
        (row["app_id"], row["uid"], name, row[name], other[name])
        for row, other in zip(embedded, jvm)
        for name in row
        if row[name] != other[name]
    ]
    assert differences == []
