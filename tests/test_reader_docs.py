"""docs/reader-contract.md: its python examples run, against a copy of the sample lakehouse, and
give what independent delta-rs reads of the tables give; the documented "latest published ds"
recipe never returns a blocked ds; its column tables match jobs/tables.py and the written tables.

Blocks run in document order in one namespace holding ``LAKEHOUSE_ROOT``; a block whose first
line is ``# needs: spark`` runs alone in a fresh namespace that also holds ``spark``.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re
import shutil
from collections import Counter

import pytest
from deltalake import DeltaTable

import jobs.segments.daily.job as segment_job
from jobs.publish import PublicationBlocked, published_dates
from jobs.segments import evaluate_segments
from jobs.storage import storage_options as project_storage_options
from jobs.tables import (
    GOLD_PUBLICATIONS, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES, GOLD_SEGMENT_MEMBERSHIP,
    GOLD_SEGMENT_RUNS, GOLD_USER_LABELS,
)

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "reader-contract.md"
SPARK_MARK = "# needs: spark"
DOCUMENTED = (GOLD_SEGMENT_MEMBERSHIP, GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_RUNS, GOLD_SEGMENT_IMPORT_FAILURES,
              GOLD_USER_LABELS, GOLD_PUBLICATIONS)
APP, SEGMENT = "smartlife", "gateway_owners_active"  # the segment the examples read
LAST, BEFORE_LAST = dt.date(2026, 6, 30), dt.date(2026, 6, 29)


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.S | re.M)


def _plain_blocks() -> list[str]:
    return [b for b in _blocks() if not b.startswith(SPARK_MARK)]


def _spark_blocks() -> list[str]:
    return [b for b in _blocks() if b.startswith(SPARK_MARK)]


def _run_plain(root: str) -> dict:
    namespace = {"LAKEHOUSE_ROOT": root, "__name__": "reader_docs"}
    for index, block in enumerate(_plain_blocks()):
        exec(compile(block, f"{DOC.name}:python block {index + 1}", "exec"), namespace)  # noqa: S102
    return namespace


# --- independent reads: the whole table through delta-rs, filtered in Python --------------------

def _rows(root: str, table) -> list[dict]:
    return DeltaTable(table.location(root)).to_pyarrow_table().to_pylist()


def _member_uids(root: str, ds: dt.date, segment: str = SEGMENT) -> set:
    return {r["uid"] for r in _rows(root, GOLD_SEGMENT_MEMBERSHIP)
            if r["ds"] == ds and r["app_id"] == APP and r["segment_id"] == segment}


@pytest.fixture(scope="module")
def lake(sample_lake, tmp_path_factory) -> str:
    """A private copy of the sample lakehouse (the examples only read, but never risk the shared one)."""
    root = tmp_path_factory.mktemp("reader_docs") / "lakehouse"
    shutil.copytree(sample_lake, root)
    return str(root)


@pytest.fixture(scope="module")
def examples(lake) -> dict:
    """The namespace after running every plain example block against ``lake``."""
    return _run_plain(lake)


def test_examples_are_marked_and_cover_the_contract():
    blocks = _blocks()
    assert len(_plain_blocks()) >= 7 and len(_spark_blocks()) >= 1
    # a mark anywhere but on the first line (or a misspelt one) would run a Spark block without Spark
    assert all(b.startswith(SPARK_MARK) or "# needs" not in b for b in blocks)
    assert all("# needs" not in b.split("\n", 1)[1] for b in blocks)


def test_latest_published_ds(examples, lake):
    published = {r["ds"] for r in _rows(lake, GOLD_PUBLICATIONS)
                 if r["table_name"] == GOLD_SEGMENT_MEMBERSHIP.name and r["status"] == "published"}
    assert examples["latest_ds"] == max(published_dates(GOLD_SEGMENT_MEMBERSHIP, lake)) == max(published) == LAST
    assert examples["ds"] == examples["latest_published_ds"](APP, SEGMENT) == LAST
    assert examples["latest_published_ds"]("no_such_app") is None


def test_members_of_a_segment(examples, lake):
    expected = _member_uids(lake, LAST)
    assert expected and examples["member_uids"] == expected
    run = next(r for r in _rows(lake, GOLD_SEGMENT_RUNS) if r["ds"] == LAST and r["segment_id"] == SEGMENT)
    assert examples["members"].num_rows == run["member_count"] == len(expected)
    assert examples["members"].column_names == ["uid", "email", "param1", "param2", "param3"]


def test_imported_segment_with_pandas(examples, lake):
    rows = [r for r in _rows(lake, GOLD_SEGMENT_MEMBERSHIP) if r["segment_id"] == "vip_import" and r["ds"] == LAST]
    assert examples["vip_ds"] == LAST and len(examples["vip"]) == len(rows)
    assert examples["external_emails"] == [r["email"] for r in rows if r["uid"] is None] == ["vip@example.com"]


def test_changes_of_a_ds(examples, lake):
    now, before = _member_uids(lake, LAST), _member_uids(lake, BEFORE_LAST)
    assert examples["entered"] == now - before and examples["exited"] == before - now
    assert examples["entered"] and examples["exited"]  # the sample has both on 06-30
    feed = Counter(r["change"] for r in _rows(lake, GOLD_SEGMENT_CHANGES)
                   if r["ds"] == LAST and r["app_id"] == APP and r["segment_id"] == SEGMENT)
    assert feed == Counter(entered=len(examples["entered"]), exited=len(examples["exited"])) - Counter()


def test_catching_up_replays_to_the_latest_membership(examples, lake):
    assert examples["last_applied"] == LAST
    assert examples["audience"] == _member_uids(lake, LAST) - {None} != _member_uids(lake, dt.date(2026, 6, 28))
    assert examples["published_days"](APP, SEGMENT, after=dt.date(2026, 6, 27)) == [dt.date(2026, 6, 28), BEFORE_LAST, LAST]


def test_run_catalog(examples, lake):
    counts = Counter(r["segment_id"] for r in _rows(lake, GOLD_SEGMENT_MEMBERSHIP) if r["ds"] == LAST and r["app_id"] == APP)
    runs = {r["segment_id"]: r for r in _rows(lake, GOLD_SEGMENT_RUNS) if r["ds"] == LAST and r["app_id"] == APP}
    assert examples["sizes"] == {s: counts.get(s, 0) for s, r in runs.items() if r["status"] == "published"}
    assert 0 in examples["sizes"].values()  # empty segments: no membership rows, yet published
    history = examples["history"]
    assert list(history["ds"]) == [dt.date(2026, 6, 27), dt.date(2026, 6, 28), BEFORE_LAST, LAST]
    assert set(history["status"]) == {"published"} and history["definition_hash"].nunique() == 1


def test_spark_examples(spark, lake):
    for block in _spark_blocks():
        namespace = {"LAKEHOUSE_ROOT": lake, "spark": spark, "__name__": "reader_docs"}
        exec(compile(block, f"{DOC.name}:spark block", "exec"), namespace)  # noqa: S102
        assert namespace["latest_ds"] == LAST
        assert {r.uid for r in namespace["members"].collect()} == _member_uids(lake, LAST)
        feed = Counter(r["change"] for r in _rows(lake, GOLD_SEGMENT_CHANGES)
                       if r["ds"] == LAST and r["app_id"] == APP and r["segment_id"] == SEGMENT)
        assert {r["change"]: r["count"] for r in namespace["changes"].collect()} == dict(feed) != {}


def test_storage_options_are_the_projects(examples, monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_ALLOW_HTTP": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    path = "s3://bucket/prefix/gold/segment_membership"
    writer = {k: v for k, v in project_storage_options(path).items() if k != "AWS_S3_ALLOW_UNSAFE_RENAME"}
    assert examples["storage_options"](path) == writer
    assert examples["storage_options"]("/data/lakehouse/gold/segment_runs") == {}
    # every key the doc's S3 table names is one the helper passes on
    s3 = DOC.read_text(encoding="utf-8").split("## S3", 1)[1].split("\n## ", 1)[0]
    keys = set(re.findall(r"^\| `(AWS_\w+)`(?:, `(AWS_\w+)`)? \|", s3, flags=re.M))
    assert {k for pair in keys for k in pair if k} == {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_ENDPOINT_URL",
        "AWS_ALLOW_HTTP"}


# --- the column tables ---------------------------------------------------------------------------

def _documented(table) -> tuple[str, tuple[str, ...], list[tuple[str, str, bool]]]:
    """(location, partition columns, [(column, type, nullable)]) of the table's section in the doc."""
    text = DOC.read_text(encoding="utf-8").split("\n## Columns", 1)[1]
    section = re.split(r"^### ", text, flags=re.M)
    body = next(s for s in section if s.startswith(f"{table.name}\n"))
    where = re.search(r"Location `<root>/([\w/]+)`, partitioned by ((?:`\w+`(?:, )?)+)\.", body)
    assert where, f"{table.name}: no 'Location …, partitioned by …' line"
    columns = []
    for line in body.splitlines():
        if line.startswith("| `") or line.startswith("| *("):
            name, kind, null = (c.strip() for c in line.strip("|").split("|")[:3])
            columns.append((name.strip("`"), kind, {"yes": True, "no": False}[null]))
    return where.group(1), tuple(re.findall(r"`(\w+)`", where.group(2))), columns


