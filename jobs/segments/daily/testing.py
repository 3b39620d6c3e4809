"""Segment tests: golden users run through the real pipeline (landing -> bronze -> silver -> labels ->
the segment job) in a throwaway lakehouse on the embedded engine, then compared with the expectations.

A mismatch is explained by ``explain`` on the same lakehouse: every condition with the user's
label values and event metrics, so the diff says why an expected member is missing.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass

from pyspark.sql import SparkSession

from jobs.segments.daily.testing_cases import GoldenCase, SegmentTestError, find_test_files, load_case


@dataclass(frozen=True)
class Mismatch:
    """One user on the wrong side of a segment: an expected member missing, or an unexpected member."""

    segment_id: str
    uid: str
    expected_member: bool
    explanation: str


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test file.

    Args:
        checked: (segment id, members expected, non-members expected) per expectation.
        error: why the file could not be run (then nothing was checked).
    """

    file: str
    app_id: str | None
    ds: dt.date | None
    checked: tuple[tuple[str, int, int], ...] = ()
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches


def write_landing(case: GoldenCase, root: str) -> list[dt.date]:
    """The golden users as landing files: the snapshot of ds and one events file per event date."""
    def put(feed: str, day: dt.date, lines) -> None:
        folder = os.path.join(root, "landing", feed, f"dt={day.isoformat()}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "golden.jsonl"), "w", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))

    put("users", case.ds, case.user_lines)
    days = sorted(set(case.event_lines) | {case.ds})
    for day in days:
        put("events", day, case.event_lines.get(day, ()))
    return days


def build_lakehouse(spark: SparkSession, case: GoldenCase, root: str) -> None:
    """Ingests, builds silver and publishes the labels of ds with the pipeline's own jobs.

    Raises:
        SegmentTestError: a golden line was quarantined (its reason named), or the label gates blocked.
    """
    from jobs.bronze.ingest import ingest_events, ingest_users
    from jobs.labels import build_labels
    from jobs.silver.job import rebuild_silver

    days = write_landing(case, root)
    reports = [ingest_users(spark, root, case.ds)] + [ingest_events(spark, root, day) for day in days]
    for report in reports:
        if report.quarantined:
            reasons = ", ".join(f"{k} ({v})" for k, v in sorted(report.quarantined_by_reason.items()))
            raise SegmentTestError(f"{case.file}: {report.quarantined} golden {report.feed} line(s) of {report.dt} "
                                   f"were quarantined by ingestion: {reasons}")
    rebuild_silver(spark, root, case.ds)
    build_labels(spark, root, case.ds)


def run_case(spark: SparkSession, case: GoldenCase, defs_dir: str) -> CaseResult:
    """Runs one test file's golden users through the pipeline and checks its expectations."""
    from jobs.delta_io import read_arrow
    from jobs.segments import evaluate_segments
    from jobs.tables import GOLD_SEGMENT_MEMBERSHIP

    with tempfile.TemporaryDirectory(prefix="segment_test_") as work:
        root = os.path.join(work, "lakehouse")
        try:
            build_lakehouse(spark, case, root)
            runs = {(r.app_id, r.segment_id): r for r in evaluate_segments(spark, root, case.ds, defs_dir)}
        except SegmentTestError as error:
            return CaseResult(case.file, case.app_id, case.ds, error=str(error))
        except Exception as error:  # noqa: BLE001 - a blocked gate or a pipeline error fails this file alone
            first = (str(error).splitlines() or [error.__class__.__name__])[0][:300]
            return CaseResult(case.file, case.app_id, case.ds, error=f"{case.file}: the pipeline failed: {first}")
        rows = read_arrow(GOLD_SEGMENT_MEMBERSHIP, root, columns=["segment_id", "uid"],
                          filters=[("ds", "=", case.ds), ("app_id", "=", case.app_id)]).to_pylist()
        actual: dict[str, set[str]] = {}
        for r in rows:
            actual.setdefault(r["segment_id"], set()).add(r["uid"])
        problem = _unrunnable(case, runs)
        if problem:
            return CaseResult(case.file, case.app_id, case.ds, error=problem)
        return _check(spark, root, case, defs_dir, actual)


def _unrunnable(case: GoldenCase, runs: dict) -> str | None:
    """Why an expectation cannot be checked: an unknown segment, or one whose run did not publish."""
    from jobs.segments.readers.published import unknown_segment_message

    for want in case.expectations:
        run = runs.get((case.app_id, want.segment_id))
        if run is None:
            known = [sid for app, sid in runs if app == case.app_id]
            return f"{case.file}: expect: {unknown_segment_message(want.segment_id, case.app_id, known)}"
        if run.status != "published":
            return f"{case.file}: {want.segment_id} was not published ({run.status}): {run.reason}"
    return None


def _check(spark, root, case: GoldenCase, defs_dir: str, actual: dict[str, set[str]]) -> CaseResult:
    from jobs.segments.readers.explain import explain_users
    from jobs.segments.readers.explain_format import format_explanation

    mismatches, checked = [], []
    for want in case.expectations:
        have = actual.get(want.segment_id, set())
        wrong = [(u, True) for u in want.members if u not in have] + [(u, False) for u in want.not_members if u in have]
        checked.append((want.segment_id, len(want.members), len(want.not_members)))
        if not wrong:
            continue
        explained = explain_users(spark, root, want.segment_id, [u for u, _ in wrong], defs_dir, case.app_id, case.ds)
        mismatches += [Mismatch(want.segment_id, u, member, format_explanation(explained[u])) for u, member in wrong]
    return CaseResult(case.file, case.app_id, case.ds, tuple(checked), tuple(mismatches))


def run_tests(spark: SparkSession, path: str, defs_dir: str) -> list[CaseResult]:
    """Runs every test file at ``path`` (a file, or every ``tests/*.yaml`` below a folder).

    Raises:
        FileNotFoundError: ``path`` does not exist, or ``defs_dir`` is not a folder.
    """
    if not os.path.isdir(defs_dir):
        raise FileNotFoundError(f"segment definitions folder not found: {defs_dir}")
    results = []
    for file in find_test_files(path):
        try:
            case = load_case(file)
        except SegmentTestError as error:
            results.append(CaseResult(file, None, None, error=str(error)))
            continue
        results.append(run_case(spark, case, defs_dir))
    return results


def format_results(results: list[CaseResult]) -> str:
    """``ok`` / ``FAIL`` per file, a readable diff per mismatch, then the summary line."""
    lines = []
    for r in results:
        if r.error:
            lines.append(f"FAIL {r.file}\n  {r.error}")
            continue
        segments = ", ".join(sid for sid, _, _ in r.checked)
        lines.append(f"{'ok  ' if r.passed else 'FAIL'} {r.file} ({r.app_id} on {r.ds}: {segments})")
        for m in r.mismatches:
            what = "expected member" if m.expected_member else "unexpected member"
            tail = "is missing" if m.expected_member else "is in the segment"
            lines.append(f"  {m.segment_id}: {what} {m.uid} {tail}")
            lines += [f"    {line}" for line in m.explanation.splitlines()]
    failed = sum(not r.passed for r in results)
    checks = sum(a + b for r in results for _, a, b in r.checked)
    lines.append(f"{len(results)} test file{'s' if len(results) != 1 else ''}, {checks} expectation"
                 f"{'s' if checks != 1 else ''}: {failed} failed" if results else "no segment test files found")
    return "\n".join(lines)
