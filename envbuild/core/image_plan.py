"""What an image is made of, decided before anything is built: its tag, the files under
/etc/envbuild, its history and its normalised config. Pure.

The tag is a digest of every input of the build (the Dockerfile, the embedded files, the base
image's ID, the build arguments): the same inputs give the same tag, and `build` skips an image
whose tag exists. The normalised config makes the image ID itself reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from envbuild.core.digest import canonical_json, digest_of

if TYPE_CHECKING:
    from envbuild.core.layers import LayerPlan


def tag_digest(*, dockerfile: str, embedded: Mapping[str, str], base: str, epoch: int,
               files: Mapping[str, str] | None = None) -> str:
    """The hex digest of the build's inputs (``base``: the base image's ID, or its reference;
    ``files``: the spec's files, destination → digest of their contents)."""
    inputs = {"dockerfile": dockerfile, "embedded": dict(embedded), "base": base,
              "buildargs": {"SOURCE_DATE_EPOCH": str(epoch)}}
    if files:  # only then: images without files keep the tags they had
        inputs["files"] = dict(files)
    return digest_of(inputs)[len("sha256:"):]


def image_ref(name: str, target: str, digest: str) -> str:
    """'team/model:cpu-0123456789ab'."""
    return f"{name}:{target}-{digest[:12]}"


def history(base: str, base_layers: int, target: str, environment: str, plan: "LayerPlan | None" = None) -> list[str]:
    """One history entry per layer: the base's, then envbuild's (``environment``: the ecosystem's
    words, "/opt/venv from cpu lock"): one, or one per layer of the plan."""
    entries = [f"base image {base} layer {i + 1}" for i in range(base_layers)]
    if plan is None:
        return entries + [f"envbuild {target}: {environment}, /etc/envbuild, user app"]
    if plan.staged:
        entries.append(f"envbuild {target}: {environment}: the venv's skeleton")
    entries += [f"envbuild {target}: layer {layer.name} ({len(layer.packages)} packages)" for layer in plan.layers]
    if plan.project:
        entries.append(f"envbuild {target}: the project's wheel and files")
    return entries + [f"envbuild {target}: /etc/envbuild, user app" if plan.staged else
                      f"envbuild {target}: {environment}: the rest (pip part, project), /etc/envbuild, user app"]


def normalized_config(raw: Mapping[str, Any], *, created: str, history: list[str]) -> bytes:
    """The image config with everything that differs between two builds of the same inputs removed
    (host name, parent image, per-step timestamps), as canonical JSON: its sha256 is the image ID."""
    config = dict(raw.get("Config") or {})
    for key in ("Hostname", "Image", "Domainname"):
        config.pop(key, None)
    diff_ids = list((raw.get("RootFS") or {}).get("Layers") or [])
    entries = [{"created": created, "created_by": history[i] if i < len(history) else f"layer {i + 1}"}
               for i in range(len(diff_ids))]
    document: dict[str, Any] = {
        "architecture": raw.get("Architecture", "amd64"),
        "os": raw.get("Os", "linux"),
        "created": created,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": entries,
    }
    if raw.get("Variant"):
        document["variant"] = raw["Variant"]
    return canonical_json(document).encode("utf-8")
