"""envbuild build [DIR] --target NAME [--no-cache] [--push] [--json] [--builder NAME] [--manifest FILE] [--sbom FILE] [--provenance FILE]"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from envbuild.cli.output import out, progress

if TYPE_CHECKING:
    from envbuild.services.images import BuildOutcome


def build(
    directory: Path | None = typer.Argument(None, help="Image directory holding envbuild.yaml (default: the nearest one "
                                     "here or above)."),
    target: str = typer.Option(None, "--target", "-t", help="Target to build (the only one if the spec has one)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Build again even if the tag exists."),
    push: bool = typer.Option(False, "--push", help="Push to the registry named in the image name."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    templates: Path | None = typer.Option(None, "--templates", help="Directory of template overrides."),
    manifest: Path | None = typer.Option(None, "--manifest", help="Also write the build manifest (every file, sha256) here."),
    sbom: Path | None = typer.Option(None, "--sbom", help="Also write the image's SBOM (CycloneDX 1.6 JSON) here."),
    provenance: Path | None = typer.Option(None, "--provenance", help="Also write the build's provenance (in-toto "
                                    "Statement v1, SLSA Provenance v1) here."),
    reproduction: Path | None = typer.Option(None, "--reproduction", help="With --provenance: carry this `envbuild "
                                      "reproduce --json` report of the image (its verdict) in the statement."),
    progress_mode: str = typer.Option("auto", "--progress", help="auto: each step and its time; plain: the build's "
                                      "own output too (CI logs)."),
    builder: str = typer.Option(None, "--builder", help="auto (BuildKit where a docker client offers it, else "
                                "classic), buildkit, classic, or a buildx builder's name (default: $ENVBUILD_BUILDER, "
                                "else auto)."),
) -> None:
    """Build the image: wheels hash-checked on the host, installed offline, tagged by inputs digest."""
    import os

    from envbuild.errors import UserError

    from envbuild.cli.discovery import spec_directory

    if progress_mode not in ("auto", "plain"):
        raise UserError(f"--progress {progress_mode}: expected auto or plain")
    if reproduction is not None and provenance is None:
        raise UserError("--reproduction goes into the provenance statement: it needs --provenance FILE")
    directory = spec_directory(directory)
    result = build_image(directory, target, builder=builder, no_cache=no_cache, push=push, templates=templates,
                         plain=progress_mode == "plain", sbom=sbom is not None or push,
                         provenance=provenance is not None or push)
    if reproduction is not None and result.provenance:  # the verdict travels with the statement, pushed or not
        from envbuild.adapters.files import read_text
        from envbuild.core.lineage.provenance import with_reproduction

        result = replace(result, provenance=with_reproduction(result.provenance,
                                                              read_text(reproduction, str(reproduction)),
                                                              str(reproduction)))
    attached: list[str] = []
    if push and result.repo_digest:  # the provenance and the SBOM travel with the image
        from envbuild.services import attaching

        attached = attaching.attach(result.ref, result.repo_digest, provenance=result.provenance, sbom=result.sbom,
                                    environ=os.environ)
    from envbuild.adapters.files import atomic_write

    for path, text in ((sbom, result.sbom), (provenance, result.provenance)):
        if path is not None and text:
            atomic_write(path, text)
    if manifest is not None:
        from envbuild.errors import ToolUnavailable

        if result.manifest is None:
            raise ToolUnavailable(f"no build manifest of {result.ref} could be recorded", hint="see the warning above")
        atomic_write(manifest, result.manifest.read_text(encoding="utf-8"))
    if as_json:
        out(json.dumps({"schema": 1, "image": result.ref, "id": result.image_id, "digest": result.digest,
                        "built": result.built, "seconds": round(result.seconds, 3), "size": result.size,
                        "repo_digest": result.repo_digest, "manifest": str(result.manifest) if result.manifest else None,
                        "layers": [{"name": name, "size": size, "diff_id": diff_id}
                                   for name, size, diff_id in result.layers],
                        "phases": result.phases, "attached": attached, "builder": result.builder,
                        "image_store": result.image_store, "config_digest": result.config_digest,
                        "manifest_digest": result.manifest_digest}, sort_keys=True))
        return
    state = "built" if result.built else "up to date (no rebuild)"
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
    by = f" by {result.builder}" if result.builder else ""
    out(f"{result.ref} {state}{by}: {result.image_id} ({result.size / 1e6:.0f} MB, {result.seconds:.1f} s: {timings})")
    if result.built and len(result.layers) > 1:
        from envbuild.core.progress import human_size

        out("layers: " + ", ".join(f"{name} {human_size(size)}" for name, size, _diff in result.layers))
    if result.repo_digest:
        out(f"pushed: {result.ref.rsplit(':', 1)[0]}@{result.repo_digest}")
    for reference in attached:
        out(f"attached: {reference}")


def build_image(directory: Path, target: str | None, *, builder: str | None = None, no_cache: bool = False,
                push: bool = False, templates: Path | None = None, plain: bool = False, sbom: bool = False,
                provenance: bool = False) -> "BuildOutcome":
    """The image of ``directory``'s target, built unless it is there already (its progress on stderr):
    what `build` makes, `run` trains in and `reproduce` rebuilds a gone image with."""
    import os

    from envbuild.adapters.engine.builders import connect_builder
    from envbuild.adapters.engine.docker import Engine, api_timeout
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.image.engine import ImageBuilder
    from envbuild.services import images

    engine = Engine.connect(api_timeout(os.environ))

    def connect() -> ImageBuilder:
        chosen, choice = connect_builder(engine, os.environ, builder)
        if choice.why:
            progress(f"note: building with the classic builder ({choice.why})")
        return chosen

    return images.build(directory, target, engine=engine, builder=connect, wheels=Wheelhouse(environ=os.environ),
                        environ=os.environ, no_cache=no_cache, push=push, templates=templates, progress=progress,
                        plain=plain, sbom=sbom, provenance=provenance)
