"""What the common options (cli/conventions.py) said, read by output.py; imports nothing heavy.

Colour follows https://no-color.org and https://force-color.org: --color wins, then NO_COLOR (any
non-empty value), then FORCE_COLOR, then whether the stream is a terminal (and TERM is not dumb).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class Settings:
    quiet: bool = False
    verbose: int = 0
    color: str = "auto"
    debug: bool = False


SETTINGS = Settings()


def reset_settings() -> None:
    """Each command line starts from the defaults (cli.main runs several in one process in tests)."""
    for name, value in vars(Settings()).items():
        setattr(SETTINGS, name, value)


def use_color(environ: Mapping[str, str] | None = None, stream: Any = None) -> bool:
    environ = os.environ if environ is None else environ
    stream = sys.stdout if stream is None else stream
    if SETTINGS.color != "auto":
        return SETTINGS.color == "always"
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)()) and environ.get("TERM") != "dumb"
