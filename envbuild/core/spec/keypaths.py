"""Reading a YAML document's values with key paths: each problem is a SpecError naming the file,
the key path and what was expected. Pure; shared by the spec and its runtime settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envbuild.errors import SpecError


def kind(value: Any) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number", type(None): "nothing"}
    return kinds.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Reader:
    file: str

    def mapping(self, path: str, value: Any) -> None:
        if not isinstance(value, dict):
            raise SpecError(self.file, path or "(top level)", f"expected a mapping, got {kind(value)}")

    def string(self, path: str, value: Any, *, what: str = "a string") -> str:
        if not isinstance(value, str):
            raise SpecError(self.file, path, f"expected {what}, got {kind(value)}")
        return value

    def keys(self, path: str, data: dict[str, Any], *, required: set[str], optional: set[str]) -> None:
        allowed = required | optional
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                import difflib  # only for a misspelt key

                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
                raise SpecError(self.file, where, "unknown key", hint=hint)
        for key in sorted(required - set(data)):
            where = f"{path}.{key}" if path else key
            raise SpecError(self.file, where, "required key is missing")
