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
from envbuild.core.progress import Progress
from envbuild.errors import ToolUnavailable


def manifest_path(image_id: str, cache: Path) -> Path:
    """``cache``: envbuild's cache root (adapters/cache.cache_root)."""
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


def record_manifest(image_id: str, cache: Path, progress: Progress) -> Path | None:
    """Every file envbuild put into the image, hashed in a throw-away container of it (no network),
    kept in the cache by image ID: what `verify --files` of the image or its containers compares
    with. Recorded once per image (a no-op rebuild finds it)."""
    import time

    from envbuild.adapters.places import IMAGE_TREES, Place, take_snapshot

    if read_manifest(image_id, cache) is not None:
        return manifest_path(image_id, cache)
    t0 = time.monotonic()
    try:
        snapshot = take_snapshot(Place(kind="image", name=image_id), trees=IMAGE_TREES, timeout=600)
    except ToolUnavailable as exc:  # an image without a Python to run the probe: verify says so later
        progress(f"warning: no build manifest recorded: {exc.message}")
        return None
    path = write_manifest(image_id, snapshot.get("trees") or {}, cache)
    count = sum(len(files) for files in (snapshot.get("trees") or {}).values())
    progress(f"recorded the manifest of {count} files in {time.monotonic() - t0:.1f} s ({path})")
    return path
