"""What `envbuild record` logs to a training run, and how a recorded run is named. Pure.

A record is a few artifacts under ``envbuild/`` in the run (the snapshot of the environment that
trained, the lock it was built from, its SBOM, the image's own metadata) and run tags that the
MLflow UI and search can filter on. Reading a record back treats the run as hostile input: the
snapshot must have the snapshot's shape and the lock must be one envbuild wrote (its body digest).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from envbuild.core.layout import EMBEDDED_LOCKS, Labels
from envbuild.errors import UserError
from envbuild.core.snapshot import Engine, EngineConfig, Snapshot


ARTIFACT_DIR = "envbuild"
SNAPSHOT = "snapshot.json"
LOCKS = EMBEDDED_LOCKS  # lock format → artifact name: the names an image carries them under
SBOM = "sbom.cdx.json"
IMAGE = "image.json"
RECORD = "record.json"  # what was recorded, and from where: the index of the others
INVOCATION = "invocation.json"  # what a re-run needs: the command, its directory, determinism, image, hardware

RUN_ID = re.compile(r"[0-9a-zA-Z_-]{1,64}")
_MODEL = re.compile(r"(?P<name>[^/@]+)(?:/(?P<version>[0-9]+)|@(?P<alias>[A-Za-z0-9_-]+))")


@dataclass(frozen=True, kw_only=True)
class Source:
    """``mlflow:runs:/<id>``, ``mlflow:models:/<name>/<version>`` or ``mlflow:models:/<name>@<alias>``."""

    run_id: str | None = None
    model: str | None = None
    version: str | None = None
    alias: str | None = None

    @property
    def label(self) -> str:
        if self.run_id:
            return f"mlflow:runs:/{self.run_id}"
        return f"mlflow:models:/{self.model}" + (f"/{self.version}" if self.version else f"@{self.alias}")


def is_mlflow(argument: str) -> bool:
    return argument.startswith("mlflow:")


def parse_source(argument: str) -> Source:
    hint = "expected mlflow:runs:/<run_id>, mlflow:models:/<name>/<version> or mlflow:models:/<name>@<alias>"
    rest = argument.removeprefix("mlflow:")
    if rest.startswith("runs:/"):
        run_id = rest.removeprefix("runs:/").strip("/")
        if RUN_ID.fullmatch(run_id):
            return Source(run_id=run_id)
    elif rest.startswith("models:/"):
        found = _MODEL.fullmatch(rest.removeprefix("models:/").rstrip("/"))
        if found:
            return Source(model=found["name"], version=found["version"], alias=found["alias"])
    raise UserError(f"{argument}: not an MLflow source", hint=hint)


def invocation_of(snapshot: Snapshot, *, command: Sequence[str] | None, workdir: str | None,
                  capabilities: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What `reproduce` re-runs: the command the training ran (``command``, else the image's or the
    container's entrypoint and command as the engine has them), its working directory, the
    determinism variables it ran with, the image (reference, ID, and the registry digests of its pushes),
    the hardware fingerprint."""
    from envbuild.core.lineage.hardware import fingerprint
    from envbuild.core.redact import redact_text

    engine = snapshot.engine or Engine()
    config = engine.config or EngineConfig()
    if command is None and (config.entrypoint or config.cmd):
        command = [*(config.entrypoint or ()), *(config.cmd or ())]
    image: dict[str, Any] | None = {key: value for key, value in (
        ("ref", engine.ref), ("image_id", engine.image_id), ("repo_digests", list(engine.repo_digests))) if value} or None
    if image is not None and engine.labels.get(Labels.PROJECT):  # what code it trained: another image may differ
        image["project"] = engine.labels[Labels.PROJECT]
    # an argument may carry a credential (--token=..., a URL with a password): recorded redacted
    return {"schema": 1, "command": [redact_text(str(arg)) for arg in command] if command else None,
            "workdir": workdir or config.workdir or None,
            "environment": dict(snapshot.environment), "image": image,
            "hardware": fingerprint(snapshot, capabilities)}


def record_artifacts(snapshot: Snapshot, *, lock: tuple[str, str] | None, sbom: str | None,
                     source: str, git_commit: str | None, tool_version: str,
                     data: list[dict[str, Any]] | None = None,
                     invocation: Mapping[str, Any] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(artifact name → text, run tag → value). ``lock`` is (format, text): the one the place carries
    when it is an envbuild image, else the one the user named; ``data``: dvc.lock's outputs;
    ``invocation``: what a re-run needs (invocation_of)."""
    from envbuild.core.image.render import lock_sha256

    artifacts = {SNAPSHOT: json.dumps(snapshot.to_dict(), indent=2, sort_keys=True) + "\n"}
    if invocation is not None:
        artifacts[INVOCATION] = json.dumps(invocation, indent=2, sort_keys=True) + "\n"
    engine = snapshot.engine or Engine()
    labels = engine.labels  # the engine's: out of reach of the place
    image = snapshot.envbuild.image if snapshot.envbuild else None
    tags = {"envbuild.version": tool_version, "envbuild.source": source}
    if lock is not None:
        format, text = lock
        artifacts[LOCKS[format]] = text
        tags["envbuild.lock.sha256"] = lock_sha256(text)
    if sbom is not None:
        artifacts[SBOM] = sbom
    if data is not None:
        artifacts[DVC] = json.dumps({"outputs": data}, indent=2, sort_keys=True) + "\n"
        tags["envbuild.dvc.outputs"] = str(len(data))
    if image is not None:
        artifacts[IMAGE] = json.dumps(image.to_dict(), indent=2, sort_keys=True) + "\n"
    if engine.image_id:
        tags["envbuild.image.id"] = engine.image_id
    if engine.ref:
        tags["envbuild.image"] = engine.ref
    digest = labels.get(Labels.INPUTS_DIGEST) or (image.inputs_digest if image else None)
    if digest:
        tags["envbuild.inputs-digest"] = str(digest)
    revision = labels.get(Labels.REVISION) or git_commit
    if revision:
        tags["envbuild.git.commit"] = str(revision).removesuffix("-dirty")
        tags["envbuild.git.dirty"] = "true" if str(revision).endswith("-dirty") else "false"
    index = {"artifacts": sorted(artifacts), "tags": tags, "taken": snapshot.taken.to_dict() if snapshot.taken else None}
    artifacts[RECORD] = json.dumps(index, indent=2, sort_keys=True) + "\n"
    return artifacts, tags


DVC = "dvc.json"
