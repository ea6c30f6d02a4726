"""Text from an inspected environment, made safe to show. Pure.

Names, versions, paths and messages that come back from a place are the attacker's choice: an ESC
sequence can rewrite what the terminal shows (hide a finding, fake an "ok"), a CR can overwrite a
line, a newline can forge a row, and most control characters make an XML file unparseable.
`printable` escapes all of them, visibly (``\\x1b``), so what is shown is what was there.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text (bidi
# overrides and isolates, zero-width and line/paragraph separators).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_UNSAFE_KEEP_NEWLINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """One field: every control and format character escaped, newlines included."""
    return _UNSAFE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Lines of output: the same, but newlines kept as line breaks."""
    return _UNSAFE_KEEP_NEWLINES.sub(_escape, text)


def refuse_controls(value: str, what: str) -> str:
    """``value`` if it has no control or format character; else exit 2. For what goes into a file
    line by line (a lock header, a Dockerfile, a label): a newline there would add a line."""
    if _UNSAFE.search(value):
        from envbuild.errors import UserError

        raise UserError(f"{what} holds a control character: {printable(value)!r}",
                        hint="rename it: newlines, carriage returns and other control characters could add "
                        "lines to the lock or the Dockerfile")
    return value
