"""A finding: one way an environment differs from what it should be. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# How a finding's detail begins when its files run code at every interpreter start (a .pth file with an
# executable line): core/check/severity.py reads it, so that no start-up hook is ever only "low".
STARTUP = "runs code at start-up"


@dataclass(frozen=True, kw_only=True)
class Finding:
    kind: str  # missing | unexpected | version | build | modified | duplicate | python | platform | gpu | unowned ...
    name: str
    expected: str | None = None
    actual: str | None = None
    detail: str = ""
    paths: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "expected": self.expected, "actual": self.actual}
        if self.detail:
            out["detail"] = self.detail
        if self.paths:
            out["paths"] = list(self.paths)
        return out
