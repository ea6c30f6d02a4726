"""Logical lines of pip-format text (requirements files, lock files). Pure, and cheap to import."""

from __future__ import annotations

import re

# A comment starts at a '#' at the start of a line or after whitespace. Not r"(^|\s+)#.*$" as pip
# writes it: that retries its \s+ from every space of a long run (quadratic: 80 KB of spaces took
# 55 s); a lookbehind starts a match only at the '#' itself.
_COMMENT_START = re.compile(r"(?:^|(?<=\s))#")


def strip_comment(line: str) -> str:
    """The line without its '#' comment, in linear time."""
    if "#" not in line:  # most lines of a lock (its --hash lines): no search at all
        return line
    found = _COMMENT_START.search(line)
    return line[:found.start()] if found else line


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, content) of each logical line: comments stripped, continuations joined."""
    out: list[tuple[int, str]] = []
    pieces: list[str] = []  # the stripped, non-empty parts of the logical line under way
    continuing = False
    start = 0
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = (strip_comment(raw) if "#" in raw else raw).strip()
        if not continuing:
            start = number
        continuing = line.endswith("\\")
        if continuing:
            line = line[:-1].strip()
        if line:
            pieces.append(line)
        if not continuing and pieces:
            out.append((start, pieces[0] if len(pieces) == 1 else " ".join(pieces)))
            pieces = []
    if pieces:
        out.append((start, " ".join(pieces)))
    return out
