"""Builds the typed tree (model.Segment) from a schema-valid document; the parser of the language."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
from collections.abc import Callable

from jobs.contract import EPOCH
from jobs.segments.language.errors import DefinitionError, quote
from jobs.segments.language.limits import FileRefused
from jobs.segments.language.load import Document
from jobs.segments.language.model import (
    PREDEFINED_APP, All, AnyOf, BehaviorCondition, Compare, DateRange, DimensionFilter, ImportSource,
    LabelCondition, LastDays, Metric, Not, Segment, SegmentRef, walk,
)

# (definition file, csv name) -> (the checked path of the CSV, its digest); raises FileRefused.
# The language reads no file: ``jobs.segments.sources.import_source`` is the one that reads from disk.
ImportFiles = Callable[[str, str], tuple[str, bytes]]

DEFAULT_METRIC = Metric("times")
DEFAULT_COMPARE = Compare("ge", 1.0)


def definition_hash(data: object, import_digest: bytes | None = None) -> str:
    """sha256 of the canonical JSON of a definition; an import also hashes its CSV's digest."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
    if import_digest is not None:
        digest.update(import_digest)
    return digest.hexdigest()


def _import_source(doc: Document, csv: str, errors: list[DefinitionError], files: ImportFiles
                   ) -> tuple[ImportSource | None, bytes | None]:
    """The import source of a definition and its file's digest, or None with the reason in ``errors``.
    The path is checked first; only a regular file inside the definition's folder is read."""
    path = ("source", "csv")
    try:
        abspath, digest = files(doc.abspath, csv)
        return ImportSource(csv, abspath, path), digest
    except FileRefused as refused:
        message = str(refused)
        if message.endswith("does not exist"):
            shown = posixpath.normpath(posixpath.join(posixpath.dirname(doc.file), csv))
            expected = f"a CSV file at {shown}"
        elif "outside" in message:
            expected = "a CSV file next to the definition"
        else:
            expected = "a regular CSV file of at most 1,000,000 lines and 64 MiB next to the definition"
        errors.append(doc.error(path, message, expected=expected))
        return None, None


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.errors: list[DefinitionError] = []

    def date(self, text: str, path) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.errors.append(self.doc.error(path, f"{quote(text)} is not a calendar date", expected="a date written YYYY-MM-DD"))
            return EPOCH

    def condition(self, raw: dict, path):
        if "all" in raw:
            return All(tuple(self.condition(c, path + ("all", i)) for i, c in enumerate(raw["all"])), path)
        if "any" in raw:
            return AnyOf(tuple(self.condition(c, path + ("any", i)) for i, c in enumerate(raw["any"])), path)
        if "not" in raw:
            return Not(self.condition(raw["not"], path + ("not",)), path)
        kind = raw["type"]
        if kind == "label":
            value = raw.get("value")
            return LabelCondition(raw["label"], raw["op"], tuple(value) if isinstance(value, list) else value, path)
        if kind == "segment":
            return SegmentRef(raw["segment"], path)
        return self.behavior(raw, path)

    def behavior(self, raw: dict, path) -> BehaviorCondition:
        win = raw["window"]
        if "last_days" in win:
            window = LastDays(int(win["last_days"]))
        else:
            window = DateRange(self.date(win["from"], path + ("window", "from")), self.date(win["to"], path + ("window", "to")))
        where = tuple(
            DimensionFilter(f["dimension"], f["op"], tuple(f["value"]) if isinstance(f["value"], list) else (f["value"],),
                            path + ("where", i))
            for i, f in enumerate(raw.get("where") or [])
        )
        metric = DEFAULT_METRIC
        if "metric" in raw:
            (agg, arg), = raw["metric"].items()
            metric = Metric(arg) if agg == "count" else Metric(agg, arg)
        compare = DEFAULT_COMPARE
        if "compare" in raw:
            value = raw["compare"]["value"]
            compare = Compare(raw["compare"]["op"], tuple(float(v) for v in value) if isinstance(value, list) else float(value))
        return BehaviorCondition(raw["event"], window, bool(raw.get("executed", True)), where, metric, compare, path)


def build_segment(doc: Document, files: ImportFiles) -> tuple[Segment, list[DefinitionError]]:
    """The Segment of a schema-valid document, and the form errors the schema cannot express (bad dates).

    ``files`` reads an import's CSV (see ``ImportFiles``); ``jobs.segments.sources.build_segment``
    passes the one that reads from disk."""
    data = doc.data
    builder = _Builder(doc)
    rule = builder.condition(data["rule"], ("rule",)) if "rule" in data else None
    source, digest = None, None
    if "source" in data:
        source, digest = _import_source(doc, data["source"]["csv"], builder.errors, files)
        if source is None:
            source = ImportSource(data["source"]["csv"], "", ("source", "csv"))  # not read: the errors say why
    if data["app_id"] == PREDEFINED_APP:
        kind = "predefined"
    elif source is not None:
        kind = "imported"
    elif rule is not None and any(isinstance(n, SegmentRef) for n in walk(rule)):
        kind = "nested"
    else:
        kind = "custom"
    segment = Segment(
        id=data["id"], app_id=data["app_id"], name=data["name"], description=data.get("description", ""),
        refresh=data.get("refresh", "daily"), consent_required=data.get("marketing_consent", "required") == "required",
        rule=rule, source=source, kind=kind,
        definition_hash=definition_hash(data, digest), file=doc.file,
    )
    return segment, builder.errors

