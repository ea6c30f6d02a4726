"""Build provenance: an in-toto Statement v1 whose predicate is SLSA Provenance v1. Pure.

The subject is the image: its config digest (the image ID, reproducible), and the manifest digest
when it was pushed. The resolved dependencies are everything the build read: the base image by
digest, every wheel and conda archive by sha256 (with its URL where the lock has one), the lock file
itself, and the git commit of the sources (with a dirty flag: an uncommitted tree is a fact the
provenance must not hide). The build definition names envbuild's version, the target and the inputs
digest, so that a verifier can rebuild and compare image IDs.

Signing is the user's signer's job: `cosign attest --type slsaprovenance1 --predicate <(jq .predicate FILE)`.
"""

from __future__ import annotations

import json
from typing import Any
from envbuild.core.layout import Labels
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

STATEMENT = "https://in-toto.io/Statement/v1"
PREDICATE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://github.com/envbuild/envbuild/blob/main/README.md#build-provenance"


@dataclass(frozen=True, kw_only=True)
class Artifact:
    name: str  # a file name, or what the artifact is ("lock", "base image")
    sha256: str  # hex
    uri: str | None = None  # where it came from
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class BuildFacts:
    image: str  # the reference built
    image_id: str  # sha256:… (the config digest)
    repo_digest: str | None  # name@sha256:… when pushed
    target: str
    spec_file: str  # the image directory's envbuild.yaml, as the repository names it
    inputs_digest: str
    tag_digest: str
    tool_version: str
    base: Artifact | None
    lock: Artifact
    files: Sequence[Artifact]  # wheels, conda archives, the project's wheel
    source: str | None = None  # the repository URL (org.opencontainers.image.source)
    revision: str | None = None  # commit, with "-dirty" when the tree had uncommitted changes
    started: str | None = None  # ISO 8601 UTC
    finished: str | None = None


def build_facts(labels: Mapping[str, str], *, image: str, image_id: str, repo_digest: str | None, target: str,
                spec_file: str, tag_digest: str, tool_version: str, lock_sha256: str, files: Sequence[tuple[str, str]],
                urls: Mapping[str, str], project: tuple[str, str] | None, started: str, finished: str) -> BuildFacts:
    """``files``: (file name, sha256) of every file the build read; ``urls``: sha256 → the lock's URL;
    ``project``: (wheel file name, sha256)."""
    artifacts = [Artifact(name=name, sha256=sha256, uri=urls.get(sha256)) for name, sha256 in files]
    if project:
        artifacts.append(Artifact(name=project[0], sha256=project[1], annotations={"role": "project"}))
    base = labels.get(Labels.BASE_NAME)
    return BuildFacts(
        image=image, image_id=image_id, repo_digest=repo_digest, target=target, spec_file=spec_file,
        inputs_digest=labels.get(Labels.INPUTS_DIGEST, ""), tag_digest=tag_digest, tool_version=tool_version,
        lock=Artifact(name="lock", sha256=lock_sha256),
        base=Artifact(name=base, sha256=labels.get(Labels.BASE_DIGEST, "")) if base else None,
        files=artifacts, source=labels.get(Labels.SOURCE),
        revision=labels.get(Labels.REVISION), started=started, finished=finished)


def provenance_json(facts: BuildFacts) -> str:
    subject = [{"name": facts.image, "digest": {"sha256": _hex(facts.image_id)}}]
    if facts.repo_digest:
        name, _, digest = facts.repo_digest.partition("@")
        subject.append({"name": name, "digest": {"sha256": _hex(digest)}})
    dependencies = []
    if facts.base:
        dependencies.append(_dependency(facts.base))
    dependencies.append(_dependency(facts.lock))
    dependencies += [_dependency(a) for a in sorted(facts.files, key=lambda a: (a.name, a.sha256))]
    if facts.revision:
        commit, dirty = facts.revision.removesuffix("-dirty"), facts.revision.endswith("-dirty")
        dependencies.append({"uri": f"git+{facts.source}" if facts.source else "git", "digest": {"gitCommit": commit},
                             "annotations": {"dirty": dirty}})
    metadata = {"invocationId": f"{facts.image}@{facts.image_id}"}
    if facts.started:
        metadata["startedOn"] = facts.started
    if facts.finished:
        metadata["finishedOn"] = facts.finished
    statement = {
        "_type": STATEMENT,
        "subject": subject,
        "predicateType": PREDICATE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"target": facts.target, "spec": facts.spec_file,
                                       **({"source": facts.source} if facts.source else {})},
                "internalParameters": {"envbuild": facts.tool_version, "inputsDigest": facts.inputs_digest,
                                       "tagDigest": facts.tag_digest},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {"id": "https://github.com/envbuild/envbuild#docker-classic-builder",
                            "version": {"envbuild": facts.tool_version}},
                "metadata": metadata,
            },
        },
    }
    return json.dumps(statement, indent=2, sort_keys=False) + "\n"


def _dependency(artifact: Artifact) -> dict[str, Any]:
    out: dict[str, Any] = {"name": artifact.name, "digest": {"sha256": _hex(artifact.sha256)}}
    if artifact.uri:
        out["uri"] = artifact.uri
    if artifact.annotations:
        out["annotations"] = dict(artifact.annotations)
    return out


def _hex(digest: str) -> str:
    return digest.split(":", 1)[1] if ":" in digest else digest


def with_reproduction(statement: str, report: str, source: str) -> str:
    """The statement with the last `envbuild reproduce` of a run trained in this image as a byproduct
    (SLSA runDetails.byproducts): its verdict, mode, the run it reproduced and the run it was, and the
    report's sha256. The report must be of this very image (its ID is the statement's subject)."""
    import hashlib

    from envbuild.errors import UserError

    data = json.loads(statement)
    try:
        found = json.loads(report)
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("schema") != 1 or "verdict" not in found:
        raise UserError(f"{source}: not a report of envbuild reproduce --json")
    image_hex = data["subject"][0]["digest"]["sha256"]
    if _hex(str(found.get("image") or "")) != image_hex:
        raise UserError(f"{source}: that reproduction ran in {found.get('image') or 'no recorded image'}, not in "
                        f"this image (sha256:{image_hex[:12]}…)", hint="reproduce the run in this image first")
    annotations = {key: str(found[key]) for key in ("verdict", "mode", "source", "reproduced_by") if found.get(key)}
    data["predicate"]["runDetails"]["byproducts"] = [{
        "name": "envbuild reproduce", "mediaType": "application/json",
        "digest": {"sha256": hashlib.sha256(report.encode("utf-8")).hexdigest()}, "annotations": annotations}]
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
