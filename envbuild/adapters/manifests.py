"""Build manifests: every file of what envbuild put into an image (the venv or conda prefix and
/etc/envbuild), path → sha256, recorded when the image is built and kept outside it, in the cache,
keyed by image ID. `verify --files` of that image, or of a container of it, compares with it: a
compiled file rewritten with a valid header, a replaced script in bin/, an edited pyvenv.cfg all show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envbuild.adapters.files import atomic_write


def manifest_path(image_id: str, cache: Path) -> Path:
    """``cache``: envbuild's cache root (adapters/wheelhouse.cache_root)."""
    return cache / "manifests" / f"{image_id.replace(':', '-')}.json"


def write_manifest(image_id: str, trees: Mapping[str, Mapping[str, str]], cache: Path) -> Path:
    path = manifest_path(image_id, cache)
    atomic_write(path, json.dumps({"schema": 1, "image": image_id, "trees": trees}, sort_keys=True) + "\n")
    return path


def read_manifest(image_id: str, cache: Path) -> dict[str, Any] | None:
    """The trees recorded for this image, or None (built elsewhere, or the cache was cleared)."""
    path = manifest_path(image_id, cache)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("image") != image_id or not isinstance(data.get("trees"), dict):
        return None
    return data["trees"]
