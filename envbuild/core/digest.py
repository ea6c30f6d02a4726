"""Canonical digests. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_of(value: Any) -> str:
    """Digest of a JSON-able value, independent of key order and formatting."""
    return sha256_text(canonical_json(value))


def combine(components: Mapping[str, str]) -> str:
    """One digest over named component digests."""
    return digest_of(dict(components))


def changed_components(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """Human lines saying which inputs differ between two component maps."""
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f"added input {name}")
        elif name not in new:
            lines.append(f"removed input {name}")
        elif old[name] != new[name]:
            lines.append(f"changed {name}")
    return lines
