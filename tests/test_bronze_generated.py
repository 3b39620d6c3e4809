"""Bronze ingestion of generated sample data: every injected fault is found, per date and reason."""

from __future__ import annotations

import datetime as dt

import pytest

from jobs.bronze import format_report, ingest_date

pytest.importorskip("jobs.generate", reason="the sample-data generator (jobs.generate) is not there yet")

# Generator fault type -> the quarantine reasons it may end up as.
EVENT_FAULTS = {
    "malformed": ("invalid_json",),
    "missing_field": ("missing_field",),
    "wrong_type": ("wrong_type",),
    "unknown_event": ("unknown_event",),
    "out_of_range": ("ts_too_old", "ts_in_future"),
}
USER_FAULTS = {"malformed": ("invalid_json",), "missing_field": ("missing_field",), "wrong_type": ("wrong_type",)}


def expected_reasons(injected: dict[str, int], faults: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Injected counts keyed by quarantine reason (out_of_range split by the reasons' sum)."""
    return {"|".join(reasons): injected[fault] for fault, reasons in faults.items() if injected[fault]}


def found_reasons(by_reason: dict[str, int], faults: dict[str, tuple[str, ...]]) -> dict[str, int]:
    found = {}
    for reasons in faults.values():
        count = sum(by_reason.get(r, 0) for r in reasons)
        if count:
            found["|".join(reasons)] = count
    return found


def test_generated_faults_are_deduplicated_or_quarantined_per_date(spark, root):
    from jobs.generate import FaultRates, GeneratorConfig, generate

    faults = FaultRates(duplicate=0.03, late=0.03, malformed=0.01, unknown_event=0.01, wrong_type=0.02,
                        missing_field=0.01, out_of_range=0.01)
    config = GeneratorConfig(users=150, days=5, end=dt.date(2026, 6, 30), apps=("smartlife", "homeplus"),
                             faults=faults, files_per_day=2)
    generated = generate(config, root)

    reports = []
    for offset in range(config.days):
        day = config.end - dt.timedelta(days=config.days - 1 - offset)
        users, events = ingest_date(spark, root, day)
        reports += [users, events]
        injected = generated.per_date[day.isoformat()]["injected"]
        assert users.reconciles() and events.reconciles(), format_report([users, events])
        assert users.lines_read == generated.per_date[day.isoformat()]["user_lines"]
        assert events.lines_read == generated.per_date[day.isoformat()]["event_lines"]
        assert set(users.quarantined_by_reason) <= {"invalid_json", "missing_field", "wrong_type"}
        assert found_reasons(users.quarantined_by_reason, USER_FAULTS) == expected_reasons(injected["users"], USER_FAULTS)
        assert users.duplicates == 0
        assert set(events.quarantined_by_reason) <= {r for rs in EVENT_FAULTS.values() for r in rs}
        assert found_reasons(events.quarantined_by_reason, EVENT_FAULTS) == expected_reasons(
            injected["events"], EVENT_FAULTS
        ), day
        assert events.duplicates == injected["events"]["duplicate"], day
    total = {k: sum(r.quarantined for r in reports if r.feed == k) for k in ("users", "events")}
    assert total["events"] > 0 and total["users"] > 0, format_report(reports)
    assert sum(r.duplicates for r in reports) > 0, format_report(reports)
