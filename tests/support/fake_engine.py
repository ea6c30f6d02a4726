"""A container engine in a dict: for tests about envbuild's own logic (what goes into a build
context, when a build is skipped, how an image is tagged and pushed), where a real engine would
only add minutes. It implements core/image/engine.ContainerEngine; the real one is tested on Docker."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from envbuild.core.image.engine import ImageInfo
from envbuild.core.image.plan import normalized_config
from envbuild.errors import ToolUnavailable


@dataclass
class Build:
    """What one build was given: every file of its context (text, or the sha256 of a binary file)."""

    files: dict[str, str]
    buildargs: dict[str, str]
    nocache: bool
    platform: str | None = None


@dataclass
class FakeEngine:
    kind = label = "classic"
    images: dict[str, ImageInfo] = field(default_factory=dict)  # by ID
    tags: dict[str, str] = field(default_factory=dict)  # ref → ID
    builds: list[Build] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    native: str = "linux/amd64"
    emulated: tuple[str, ...] = ()  # platforms a binfmt handler would run
    pythons: dict[str, str] = field(default_factory=dict)  # image ID → what its python3 --version says
    outputs: dict[str, str] = field(default_factory=dict)  # image ID → what python3 SCRIPT prints there

    def add_image(self, ref: str, layers: int = 1) -> ImageInfo:
        digest = hashlib.sha256(ref.encode()).hexdigest()
        info = ImageInfo(id=f"sha256:{digest}", repo_digests=(), labels={}, size=1000, raw={
            "Config": {"Labels": {}}, "RootFS": {"Layers": [f"sha256:{i}{digest[1:]}" for i in range(layers)]}},
            diff_ids=tuple(f"sha256:{i}{digest[1:]}" for i in range(layers)))
        self.images[info.id] = info
        self.tags[ref] = info.id
        return info

    def inspect(self, ref: str) -> ImageInfo | None:
        return self.images.get(self.tags.get(ref, ref))

    def pull(self, ref: str, progress) -> ImageInfo:
        raise ToolUnavailable(f"cannot pull {ref}: the fake engine has no registry")

    def tag(self, image_id: str, ref: str) -> None:
        self.tags[ref] = image_id

    def remove(self, image_id: str) -> None:
        self.images.pop(image_id, None)

    def native_platform(self) -> str:
        return self.native

    def runs(self, platform: str) -> bool:
        return platform == self.native or platform in self.emulated

    def run_python(self, image_id: str, args) -> str | None:
        if list(args) == ["--version"]:
            return f"Python {self.pythons[image_id]}\n" if image_id in self.pythons else None
        return self.outputs.get(image_id)

    def build(self, context_dir: str, *, nocache: bool, buildargs: Mapping[str, str], progress,
              platform: str | None = None, plain: bool = False) -> str:
        root = Path(context_dir)
        files = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            try:
                files[path.relative_to(root).as_posix()] = data.decode("utf-8")
            except UnicodeDecodeError:
                files[path.relative_to(root).as_posix()] = "sha256:" + hashlib.sha256(data).hexdigest()
        self.builds.append(Build(files=files, buildargs=dict(buildargs), nocache=nocache, platform=platform))
        layer = "sha256:" + hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
        base = next(iter(self.images.values()))
        raw = {"Config": {"User": "app", "Labels": _labels(files.get("Dockerfile", ""))},
               "RootFS": {"Layers": [*base.diff_ids, layer]}, "Created": f"build {len(self.builds)}"}
        info = ImageInfo(id="sha256:" + hashlib.sha256(f"raw {len(self.builds)}".encode()).hexdigest(),
                         repo_digests=(), labels=raw["Config"]["Labels"], size=2000, diff_ids=(*base.diff_ids, layer),
                         raw=raw)
        self.images[info.id] = info
        return info.id

    def normalize(self, image_id: str, *, created: str, history: list[str], ref: str,
                  architecture: str | None = None) -> str:
        info = self.images[image_id]
        new_id = "sha256:" + hashlib.sha256(normalized_config(info.raw, created=created, history=history)).hexdigest()
        self.images[new_id] = replace(info, id=new_id)
        self.tags[ref] = new_id
        return new_id

    def prune_stages(self, dry_run: bool) -> tuple[int, int]:
        return 0, 0

    def image_store(self) -> str:
        return "overlay2"

    def layer_sizes(self, image_id: str) -> list[int]:
        return [1000] * len(self.images[image_id].diff_ids)

    def push(self, ref: str, progress) -> str:
        self.pushed.append(ref)
        return "sha256:" + hashlib.sha256(self.tags[ref].encode()).hexdigest()

    def import_rootfs(self, tar_path: str, *, created: str, ref: str, changes: list[str],
                      platform: str | None = None) -> str:
        return self.add_image(ref).id


def _labels(dockerfile: str) -> dict[str, str]:
    import json
    import re

    return {key: json.loads(value) for key, value in re.findall(r'^\s+(\S+)=("(?:[^"\\]|\\.)*")', dockerfile, re.M)}
