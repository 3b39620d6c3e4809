"""A range ``lakehouse run`` over generated data: size swings never stop it, a user snapshot cut in
half blocks its ds and stops the range there with the check named and the resume command."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from deltalake import DeltaTable

from jobs.generate import FaultRates, GeneratorConfig, generate

REPO = Path(__file__).resolve().parents[1]
DAYS = [dt.date(2026, 6, 27) + dt.timedelta(days=i) for i in range(4)]


def cut_snapshot(root: Path, day: dt.date, keep: int) -> None:
    """Keeps the first ``keep`` lines of the day's user snapshot (an upstream export cut short)."""
    (path,) = (root / "landing" / "users" / f"dt={day}").glob("*.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:keep]), encoding="utf-8")


def test_a_range_run_stops_at_the_cut_snapshot_and_says_how_to_resume(tmp_path):
    root = tmp_path / "lakehouse"
    generate(GeneratorConfig(users=80, days=len(DAYS), end=DAYS[-1], seed=5, faults=FaultRates.none()), str(root))
    first_day = (root / "landing" / "users" / f"dt={DAYS[0]}").glob("*.jsonl")
    previous = sum(1 for _ in next(first_day).open(encoding="utf-8"))
    cut_snapshot(root, DAYS[1], previous // 2)  # half of the day before, or fewer

    run = subprocess.run([sys.executable, "-m", "jobs.cli", "run", str(DAYS[0]), "--to", str(DAYS[-1]),
                          "--root", str(root)], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert run.returncode == 1, run.stderr
    log = DeltaTable(str(root / "gold" / "publications")).to_pyarrow_table().to_pylist()
    (blocked,) = [r for r in log if r["status"] == "blocked"]
    report = f"{root}/reports/quality/{DAYS[1]}/{blocked['run_id']}.html"
    ratio = (previous // 2) / previous
    assert run.stderr.splitlines()[-5:] == [
        f"error: {DAYS[1]} is blocked by the quality gates (day 2 of 4); the dates before it are published:",
        f"error: publication of {DAYS[1]} blocked by 1 failed check; readers keep the previous published ds:",
        "error: - gold.user_labels snapshot_sizes.kept_ratio expect_column_values_to_be_between: "
        f"1 value out of range, e.g. {ratio} (bound: > 0.5)",
        f"error: report: {report}",
        f"error: fix the cause, then resume with: lakehouse run {DAYS[1]} --to {DAYS[-1]}",
    ]
    # the first day is published, nothing of the blocked day or after it
    runs = DeltaTable(str(root / "gold" / "segment_runs")).to_pyarrow_table(columns=["ds", "status"]).to_pylist()
    assert {r["ds"] for r in runs} == {DAYS[0]} and {r["status"] for r in runs} == {"published"}
