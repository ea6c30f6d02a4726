"""render() and build(): the Dockerfile and the image for one target. No printing: progress is a callback.

Both receive what they need from outside: the container engine (core/image/engine.ContainerEngine), the
artifact fetcher (adapters/index/wheelhouse.Wheelhouse) and the environment (for ${VAR}s in index URLs);
the CLI creates them. What the image is made of is decided by pure code: the ecosystem's template and
extras, core/image/render.py and core/image/plan.py.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild import ecosystems
from envbuild.ecosystems.build_context import fill_context
from envbuild.adapters import git
from envbuild.adapters.engine.bases import base_fits, pin_local_base, resolve_base
from envbuild.adapters.engine.builders import check_base
from envbuild.adapters.files import atomic_write, content_ids, read_text, stable_folder, tree_digest
from envbuild.adapters.inputs import (confined, display_path, load_spec, load_target_inputs, repo_relative,
                                      repository_root, spec_dir, target_lock_path)
from envbuild.adapters.gathering import check_cuda, file_source, image_epoch, project_wheel
from envbuild.adapters.engine.checks import record_manifest
from envbuild.adapters.templates import load_templates
from envbuild.core.image import plan as image_plan
from envbuild.core.image.engine import ContainerEngine, ImageBuilder, ImageInfo
from envbuild.core.spec.layers import LayerPlan, LayerRules
from envbuild.core.layout import EMBEDDED_LOCKS, LOCKS_DIR
from envbuild.core.lock import Lock, read_lock
from envbuild.core.progress import Progress, silent
from envbuild.core.image.project import ProjectWheel
from envbuild.core.redact import redact_text
from envbuild.core.epoch import epoch_of, iso_timestamp
from envbuild.core.image.render import (Dockerfiles, RenderInput, image_metadata, lock_sha256,
                                  render_dockerfiles, required_base)
from envbuild.core.image.render import labels as image_labels
from envbuild.core.spec.model import Spec, Target
from envbuild.errors import CheckFailed, ToolUnavailable, UserError

if TYPE_CHECKING:
    from envbuild.adapters.index.wheelhouse import Wheelhouse


@dataclass(frozen=True, kw_only=True)
class Prepared:
    spec: Spec
    target: Target
    ecosystem: ecosystems.Ecosystem
    lock: Lock
    lock_text: str
    dockerfiles: Dockerfiles  # the portable one, BuildKit's, and the one the tag digest covers
    embedded: dict[str, str]  # files under /etc/envbuild in the image
    history: list[str]
    tag_digest: str
    epoch: int
    project: tuple[ProjectWheel, Path] | None = None  # the project's wheel, in the cache
    plan: LayerPlan | None = None  # the image's layers (core/spec/layers.py); None: the ecosystem's one
    files: tuple[tuple[str, Path], ...] = ()  # the spec's files: (destination in the image, source here)
    labels: Mapping[str, str] = field(default_factory=dict)  # the image's
    base_layers: tuple[str, ...] = ()  # the base image's diff IDs, when it is here

    @property
    def dockerfile(self) -> str:
        """The Dockerfile every builder builds (`render`, `context`)."""
        return self.dockerfiles.portable

    @property
    def ref(self) -> str:
        return image_plan.image_ref(self.spec.name, self.target.name, self.tag_digest)

    @property
    def layer_names(self) -> list[str]:
        """envbuild's layers, the lowest first."""
        return ["environment"] if self.plan is None else self.plan.names


@dataclass(frozen=True, kw_only=True)
class BuildOutcome:
    ref: str
    image_id: str
    digest: str
    built: bool
    seconds: float
    size: int
    repo_digest: str | None = None
    manifest: Path | None = None  # the build manifest in the cache (adapters/engine/manifests.py)
    layers: tuple[tuple[str, int, str], ...] = ()  # envbuild's layers: (name, bytes, diff ID), the lowest first
    phases: Mapping[str, float] = field(default_factory=dict)  # seconds: prepare, fetch, build, normalise, ...
    sbom: str = ""  # the CycloneDX document (embedded at /etc/envbuild/sbom.cdx.json)
    provenance: str | None = None  # the in-toto statement, when asked for
    builder: str | None = None  # the builder that built it ("buildkit (...)", "classic"); None: nothing built
    image_store: str = ""  # the engine's: "overlay2" (a graph driver) or "containerd"
    config_digest: str | None = None  # the normalised config's sha256 (the image ID on a graph-driver store)
    manifest_digest: str | None = None  # the image's identity on the containerd store, or the pushed manifest's


