"""Build manifests: every file of the image's start-up surface (core/image/surface.py: the venv or conda
prefix, /etc/envbuild, the interpreter, the standard library, /etc/python3.X, ...), path → sha256,
and the configuration that decides what runs (environment, entrypoint, user), recorded when the
image is built and kept outside it, in the cache, keyed by image ID. The files are read through the
engine (its export stream), never by a Python inside the image. `verify --files` of that image, or
of a container of it, compares with it: a compiled file rewritten with a valid header, a replaced
script in bin/, an edited pyvenv.cfg, a hook appended to sitecustomize all show.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envbuild.adapters.files import atomic_write


def manifest_path(image_id: str, cache: Path) -> Path:
    """``cache``: envbuild's cache root (adapters/cache.cache_root)."""
    return cache / "manifests" / f"{image_id.replace(':', '-')}.json"


# 2: the whole start-up surface, read through the engine, and the configuration. A manifest of
# schema 1 (the prefix and /etc/envbuild, hashed by a probe inside) is not read: rebuilt on `build`.
SCHEMA = 2


def write_manifest(image_id: str, trees: Mapping[str, Mapping[str, str]], cache: Path,
                   config: Mapping[str, Any] | None = None, also: Sequence[str] = (),
                   texts: Mapping[str, str] | None = None) -> Path:
    """``also``: the paths beside the surface that the trees hold (the spec's `files:`); ``texts``:
    each .pth file's text (what it runs at start-up)."""
    path = manifest_path(image_id, cache)
    atomic_write(path, json.dumps({"schema": SCHEMA, "image": image_id, "trees": trees, "config": config or {},
                                   "also": sorted(also), "texts": dict(texts or {})}, sort_keys=True) + "\n")
    return path


def read_manifest(image_id: str, cache: Path) -> dict[str, Any] | None:
    """{"trees", "config", "also", "texts"} recorded for this image, or None (built elsewhere, by an older
    envbuild, or the cache was cleared)."""
    path = manifest_path(image_id, cache)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("image") != image_id or data.get("schema") != SCHEMA \
            or not isinstance(data.get("trees"), dict) or not isinstance(data.get("config"), dict):
        return None
    also = given if isinstance(given := data.get("also"), list) else []
    texts = found_texts if isinstance(found_texts := data.get("texts"), dict) else {}
    return {"trees": data["trees"], "config": data["config"], "also": [str(p) for p in also], "texts": texts}
