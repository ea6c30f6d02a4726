"""Lock files: one model (model.py), two file formats (requirements.py: pip's hash-pinned
requirements; condalock.py: conda-lock v1), and the one place that tells them apart. Pure."""

from __future__ import annotations

from envbuild.core.lockfile import condalock, requirements
from envbuild.core.lockfile.model import CONDA, DEFAULT_INDEX, PIP, Lock, Package

__all__ = ["CONDA", "DEFAULT_INDEX", "PIP", "Lock", "Package", "lock_file_name", "read_lock", "render_lock"]

_FORMATS = {requirements.FORMAT: requirements, condalock.FORMAT: condalock}


def read_lock(text: str, source: str, *, format: str | None = None, check_body: bool = True) -> Lock:
    """A lock in either format; ``format`` None: told apart by the file's name and content."""
    if format is None:
        format = condalock.FORMAT if condalock.looks_like(source.rsplit("/", 1)[-1], text) else requirements.FORMAT
    return _FORMATS[format].parse(text, source, check_body=check_body)


def render_lock(lock: Lock) -> str:
    """The file text of a lock, in the format it names; the same lock renders byte-identical."""
    return _FORMATS[lock.format].render(lock)


def lock_file_name(target: str, format: str) -> str:
    """'cpu.txt', 'cpu.conda-lock.yml': the file in the image directory's locks/."""
    return f"{target}{_FORMATS[format].SUFFIX}"
