"""Definition errors: the error type of every file people write lives in ``jobs.errors``; re-exported here."""

from jobs.errors import DefinitionError, DefinitionErrors, did_you_mean, format_errors, quote, sort_errors

__all__ = ["DefinitionError", "DefinitionErrors", "did_you_mean", "format_errors", "quote", "sort_errors"]