def _declared(table) -> list[tuple[str, str, bool]]:
    return [(f.name, f.dataType.typeName(), f.nullable) for f in table.schema.fields]


@pytest.mark.parametrize("table", DOCUMENTED, ids=lambda t: t.name)
def test_column_tables_match_the_declarations(table):
    location, partitions, columns = _documented(table)
    assert location == table.relative_path and partitions == table.partition_by
    declared = _declared(table)
    if table is GOLD_USER_LABELS:  # the labels are one row pointing at docs/labels.md (checked by test_label_docs)
        labels = [c for c in declared if c[0] not in ("app_id", "uid", "ds")]
        assert [c[0] for c in columns] == ["app_id", "uid", "*(labels)*", "ds"]
        assert all(nullable for _, _, nullable in labels)
        columns = columns[:2] + labels + columns[3:]
    assert columns == declared


def test_declarations_match_the_written_tables(lake):
    for table in DOCUMENTED:
        schema = json.loads(DeltaTable(table.location(lake)).schema().to_json())
        assert [(f["name"], f["type"], f["nullable"]) for f in schema["fields"]] == _declared(table), table.name
        assert DeltaTable(table.location(lake)).metadata().partition_columns == list(table.partition_by)


# --- a blocked ds ----------------------------------------------------------------------------------

