"""Progress of a probe that hashes files (`verify --files`, `snapshot --files`): the probe tells
'envbuild-probe: hashed B of T bytes, F of N files' on stderr (probe/hashing.Tally); this turns
those lines into a meter on a terminal, a line every ENVBUILD_PROGRESS_INTERVAL seconds when
piped, and a closing line with the rate. The lines come from the place inspected, so they are read
as untrusted: only that exact shape counts, and any other line is left for the error message."""

from __future__ import annotations

import os
import re
import time

from envbuild.core.progress import Progress, human_size, status
from envbuild.core.progress import interval as progress_interval

_LINE = re.compile(r"envbuild-probe: hashed ([0-9]{1,19}) of ([0-9]{1,19}) bytes, ([0-9]{1,12}) of ([0-9]{1,12}) files")


def is_progress(line: str) -> bool:
    return _LINE.fullmatch(line.strip()) is not None


def without_progress(stderr: str) -> str:
    """The probe's stderr without its progress lines: what is left says why it failed."""
    return "".join(line for line in stderr.splitlines(keepends=True) if not is_progress(line))


class HashProgress:
    """One place's hashing, said through ``progress`` (its meter when it has one and ``alone``: a fleet's
    places share the terminal, so each says lines instead)."""

    def __init__(self, label: str, progress: Progress, *, alone: bool = True) -> None:
        self.label = label
        self.progress = progress
        self.meter = getattr(progress, "meter", None) if alone else None
        self.every = 0.2 if self.meter is not None else progress_interval(os.environ)  # how often the probe tells
        self.started = self.last = time.monotonic()
        self.seen: tuple[int, int, int, int] | None = None

    def line(self, text: str) -> None:
        """A line of the probe's stderr, as it arrives (from the reader thread)."""
        found = _LINE.fullmatch(text.strip())
        if found is None:
            return
        done, total, files, count = (int(group) for group in found.groups())
        self.seen = (done, total, files, count)
        now = time.monotonic()
        said = f"{self.label}: hashed {status(done, total, files, count, now - self.started)}"
        if self.meter is not None:
            self.meter(done, total, said)
        elif now - self.last >= self.every:
            self.progress(f"  {said}")
            self.last = now

    def close(self) -> None:
        """The closing line (nothing when the probe hashed nothing or said nothing)."""
        if self.meter is not None and self.seen is not None:
            self.meter(self.seen[0], self.seen[0], "", done_flag=True)
        if self.seen is None or not self.seen[2]:
            return
        done, _total, files, _count = self.seen
        seconds = time.monotonic() - self.started
        self.progress(f"{self.label}: hashed {files} files, {human_size(done)} in {seconds:.1f} s "
                 f"({human_size(int(done / max(seconds, 1e-3)))}/s)")
