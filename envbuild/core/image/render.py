"""Spec + lock → template context → Dockerfile text. Pure: templates arrive as texts."""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from envbuild.core.epoch import epoch_of, iso_timestamp
from envbuild.core.spec.layers import LayerPlan
from envbuild.core.layout import CONDA_PREFIX, EMBEDDED_DIR, HOME, Labels, UID, USER, VENV
from envbuild.core.image.project import ProjectWheel
from envbuild.core.spec.runtime import Runtime
from envbuild.core.spec.model import Spec, Target
from envbuild.core.text import refuse_controls
from envbuild.errors import UserError


@dataclass(frozen=True, kw_only=True)
class RenderExtras:
    """An ecosystem's part of the Dockerfile's context and of the image's metadata (ecosystems/)."""

    context: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    image_json: Mapping[str, Any] = field(default_factory=dict)  # where the environment lives in the image
    history: str = ""  # the image history's words for the environment layer


@dataclass(frozen=True, kw_only=True)
class RenderInput:
    spec: Spec
    target: Target
    lock_text: str
    lock_file: str  # as shown in the header comment: "locks/cpu.txt"
    image_dir: str  # as shown in the header comment: "images/demo"
    base_ref: str  # what FROM names: "name@sha256:..." when pinned, else the spec's reference
    base_digest: str | None = None  # the base image's digest or ID when known
    revision: str | None = None
    inputs_digest: str = ""
    template: str  # the ecosystem's template: "cpu.Dockerfile.j2", "conda.Dockerfile.j2"
    extras: RenderExtras = field(default_factory=RenderExtras)
    project: ProjectWheel | None = None  # the project's wheel, installed after the lock
    epoch: int | None = None  # the image's created time; None: the spec's exclude-newer (or 0)
    layers: LayerPlan | None = None  # one builder stage and layer per group (None: the ecosystem's one layer)
    files: tuple[tuple[str, str], ...] = ()  # the spec's files: (destination, digest of its contents)
    base_path: str | None = None  # the base image's PATH, when the engine has it (None: the standard one)


# PATH when the base sets none (a root filesystem imported by `envbuild base`): Debian's default.
STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def source_date_epoch(spec: Spec) -> int:
    """The reproducible timestamp: the lock's 'as of' date when the spec has one, else 0 (1970)."""
    return epoch_of(spec.exclude_newer)


def created_epoch(r: "RenderInput") -> int:
    return r.epoch if r.epoch is not None else source_date_epoch(r.spec)


def lock_sha256(lock_text: str) -> str:
    return hashlib.sha256(lock_text.encode("utf-8")).hexdigest()


def labels(r: RenderInput) -> dict[str, str]:
    out = {
        Labels.TITLE: r.spec.name,
        Labels.CREATED: iso_timestamp(created_epoch(r)),
        Labels.BASE_NAME: r.spec.base_for(r.target) or "",
    }
    if r.base_digest:
        out[Labels.BASE_DIGEST] = r.base_digest
    if r.spec.source:
        out[Labels.SOURCE] = r.spec.source
    if r.revision:
        out[Labels.REVISION] = r.revision
    out.update({
        Labels.TARGET: r.target.name,
        Labels.SPEC_VERSION: str(r.spec.version),
        Labels.PYTHON: r.spec.python,
        Labels.PLATFORM: r.spec.platform_for(r.target),
        Labels.LOCK_SHA256: lock_sha256(r.lock_text),
        Labels.INPUTS_DIGEST: r.inputs_digest,
    })
    if r.target.cuda:
        out[Labels.CUDA] = r.target.cuda
    if r.project:
        out[Labels.VERSION] = r.project.shown_version
        if r.project.summary:
            out[Labels.DESCRIPTION] = r.project.summary
        if r.project.license:
            out[Labels.LICENSES] = r.project.license
        out[Labels.PROJECT] = f"{r.project.name} {r.project.shown_version} sha256:{r.project.sha256}"
    out.update(r.extras.labels)
    # The user's own labels (core/spec/runtime.py keeps them out of envbuild's namespaces): last, never over ours.
    out.update((key, value) for key, value in r.spec.runtime_for(r.target).labels if key not in out)
    return out


