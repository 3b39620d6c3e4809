"""`lakehouse maintain`: staging clean-up on hand-made dates, and the real CLI on a copy of the
sample lakehouse after re-runs: every table keeps exactly its published ds, files shrink."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from jobs.maintain import TABLE_PROPERTIES, drop_old_staging, every_table, folder_size

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
DS = dt.date(2026, 6, 30)


def test_old_staged_dates_are_dropped_relative_to_the_newest(tmp_path):
    days = [dt.date(2026, 6, 1), dt.date(2026, 6, 5), dt.date(2026, 6, 9)]
    write_deltalake(str(tmp_path), pa.table({"ds": days * 2, "n": list(range(6))}), partition_by=["ds"])
    delta = DeltaTable(str(tmp_path))
    assert drop_old_staging(delta, "ds", keep_days=4) == 1  # cutoff 06-05: only 06-01 goes
    left = DeltaTable(str(tmp_path)).to_pyarrow_table().to_pylist()
    assert sorted((r["ds"], r["n"]) for r in left) == [(days[1], 1), (days[1], 4), (days[2], 2), (days[2], 5)]
    assert drop_old_staging(DeltaTable(str(tmp_path)), "ds", keep_days=4) == 0


def _data_files(location: str) -> tuple[int, int]:
    """(files, bytes) of the Parquet files under a table's folder, the log left out (maintenance
    adds commits and a checkpoint to it)."""
    files = [p for p in Path(location).rglob("*.parquet") if "_delta_log" not in p.parts]
    return len(files), sum(p.stat().st_size for p in files)


def _fingerprints(root: str) -> dict:
    """(table, ds) -> sha256 of the partition's rows, for every published table and date."""
    prints = {}
    for table in every_table():
        path = table.location(root)
        if not DeltaTable.is_deltatable(path):
            continue
        rows = DeltaTable(path).to_pyarrow_table().to_pylist()
        key = next((c for c in table.partition_by if c in ("ds", "dt", "event_date", "as_of")), None)
        for day in sorted({r[key] for r in rows} if key else {None}):
            part = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows if key is None or r[key] == day)
            prints[table.name, day] = hashlib.sha256("\n".join(part).encode()).hexdigest()
    return prints


def _as_readers_read(root: str) -> dict:
    """(table, ds) -> rows, each ds read at the version its visibility commit recorded (the reader
    contract's recipe, docs/reader-contract.md)."""
    from jobs.visibility import read_log, visible_versions

    seen = {}
    for ds, tables in visible_versions(read_log(root)).items():
        for name, version in tables.items():
            table = DeltaTable(f"{root}/{name.replace('.', '/')}", version=version)
            rows = table.to_pyarrow_table(filters=[("ds", "=", ds)]).to_pylist()
            seen[name, ds] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return seen


def test_maintain_keeps_every_published_ds_and_shrinks_the_files(spark, sample_lake, tmp_path):
    from jobs.labels import build_labels
    from jobs.segments import evaluate_segments

    root = str(tmp_path / "lakehouse")
    shutil.copytree(sample_lake, root)
    for _ in range(2):  # re-runs: every commit replaces the ds partition and leaves the old files
        build_labels(spark, root, DS)
        evaluate_segments(spark, root, DS, "segment_defs")
    before = _fingerprints(root)
    contract = _as_readers_read(root)
    assert len({ds for _, ds in contract}) == 4, sorted(contract)
    sizes = {t.name: folder_size(t.location(root)) for t in every_table() if DeltaTable.is_deltatable(t.location(root))}
    files = {name: _data_files(f"{root}/{name.replace('.', '/')}") for name in sizes}
    twins = sum(DeltaTable.is_deltatable(t.location(f"{root}/_staging")) for t in every_table())

    done = subprocess.run([LAKEHOUSE, "maintain", "--retention-hours", "0", "--staging-retention-hours", "0",
                           "--staging-keep-days", "1", "--root", root], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith(f"maintained {len(sizes) + twins} tables under {root}: "), done.stdout

    assert _fingerprints(root) == before
    assert _as_readers_read(root) == contract  # every published ds, at its recorded version
    for name in ("gold.user_labels", "gold.segment_membership", "gold.segment_runs"):
        now = _data_files(f"{root}/{name.replace('.', '/')}")
        assert now[0] < files[name][0] and now[1] < files[name][1], (name, files[name], now)
    assert sum(_data_files(f"{root}/{n.replace('.', '/')}")[1] for n in sizes) < sum(b for _, b in files.values())
    for name in sizes:
        config = DeltaTable(f"{root}/{name.replace('.', '/')}").metadata().configuration
        assert {k: config.get(k) for k in TABLE_PROPERTIES} == TABLE_PROPERTIES, name
    staged = DeltaTable(f"{root}/_staging/gold/segment_membership").to_pyarrow_table(columns=["ds"])
    assert set(staged.column("ds").to_pylist()) == {DS - dt.timedelta(days=1), DS}
    # the engine still reads what delta-rs rewrote, at the published ds
    count = spark.read.format("delta").load(f"{root}/gold/segment_membership").where(f"ds = DATE'{DS}'").count()
    assert count == len(DeltaTable(f"{root}/gold/segment_membership").to_pyarrow_table(filters=[("ds", "=", DS)]))
