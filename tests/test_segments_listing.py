"""`lakehouse segments`: the summary of the run catalog (hand-made rows) and the real CLI,
text and `--json` parsed back, on the sample lakehouse (read with delta-rs only)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from deltalake import DeltaTable

from jobs.segments.readers.listing import format_listing, summarize

D29, D30 = dt.date(2026, 6, 29), dt.date(2026, 6, 30)
LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")


def run(app, segment, ds, status, members, kind="custom", refresh="daily"):
    return {"app_id": app, "segment_id": segment, "name": segment.title(), "kind": kind, "refresh": refresh,
            "status": status, "member_count": members, "ds": ds}


RUNS = [
    run("smartlife", "a", D30, "failed", None),
    run("smartlife", "a", D29, "published", 10),
    run("smartlife", "b", D29, "published", 1234, kind="imported", refresh="once"),
    run("smartlife", "b", D30, "blocked", None, kind="imported", refresh="once"),
    run("other", "c", D30, "published", 3, kind="predefined"),  # its membership commit never happened
]


def test_summary_takes_the_latest_run_and_the_last_published_ds():
    assert summarize(RUNS, [D29]) == [
        {"app_id": "other", "segment_id": "c", "name": "C", "kind": "predefined", "refresh": "daily",
         "status": "published", "last_run_ds": "2026-06-30", "last_published_ds": None, "members": None},
        {"app_id": "smartlife", "segment_id": "a", "name": "A", "kind": "custom", "refresh": "daily",
         "status": "failed", "last_run_ds": "2026-06-30", "last_published_ds": "2026-06-29", "members": 10},
        {"app_id": "smartlife", "segment_id": "b", "name": "B", "kind": "imported", "refresh": "once",
         "status": "blocked", "last_run_ds": "2026-06-30", "last_published_ds": "2026-06-29", "members": 1234},
    ]


def test_retired_is_shown_as_the_status_of_the_latest_run():
    rows = [run("smartlife", "gone", D29, "published", 7), run("smartlife", "gone", D30, "retired", None)]
    (entry,) = summarize(rows, [D29, D30])
    assert (entry["status"], entry["last_published_ds"], entry["members"]) == ("retired", "2026-06-29", 7)


def test_text_listing():
    assert format_listing(summarize(RUNS, [D29])) == "\n".join([
        "app other: 1 segment",
        "segment  kind        refresh  status     last run    last published  members",
        "c        predefined  daily    published  2026-06-30  -                     -",
        "",
        "app smartlife: 2 segments",
        "segment  kind      refresh  status   last run    last published  members",
        "a        custom    daily    failed   2026-06-30  2026-06-29           10",
        "b        imported  once     blocked  2026-06-30  2026-06-29        1,234",
    ])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LAKEHOUSE, *args], capture_output=True, text=True, timeout=120)


def test_cli_json_matches_the_run_catalog(sample_lake):
    done = _cli("segments", "--json", "--root", sample_lake)
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    runs = DeltaTable(f"{sample_lake}/gold/segment_runs").to_pyarrow_table(filters=[("ds", "=", D30)]).to_pylist()
    assert {(s["app_id"], s["segment_id"]) for s in listing} == {(r["app_id"], r["segment_id"]) for r in runs}
    for entry in listing:
        latest = next(r for r in runs if (r["app_id"], r["segment_id"]) == (entry["app_id"], entry["segment_id"]))
        assert entry["status"] == latest["status"] == "published", entry
        assert (entry["kind"], entry["refresh"], entry["last_run_ds"]) == (latest["kind"], latest["refresh"], "2026-06-30")
        assert (entry["last_published_ds"], entry["members"]) == ("2026-06-30", latest["member_count"]), entry
    members = DeltaTable(f"{sample_lake}/gold/segment_membership").to_pyarrow_table(
        filters=[("ds", "=", D30), ("segment_id", "=", "gateway_owners")]).num_rows
    assert next(s for s in listing if s["segment_id"] == "gateway_owners")["members"] == members

    text = _cli("segments", "--app", "smartlife", "--root", sample_lake)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith(f"app smartlife: {len(listing)} segments\n"), text.stdout
    assert f"gateway_owners" in text.stdout


def test_cli_without_a_run_catalog_exits_2(tmp_path):
    done = _cli("segments", "--root", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: gold.segment_runs does not exist under "), done.stderr
