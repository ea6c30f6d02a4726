"""Which base image a build starts from, and how the Dockerfile pins it: by the registry digest
when there is one, else (a local image, e.g. from `envbuild base`) by its image ID."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envbuild.core.image.engine import ContainerEngine, ImageInfo
from envbuild.core.progress import Progress
from envbuild.errors import ToolUnavailable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envbuild.core.image.bases import BaseEnv


def resolve_base(ref: str, engine: ContainerEngine | None, progress: Progress,
                 pull: bool = True) -> tuple[str, str | None, ImageInfo | None]:
    """(what FROM names, the digest for the label, the local image)."""
    from envbuild.adapters.engine.docker import repository_and_tag

    pinned = "@sha256:" in ref
    if engine is None:
        if not pinned:
            progress(f"warning: base {ref} is not pinned by digest and no engine is available to resolve it")
        return ref, ref.split("@", 1)[1] if pinned else None, None
    info = engine.inspect(ref)
    if info is None and pinned and not pull:
        return ref, ref.split("@", 1)[1], None  # rendering needs the digest, not the image
    if info is None:
        try:
            info = engine.pull(ref, progress)
        except ToolUnavailable as exc:
            raise ToolUnavailable(f"base image {ref} is not here and cannot be pulled ({exc.message})",
                                  hint=_unreachable_hint(ref)) from None
    if pinned:
        return ref, ref.split("@", 1)[1], info
    repo = repository_and_tag(ref)[0]
    for repo_digest in info.repo_digests:
        if repo_digest.split("@", 1)[0] == repo:
            progress(f"warning: base {ref} is a floating tag; pinned it to {repo_digest} "
                     "(pin it in envbuild.yaml to make the choice yours)")
            return repo_digest, repo_digest.split("@", 1)[1], info
    progress(f"base {ref} is a local image; pinned by its ID {info.id[:19]}…")
    return info.id, info.id, info


def pin_local_base(ref: str, base_ref: str, engine: ContainerEngine | None, info: ImageInfo | None) -> str | None:
    """The tag that builders name a local base by when ``base_ref`` pins it by its ID (BuildKit cannot
    resolve FROM sha256:<id>): envbuild points it at that ID now (core/image/plan.pinned_base_tag)."""
    if engine is None or info is None or base_ref != info.id:
        return None
    from envbuild.core.image.plan import pinned_base_tag

    tag = pinned_base_tag(ref, info.id)
    engine.tag(info.id, tag)
    return tag


def _unreachable_hint(ref: str) -> str:
    """Where no registry answers: the image itself from a saved copy; a Debian base of envbuild's own
    only under its own name (never tagged as another vendor's image)."""
    from envbuild.adapters.engine.docker import repository_and_tag

    repository, tag = repository_and_tag(ref.split("@", 1)[0])
    if repository == "envbuild/base":
        return f"make it here: 'envbuild base --suite {tag.split('-', 1)[0] or 'bookworm'}'"
    return (f"load {ref.split('@', 1)[0]} from a saved copy ('docker load -i FILE', saved where a registry answers), "
            "or build on a base made here: 'envbuild base' makes envbuild/base:bookworm (Debian, Python 3.11); "
            "name it under 'base:' in envbuild.yaml")


def base_fits(ref: str, info: ImageInfo | None, *, python: str, platform: str, engine: ContainerEngine | None,
               progress: Progress, by_id: bool) -> None:
    """The base against the target before anything is built: its Python (label, PYTHON_VERSION, a
    known tag, else its python3 --version when the engine has it: nothing is pulled for this) and,
    where it is pinned by its local ID (``by_id``: a registry digest names every platform's variant),
    its platform. A mismatch is a clear error naming both."""
    from envbuild.core.image.bases import base_python, python_mismatch, suggested_bases
    from envbuild.core.platforms import of_machine
    from envbuild.errors import UserError

    if info is not None and by_id:
        architecture = str(info.raw.get("Architecture", "") or "")
        have = of_machine(architecture) if architecture else None
        if have and have != platform:
            raise UserError(f"base {ref} here is {have}, but the target is for {platform}",
                            hint=f"get its {platform} variant ('docker pull --platform {platform} {ref.split('@')[0]}'), "
                            f"or make one: 'envbuild base --platform {platform}'")
    found = base_python(ref, info.labels if info is not None else None, info.env if info is not None else None)
    if found is None and info is not None and engine is not None:
        import re

        said = re.findall(r"Python (3\.\d+(?:\.\d+)?)", engine.run_python(info.id, ["--version"]) or "")
        found = (".".join(said[0].split(".")[:2]), f"its python3 --version: {said[0]}") if said else None
    problem = python_mismatch(python, ref, found)
    if problem and found is not None:
        raise UserError(problem, hint=f"set python: \"{found[0]}\" in envbuild.yaml, or choose a base whose python3 "
                        f"is {python}: {suggested_bases(python)}")
    if found is None:
        progress(f"warning: could not tell which Python base {ref} runs (no label, no PYTHON_VERSION, an unknown "
                 f"tag, and the engine does not have it): the build assumes its python3 is {python}")


# Run by the base's python3 -s: every distribution on its path, its Python, the CUDA its image says.
_SCRIPT = """\
import json, os, sys
import importlib.metadata as m
seen = {}
for d in m.distributions():
    name = d.metadata.get("Name") if d.metadata else None
    if name and name.lower() not in seen:
        seen[name.lower()] = [name, d.version]
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], "packages": sorted(seen.values()),
                  "cuda": os.environ.get("CUDA_VERSION", "")}))
"""


def read_base_packages(ref: str, environ: "Mapping[str, str]", progress: Progress) -> "BaseEnv":
    """The base image's own distributions (base-packages: inherit), read in a container of it with no
    network (pulled when the engine lacks it)."""
    import json

    from envbuild.adapters.engine.docker import Engine, api_timeout
    from envbuild.errors import UserError

    try:
        engine = Engine.connect(api_timeout(environ))
    except ToolUnavailable as exc:
        raise ToolUnavailable(f"base-packages: inherit reads the base image's packages at lock time, and "
                              f"{exc.message}", hint=exc.hint) from None
    info = engine.inspect(ref) or engine.pull(ref, progress)
    progress(f"reading the Python packages of base {ref}")
    output = engine.run_python(info.id, ["-s", "-c", _SCRIPT])
    try:
        data = json.loads((output or "").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise UserError(f"base {ref} did not say which Python packages it has (its python3 did not run, or said "
                        f"something else: {(output or '').strip()[-200:]!r})",
                        hint="base-packages: inherit needs a base with python3; remove it for this base") from None
    from envbuild.core.image.bases import base_env

    return base_env(ref, data)