def prepare(directory: Path, target_name: str | None, *, engine: ContainerEngine | None, wheels: "Wheelhouse",
            environ: Mapping[str, str], templates: Path | None, progress: Progress, require_fresh: bool,
            pull: bool = True) -> Prepared:
    spec = load_spec(directory)
    root = spec_dir(directory)
    target = ecosystems.chosen_target(spec, target_name)
    inputs = load_target_inputs(spec, root, target)
    ecosystem = ecosystems.for_target(spec, target)
    path = target_lock_path(root, target.name, ecosystem.lock_format)
    if not path.is_file():
        raise CheckFailed(f"no lock file for target {target.name} ({display_path(path)})",
                          hint=f"run 'envbuild lock {display_path(root)} --target {target.name}'")
    lock_text = read_text(path, display_path(path))
    lock = read_lock(lock_text, display_path(path), format=ecosystem.lock_format)
    if lock.inputs_digest != inputs.digest:
        message = f"{display_path(path)} is stale: its inputs changed since it was written"
        if require_fresh:
            raise CheckFailed(message, hint=f"run 'envbuild lock {display_path(root)} --target {target.name}'")
        progress(f"warning: {message}")
    if target.cuda:
        check_cuda(spec, target, lock, progress)
    base = required_base(spec, target)
    base_ref, base_digest, info = resolve_base(base, engine, progress, pull=pull)
    if ecosystem.uses_base_python:  # a conda target brings its own Python
        base_fits(base, info, python=spec.python, platform=spec.platform_for(target), engine=engine,
                   progress=progress, by_id=info is not None and base_ref == info.id)
    from_ref = pin_local_base(base, base_ref, engine, info)
    boundary = repository_root(root)
    epoch = image_epoch(spec, root, path)
    if spec.runtime_for(target).user == "root":
        progress(f"warning: target {target.name} runs as root (user: root): anything that reaches the process owns "
                 "the container")
    project = project_wheel(spec, target, root, boundary, lock, wheels, epoch, environ, progress)
    files = tuple((f.dst, file_source(spec, root, boundary, f)) for f in spec.runtime_for(target).files)
    file_digests = tuple((dst, tree_digest(source)) for dst, source in files)
    extras = ecosystem.render_extras(lock)
    key = f"targets.{target.name}.layers" if target.layers != LayerRules() else "layers"
    plan = ecosystem.layer_plan(lock, spec.layers_for(target), project=bool(project or files), file=spec.file, key=key)
    render_input = RenderInput(
        spec=spec, target=target, lock_text=lock_text, lock_file=f"{LOCKS_DIR}/{path.name}",
        image_dir=repo_relative(root), base_ref=base_ref, base_digest=base_digest,
        revision=git.revision(root), inputs_digest=inputs.digest, template=ecosystem.template(target), extras=extras,
        project=project[0] if project else None, epoch=epoch, layers=plan, files=file_digests,
        base_path=(info.env.get("PATH") or None) if info is not None else None)
    # A spec's own 'templates:' is confined to its repository like every input; --templates is the
    # user's own choice on the command line.
    override = templates or (confined(root / spec.templates, boundary, "templates", spec.file) if spec.templates else None)
    dockerfiles = render_dockerfiles(load_templates(override, boundary=None if templates else boundary), render_input,
                                     from_ref=from_ref)
    embedded = {
        EMBEDDED_LOCKS[ecosystem.lock_format]: lock_text,
        "envbuild.yaml": redact_text(read_text(root / "envbuild.yaml", "envbuild.yaml")),
        "image.json": json.dumps(image_metadata(render_input), indent=2, sort_keys=True) + "\n",
    }
    return Prepared(spec=spec, target=target, ecosystem=ecosystem, lock=lock, lock_text=lock_text,
                    dockerfiles=dockerfiles, embedded=embedded, epoch=epoch, project=project, files=files, plan=plan,
                    labels=image_labels(render_input), base_layers=info.diff_ids if info else (),
                    history=image_plan.history(base, len(info.diff_ids) if info else 0, target.name, extras.history,
                                               plan),
                    tag_digest=image_plan.tag_digest(dockerfile=dockerfiles.identity, embedded=embedded,
                                                     base=info.id if info else base_ref, epoch=epoch,
                                                     files=dict(file_digests)))


