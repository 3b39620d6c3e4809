"""Acceptance: a ds is published whole. A kill at every commit boundary of a ds's publication
(labels job, then segment job) leaves readers following docs/reader-contract.md (delta-rs, no
Spark) on the previous publication of the ds or on the new one, whole, and the next run
completes it. For a new ds and for a re-run of a published ds whose labels and members change.

How: every Delta commit of the engine goes through ``DataFrameWriter.save``. One observed run
copies the lakehouse folder after each commit (the files a process killed right there leaves
behind) and reads it as a reader would; each copy is then recovered as the next run does
(``jobs.publish.recover``). A few boundaries are also really interrupted (an exception no job
code catches, raised right after the commit) and followed by a whole next run.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import re
import shutil

import pytest
from pyspark.sql import functions as F
from pyspark.sql.connect.readwriter import DataFrameWriter

from jobs.bronze import ingest_date
from jobs.delta_io import read_table, replace_partition
from jobs.generate import GeneratorConfig, generate
from jobs.labels import build_labels
from jobs.publish import recover
from jobs.segments import evaluate_segments
from jobs.silver import build_silver
from jobs.tables import BRONZE_USERS
from jobs.visibility import interrupted, read_log

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "reader-contract.md"
D0, D1, D2 = dt.date(2026, 6, 28), dt.date(2026, 6, 29), dt.date(2026, 6, 30)
TABLES = ("segment_runs", "segment_membership", "segment_changes", "segment_import_failures", "user_labels")
RUN_TIMES = ("started_at", "finished_at")


class Killed(BaseException):
    """Stands for the process being killed: no ``except Exception`` in the jobs catches it."""


def reader(root: str) -> dict:
    """The reader contract's helpers (its first two python blocks: ``gold``, ``read``, ...) on ``root``."""
    blocks = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)
    namespace = {"LAKEHOUSE_ROOT": root, "__name__": "reader_contract"}
    for block in blocks[:2]:
        exec(compile(block, DOC.name, "exec"), namespace)  # noqa: S102
    assert {"read", "visible_days", "visible_versions"} <= set(namespace)
    return namespace


def view(root: str, ds: dt.date, *, times: bool = True) -> dict:
    """What a reader following the contract sees of ``ds``: each table's rows (None: not visible)."""
    read = reader(root)["read"]
    seen = {}
    for table in TABLES:
        rows = read(table, ds)
        if rows is None:
            seen[table] = None
            continue
        rows = [{k: v for k, v in r.items() if times or k not in RUN_TIMES} for r in rows.to_pylist()]
        seen[table] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    return seen


def publish_ds(spark, root: str, ds: dt.date) -> None:
    build_labels(spark, root, ds)
    evaluate_segments(spark, root, ds, "segment_defs")


class Commits:
    """Calls ``after(n)`` right after the n-th Delta commit (1-based) of the engine."""

    def __init__(self, monkeypatch, after):
        self.count = 0
        real = DataFrameWriter.save

        def save(writer, *args, **kwargs):
            result = real(writer, *args, **kwargs)
            self.count += 1
            after(self.count)
            return result

        monkeypatch.setattr(DataFrameWriter, "save", save)


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """D0 and D1 published; D2 ingested and its silver built (what precedes its publication)."""
    root = str(tmp_path_factory.mktemp("kills") / "lakehouse")
    generate(GeneratorConfig(users=60, days=3, end=D2, seed=3), root)
    for day in (D0, D1):
        ingest_date(spark, root, day)
        build_silver(spark, root, day)
        publish_ds(spark, root, day)
    ingest_date(spark, root, D2)
    build_silver(spark, root, D2)
    return root


def flip_consent(spark, root: str, ds: dt.date) -> None:
    """Every other user of the ds snapshot changes their marketing consent: labels and members change."""
    users = read_table(spark, BRONZE_USERS, root).where(F.col("dt") == F.lit(ds))
    flipped = users.withColumn("accept_marketing", F.when(F.abs(F.hash("uid")) % 2 == 0, ~F.col("accept_marketing"))
                               .otherwise(F.col("accept_marketing")))
    rows = flipped.select(*[f.name for f in BRONZE_USERS.schema.fields]).collect()  # read it all before replacing it
    replace_partition(spark.createDataFrame(rows, BRONZE_USERS.schema), BRONZE_USERS, root, {"dt": ds})


