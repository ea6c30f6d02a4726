"""The compatibility data shipped with envbuild (envbuild/data/*.json)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=None)
def cuda_data() -> dict[str, Any]:
    return json.loads((Path(__file__).resolve().parent.parent / "data" / "cuda.json").read_text(encoding="utf-8"))
