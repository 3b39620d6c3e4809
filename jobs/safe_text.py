"""Output hygiene: values from data shown on a terminal or written to a spreadsheet-bound CSV.

Two rules, both applied where text leaves the project for a person's screen or spreadsheet:

- **Terminal**: control characters (C0 and C1 controls such as ESC, which starts ANSI escape
  sequences, DEL, and the bidirectional overrides and line separators that make text display
  other than it reads) are shown as Python escapes (``\\x1b``, ``\\u202e``), so a uid, param or
  label can never move the cursor, recolour, clear the screen or fake a line of output.
  ``terminal_value`` also escapes newline and tab (a value stays on its line);
  ``terminal_text`` keeps the newlines of a formatted, multi-line message.
- **Spreadsheet formulas** (OWASP "CSV injection"): a cell that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading ``'``, so a spreadsheet shows it as text instead
  of evaluating it. Applied to every cell of ``lakehouse export`` and to the params of imported
  members (they travel to campaign tools, which paste them into sheets and templates).
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# C0 controls, DEL, C1 controls; bidi marks, embeddings, overrides and isolates; line and paragraph separators.
_OTHER_CONTROLS = r"\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
_ANY_CONTROL = re.compile(rf"[\x00-\x1f{_OTHER_CONTROLS}]")
_CONTROL_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHER_CONTROLS}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def terminal_value(value: object) -> str:
    """One value for a terminal line: ``"u\\x1b[31m1"`` -> ``u\\x1b[31m1`` (as text; newlines escaped too)."""
    return _ANY_CONTROL.sub(_escape, str(value))


def terminal_text(text: str) -> str:
    """A formatted message for a terminal: every control character escaped except its newlines."""
    return _CONTROL_BUT_NEWLINE.sub(_escape, text)


def spreadsheet_cell(text: str) -> str:
    """``=HYPERLINK(...)`` -> ``'=HYPERLINK(...)``; other text unchanged (OWASP CSV injection rule)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class TerminalStream:
    """A text stream that escapes control characters (newlines kept) before writing to ``stream``.

    ``lakehouse`` wraps its stderr in it, so messages it does not format itself (click's usage
    errors echo the arguments, log lines quote values) cannot drive the terminal either.
    """

    def __init__(self, stream):
        self._stream = stream
        self.encoding = getattr(stream, "encoding", "utf-8")

    def write(self, text: str) -> int:
        self._stream.write(terminal_text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False  # no colours or cursor moves are sent through it

    def fileno(self) -> int:
        return self._stream.fileno()
