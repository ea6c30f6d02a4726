"""Which base image a build starts from, and how the Dockerfile pins it: by the registry digest
when there is one, else (a local image, e.g. from `envbuild base`) by its image ID."""

from __future__ import annotations

from envbuild.core.engine import ContainerEngine, ImageInfo
from envbuild.core.progress import Progress
from envbuild.errors import ToolUnavailable


def resolve_base(ref: str, engine: ContainerEngine | None, progress: Progress,
                 pull: bool = True) -> tuple[str, str | None, ImageInfo | None]:
    """(what FROM names, the digest for the label, the local image)."""
    from envbuild.adapters.docker import split_ref

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
                                  hint="where no registry is reachable, make one: 'envbuild base --tag "
                                  f"{ref.split('@')[0]}'") from None
    if pinned:
        return ref, ref.split("@", 1)[1], info
    repo = split_ref(ref)[0]
    for repo_digest in info.repo_digests:
        if repo_digest.split("@", 1)[0] == repo:
            progress(f"warning: base {ref} is a floating tag; pinned it to {repo_digest} "
                     "(pin it in envbuild.yaml to make the choice yours)")
            return repo_digest, repo_digest.split("@", 1)[1], info
    progress(f"base {ref} is a local image; pinned by its ID {info.id[:19]}…")
    return info.id, info.id, info


def pin_local_base(ref: str, base_ref: str, engine: ContainerEngine | None, info: ImageInfo | None) -> str | None:
    """The tag that builders name a local base by when ``base_ref`` pins it by its ID (BuildKit cannot
    resolve FROM sha256:<id>): envbuild points it at that ID now (core/image_plan.pinned_base_tag)."""
    if engine is None or info is None or base_ref != info.id:
        return None
    from envbuild.core.image_plan import pinned_base_tag

    tag = pinned_base_tag(ref, info.id)
    engine.tag(info.id, tag)
    return tag
