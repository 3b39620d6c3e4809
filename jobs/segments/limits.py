"""Limits of a definition file, checked before parsing (size, kind of file) and while parsing (depth, aliases)."""

from __future__ import annotations

import errno
import os
import stat

MAX_FILE_BYTES = 1024 * 1024  # a definition file: 1 MiB
MAX_DEPTH = 64  # nesting of mappings and lists, aliases expanded
MAX_ALIAS_NODES = 10_000  # nodes produced by expanding aliases, per document


class FileRefused(Exception):
    """A file that is not read: why, in the words of a definition error."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _inside(path: str, folder: str) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(folder)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def checked_path(path: str, folder: str, what: str, limit: int, where: str = "the definitions folder") -> str:
    """``path`` if it is a regular file inside ``folder`` of at most ``limit`` bytes (nothing is opened).

    A symlink is followed only when its target stays inside ``folder``.

    Raises:
        FileRefused: with the reason, e.g. ``a FIFO is not a regular file``.
    """
    if "\x00" in path:
        raise FileRefused(f"{what} name contains a NUL byte")
    if not _inside(path, folder):
        reason = "is a symlink that leads outside" if os.path.islink(path) else "is outside"
        raise FileRefused(f"{what} {reason} {where}")
    try:
        os.lstat(path)
    except FileNotFoundError:
        raise FileRefused(f"{what} does not exist") from None
    except OSError as exc:
        raise FileRefused(f"{what} cannot be read: {errno.errorcode.get(exc.errno, exc.__class__.__name__)}") from None
    try:
        info = os.stat(path)
    except OSError:
        raise FileRefused(f"{what} is a broken symlink") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        raise FileRefused(f"{what} is {kind}, not a regular file" if kind != "not a regular file" else f"{what} is {kind}")
    if info.st_size > limit:
        raise FileRefused(f"{what} is {info.st_size:,} bytes, over the limit of {_size(limit)}")
    return path


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit:,} bytes"


def open_regular(path: str, what: str, limit: int) -> int:
    """A read-only descriptor of ``path``, opened without blocking and checked again after opening
    (the file may have been swapped since ``checked_path``). The caller closes it.

    Raises:
        FileRefused: the opened file is not a regular file or is over ``limit`` bytes.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileRefused(f"{what} cannot be read: {errno.errorcode.get(exc.errno, exc.__class__.__name__)}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        raise FileRefused(f"{what} changed while it was read: not a regular file of at most {_size(limit)}")
    os.set_blocking(fd, True)
    return fd


def read_limited(path: str, what: str, limit: int) -> bytes:
    """The bytes of a checked file, never more than ``limit`` (a file that grows is refused)."""
    fd = open_regular(path, what, limit)
    try:
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            total += len(chunk)
            if total > limit:
                raise FileRefused(f"{what} is over the limit of {_size(limit)}")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