def sbom_text(prepared: Prepared) -> str:
    """The CycloneDX document of the image (core/lineage/sbom.py): what build embeds, and what `sbom --image`
    derives back from the image. Not part of the tag digest: its inputs already are."""
    from envbuild.version import __version__
    from envbuild.core.lineage.sbom import cyclonedx_json, subject_of_image

    return cyclonedx_json(subject_of_image(prepared.labels, json.loads(prepared.embedded["image.json"]),
                                           prepared.lock.packages, image=prepared.ref, tool_version=__version__,
                                           lock_sha256=lock_sha256(prepared.lock_text)))


def sbom(directory: Path, target: str, *, engine: ContainerEngine | None, wheels: "Wheelhouse",
         environ: Mapping[str, str], progress: Progress) -> str:
    return sbom_text(prepare(directory, target, engine=engine, wheels=wheels, environ=environ, templates=None,
                             progress=progress, require_fresh=False, pull=False))


def needs_engine(directory: Path, target: str | None) -> bool:
    """Rendering needs an engine only to pin a base that is not pinned by digest already."""
    spec = load_spec(directory)
    return "@sha256:" not in (spec.base_for(ecosystems.chosen_target(spec, target)) or "")


def render(directory: Path, target: str | None, *, engine: ContainerEngine | None, wheels: "Wheelhouse",
           environ: Mapping[str, str], output: Path | None, templates: Path | None, progress: Progress,
           buildkit: bool = False) -> str:
    """``wheels`` and ``environ``: a target with a project has its wheel built (the labels name it).
    ``buildkit``: the Dockerfile a BuildKit build runs, not the portable one."""
    prepared = prepare(directory, target, engine=engine, wheels=wheels, environ=environ, templates=templates,
                       progress=progress, require_fresh=False, pull=False)
    text = prepared.dockerfiles.for_builder("buildkit" if buildkit else "classic")
    if output is not None:
        atomic_write(output, text)
    return text


BUILDKIT_DOCKERFILE = "Dockerfile.buildkit"  # in a context beside Dockerfile: RUN --mount binds, no COPY of wheels


@dataclass(frozen=True, kw_only=True)
class Context:
    ref: str  # the tag build would give the image (its inputs' digest)
    epoch: int  # SOURCE_DATE_EPOCH (the Dockerfile's default already)
    path: Path
    summary: str
    buildkit: bool  # a Dockerfile.buildkit was written too


def context(directory: Path, target: str, *, output: Path, engine: ContainerEngine | None, wheels: "Wheelhouse",
            environ: Mapping[str, str], templates: Path | None = None, progress: Progress = silent) -> Context:
    """The complete hermetic build context of a target in ``output`` (new, or empty): the Dockerfile
    build renders, every wheel and archive fetched and hash-checked, the embedded files and the SBOM.
    Any builder that reads a Dockerfile builds it with no network: docker, buildx, podman, buildah, kaniko."""
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UserError(f"{output} is not an empty directory", hint="give a new directory: -o DIR")
    prepared = prepare(directory, target, engine=engine, wheels=wheels, environ=environ, templates=templates,
                       progress=progress, require_fresh=True, pull=engine is not None)
    files = prepared.ecosystem.fetch(prepared.lock, prepared.spec, prepared.target,
                                     wheels.for_epoch(epoch_of(prepared.lock.exclude_newer)), environ, progress)
    prepared = replace(prepared, embedded={**prepared.embedded, "sbom.cdx.json": sbom_text(prepared)})
    buildkit = prepared.dockerfiles.buildkit != prepared.dockerfile
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent if output.parent.is_dir() else None))
    try:
        fill_context(staging, dockerfile=prepared.dockerfile, embedded=prepared.embedded, plan=prepared.plan,
                     project=prepared.project, files=prepared.files, build_files=files, link=False)
        if buildkit:  # the faster one, for BuildKit and podman
            (staging / BUILDKIT_DOCKERFILE).write_text(prepared.dockerfiles.buildkit, encoding="utf-8")
        if output.exists():
            output.rmdir()
        staging.rename(output)  # all or nothing: a context half written is never left as the output
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Context(ref=prepared.ref, epoch=prepared.epoch, path=output, summary=files.summary, buildkit=buildkit)


