"""The analyst commands behind ``lakehouse plan`` and ``lakehouse test``: run, print, exit status."""

from __future__ import annotations

import datetime as dt
import json
import sys

from jobs.settings import Settings


def out(text: str) -> None:
    """A result on stdout."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def err(text: str) -> None:
    """An error on stderr, one ``error: ...`` line per line."""
    sys.stderr.write("".join(f"error: {line}\n" for line in text.splitlines() or [text]))


def run_plan(settings: Settings, defs: str, ds: dt.date | None, as_json: bool) -> int:
    """``lakehouse plan``: 0 nothing broken, 1 a broken definition, 2 no labels or a missing folder/table."""
    from jobs.engine import spark_session
    from jobs.segments.plan import plan
    from jobs.segments.plan_format import format_plan, plan_json

    try:
        with spark_session(settings) as spark:
            result = plan(spark, settings.lakehouse_root, defs, ds)
    except (LookupError, FileNotFoundError) as error:
        err(str(error))
        return 2
    out(json.dumps(plan_json(result), indent=2, ensure_ascii=False) if as_json else format_plan(result))
    return 1 if result.broken else 0
