"""An image's or a container's verdict from the engine's side: its start-up surface as the engine
reads it against the build manifest (or, with none here, its base image's files), a container's
`docker diff`, its configuration against its image's or the build's, and the lock's label; and the
recording of that manifest when envbuild builds an image (record_manifest).

Everything here comes from outside the place (core/check/image.py, core/image/surface.py): what the
place's own interpreter answers is checked elsewhere, and contradicted here where it lied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.progress import Progress
from envbuild.errors import FileError, ToolUnavailable
from envbuild.core.layout import Labels
from envbuild.core.snapshot import Engine, EngineConfig, Snapshot



def engine_verdict(kind: str, snapshot: Snapshot, embedded_lock: str | None, *, files: bool,
                   environ: Mapping[str, str], timeout: float) -> tuple[list[Finding], list[str]]:
    """(findings, notes) for a place of ``kind`` "image" or "container" whose snapshot carries the
    engine's record (adapters/places.engine_record); ``files``: its surface was read."""
    from envbuild.core.check.image import config_findings, engine_findings, surface_findings, unrecorded_config

    engine = snapshot.engine or Engine()
    built = build_manifest(engine, environ)
    findings = engine_findings(snapshot, embedded_lock)
    notes = []
    expected, seen, source = (built or {}).get("trees"), snapshot.trees, "build manifest"
    if files and built is None:  # the base image's files, for all but what envbuild added
        expected, seen, source = base_trees(engine, timeout, environ), _outside_prefixes(seen), "its base image's files"
        notes.append("no build manifest for this image here (built elsewhere, by an older envbuild, or the cache was "
                     "cleared): its packages were checked against the locked wheels, the rest of its start-up "
                     "files " + ("against its base image" if expected is not None
                                 else "against nothing (its base image is not on this machine)"))
    findings.extend(surface_findings(expected if files else None, seen if files else None,
                                     engine.changes, source))
    # A container against its image's configuration; an image against the record of its build.
    config = engine.image_config if kind == "container" else \
        EngineConfig.read(built["config"], "build manifest: config") if built and built.get("config") is not None else None
    findings.extend(config_findings(engine.config, config, image=kind == "image",
                                    expected_label="as its image has it" if kind == "container" else "as built"))
    if config is None and kind == "image":
        notes.extend(unrecorded_config(engine.config))
    return findings, notes


def build_manifest(engine: Engine, environ: Mapping[str, str]) -> Mapping[str, Any] | None:
    """{"trees", "config"} recorded when envbuild built the place's image on this machine, or None."""
    from envbuild.adapters.cache import cache_root
    from envbuild.adapters.engine.manifests import read_manifest

    return read_manifest(engine.image_id, cache_root(environ)) if engine.image_id else None


def base_trees(engine: Engine, timeout: float, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The start-up surface of the image's base (named by its labels), but the prefixes envbuild
    fills: None when the base is not on this machine. Read through the engine once, then kept in the
    cache beside the build manifests under the base's digest (a digest names its content). (The
    labels are the image's own word: an image rewritten to name another local base is compared
    with that one.)"""
    from envbuild.adapters.cache import cache_root
    from envbuild.adapters.engine.exports import read_image
    from envbuild.adapters.engine.manifests import read_manifest, write_manifest

    digest, name = engine.labels.get(Labels.BASE_DIGEST), engine.labels.get(Labels.BASE_NAME)
    if not digest:
        return None
    kept = read_manifest(digest, cache_root(environ))
    if kept is not None:
        return _outside_prefixes(kept["trees"])
    for ref in (digest, f"{name.split('@')[0]}@{digest}" if name else None):
        if ref:
            try:
                trees = read_image(ref, timeout).trees
            except ToolUnavailable:
                continue
            try:
                write_manifest(digest, trees, cache_root(environ))
            except FileError:
                pass  # a read-only cache: read again next time
            return _outside_prefixes(trees)
    return None


def _outside_prefixes(trees: Mapping[str, Any] | None) -> dict[str, Any]:
    from envbuild.core.image.surface import PREFIXES

    return {k: v for k, v in (trees or {}).items() if k not in PREFIXES}


def record_manifest(image_id: str, cache: Path, progress: Progress, also: Sequence[str] = ()) -> Path | None:
    """Every file of the image's start-up surface, read through the engine's export of a container
    created from it (never started), and its configuration, kept in the cache by image ID: what
    `verify --files` of the image or its containers compares with; with the files or folders
    ``also`` names (the spec's `files:`). Recorded once per image (a no-op rebuild finds it)."""
    import time

    from envbuild.adapters.engine.manifests import manifest_path, read_manifest, write_manifest
    from envbuild.adapters.places import Place, engine_record

    if read_manifest(image_id, cache) is not None:
        return manifest_path(image_id, cache)
    t0 = time.monotonic()
    try:
        record = engine_record(Place(kind="image", name=image_id), timeout=600, files=True, also=also)
    except ToolUnavailable as exc:
        progress(f"warning: no build manifest recorded: {exc.message}")
        return None
    trees = record["files"]["trees"]
    path = write_manifest(image_id, trees, cache, record["config"], also, record["files"]["texts"])
    count = sum(len(files) for files in trees.values())
    progress(f"recorded the manifest of {count} files in {time.monotonic() - t0:.1f} s ({path})")
    return path
