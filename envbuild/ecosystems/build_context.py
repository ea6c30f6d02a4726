"""The build context of one target: what `build` hands the engine, and what `envbuild context`
writes for any builder (docker, buildx, podman, buildah, kaniko). Files are linked from the wheel
cache where the file system allows (they are content-addressed and never written in place)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from envbuild.adapters.files import link_or_copy
from envbuild.core.spec.layers import LayerPlan
from envbuild.core.image.project import ProjectWheel
from envbuild.core.image.render import layer_folder, layer_split
from envbuild.ecosystems.ecosystem import BuildFiles


def fill_context(context: Path, *, dockerfile: str, embedded: Mapping[str, str], plan: LayerPlan | None,
                 project: tuple[ProjectWheel, Path] | None, files: Sequence[tuple[str, Path]],
                 build_files: BuildFiles, link: bool = True) -> None:
    """The build context: Dockerfile, envbuild/ (embedded files and install lists), the ecosystem's
    own folders, and the wheels: one folder per layer of the plan (layers/01/, …, layers/project/,
    each with its install.txt), or wheels/ for an ecosystem of one layer. Files are linked from the
    cache where the file system allows; ``link`` False copies them (a context the user keeps and may
    edit must not share the cache's inodes)."""
    put = link_or_copy if link else shutil.copyfile
    (context / "envbuild").mkdir()
    texts = dict(embedded, **build_files.texts)
    project_line = ""
    if project:
        meta = project[0]
        project_line = f"{meta.name}=={meta.version} --hash=sha256:{meta.sha256}\n"
    if plan is None or not plan.staged:
        if plan is not None:  # split from one install: which packages go to which layer folder
            texts["layers.json"] = layer_split(plan)
        if project_line:
            texts["project.txt"] = project_line
        (context / "wheels").mkdir()
        for wheel in (*build_files.wheels, *([project[1]] if project else [])):
            put(wheel, context / "wheels" / wheel.name)
        files_dir = context / "files"
    else:
        for index, layer in enumerate(plan.layers):
            _layer_folder(context / "layers" / layer_folder(index),
                          [build_files.by_package[name] for name in layer.packages], put)
        if plan.project:
            _layer_folder(context / "layers" / "project",
                          [(project[1], project_line)] if project else [], put)
        files_dir = context / "layers" / "project" / "files"
    for name, text in texts.items():
        (context / "envbuild" / name).write_text(text, encoding="utf-8")
    for index, (_dst, source) in enumerate(files):
        files_dir.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, files_dir / str(index), symlinks=False)
        else:
            shutil.copy2(source, files_dir / str(index))
    for folder, entries in build_files.folders.items():
        (context / folder).mkdir()
        for name, entry in entries.items():
            if isinstance(entry, Path):
                put(entry, context / folder / name)
            else:
                (context / folder / name).write_text(entry, encoding="utf-8")
    (context / "Dockerfile").write_text(dockerfile, encoding="utf-8")


def _layer_folder(folder: Path, wheels: list[tuple[Path, str]], put: Callable[[Path, Path], object]) -> None:
    folder.mkdir(parents=True)
    for wheel, _line in wheels:
        put(wheel, folder / wheel.name)
    (folder / "install.txt").write_text("".join(sorted(line for _wheel, line in wheels)), encoding="utf-8")
