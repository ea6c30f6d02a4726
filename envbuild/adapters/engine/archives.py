"""The image archives `docker load` reads, as normalisation writes them (adapters/engine/docker.Engine.normalize).

Thin: the rewritten config and a manifest.json naming layers the engine already holds, and no layer.
The graph-driver store (overlay2, Docker up to 28's default) skips a layer whose chain it has, so
loading it takes milliseconds whatever the image's size. The containerd image store (Docker 29's
default, Docker Desktop) imports through containerd's content store, which needs every blob the
manifest names: it refuses a thin archive ("failed to resolve layers: layer …/layer.tar not found",
tests/integration/test_image_store.py, against containerd's own importer). There the archive is full:
the image as `docker save` writes it, with its config and manifest.json replaced; its layers are
copied as they are, so the image keeps its diff IDs.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from envbuild.errors import BuildError


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    entry = tarfile.TarInfo(name)
    entry.size, entry.mtime, entry.mode = len(data), 0, 0o644
    tar.addfile(entry, io.BytesIO(data))


def _manifest(config_name: str, ref: str, layers: Sequence[str]) -> bytes:
    return json.dumps([{"Config": config_name, "RepoTags": [ref], "Layers": list(layers)}]).encode()


def thin_archive(config_bytes: bytes, config_hex: str, diff_ids: Sequence[str], ref: str) -> bytes:
    """Config and manifest only: the layers are named (by diff ID), not carried."""
    name = f"{config_hex}.json"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        _add(tar, name, config_bytes)
        _add(tar, "manifest.json", _manifest(name, ref, [f"{d.split(':')[1]}/layer.tar" for d in diff_ids]))
    return buffer.getvalue()


def full_archive(saved: Path, out: IO[bytes], config_bytes: bytes, config_hex: str, layers: int, ref: str) -> None:
    """``saved`` (a `docker save` archive of the built image: the legacy layout or Docker 25's OCI one,
    both with a manifest.json) rewritten into ``out``: the new config, a manifest.json naming it, and
    the image's lowest ``layers`` layers (the ones the config keeps), nothing else (no index.json: an
    importer that reads it would take the old config)."""
    with tarfile.open(saved, mode="r:") as source:
        try:
            entries = json.loads(_read(source, "manifest.json"))
            names = list(entries[0]["Layers"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise BuildError(f"the engine saved {ref} without a readable manifest.json") from None
        if len(names) < layers:
            raise BuildError(f"the engine saved {len(names)} layers of {ref}, fewer than its config's {layers}")
        with tarfile.open(fileobj=out, mode="w|") as tar:
            kept = []
            for index, name in enumerate(names[:layers]):
                member = _followed(source, name)
                data = source.extractfile(member)
                if data is None:
                    raise BuildError(f"the saved image {ref} has no file for its layer {name}")
                entry = tarfile.TarInfo(f"layers/{index:03d}.tar")
                entry.size, entry.mtime, entry.mode = member.size, 0, 0o644
                tar.addfile(entry, data)
                kept.append(entry.name)
            config_name = f"blobs/sha256/{config_hex}"
            _add(tar, config_name, config_bytes)
            _add(tar, "manifest.json", _manifest(config_name, ref, kept))


def _followed(tar: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    """The member ``name`` names, through links (Docker 25's legacy layer names link to its blobs)."""
    import posixpath

    member = tar.getmember(name)
    for _ in range(8):
        if not (member.issym() or member.islnk()):
            return member
        target = member.linkname if member.islnk() else posixpath.join(posixpath.dirname(member.name), member.linkname)
        member = tar.getmember(posixpath.normpath(target))
    raise BuildError(f"the saved image's {name} is a chain of links")


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise KeyError(name)
    return member.read()
