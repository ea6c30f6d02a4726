"""envbuild sbom: the CycloneDX document of a lock, an image or a snapshot (core/sbom.py).

An image's is derived from what the image carries, the way verify reads it: the embedded lock
(vouched for by the image's lock label, else by its own body digest), /etc/envbuild/image.json and
the labels — so `sbom --image REF` gives the components `build` embedded at /etc/envbuild/sbom.cdx.json.
A snapshot of an environment envbuild did not build has no lock: its installed distributions become
components without hashes (what was found, not what was locked), and the document says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from envbuild import __version__
from envbuild.errors import UserError


def of_lock(path: Path) -> str:
    from envbuild.adapters.files import read_text
    from envbuild.core.lockfile import read_lock
    from envbuild.core.render import lock_sha256
    from envbuild.core.sbom import BomSubject, cyclonedx_json

    if not path.is_file():
        raise UserError(f"no lock file at {path}", hint="create it with 'envbuild lock'")
    text = read_text(path, str(path))
    lock = read_lock(text, str(path))
    return cyclonedx_json(BomSubject(name=path.name, target=lock.target, packages=lock.packages,
                                     created=lock.exclude_newer, tool_version=__version__, platform=lock.platform,
                                     lock_sha256=lock_sha256(text)))


def of_image(ref: str, *, interpreter: str = "python3") -> str:
    from envbuild.adapters.places import Place, take_snapshot

    return _of_snapshot(take_snapshot(Place(kind="image", name=ref, interpreter=interpreter)), ref)


def of_snapshot(path: Path) -> str:
    from envbuild.adapters.files import read_text
    from envbuild.core.snapshot import InvalidSnapshot, validate_snapshot

    try:
        data = validate_snapshot(json.loads(read_text(path, str(path))))
    except (ValueError, RecursionError, InvalidSnapshot) as exc:
        raise UserError(f"{path}: not an envbuild snapshot: {exc}", hint="make one with 'envbuild snapshot -o FILE'") \
            from None
    return _of_snapshot(data, str(path))


def _of_snapshot(data: Mapping[str, Any], label: str) -> str:
    from envbuild.core.image_checks import carried_lock, label_vouches
    from envbuild.core.lockfile import PIP, Package, read_lock
    from envbuild.core.render import lock_sha256
    from envbuild.core.sbom import cyclonedx_json, subject_of_image

    carried = data.get("envbuild") or {}
    labels = (data.get("engine") or {}).get("labels") or {}
    found = carried_lock(data)
    if found:
        format, text = found
        lock = read_lock(text, f"{label}: embedded lock", format=format, check_body=not label_vouches(data, text))
        packages, sha256 = lock.packages, lock_sha256(text)
    else:
        packages = tuple(Package(name=str(d["name"]), version=str(d["version"]), manager=PIP)
                         for d in data.get("distributions") or [] if d.get("name") and d.get("version"))
        sha256 = None
    image_json = carried.get("image") if isinstance(carried.get("image"), Mapping) else {}
    subject = subject_of_image(labels, image_json, packages, image=label, tool_version=__version__, lock_sha256=sha256)
    return cyclonedx_json(subject)