def _with_deleted_member(real, uid):
    """memberships plus ``uid`` (deleted in the snapshot) in SEGMENT: the gates block the ds."""

    def bad(*args, **kwargs):
        members = real(*args, **kwargs)
        ghost = members.sparkSession.createDataFrame([(APP, SEGMENT, uid, None, None, None, None)], members.schema)
        return members.unionByName(ghost)

    return bad


def test_the_recipe_never_returns_a_blocked_ds(spark, sample_lake, tmp_path, monkeypatch):
    root = str(tmp_path / "lakehouse")
    shutil.copytree(sample_lake, root)
    deleted = next(r["uid"] for r in DeltaTable(f"{root}/bronze/users").to_pyarrow_table(
        filters=[("dt", "=", LAST), ("app_id", "=", APP), ("user_type", "=", "deleted")]).to_pylist())
    monkeypatch.setattr(segment_job, "memberships", _with_deleted_member(segment_job.memberships, deleted))
    with pytest.raises(PublicationBlocked):
        evaluate_segments(spark, root, LAST, "segment_defs")  # a re-run of the last ds, blocked
    monkeypatch.undo()
    assert {r["status"] for r in _rows(root, GOLD_SEGMENT_RUNS) if r["ds"] == LAST} == {"blocked"}
    assert deleted not in _member_uids(root, LAST)
    before = _member_uids(root, BEFORE_LAST)

    def check(newest_membership_ds):
        assert published_dates(GOLD_SEGMENT_MEMBERSHIP, root)[-1] == newest_membership_ds
        ns = _run_plain(root)
        assert ns["latest_ds"] == ns["ds"] == ns["vip_ds"] == BEFORE_LAST
        assert ns["member_uids"] == before and deleted not in ns["member_uids"]
        assert ns["sizes"][SEGMENT] == len(before)
        # catching up from 2026-06-28 stops at the last published ds and skips the stale 06-30 feed
        assert ns["last_applied"] == BEFORE_LAST and ns["audience"] == before - {None}

    # 1. the earlier publication of 06-30 is still in the membership table, but its runs say blocked
    check(LAST)
    _the_tools_refuse_the_blocked_ds(root, before)
    # 2. 06-30 as if it had never been published before: gone from the published tables and the log
    # (deleted with the engine: delta-rs rewrites files with string_view columns that its own
    # pyarrow filters on strings then reject)
    for table in (GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES, GOLD_SEGMENT_MEMBERSHIP):
        spark.sql(f"DELETE FROM delta.`{table.location(root)}` WHERE ds = DATE'{LAST}'")
    names = ", ".join(f"'{t.name}'" for t in (GOLD_SEGMENT_CHANGES, GOLD_SEGMENT_IMPORT_FAILURES, GOLD_SEGMENT_MEMBERSHIP))
    spark.sql(f"DELETE FROM delta.`{GOLD_PUBLICATIONS.location(root)}` WHERE ds = DATE'{LAST}' "
              f"AND status IN ('published', 'publishing') AND table_name IN ({names})")
    assert {r["status"] for r in _rows(root, GOLD_PUBLICATIONS)
            if r["ds"] == LAST and r["table_name"] == GOLD_SEGMENT_MEMBERSHIP.name} == {"blocked"}
    check(BEFORE_LAST)