def image_metadata(r: RenderInput) -> dict[str, Any]:
    """/etc/envbuild/image.json: what a later verify needs, with nothing but the image."""
    return {"schema": 1, "name": r.spec.name, "target": r.target.name, "python": r.spec.python,
            "platform": r.spec.platform_for(r.target), "cuda": r.target.cuda, **r.extras.image_json,
            "inputs_digest": r.inputs_digest, "lock_sha256": lock_sha256(r.lock_text),
            **({"project": r.project.metadata()} if r.project else {}),
            **({"files": dict(r.files)} if r.files else {}),
            **({"determinism": dict(d)} if (d := r.spec.runtime_for(r.target).determinism) else {})}


def identity(runtime: Runtime) -> tuple[str, int, str]:
    """(user, uid, home) the image runs as: envbuild's 'app' (uid 10001) unless the spec says
    another name (same uid), a uid (named 'app'), or root."""
    if runtime.user == "root":
        return "root", 0, "/root"
    if runtime.user and runtime.user.isdigit():
        return USER, int(runtime.user), HOME
    if runtime.user:
        return runtime.user, UID, f"/home/{runtime.user}"
    return USER, UID, HOME


def env_lines(runtime: Runtime) -> list[str]:
    """ENV pairs, quoted for a Dockerfile: JSON string escapes, and $ escaped so that the builder
    expands no variable in them."""
    return [f"{name}={json.dumps(value, ensure_ascii=False).replace('$', chr(92) + '$')}" for name, value in runtime.environment]


def system_packages(r: RenderInput) -> tuple[str, ...]:
    """apt packages installed on top of the base. NVIDIA's CUDA images carry no Python, so for them
    the default is python3 and python3-venv; other bases are expected to have Python already."""
    if r.target.system_packages is not None:
        return r.target.system_packages
    base = (r.spec.base_for(r.target) or "").split("@")[0]
    return ("python3", "python3-venv") if base.startswith(("nvidia/cuda", "nvcr.io/nvidia/cuda")) else ()


def required_base(spec: Spec, target: Target) -> str:
    base = spec.base_for(target)
    if not base:
        raise UserError(f"{spec.file}: targets.{target.name}.base: no base image for this target",
                        hint="set 'base' at the top level or in the target (e.g. 'python:3.11-slim@sha256:...'), "
                        "or make one with 'envbuild base'")
    return base


def context(r: RenderInput) -> dict[str, Any]:
    required_base(r.spec, r.target)
    packages = system_packages(r)
    label_map = labels(r)
    for what, value in [("the image directory", r.image_dir), ("the lock file name", r.lock_file),
                        ("the base image", r.base_ref), *((f"label {k}", v) for k, v in label_map.items())]:
        refuse_controls(value, what)
    runtime = r.spec.runtime_for(r.target)
    user, uid, home = identity(runtime)
    return {
        "spec_file": posixpath.normpath(posixpath.join(r.image_dir, "envbuild.yaml")), "image_dir": r.image_dir,
        "target": r.target.name, "lock_file": r.lock_file, "lock_sha256": lock_sha256(r.lock_text),
        "base_ref": r.base_ref, "python": "python3", "venv": VENV, "system_packages": list(packages),
        "stage_base": "system" if packages else r.base_ref, "user": user, "uid": uid, "home": home,
        "source_date_epoch": created_epoch(r), "labels": label_map, "cuda": r.target.cuda or "",
        "label_lines": [f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in label_map.items()],
        "prefix": CONDA_PREFIX, "conda_pip": False, "embedded_dir": EMBEDDED_DIR,
        "project_wheel": r.project.file_name if r.project else "",
        "entrypoint": json.dumps(list(runtime.entrypoint)) if runtime.entrypoint else "",
        "cmd": json.dumps(list(runtime.cmd)) if runtime.cmd is not None else ("" if runtime.entrypoint else '["python"]'),
        "workdir": runtime.workdir or home, "make_workdir": bool(runtime.workdir), "env_lines": env_lines(runtime),
        "files": [{"index": i, "dst": f.dst} for i, f in enumerate(runtime.files)],
        # the venv goes first; what the base put on PATH stays (/opt/conda/bin, /usr/local/cuda/bin)
        "base_path": r.base_path or STANDARD_PATH,
        "venv_options": "--system-site-packages " if r.spec.inherits(r.target) else "",
        **layer_context(r.layers),
        **r.extras.context,
    }


