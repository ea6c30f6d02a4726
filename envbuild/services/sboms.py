"""envbuild sbom: the CycloneDX document of a lock, an image or a snapshot (core/lineage/sbom.py).

An image's is derived from what the image carries, the way verify reads it: the embedded lock
(vouched for by the image's lock label, else by its own body digest), /etc/envbuild/image.json and
the labels — so `sbom --image REF` gives the components `build` embedded at /etc/envbuild/sbom.cdx.json.
A snapshot of an environment envbuild did not build has no lock: its installed distributions become
components without hashes (what was found, not what was locked), and the document says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.version import __version__
from envbuild.errors import UserError

if TYPE_CHECKING:
    from envbuild.core.snapshot import Snapshot


def of_lock(path: Path) -> str:
    from envbuild.adapters.files import read_text
    from envbuild.core.lineage.sbom import bom_of_lock

    if not path.is_file():
        raise UserError(f"no lock file at {path}", hint="create it with 'envbuild lock'")
    return bom_of_lock(read_text(path, str(path)), str(path), tool_version=__version__)


def of_image(ref: str, *, interpreter: str = "python3") -> str:
    from envbuild.adapters.places import Place, take_snapshot

    return _of_snapshot(take_snapshot(Place(kind="image", name=ref, interpreter=interpreter)), ref)


def of_snapshot(path: Path) -> str:
    from envbuild.adapters.files import read_text
    from envbuild.adapters.sides import parse_snapshot

    return _of_snapshot(parse_snapshot(read_text(path, str(path)), str(path)), str(path))


def _of_snapshot(data: "Snapshot", label: str) -> str:
    from envbuild.core.lineage.sbom import bom_of_snapshot

    return bom_of_snapshot(data, label, tool_version=__version__)
