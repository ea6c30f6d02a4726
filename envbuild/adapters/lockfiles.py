"""Lock files on disk: envbuild's own (strict), or any lock a user names (core/lock/foreign.py)."""

from __future__ import annotations

from pathlib import Path

from envbuild.adapters.files import read_text
from envbuild.core.lock import Lock, read_lock
from envbuild.core.lock.foreign import Foreign, read_any
from envbuild.errors import UserError


def read_lock_file(path: Path) -> Lock:
    """An envbuild lock (header and body digest checked)."""
    return read_lock(_text(path), str(path))


def read_any_lock_file(path: Path, platform: str | None = None) -> Lock | Foreign:
    """envbuild's lock, or another tool's (``platform``: which of a conda-lock file's platforms)."""
    return read_any(_text(path), str(path), platform=platform)


def _text(path: Path) -> str:
    if not path.is_file():
        raise UserError(f"no lock file at {path}", hint="create it with 'envbuild lock'")
    return read_text(path, str(path))

