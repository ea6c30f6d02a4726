"""Package names as PEP 503 normalises them. Pure, and cheap to import (no packaging)."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: runs of '-', '_' and '.' become one '-', lower case."""
    return _SEPARATORS.sub("-", name).lower()