def build(directory: Path, target: str | None, *, engine: ContainerEngine, wheels: "Wheelhouse", environ: Mapping[str, str],
          no_cache: bool = False, push: bool = False, templates: Path | None = None,
          progress: Progress = silent, manifests: bool = True, plain: bool = False,
          provenance: bool = False, sbom: bool = False,
          builder: Callable[[], ImageBuilder] | None = None) -> BuildOutcome:
    """``manifests`` False: record no build manifest (it runs the image on the engine, docker's CLI);
    else it goes to the fetcher's cache (``<cache>/manifests``). ``plain``: stream the build's own output.
    ``provenance``: write the in-toto statement too (an up-to-date image has its files looked up again);
    ``sbom``: the SBOM of an up-to-date image too (a built one always has it). ``builder``: connects
    the builder (adapters/engine/builders.py: BuildKit or the classic), only when there is something to build;
    None: the engine's classic builder."""
    cache = wheels.cache.parent if manifests else None
    started = clock = time.monotonic()
    started_at = iso_timestamp(int(time.time()))
    phases: dict[str, float] = {}

    def phase(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        phases[name] = round(now - clock, 3)
        clock = now

    prepared = prepare(directory, target, engine=engine, wheels=wheels, environ=environ, templates=templates,
                       progress=progress, require_fresh=True)
    phase("prepare")
    ref = prepared.ref
    existing = engine.inspect(ref)
    # Wheels built from sdists must match the lock's hashes: the lock's epoch, not the image's.
    lock_epoch = epoch_of(prepared.lock.exclude_newer)

    def fetch() -> ecosystems.BuildFiles:
        return prepared.ecosystem.fetch(prepared.lock, prepared.spec, prepared.target, wheels.for_epoch(lock_epoch),
                                        environ, progress)

    if existing is not None and not no_cache:
        progress(f"{ref} is up to date: same inputs, nothing to build")
        return _outcome(engine, prepared, existing, built=False, push=push, started=started, progress=progress,
                        cache=cache, phases=phases, phase=phase, sbom=sbom_text(prepared) if sbom else "",
                        provenance=(fetch(), started_at) if provenance else None)
    if not engine.runs(prepared.lock.platform):
        raise ToolUnavailable(f"target {target} is {prepared.lock.platform}, which this engine can neither build "
                              "natively nor emulate (no QEMU binfmt handler registered)",
                              hint="register one (docker run --privileged --rm tonistiigi/binfmt --install "
                              f"{prepared.lock.platform.split('/')[1]}), or build on a {prepared.lock.platform} host")
    files = fetch()
    phase("fetch")
    prepared = replace(prepared, embedded={**prepared.embedded, "sbom.cdx.json": sbom_text(prepared)})
    if prepared.plan is not None:
        progress(f"{prepared.plan.count} layers above the base:")
        for line in prepared.plan.describe():
            progress(f"  {line}")
    chosen = builder() if builder is not None else engine
    # At one path per target: BuildKit then sends only what changed since the last build (files.stable_folder).
    with stable_folder(wheels.cache.parent / "contexts", f"{prepared.spec.name} {prepared.target.name}") as context:
        fill_context(context, dockerfile=prepared.dockerfiles.for_builder(chosen.kind), embedded=prepared.embedded,
                     plan=prepared.plan, project=prepared.project, files=prepared.files, build_files=files)
        progress(f"building {ref} from {files.summary} with {chosen.label}")
        raw_id = chosen.build(str(context), nocache=no_cache, buildargs={"SOURCE_DATE_EPOCH": str(prepared.epoch)},
                               progress=progress, platform=None if engine.native_platform() == prepared.lock.platform
                               else prepared.lock.platform, plain=plain)
    phase("build")
    check_base(engine, prepared.base_layers, raw_id, prepared.ref)
    image_id = engine.normalize(raw_id, created=iso_timestamp(prepared.epoch), history=prepared.history, ref=ref)
    if raw_id != image_id:
        engine.remove(raw_id)
    phase("normalise")
    progress(f"normalised the image config in {phases['normalise']:.2f} s")
    info = engine.inspect(image_id)
    assert info is not None
    return replace(_outcome(engine, prepared, info, built=True, push=push, started=started, progress=progress,
                            cache=cache, phases=phases, phase=phase, sbom=prepared.embedded["sbom.cdx.json"],
                            provenance=(files, started_at) if provenance else None), builder=chosen.label)


def _outcome(engine: ContainerEngine, prepared: Prepared, info: ImageInfo, *, built: bool, push: bool, started: float,
             progress: Progress, cache: Path | None, phases: dict[str, float], phase: Callable[[str], None],
             sbom: str, provenance: tuple[ecosystems.BuildFiles, str] | None) -> BuildOutcome:
    manifest = record_manifest(info.id, cache, progress, also=[dst for dst, _source in prepared.files]) \
        if cache is not None else None
    if manifest is not None:
        phase("manifest")
    repo_digest = engine.push(prepared.ref, progress) if push else None
    if push:
        phase("push")
    names = prepared.layer_names
    sizes = engine.layer_sizes(info.id)[-len(names):]
    layers = tuple(zip(names, sizes, info.diff_ids[-len(names):])) if len(sizes) == len(names) else ()
    store = engine.image_store()
    # The config's digest is the image ID on the graph-driver store; on containerd's, the ID is the
    # manifest's digest (the identity a registry shows), and the config is what normalisation wrote.
    config = image_plan.config_digest(info.raw, created=iso_timestamp(prepared.epoch), history=prepared.history)
    manifest_digest = info.id if store == "containerd" else repo_digest
    statement = _provenance(prepared, config, manifest_digest, *provenance) if provenance else None
    return BuildOutcome(ref=prepared.ref, image_id=info.id, digest=prepared.tag_digest, built=built,
                        seconds=time.monotonic() - started, size=info.size, repo_digest=repo_digest,
                        manifest=manifest, layers=layers, phases=dict(phases), sbom=sbom, provenance=statement,
                        image_store=store, config_digest=config, manifest_digest=manifest_digest)


def _provenance(prepared: Prepared, config_digest: str, repo_digest: str | None, files: ecosystems.BuildFiles,
                started_at: str) -> str:
    """The in-toto statement of this build (core/lineage/provenance.py): every file it read."""
    from envbuild.version import __version__
    from envbuild.core.lineage.provenance import build_facts, provenance_json

    read = content_ids([*files.wheels, *(entry for folder in files.folders.values() for entry in folder.values()
                                         if isinstance(entry, Path))])
    project = (prepared.project[1].name, prepared.project[0].sha256) if prepared.project else None
    return provenance_json(build_facts(
        prepared.labels, image=prepared.ref, image_id=config_digest,
        repo_digest=f"{prepared.ref.rsplit(':', 1)[0]}@{repo_digest}" if repo_digest else None,
        target=prepared.target.name, spec_file=prepared.spec.file, tag_digest=prepared.tag_digest,
        tool_version=__version__, lock_sha256=lock_sha256(prepared.lock_text), files=read,
        urls={p.sha256: p.url for p in prepared.lock.packages if p.url}, project=project, started=started_at,
        finished=iso_timestamp(int(time.time()))))
