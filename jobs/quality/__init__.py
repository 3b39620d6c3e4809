"""Data-quality gates: GE suites from ``expectations/`` run on a table's ds partition (and on
derived cross-table datasets), size bounds against the previous published ds, a results table
and an HTML report. ``jobs.publish`` uses them to decide whether a ds may be published."""

from jobs.quality.bounds import TableBounds, load_bounds
from jobs.quality.checks import check_partition
from jobs.quality.datasets import SEGMENTS
from jobs.quality.report import write_report
from jobs.quality.results import CheckResult, record_checks
from jobs.quality.suites import Suite, SuiteError, load_suites

__all__ = [
    "SEGMENTS",
    "CheckResult",
    "Suite",
    "SuiteError",
    "TableBounds",
    "check_partition",
    "load_bounds",
    "load_suites",
    "record_checks",
    "write_report",
]
