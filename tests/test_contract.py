"""The product's shared rules live in jobs.contract only: its helpers, and no module restating them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from jobs.contract import DAY_MS, EPOCH_ORDINAL, LATE, LATE_DAYS, day_date, day_start_ms, epoch_day

JOBS = Path(__file__).resolve().parent.parent / "jobs"
RESTATED = re.compile(r"86_?400_?000|^\s*(LATE_DAYS|DAY_MS|_?EPOCH)\s*=", re.MULTILINE)


def test_epoch_day_helpers_agree():
    day = dt.date(2024, 6, 30)
    assert epoch_day(day) == 19904 and day_date(19904) == day
    assert day_start_ms(day) == 19904 * DAY_MS
    last_ms = day_start_ms(day) + DAY_MS - 1
    assert dt.date.fromordinal(EPOCH_ORDINAL + last_ms // DAY_MS) == day  # bronze's event_date
    assert dt.date.fromordinal(EPOCH_ORDINAL + -1 // DAY_MS) == dt.date(1969, 12, 31)  # floor: before the epoch too


def test_late_window_is_three_days():
    assert LATE_DAYS == 3 and LATE == dt.timedelta(days=3)


def test_no_module_restates_the_contract():
    offenders = [
        f"{path.relative_to(JOBS.parent)}: {match.group(0).strip()}"
        for path in sorted(JOBS.rglob("*.py"))
        if path.name != "contract.py"
        for match in RESTATED.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
