"""How services report progress: a callback taking one line, never a print; and how a long job's
progress reads (downloads, hashing). Pure.

A Progress may carry a ``meter`` attribute (cli/output.py sets one on a terminal): a callable
``meter(done, total, text, done_flag=False)`` that redraws one line in place. Without it, long
jobs say a line every ENVBUILD_PROGRESS_INTERVAL seconds (default 5)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

Progress = Callable[[str], None]

MB = 1000 * 1000


def silent(_line: str) -> None:
    """The default progress: nothing shown."""


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1000 * MB), ("MB", MB), ("kB", 1000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def status(done: int, total: int, files: int, count: int, seconds: float) -> str:
    """'120.0 MB of 397.0 MB (30 %), 4000/13000 files, 400.0 MB/s' (``total`` 0: not known)."""
    rate = human_size(int(done / max(seconds, 1e-3)))
    if total:
        return f"{human_size(done)} of {human_size(total)} ({done * 100 // total} %), {files}/{count} files, {rate}/s"
    return f"{human_size(done)}, {files}/{count} files, {rate}/s"


def interval(environ: Mapping[str, str]) -> float:
    """Seconds between progress lines when no meter is drawn: ENVBUILD_PROGRESS_INTERVAL (default 5)."""
    try:
        return max(0.1, float(environ.get("ENVBUILD_PROGRESS_INTERVAL", "5")))
    except ValueError:
        return 5.0