def observe(spark, monkeypatch, root: str, images: pathlib.Path) -> list[tuple[int, str, dict]]:
    """Publishes D2 once, copying the lakehouse after every commit; [(n, copy, reader view)]."""
    seen = []

    def after(n):
        copy = str(images / f"commit-{n:02d}")
        shutil.copytree(root, copy)
        seen.append((n, copy, view(copy, D2)))

    with monkeypatch.context() as patch:
        Commits(patch, after)
        publish_ds(spark, root, D2)
    return seen


def kill_at(spark, monkeypatch, root: str, n: int) -> None:
    def after(count):
        if count == n:
            raise Killed()

    with monkeypatch.context() as patch, pytest.raises(Killed):
        Commits(patch, after)
        publish_ds(spark, root, D2)


def check_every_boundary(spark, seen, before: dict, after: dict, d1: dict) -> None:
    assert before != after and len(seen) > 20
    for n, copy, state in seen:
        assert state in (before, after), f"after commit {n} a reader sees a mixed ds"
        assert view(copy, D1) == d1, f"after commit {n} the previous ds changed"
        recover(spark, copy)  # what the next run does first
        recovered = view(copy, D2)
        assert recovered in (before, after), f"commit {n}: recovery left a mixed ds"
        assert interrupted(read_log(copy)) == []
        if state == after:
            assert recovered == after
    assert seen[-1][2] == after  # the last commit is the visibility commit
    assert [state == after for _, _, state in seen].count(True) == 1
    shutil.rmtree(pathlib.Path(seen[0][1]).parent)


def check_real_kills(spark, monkeypatch, start: str, work: pathlib.Path, commits: list[int], after: dict) -> None:
    """Killed right after each of ``commits``; the next whole run publishes the new ds."""
    for n in commits:
        root = str(work / f"killed-{n:02d}")
        shutil.copytree(start, root)
        kill_at(spark, monkeypatch, root, n)
        publish_ds(spark, root, D2)
        assert view(root, D2, times=False) == after, f"the run after a kill at commit {n} did not complete the ds"
        shutil.rmtree(root)


def strip_times(state: dict) -> dict:
    return {t: None if rows is None else [{k: v for k, v in r.items() if k not in RUN_TIMES} for r in rows]
            for t, rows in state.items()}


def test_kills_at_every_commit_of_a_new_and_of_a_rerun_ds(spark, lake, tmp_path, monkeypatch):
    d1 = view(lake, D1)
    nothing = dict.fromkeys(TABLES)
    assert view(lake, D2) == nothing and d1["segment_membership"]

    # 1. a new ds
    start = str(tmp_path / "start-new")
    shutil.copytree(lake, start)
    seen = observe(spark, monkeypatch, lake, tmp_path / "new")
    first = view(lake, D2)
    check_every_boundary(spark, seen, nothing, first, d1)
    middle = [n for n, _, state in seen if state == nothing][len(seen) // 2]
    check_real_kills(spark, monkeypatch, start, tmp_path, [middle], strip_times(first))

    # 2. a re-run of that ds after half the users changed their consent
    flip_consent(spark, lake, D2)
    start = str(tmp_path / "start-rerun")
    shutil.copytree(lake, start)
    seen = observe(spark, monkeypatch, lake, tmp_path / "rerun")
    second = view(lake, D2)
    assert second["user_labels"] != first["user_labels"]
    assert second["segment_membership"] != first["segment_membership"]
    check_every_boundary(spark, seen, first, second, d1)
    table_commits = [n for n, _, state in seen if state == first][-5:-1]  # the segment tables' own commits
    check_real_kills(spark, monkeypatch, start, tmp_path, table_commits[:1], strip_times(second))