def _the_tools_refuse_the_blocked_ds(root: str, before: set) -> None:
    """`members`, `export` and `explain` (real CLI) apply the same rule as the recipe."""
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "jobs.cli", *args, "--root", root],
                              capture_output=True, text=True, cwd=pathlib.Path(__file__).resolve().parents[1])

    blocked = cli("members", SEGMENT, "--ds", LAST.isoformat())
    assert blocked.returncode == 1
    assert blocked.stderr.strip() == (f"error: {APP}/{SEGMENT} has no published members on {LAST} "
                                      f"(its run of that ds is blocked); latest published ds: {BEFORE_LAST}")
    latest = cli("members", SEGMENT, "--page-size", "1000")
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.splitlines()[0].startswith(f"{APP}/{SEGMENT} on {BEFORE_LAST}: ")
    assert set(latest.stdout.splitlines()[2:]) == before
    export = cli("export", SEGMENT, "--ds", LAST.isoformat(), "--labels", "platform", "--out", f"{root}/x.zip")
    assert export.returncode == 1 and "(its run of that ds is blocked)" in export.stderr
    assert not pathlib.Path(f"{root}/x.zip").exists()
    latest_export = cli("export", SEGMENT, "--labels", "platform", "--out", f"{root}/y.zip")
    assert latest_export.returncode == 0, latest_export.stderr
    assert f"(ds {BEFORE_LAST}, labels platform)" in latest_export.stdout


# --- a retired segment -----------------------------------------------------------------------------

def test_a_removed_definition_is_retired_and_revived(spark, sample_lake, tmp_path):
    """Re-running the last ds without the definition retires the segment: the recipe, `members`
    and `export` no longer return it; putting the file back publishes it again. (Another segment
    than the one the examples read, so that every example still runs.)"""
    gone = "failed_pairing_no_gateway"
    root = str(tmp_path / "lakehouse")
    shutil.copytree(sample_lake, root)
    defs = tmp_path / "segment_defs"
    shutil.copytree("segment_defs", defs)
    (defs / APP / f"{gone}.yaml").rename(tmp_path / "removed.yaml")
    records = {r.segment_id: r for r in evaluate_segments(spark, root, LAST, str(defs)) if r.app_id == APP}
    assert (records[gone].status, records[gone].reason) == ("retired", "definition removed from the definitions folder")
    assert records[gone].member_count is None and records["vip_import"].status == "published"
    assert _member_uids(root, LAST, gone) == set()
    assert not [r for r in _rows(root, GOLD_SEGMENT_CHANGES) if r["ds"] == LAST and r["segment_id"] == gone]
    ns = _run_plain(root)
    assert ns["latest_published_ds"](APP, gone) is None and ns["latest_published_ds"](APP) == LAST
    assert ns["sizes"].get(gone) is None and ns["sizes"].get(SEGMENT)
    import subprocess
    import sys

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "jobs.cli", *args, "--root", root],
                              capture_output=True, text=True, cwd=pathlib.Path(__file__).resolve().parents[1])

    members = cli("members", gone)
    assert members.returncode == 1
    assert members.stderr.strip() == (f"error: {APP}/{gone} is retired since {LAST} (its definition was removed); "
                                      "it has no published members")
    export = cli("export", gone, "--labels", "platform", "--out", f"{root}/x.zip")
    assert export.returncode == 1 and "is retired since" in export.stderr
    # retired on 06-29, the file put back for 06-30: revived, its change feed starts afresh
    evaluate_segments(spark, root, BEFORE_LAST, str(defs))
    (tmp_path / "removed.yaml").rename(defs / APP / f"{gone}.yaml")
    revived = {r.segment_id: r for r in evaluate_segments(spark, root, LAST, str(defs)) if r.app_id == APP}
    assert revived[gone].status == "published" and revived[gone].evaluated_ds == LAST
    assert _run_plain(root)["latest_published_ds"](APP, gone) == LAST
    entered = {r["uid"] for r in _rows(root, GOLD_SEGMENT_CHANGES)
               if r["ds"] == LAST and r["segment_id"] == gone and r["change"] == "entered"}
    assert entered == _member_uids(root, LAST, gone) - {None}
    assert cli("members", gone).returncode == 0
