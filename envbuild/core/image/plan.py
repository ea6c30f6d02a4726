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
    from envbuild.core.spec.layers import LayerPlan


def tag_digest(*, dockerfile: str, embedded: Mapping[str, str], base: str, epoch: int,
               files: Mapping[str, str] | None = None) -> str:
    """The hex digest of the build's inputs (``base``: the base image's ID, or its reference;
    ``files``: the spec's files, destination → digest of their contents)."""
    inputs = {"dockerfile": dockerfile, "embedded": dict(embedded), "base": base,
              "buildargs": {"SOURCE_DATE_EPOCH": str(epoch)}}
    if files:  # only then: images without files keep the tags they had
        inputs["files"] = dict(files)
    return digest_of(inputs)[len("sha256:"):]


def pinned_base_tag(ref: str, image_id: str) -> str:
    """The tag envbuild points at a local base it pins by ID, for FROM: 'envbuild/base:bookworm',
    'sha256:ec53…' → 'envbuild/base:envbuild-pin-ec53…' (the whole ID, so it names one image; the
    build checks that the image's lower layers are that base's)."""
    name = ref.split("@", 1)[0]
    if name.startswith("sha256:"):
        name = "envbuild/base"
    elif ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return f"{name}:envbuild-pin-{image_id.removeprefix('sha256:')}"


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


def config_digest(raw: Mapping[str, Any], *, created: str, history: list[str]) -> str:
    """'sha256:…' of the normalised config (normalising a normalised image changes nothing)."""
    import hashlib

    return "sha256:" + hashlib.sha256(normalized_config(raw, created=created, history=history)).hexdigest()


def normalized_config(raw: Mapping[str, Any], *, created: str, history: list[str]) -> bytes:
    """The image config with everything that differs between two builds of the same inputs removed
    (host name, parent image, per-step timestamps), as canonical JSON: its sha256 is the image ID."""
    config = dict(raw.get("Config") or {})
    for key in ("Hostname", "Image", "Domainname"):
        config.pop(key, None)
    if raw.get("Os", "linux") == "linux":  # BuildKit sets it, the classic builder does not; it means
        config.pop("ArgsEscaped", None)  # something on Windows only: one image ID for both builders
    diff_ids = list(kept_layers(raw, len(history)))
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


# The diff ID of a layer that holds no file (a tar of two zero blocks).
EMPTY_LAYER = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"


def kept_layers(raw: Mapping[str, Any], expected: int) -> tuple[str, ...]:
    """The image's diff IDs less the empty layers on top that the plan does not expect (``expected``:
    its history's length). BuildKit (20.10's Dockerfile frontend) writes one for WORKDIR even when the
    directory exists; without it the image is the classic builder's, byte for byte, so that both
    builders give one image ID for one plan."""
    diff_ids = list((raw.get("RootFS") or {}).get("Layers") or [])
    while len(diff_ids) > expected and diff_ids[-1] == EMPTY_LAYER:
        diff_ids.pop()
    return tuple(diff_ids)


def foreign_base_layers(base: tuple[str, ...], built: tuple[str, ...]) -> bool:
    """Whether an image built FROM a base does not start with that base's layers (the tag that named
    the base was moved, or a builder resolved the name somewhere else)."""
    return tuple(built[:len(base)]) != tuple(base)
