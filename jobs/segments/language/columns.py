"""The names of the behavior-aggregate columns: written by the evaluator
(``evaluate.behavior_aggregates``), read by the compiler (``compile.metric_value``). One object
owns them, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AggregateColumns:
    """The columns of one behavior selection (``BehaviorPlan.prefix``, e.g. ``b3``).

    - ``match``: the row test of the selection over the daily aggregates (``_b3``);
    - ``times``: the events counted (``b3_times``; null for a user without a row in the selection);
    - ``days(k)``: word ``k`` of the active-day bit masks (``b3_days0``);
    - ``measure(m, agg)``: an aggregate of measure ``m`` (``b3_amount_sum``, ``_count``, ``_min``, ``_max``).
    """

    prefix: str

    @property
    def match(self) -> str:
        return f"_{self.prefix}"

    @property
    def times(self) -> str:
        return f"{self.prefix}_times"

    def days(self, word: int) -> str:
        return f"{self.prefix}_days{word}"

    def measure(self, measure: str, aggregate: str) -> str:
        return f"{self.prefix}_{measure}_{aggregate}"


def daily_measure(measure: str, aggregate: str) -> str:
    """A measure's column in the daily aggregate table (``measure_amount_sum``)."""
    return f"measure_{measure}_{aggregate}"
