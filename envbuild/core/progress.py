"""How services report progress: a callback taking one line, never a print. Pure."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def silent(_line: str) -> None:
    """The default progress: nothing shown."""
