"""Did-you-mean for operators: words analysts write for the operators of the segment language."""

from __future__ import annotations

from collections.abc import Sequence

from jobs.segments.language.errors import did_you_mean

# What people write (SQL, spreadsheets, other tools) -> the operator of the language.
OPERATOR_WORDS = {
    "greater": "gt", "greater_than": "gt", "more": "gt", "more_than": "gt", "above": "gt", ">": "gt",
    "greater_or_equal": "ge", "greater_equal": "ge", "gte": "ge", "at_least": "ge", "min": "ge", ">=": "ge",
    "less": "lt", "less_than": "lt", "fewer": "lt", "below": "lt", "<": "lt",
    "less_or_equal": "le", "less_equal": "le", "lte": "le", "at_most": "le", "max": "le", "<=": "le",
    "equal": "eq", "equals": "eq", "is": "eq", "=": "eq", "==": "eq",
    "not_equal": "ne", "not_equals": "ne", "neq": "ne", "is_not": "ne", "!=": "ne", "<>": "ne",
    "nin": "not_in", "not in": "not_in", "notin": "not_in", "one_of": "in", "any_of": "in",
    "exists": "is_set", "set": "is_set", "not_null": "is_set", "is_not_null": "is_set",
    "missing": "is_not_set", "null": "is_not_set", "is_null": "is_not_set", "not_set": "is_not_set",
    "startswith": "starts_with", "prefix": "starts_with", "like": "contains", "includes": "contains",
    "last_days": "within_last_days", "within": "within_last_days", "in_last_days": "within_last_days",
    "range": "between", "from_to": "between",
}


def suggest_operator(word: object, allowed: Sequence[str]) -> str | None:
    """The allowed operator ``word`` most likely means: a known synonym, else the closest spelling."""
    if isinstance(word, str):
        key = word.strip().lower().replace("-", "_").replace(" ", "_") if word.strip() not in OPERATOR_WORDS else word.strip()
        meant = OPERATOR_WORDS.get(key) or OPERATOR_WORDS.get(word.strip().lower())
        if meant in allowed:
            return meant
    return did_you_mean(word, allowed)
