"""Lock files: one model (model.py), two file formats (pip_format.py: pip's hash-pinned
requirements; conda_format.py: conda-lock v1), and the one place that tells them apart; other tools'
locks (foreign.py), the lock an image carries (carried.py), what changed between two (changes.py). Pure."""

from __future__ import annotations

from typing import Protocol

from envbuild.core.lock import conda_format, pip_format
from envbuild.core.lock.model import CONDA, DEFAULT_INDEX, PIP, Lock, Package

__all__ = ["CONDA", "DEFAULT_INDEX", "PIP", "Lock", "Package", "lock_file_name", "read_lock", "render_lock"]



class _Format(Protocol):
    """What each lock format module offers."""

    FORMAT: str
    SUFFIX: str

    def parse(self, text: str, source: str, *, check_body: bool = True) -> Lock: ...

    def render(self, lock: Lock) -> str: ...


_FORMATS: dict[str, _Format] = {pip_format.FORMAT: pip_format, conda_format.FORMAT: conda_format}


def read_lock(text: str, source: str, *, format: str | None = None, check_body: bool = True) -> Lock:
    """A lock in either format; ``format`` None: told apart by the file's name and content."""
    if format is None:
        format = conda_format.FORMAT if conda_format.looks_like(source.rsplit("/", 1)[-1], text) else pip_format.FORMAT
    return _FORMATS[format].parse(text, source, check_body=check_body)


def render_lock(lock: Lock) -> str:
    """The file text of a lock, in the format it names; the same lock renders byte-identical."""
    return _FORMATS[lock.format].render(lock)


def lock_file_name(target: str, format: str) -> str:
    """'cpu.txt', 'cpu.conda-lock.yml': the file in the image directory's locks/."""
    return f"{target}{_FORMATS[format].SUFFIX}"
