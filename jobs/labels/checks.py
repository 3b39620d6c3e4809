"""Checks a label table must pass before it is audited: the label suite's blocking rules, in one pass.

The rules are those of ``expectations/user_labels.yml`` (keys, enums, shares, counts), the only
place they are written; this module compiles the suite's critical checks on the label rows into
one aggregate query over the staged rows, so a broken table is never published. The audit
runs the same suite with Great Expectations (and its cross-table checks) again.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from jobs.catalogs import label_catalog
from jobs.quality.datasets import ROWS
from jobs.quality.suites import Check
from jobs.tables import GOLD_USER_LABELS

SHARE_UNIT = "share"  # label catalog unit of a rate; a share's range reads "outside [0, 1]"
# What the suite does not say: labels the job computes with a default are never null (a null is a
# bug of the job, not of the data). Enums and keys are left out: the suite requires them already.
NEVER_NULL = (
    "has_email", "has_phone", "app_version", "phone_model", "active_days_30d",
    "voice_control_daily_avg_30d", "panel_control_daily_avg_30d", "has_gateway", "has_ipc", "has_lock",
    "has_speaker", "has_panel", "bound_devices", "vas_subscribed", "vas_orders_placed",
    "vas_amount_placed", "vas_orders_completed", "vas_amount_completed", "cloud_storage_purchased",
    "feedback_count", "has_unpaid_orders", "mall_activity_30d", "mall_visit_days_30d", "coupon_received_180d",
    "coupon_received_ever", "mall_items_ordered_180d", "mall_amount_ordered_180d", "mall_items_paid_180d",
    "mall_amount_paid_180d",
)  # fmt: skip


class LabelCheckError(RuntimeError):
    """The computed label table broke an invariant; it was staged, never published."""


def label_suite_checks() -> tuple[Check, ...]:
    """The blocking checks of the label suite that run on the label rows themselves (the suite
    loaded from the configured expectations folder, ``jobs.quality.load_suites``)."""
    from jobs.quality import load_suites

    suite = load_suites()[GOLD_USER_LABELS.name]
    return tuple(c for c in suite.checks if c.blocking and c.dataset == ROWS and "row_condition" not in c.kwargs)


def _share(name: str) -> bool:
    spec = label_catalog().get(name)
    return spec is not None and spec.unit == SHARE_UNIT


def _bounds(name: str, low: object, high: object) -> dict[str, Column]:
    """A range check as counts of rows outside it: a share's as one, a count's per side broken."""
    value = F.col(name)
    if low is not None and high is not None and _share(name):
        return {f"{name} outside [{low}, {high}]": F.count_if(~value.between(float(low), float(high)))}
    sides = {}
    if low is not None:
        sides[f"{name} < {low}"] = F.count_if(value < F.lit(low))
    if high is not None:
        sides[f"{name} > {high}"] = F.count_if(value > F.lit(high))
    return sides


def compiled(checks: Iterable[Check]) -> dict[str, Column]:
    """Problem name -> an aggregate counting the rows that break it, for the suite checks this
    module can evaluate in one pass (not-null, in-set, between, compound-unique); others are left
    to the audit. ``NEVER_NULL`` comes first, after the key check, as it always has."""
    checks = tuple(checks)
    unique = [c for c in checks if c.type == "expect_compound_columns_to_be_unique"]
    problems: dict[str, Column] = {}
    for check in unique:
        columns = [*check.kwargs["column_list"], *GOLD_USER_LABELS.partition_by]
        problems["duplicate keys"] = F.count(F.lit(1)) - F.count_distinct(*columns)
    nulls = [*NEVER_NULL, *(c.kwargs["column"] for c in checks if c.type == "expect_column_values_to_not_be_null")]
    for name in dict.fromkeys(nulls):
        problems[f"{name} is null"] = F.count_if(F.col(name).isNull())
    for check in checks:
        name, kwargs = check.kwargs.get("column"), check.kwargs
        if check.type == "expect_column_values_to_be_in_set":
            values = list(kwargs["value_set"])
            problems[f"{name} outside {values}"] = F.count_if(~F.col(name).isin(*values))
        elif check.type == "expect_column_values_to_be_between":
            problems.update(_bounds(name, kwargs.get("min_value"), kwargs.get("max_value")))
    return problems


def label_problems(labels: DataFrame, checks: Iterable[Check] | None = None) -> list[str]:
    """Every broken invariant of a label table, in one pass: keys unique, computed labels set,
    enums within the suite's values, shares in [0, 1], counts >= 0 (and within their window).

    Args:
        labels: the computed ``gold.user_labels`` rows of one ds.
        checks: the suite checks to apply (default: ``label_suite_checks()``).

    Returns:
        ``"<n> rows: <problem>"`` per broken invariant, e.g. ``3 rows: feedback_count < 0``.
    """
    problems = compiled(label_suite_checks() if checks is None else checks)
    names = list(problems)
    row = labels.agg(*[column.alias(f"c{i}") for i, column in enumerate(problems.values())]).collect()[0]
    return [f"{row[f'c{i}']} rows: {name}" for i, name in enumerate(names) if row[f"c{i}"]]
