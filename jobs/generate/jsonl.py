"""JSON object lines from columns of field values: one vectorised join per batch of lines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from jobs.generate.text import concat, join


@dataclass(frozen=True)
class Choice:
    """A column given as ``table[index[i]]``, not yet materialised: ``render`` first glues the
    constant text around it onto the (small) table, so a line is joined from fewer pieces."""

    table: pa.Array
    index: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def take(self, rows: np.ndarray) -> "Choice":
        index = self.index[rows]
        if len(self.table) > 4 * len(index) + 64:  # a few rows of a big table: keep only those
            return Choice(lookup(self.table, index), np.arange(len(index)))
        return Choice(self.table, index)

    def text(self, before: str = "", after: str = "") -> pa.Array:
        table = join(before, self.table, after) if before or after else self.table
        return lookup(table, self.index)


def pick(texts: tuple[str, ...] | list[str], index: np.ndarray) -> Choice:
    """``texts[index[i]]`` per row, as a ``Choice``."""
    return Choice(pa.array(list(texts), pa.string()), np.asarray(index, dtype=np.int64))


@dataclass(frozen=True)
class Field:
    """One member of a JSON object per row.

    Args:
        name: the key; ``None`` for a raw fragment that carries its own ``,"key":value`` text
            (or nothing, for a member absent on some rows).
        value: JSON value text per row (an array or a ``Choice``), one text for every row, or the
            fields of a nested object.
        quoted: wrap the value in double quotes (for plain strings that need no escaping).
        around: text before and after the value, e.g. ``[]`` for a list given as its items.
    """

    name: str | None
    value: pa.Array | Choice | str | list[Field]
    quoted: bool = False
    around: str = ""


def render(fields: list[Field], opens: bool = True, closes: str = "}\n") -> pa.Array:
    """Joins fields into object text per row, e.g. ``{"a":1,"b":"x"}`` and a line break.

    Args:
        fields: the members in order; leave a field out to leave its key out.
        opens: start with ``{`` (else the text continues an object begun elsewhere: starts with ``,``).
        closes: the text after the last field: ``}`` and a line break for a line, nothing for a
            part of an object that continues elsewhere.

    Returns:
        One text per row.
    """
    pieces = _pieces(fields, opens) + ([closes] if closes else [])
    merged: list[pa.Array | Choice | str] = []
    for piece in pieces:  # neighbouring constants become one
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    if not any(isinstance(p, (pa.Array, Choice)) for p in merged):
        raise ValueError("a line needs at least one column of values")
    columns: list[pa.Array | str] = []
    position = 0
    while position < len(merged):  # each Choice swallows the constants on both sides
        piece = merged[position]
        following = merged[position + 1] if position + 1 < len(merged) else None
        if isinstance(piece, Choice):
            before = columns.pop() if columns and isinstance(columns[-1], str) else ""
            after = following if isinstance(following, str) else ""
            columns.append(piece.text(before, after))
            position += 2 if after else 1
        else:
            columns.append(piece)
            position += 1
    return columns[0] if len(columns) == 1 else join(*columns)


def _pieces(fields: list[Field], opens: bool) -> list[pa.Array | Choice | str]:
    pieces: list[pa.Array | Choice | str] = []
    first = opens
    for field in fields:
        if field.name is None:
            if first:
                raise ValueError("a raw fragment cannot open an object")
            pieces.append(field.value)
            continue
        before, after = (field.around[:1], field.around[1:]) if field.around else ("", "")
        if field.quoted:
            before, after = before + '"', '"' + after
        pieces.append(("{" if first else ",") + f'"{field.name}":' + before)
        pieces += _pieces(field.value, True) + ["}"] if isinstance(field.value, list) else [field.value]
        pieces.append(after)
        first = False
    return [p for p in pieces if not (isinstance(p, str) and p == "")]


def take_fields(fields: list[Field], rows: np.ndarray) -> list[Field]:
    """The same fields for a subset of the rows."""
    index = pa.array(np.asarray(rows, dtype=np.int64))

    def take(value):
        if isinstance(value, str):
            return value
        if isinstance(value, Choice):
            return value.take(np.asarray(rows))
        return take_fields(value, rows) if isinstance(value, list) else value.take(index)

    return [Field(f.name, take(f.value), f.quoted, f.around) for f in fields]


def lookup(table: pa.Array, index: np.ndarray) -> pa.Array:
    """``table[index[i]]`` per row."""
    return table.take(pa.array(np.asarray(index, dtype=np.int64)))


def scatter(default: str, rows: np.ndarray, values: pa.Array, size: int) -> Choice:
    """``values`` at the (sorted) ``rows`` positions, ``default`` elsewhere."""
    index = np.full(size, len(values), dtype=np.int64)
    index[rows] = np.arange(len(rows))
    return Choice(concat([values, pa.array([default], pa.string())]), index)
