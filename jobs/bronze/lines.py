"""Reading one landing file as numbered lines with bounded memory, and naming why a file cannot be read."""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_LINE_BYTES = 1 << 20  # a longer line is quarantined as too_long (PRODUCT.md)
RAW_LINE_BYTES = 64 << 10  # the raw line kept in quarantine is cut to this many bytes
CHUNK_BYTES = 1 << 20  # read and decompressed in pieces of this size: a gzip bomb cannot fill memory
_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_GZIP = 16 + zlib.MAX_WBITS  # zlib's window-bits value for the gzip container

# Why a file could not be read to its end (the reason codes of a failed file).
TRUNCATED = "truncated"
UNDECODABLE = "undecodable"
IO_ERROR = "io_error"
FILE_FAILURES = (TRUNCATED, UNDECODABLE, IO_ERROR)


class FileReadError(Exception):
    """A landing file stopped being readable; the lines yielded before it stand.

    Args:
        reason: ``truncated``, ``undecodable`` or ``io_error``.
        detail: what happened, without any content of the file.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class TooLongLine:
    """A line longer than ``MAX_LINE_BYTES``: only its first ``RAW_LINE_BYTES`` are kept."""

    prefix: bytes
    length: int  # bytes of the whole line, without its line break


def gunzip(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decompresses a gzip stream (several members allowed) in pieces of at most ``CHUNK_BYTES``.

    Raises:
        FileReadError: ``undecodable`` for data that is not gzip or fails its check,
            ``truncated`` when the stream ends inside a member.
    """
    inflate = zlib.decompressobj(_GZIP)
    started = False
    for chunk in chunks:
        pending = chunk
        while pending:
            started = True
            try:
                out = inflate.decompress(pending, CHUNK_BYTES)
            except zlib.error as exc:
                raise FileReadError(UNDECODABLE, f"not valid gzip data ({exc})") from None
            if out:
                yield out
            if inflate.eof:
                pending = inflate.unused_data  # the next member, if any
                inflate = zlib.decompressobj(_GZIP)
                started = bool(pending)
            else:
                pending = inflate.unconsumed_tail
        # the rest of this chunk is consumed; read the next one
    tail = inflate.flush()
    if tail:
        yield tail
    if started and not inflate.eof:
        raise FileReadError(TRUNCATED, "the gzip stream ends before its end-of-stream marker")


def split_lines(chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes | TooLongLine]]:
    """Yields ``(line number from 1, line without its line break)`` from a file's bytes.

    Lines end at ``\\n`` only (a ``\\r`` before it is dropped), so numbers match ``sed -n Np``; a
    UTF-8 byte-order mark at the start is dropped. A line over ``MAX_LINE_BYTES`` is yielded as a
    ``TooLongLine``; memory stays within about ``MAX_LINE_BYTES + CHUNK_BYTES`` whatever the input.

    Raises:
        FileReadError: ``undecodable`` if the file starts with a UTF-16 byte-order mark.
    """
    number = 0
    carry = b""  # the unfinished line so far
    long_prefix, long_length = None, 0  # set while skipping the rest of a too-long line
    for chunk in _without_bom(chunks):
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if long_prefix is not None:
                long_length += len(piece)
            elif len(carry) + len(piece) > MAX_LINE_BYTES + 1:  # + 1: a \r that a \n may still follow
                long_prefix = (carry + piece[: RAW_LINE_BYTES])[:RAW_LINE_BYTES]
                long_length = len(carry) + len(piece)
                carry = b""
            else:
                carry += piece
            if end < 0:
                break
            number += 1
            yield number, _finish(carry, long_prefix, long_length)
            carry, long_prefix, long_length = b"", None, 0
            start = end + 1
    if carry or long_prefix is not None:
        number += 1
        yield number, _finish(carry, long_prefix, long_length)


def _without_bom(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks with a UTF-8 byte-order mark at the start dropped (however the chunks split it).

    Raises:
        FileReadError: ``undecodable`` if the file starts with a UTF-16 byte-order mark.
    """
    pieces = iter(chunks)
    head = b""
    for chunk in pieces:
        head += chunk
        if len(head) >= len(_BOM):
            break
    if head.startswith(_UTF16_BOMS):
        raise FileReadError(UNDECODABLE, "the file starts with a UTF-16 byte-order mark; lines must be UTF-8")
    if head:
        yield head.removeprefix(_BOM)
    yield from pieces


def _finish(carry: bytes, long_prefix: bytes | None, long_length: int) -> bytes | TooLongLine:
    if long_prefix is None:
        line = carry[:-1] if carry.endswith(b"\r") else carry
        if len(line) <= MAX_LINE_BYTES:
            return line
        long_prefix, long_length = line[:RAW_LINE_BYTES], len(line)
    return TooLongLine(long_prefix, long_length)  # the \r of a too-long line is counted: it is never seen


def raw_text(line: bytes | TooLongLine) -> str:
    """The line as text for the quarantine table: its first ``RAW_LINE_BYTES`` (a UTF-8 sequence
    split by the cut is dropped), invalid UTF-8 bytes as U+FFFD."""
    head, length = (line.prefix, line.length) if type(line) is TooLongLine else (line, len(line))
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return decoder.decode(head[:RAW_LINE_BYTES], final=length <= RAW_LINE_BYTES)