def layer_folder(index: int) -> str:
    """The build context's folder (and the builder stage's name) of the plan's layer ``index`` (0-based)."""
    return f"{index + 1:02d}"


LAYER_EPOCH = 315532800  # 1980-01-01T00:00:00Z: the package layers' mtimes (zip's epoch, as wheels have it)


def layer_context(plan: LayerPlan | None) -> dict[str, Any]:
    if plan is None:
        return {"layers": [], "stages": [], "layer_epoch": LAYER_EPOCH}
    layers = [{"index": layer_folder(i), "name": layer.name, "count": len(layer.packages)}
              for i, layer in enumerate(plan.layers)]
    return {"layers": layers, "stages": [f"layer-{layer['index']}" for layer in layers] + (["project"] if plan.project else []),
            "layer_epoch": LAYER_EPOCH}


def layer_split(plan: LayerPlan) -> str:
    """What the conda installer's --split reads: each layer folder's package names (conda's), in order."""
    return json.dumps({"layers": [{"folder": layer_folder(i), "packages": list(layer.packages)}
                                  for i, layer in enumerate(plan.layers)]}, indent=1, sort_keys=True) + "\n"


@dataclass(frozen=True, kw_only=True)
class Dockerfiles:
    """One plan, written for builders. ``identity`` names a local base by its image ID: the tag digest
    covers it, so how a builder is told to find the base is not an input of the image (and images
    built before BuildKit keep their tags). ``portable`` builds under every builder (classic, BuildKit,
    podman), naming that base by a tag that envbuild points at the ID (BuildKit reads ``FROM
    sha256:<id>`` as an image named "sha256" on Docker Hub); ``buildkit`` binds the context's folders
    into each RUN instead of copying them into layers that are thrown away."""

    identity: str
    portable: str
    buildkit: str

    def for_builder(self, kind: str) -> str:
        """What a builder of ``kind`` (core/image/engine.ImageBuilder.kind) builds."""
        return self.buildkit if kind == "buildkit" else self.portable


def render_dockerfiles(templates: Mapping[str, str], r: RenderInput, *, from_ref: str | None = None) -> Dockerfiles:
    """``from_ref``: what FROM names for a builder when ``r.base_ref`` is a local image's ID."""
    from dataclasses import replace

    identity = render_dockerfile(templates, r)
    named = replace(r, base_ref=from_ref) if from_ref else r
    return Dockerfiles(identity=identity, portable=render_dockerfile(templates, named) if from_ref else identity,
                       buildkit=render_dockerfile(templates, named, buildkit=True))


def render_dockerfile(templates: Mapping[str, str], r: RenderInput, *, buildkit: bool = False) -> str:
    import jinja2  # here, not at the top: verify and lock read this module's helpers without Jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # Sandboxed: an override template is the spec author's text, and must not reach Python objects
    # (''.__class__.__mro__ → subprocess) or the host. It still writes the image's RUN lines: rendering
    # an untrusted directory's templates and building them runs its author's commands in the builder.
    env = ImmutableSandboxedEnvironment(loader=jinja2.DictLoader(dict(templates)), undefined=jinja2.StrictUndefined,
                                        keep_trailing_newline=True, autoescape=False, trim_blocks=True)
    env.filters["dirname"] = posixpath.dirname
    try:
        text = env.get_template(r.template).render(context(r), buildkit=buildkit)
    except jinja2.TemplateError as exc:
        where = f"{exc.name}:{exc.lineno}: " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        raise UserError(f"template error: {where}{exc}", hint="check your template overrides") from None
    return text.rstrip("\n") + "\n"
