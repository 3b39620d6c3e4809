"""Turns a GE result into the two short texts every check result carries: what was observed
and the bound it was held to, e.g. ``3 non-unique values, e.g. u1`` and ``unique``.

One small function per expectation type (a dispatch table); any other type falls back to GE's
``observed_value`` or unexpected count and the kwargs as the bound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

EXAMPLES = 3  # distinct unexpected values shown in a message

Result = Mapping[str, object]
Kwargs = Mapping[str, object]


def value_text(value: object) -> str:
    """A value as it reads in YAML: null, true, 1.5, text; tuples as (a, b)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(value_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ", ".join(value_text(v) for v in value.values()) + ")"
    return str(value)


def plural(count: int, noun: str, rest: str = "") -> str:
    """``1 value not in set``, ``2 values not in set``: the noun agrees with the count."""
    return f"{count} {noun if count == 1 else noun + 's'}{rest}"


def _examples(result: Result) -> str:
    counts = result.get("partial_unexpected_counts") or []
    values = sorted({value_text(c["value"]) for c in counts if isinstance(c, dict)})
    if not values:
        values = sorted({value_text(v) for v in result.get("partial_unexpected_list") or []})
    return f", e.g. {', '.join(values[:EXAMPLES])}" if values else ""


def _unexpected(result: Result, noun: str, rest: str = "") -> str:
    count = int(result.get("unexpected_count") or 0)
    return plural(count, noun, rest) + (_examples(result) if count else "")


def _range(kwargs: Kwargs, unit: str = "") -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        left = "(" if kwargs.get("strict_min") else "["
        right = ")" if kwargs.get("strict_max") else "]"
        return f"{left}{value_text(low)}, {value_text(high)}{right}{suffix}"
    if low is not None:
        return f"{'>' if kwargs.get('strict_min') else '>='} {value_text(low)}{suffix}"
    if high is not None:
        return f"{'<' if kwargs.get('strict_max') else '<='} {value_text(high)}{suffix}"
    return "any"


def _set(values: object) -> str:
    return "[" + ", ".join(value_text(v) for v in (values or [])) + "]"


def _observed_value(result: Result, unit: str = "") -> str:
    value = result.get("observed_value")
    return f"{value_text(value)}{' ' + unit if unit else ''}"


Renderer = Callable[[Kwargs, Result], tuple[str, str]]

RENDERERS: dict[str, Renderer] = {
    "expect_column_values_to_not_be_null": lambda k, r: (_unexpected(r, "null value"), "not null"),
    "expect_column_values_to_be_null": lambda k, r: (_unexpected(r, "non-null value"), "null"),
    "expect_column_values_to_be_unique": lambda k, r: (_unexpected(r, "non-unique value"), "unique"),
    "expect_compound_columns_to_be_unique": lambda k, r: (_unexpected(r, "non-unique row"), "unique"),
    "expect_select_column_values_to_be_unique_within_record": lambda k, r: (
        _unexpected(r, "row", " with repeated values"), "unique within a row"),
    "expect_column_values_to_be_in_set": lambda k, r: (
        _unexpected(r, "value", " not in set"), f"in {_set(k.get('value_set'))}"),
    "expect_column_values_to_not_be_in_set": lambda k, r: (
        _unexpected(r, "forbidden value"), f"not in {_set(k.get('value_set'))}"),
    "expect_column_values_to_be_between": lambda k, r: (_unexpected(r, "value", " out of range"), _range(k)),
    "expect_column_values_to_match_regex": lambda k, r: (
        _unexpected(r, "value", " not matching"), f"matches {k.get('regex')}"),
    "expect_table_row_count_to_be_between": lambda k, r: (_observed_value(r, "rows"), _range(k, "rows")),
    "expect_table_row_count_to_equal": lambda k, r: (_observed_value(r, "rows"), f"{k.get('value')} rows"),
    "expect_column_min_to_be_between": lambda k, r: (_observed_value(r), _range(k)),
    "expect_column_max_to_be_between": lambda k, r: (_observed_value(r), _range(k)),
    "expect_column_mean_to_be_between": lambda k, r: (_observed_value(r), _range(k)),
    "expect_column_sum_to_be_between": lambda k, r: (_observed_value(r), _range(k)),
    "expect_column_unique_value_count_to_be_between": lambda k, r: (_observed_value(r), _range(k)),
}

_SHOWN_ELSEWHERE = {"column", "column_list", "row_condition", "condition_parser", "mostly", "result_format"}


def _fallback(kwargs: Kwargs, result: Result) -> tuple[str, str]:
    if "observed_value" in result:
        observed = _observed_value(result)
    else:
        observed = _unexpected(result, "unexpected value")
    bound = ", ".join(f"{k}={value_text(v)}" for k, v in kwargs.items() if k not in _SHOWN_ELSEWHERE)
    return observed, bound or "-"


def describe(check_type: str, kwargs: Kwargs, result: Result, error: str | None = None) -> tuple[str, str]:
    """``(observed, bound)`` texts for one expectation's result.

    ``error`` (the exception GE caught while computing the metric) replaces the observed text.
    A ``row_condition`` and ``mostly`` are appended to the bound.
    """
    observed, bound = RENDERERS.get(check_type, _fallback)(kwargs, result)
    if error:
        observed = f"error: {error}"
    if kwargs.get("mostly") is not None:
        bound += f" for at least {float(kwargs['mostly']):.0%} of rows"
    condition = kwargs.get("row_condition")
    if condition:
        bound += f" where {condition}"
    return observed, bound
