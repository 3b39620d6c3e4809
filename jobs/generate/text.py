"""Vectorised text building for JSON lines: joins, quoting, number formatting and raw file bytes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# 0..9999 -> its four decimal digits as one uint32 whose memory order is the text order.
_DIGIT_QUADS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), dtype="<u4")
# 0..65535 -> its four hex digits as one uint32 whose memory order is the text order.
_HEX_QUADS = np.frombuffer("".join(f"{i:04x}" for i in range(65_536)).encode(), dtype="<u4")


def join(*pieces: pa.Array | str) -> pa.Array:
    """Concatenates string arrays (and scalar strings, broadcast) row by row; null if any piece is null."""
    return pc.binary_join_element_wise(*pieces, "")


def quoted_or_null(values: pa.Array) -> pa.Array:
    """JSON text of a string-or-null column: ``"value"`` or ``null`` (values never need escaping)."""
    return pc.fill_null(join('"', values, '"'), "null")


def int_text(values: np.ndarray) -> pa.Array:
    """Decimal text of integers."""
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def cents_text(cents: np.ndarray) -> pa.Array:
    """A money amount in cents as a JSON number with two decimals, e.g. ``59.90``."""
    cents = np.asarray(cents, dtype=np.int64)
    return join(int_text(cents // 100), ".", pc.utf8_lpad(int_text(cents % 100), 2, "0"))


def bool_text(values: np.ndarray) -> pa.Array:
    """``true``/``false`` per row."""
    return pa.array(np.array(["false", "true"], dtype=object)).take(pa.array(np.asarray(values, dtype=np.int8)))


def choose(texts: list[str] | tuple[str, ...], index: np.ndarray) -> pa.Array:
    """``texts[index[i]]`` per row; a negative index gives null."""
    index = np.asarray(index)
    table = pa.array(list(texts), pa.string())
    return table.take(pa.array(index, mask=index < 0, type=pa.int32()))


def fixed_width(chars: np.ndarray) -> pa.Array:
    """A string array from an ``(n, width)`` uint8 matrix of UTF-8 bytes, without copying them."""
    n, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars))
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, data])


def hex_chars(words: list[np.ndarray]) -> np.ndarray:
    """Lowercase hex of uint64 columns side by side: an ``(n, 16 * len(words))`` uint8 matrix."""
    raw = np.hstack([np.asarray(w, dtype=">u8").view(">u2").reshape(-1, 4) for w in words])
    return _HEX_QUADS[raw].view(np.uint8).reshape(raw.shape[0], 4 * raw.shape[1])


def hex_text(words: list[np.ndarray], width: int | None = None) -> pa.Array:
    """Lowercase hex of one or more uint64 columns side by side (16 characters per word), cut to
    ``width`` characters if given."""
    chars = hex_chars(words)
    return fixed_width(chars if width is None else chars[:, :width])


def digit_chars(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers below ``10**width``: an ``(n, width)``
    uint8 matrix (faster than a cast to text)."""
    rest = np.asarray(values, dtype=np.int64).copy()
    groups = -(-width // 4)
    quads = np.empty((len(rest), groups), dtype=np.uint32)
    for column in range(groups - 1, -1, -1):
        quads[:, column] = _DIGIT_QUADS[rest % 10_000]
        rest //= 10_000
    return quads.view(np.uint8).reshape(len(quads), 4 * groups)[:, 4 * groups - width :]


def fixed_digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal text of non-negative integers below ``10**width``."""
    return fixed_width(digit_chars(values, width))


def epoch_ms_text(ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds as JSON numbers (a fast path for the 13-digit times of 2001-2286)."""
    ms = np.asarray(ms, dtype=np.int64)
    if len(ms) and ms.min() >= 10**12 and ms.max() < 10**13:
        return fixed_digits(ms, 13)
    return int_text(ms)


def fixed_columns(parts: list[np.ndarray | str], rows: int) -> pa.Array:
    """Text of equal byte width per row from constants and ``(rows, k)`` uint8 matrices of bytes."""
    matrices = [np.broadcast_to(np.frombuffer(p.encode(), np.uint8), (rows, len(p.encode())))
                if isinstance(p, str) else p for p in parts]
    return fixed_width(np.hstack(matrices) if matrices else np.zeros((rows, 0), np.uint8))


def concat(arrays: list[pa.Array]) -> pa.Array:
    """One contiguous string array from several (empty list: an empty array)."""
    if not arrays:
        return pa.array([], pa.string())
    return pa.concat_arrays([a.cast(pa.string()) for a in arrays])


def file_bytes(lines: pa.Array) -> pa.Buffer:
    """The text of a string array whose rows each end with a line break, as one buffer (zero copy
    for a freshly built array)."""
    if len(lines) == 0:
        return pa.py_buffer(b"")
    if lines.null_count:
        raise ValueError("a line is null: a piece of it was missing")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return lines.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
