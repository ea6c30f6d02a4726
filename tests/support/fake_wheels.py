"""Locked wheels in a dict: a WheelSource (ecosystems/ecosystem.py) for tests of verify --files' own
logic — which pins it asks for, which RECORD judges which files — where a real wheelhouse would
only add an index, downloads and minutes. The real one is tested against a local index and PyPI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from envbuild.core.lock import Lock, Package
from envbuild.errors import ToolUnavailable


@dataclass
class FakeWheels:
    records: Mapping[str, str]  # canonical name → the RECORD text its locked wheel ships
    asked: list[tuple[str, ...]] = field(default_factory=list)  # the names of each call, in order

    def __call__(self, lock: Lock, pins: Sequence[Package], progress: object,
                 tags: Sequence[str] | None) -> dict[str, str]:
        self.asked.append(tuple(p.name for p in pins))
        missing = [p.name for p in pins if p.name not in self.records]
        if missing:
            raise ToolUnavailable(f"no locked wheel for {', '.join(missing)} (fake)")
        return {p.name: self.records[p.name] for p in pins}
