"""The container engine, as envbuild needs it: an interface, and what it answers. Pure.

adapters/engine/docker.py implements it with the Docker SDK; tests/support/fake_engine.py with a dict (for
tests about envbuild's own logic: what goes into the build context, when a build is skipped, how an
image is tagged). Services receive an engine; none of them creates one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from envbuild.core.progress import Progress


@dataclass(frozen=True, kw_only=True)
class ImageInfo:
    id: str
    repo_digests: tuple[str, ...]
    labels: Mapping[str, str]
    size: int
    diff_ids: tuple[str, ...]
    raw: Mapping[str, Any]  # the engine's own inspect document (Config, RootFS, Architecture...)

    @property
    def env(self) -> dict[str, str]:
        """The environment its configuration sets (name → value)."""
        config = self.raw.get("Config")
        entries = config.get("Env") if isinstance(config, Mapping) else None
        return dict(str(entry).partition("=")[::2] for entry in entries or [])


class ImageBuilder(Protocol):
    """What builds a context into an image in the engine: BuildKit (adapters/engine/builders.py) or the
    engine's classic builder (the engine itself)."""

    kind: str  # "buildkit" (reads the Dockerfile written for it) or "classic" (the portable one)
    label: str  # what `build` prints: "buildkit (docker buildx)", "classic"

    def build(self, context_dir: str, *, nocache: bool, buildargs: Mapping[str, str], progress: Progress,
              platform: str | None = None, plain: bool = False) -> str:
        """Build the context's Dockerfile (for ``platform``, when not the engine's own); the image ID.
        ``progress`` gets each step and its time; ``plain``: every line of the build's own output too."""


class ContainerEngine(Protocol):
    kind: str  # "classic": the engine is the classic builder too
    label: str

    def inspect(self, ref: str) -> ImageInfo | None: ...

    def pull(self, ref: str, progress: Progress) -> ImageInfo: ...

    def tag(self, image_id: str, ref: str) -> None: ...

    def remove(self, image_id: str) -> None: ...

    def native_platform(self) -> str | None:
        """'linux/amd64': the engine's own architecture."""

    def runs(self, platform: str) -> bool:
        """Whether this engine can build and run images for ``platform`` (natively, or emulated)."""

    def build(self, context_dir: str, *, nocache: bool, buildargs: Mapping[str, str], progress: Progress,
              platform: str | None = None, plain: bool = False) -> str:
        """Build the context's Dockerfile (for ``platform``, when not the engine's own); the image ID.
        ``progress`` gets each step and its time; ``plain``: every line of the build's own output too."""

    def normalize(self, image_id: str, *, created: str, history: list[str], ref: str,
                  architecture: str | None = None) -> str:
        """Rewrite the image's config deterministically (core/image/plan.normalized_config), tag it
        ``ref``; the new image ID."""

    def image_store(self) -> str:
        """"containerd" (containerd's content store: Docker 29's default) or the graph driver ("overlay2")."""

    def layer_sizes(self, image_id: str) -> list[int]:
        """Each layer's size in bytes, the base's first (as `docker history` shows them)."""

    def prune_stages(self, dry_run: bool) -> tuple[int, int]:
        """Remove the builder stages envbuild's builds left (untagged images labelled
        dev.envbuild.stage): (how many, bytes reclaimed; 0 bytes when ``dry_run``)."""

    def push(self, ref: str, progress: Progress) -> str:
        """The registry's digest of the pushed manifest."""

    def import_rootfs(self, tar_path: str, *, created: str, ref: str, changes: list[str],
                      platform: str | None = None) -> str:
        """The image of a root filesystem tarball, its config normalised (``platform``: whose it is,
        when not the engine's own)."""

    def run_python(self, image_id: str, args: Sequence[str]) -> str | None:
        """``python3 ARGS`` in a container of a local image, with no network, as nobody: its output
        (stdout and stderr); None where it did not run or failed."""
