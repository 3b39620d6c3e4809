"""The `lakehouse` command through its real entry point: output, exit codes, errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def lakehouse(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_generate_ingest_and_reconcile(tmp_path):
    root = str(tmp_path / "lake")
    gen = lakehouse("generate", "--users", "60", "--days", "2", "--end", "2026-06-30", "--root", root)
    assert gen.returncode == 0, gen.stderr
    assert "event lines" in gen.stdout and "faults injected" in gen.stdout

    ingest = lakehouse("ingest", "2026-06-29", "--to", "2026-06-30", "--root", root)
    assert ingest.returncode == 0, ingest.stderr

    out = lakehouse("reconcile", "2026-06-29", "--to", "2026-06-30", "--root", root)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["feed", "dt", "files", "lines_read", "accepted", "duplicates", "quarantined", "reconciles"]
    runs = [line.split() for line in lines if line.startswith(("users", "events"))]
    assert [(r[0], r[1], r[-1]) for r in runs] == [
        ("users", "2026-06-29", "yes"), ("events", "2026-06-29", "yes"),
        ("users", "2026-06-30", "yes"), ("events", "2026-06-30", "yes"),
    ]  # fmt: skip
    assert ingest.stdout.count(" yes") == 4


def test_validate_exit_codes():
    assert lakehouse("validate").returncode == 0
    bad = lakehouse("validate", "--defs", "tests/fixtures/segments/invalid_defs")
    assert bad.returncode == 1
    assert "smartlife/typos.yaml:7:28: unknown label 'has_gatway'" in bad.stdout
    assert "did you mean: has_gateway" in bad.stdout
    missing = lakehouse("validate", "--defs", "no/such/folder")
    assert missing.returncode == 2


def test_a_bad_date_is_a_usage_error():
    out = lakehouse("reconcile", "2026-13-01")
    assert out.returncode == 2
    assert "not a date (expected YYYY-MM-DD): '2026-13-01'" in out.stderr


def test_a_missing_table_is_one_line_not_a_traceback(tmp_path):
    out = lakehouse("sizes", "2026-06-30", "--root", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.strip() == (
        f"error: gold.segment_runs does not exist under {tmp_path} ({tmp_path}/gold/segment_runs)"
    )
    assert "Traceback" not in out.stderr


def _membership(root: str) -> list[tuple]:
    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_SEGMENT_MEMBERSHIP

    rows = read_arrow(GOLD_SEGMENT_MEMBERSHIP, root).to_pylist()
    return sorted((r["ds"], r["app_id"], r["segment_id"], r["uid"] or "", r["email"] or "") for r in rows)


def test_run_a_range_again_then_sizes_and_preview(sample_lake, tmp_path):
    """`run` over the last two dates of a lakehouse the pipeline already ran on leaves the
    membership as it was (re-runs are idempotent), prints the sizes table, and `sizes` and
    `preview` read the result."""
    import shutil

    root = str(tmp_path / "lake")
    shutil.copytree(sample_lake, root)
    before = _membership(root)
    out = lakehouse("run", "2026-06-29", "--to", "2026-06-30", "--root", root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert _membership(root) == before
    sizes = lakehouse("sizes", "2026-06-29", "--to", "2026-06-30", "--root", root)
    assert sizes.returncode == 0, sizes.stderr
    assert sizes.stdout.splitlines()[0].split() == ["segment", "06-29", "06-30"]
    assert sizes.stdout in out.stdout  # `run` ends with the same table
    counts = {}
    for ds, app, segment, *_ in before:
        counts[(ds.isoformat(), f"{app}/{segment}")] = counts.get((ds.isoformat(), f"{app}/{segment}"), 0) + 1
    line = next(line for line in sizes.stdout.splitlines() if line.startswith("smartlife/gateway_owners "))
    assert line.split()[1:] == [str(counts.get((d, "smartlife/gateway_owners"), 0)) for d in ("2026-06-29", "2026-06-30")]

    draft = tmp_path / "draft.yaml"
    draft.write_text("id: draft\napp_id: smartlife\nname: Draft\n"
                     "rule: {type: label, label: has_gateway, op: eq, value: true}\n", encoding="utf-8")
    preview = lakehouse("preview", str(draft), "--root", root)
    assert preview.returncode == 0, preview.stderr
    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_USER_LABELS

    rows = read_arrow(GOLD_USER_LABELS, root, columns=["has_gateway", "accept_marketing"],
                      filters=[("ds", "=", dt.date(2026, 6, 30))]).to_pylist()
    gateway = [r for r in rows if r["has_gateway"]]
    consenting = sum(1 for r in gateway if r["accept_marketing"])
    assert 0 < consenting < len(gateway)  # the sample has both: the consent count is not trivially 0
    assert preview.stdout.splitlines()[0] == (f"smartlife/draft on 2026-06-30: {consenting} members "
                                              f"({len(gateway) - consenting} removed by the marketing consent rule)")
    assert preview.stdout.splitlines()[1] == f"  funnel: {len(rows)} users of smartlife on 2026-06-30"


def test_run_refresh_recomputes_a_once_segment(sample_lake, tmp_path):
    """`run DS --refresh SEGMENT` evaluates a kept `refresh: once` segment again on DS; an unknown
    id is refused before anything runs."""
    import shutil

    from jobs.delta_io import read_arrow
    from jobs.tables import GOLD_SEGMENT_RUNS

    root = str(tmp_path / "lake")
    shutil.copytree(sample_lake, root)
    last = dt.date(2026, 6, 30)

    def vip_run():
        rows = read_arrow(GOLD_SEGMENT_RUNS, root, filters=[("ds", "=", last), ("segment_id", "=", "vip_import")]).to_pylist()
        return rows[0]["status"], rows[0]["evaluated_ds"]

    assert vip_run() == ("published", dt.date(2026, 6, 27))  # kept since it was first seen
    unknown = lakehouse("run", "2026-06-30", "--refresh", "vip_imprt", "--root", root)
    assert unknown.returncode == 2
    message = unknown.stderr.strip()
    assert message.startswith("error: --refresh: unknown segment 'vip_imprt' in ") and message.endswith(
        "segment_defs; did you mean: vip_import?"), message
    assert vip_run() == ("published", dt.date(2026, 6, 27))
    out = lakehouse("run", "2026-06-30", "--refresh", "vip_import", "--refresh", "vip_import", "--root", root)
    assert out.returncode == 0, out.stderr[-2000:]
    assert vip_run() == ("published", last)
