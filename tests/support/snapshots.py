"""A test's snapshot, written as the JSON the probe prints, read as envbuild reads the probe's answer."""

from __future__ import annotations

from typing import Any

from envbuild.core.snapshot import Snapshot, read_snapshot


def snap(data: dict[str, Any] | None = None, **more: Any) -> Snapshot:
    """``data`` (and ``more``) with the keys every snapshot has filled in where the test leaves them out."""
    return read_snapshot({"schema": 1, "interpreter": {}, "distributions": [], **(data or {}), **more})
