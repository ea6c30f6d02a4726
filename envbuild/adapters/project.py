"""The project's own wheel, built on the host for the image (PEP 517, through pip).

From the committed tree when the project's directory has no uncommitted change (so ignored files,
a local .venv or a stale build/ never reach the wheel), else from the working tree, marked dirty.
SOURCE_DATE_EPOCH is the spec's, so a backend that honours it (setuptools, hatchling, flit)
writes the same bytes for the same tree. The wheel goes into the wheel cache under its sha256.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from envbuild.adapters import git
from envbuild.adapters.files import sha256_file
from envbuild.adapters.process import run
from envbuild.adapters.index.resolvers import index_env, resolver_env
from envbuild.adapters.index.wheelhouse import Wheelhouse, entry_folder
from envbuild.core.progress import Progress
from envbuild.core.image.project import ProjectWheel, read_metadata
from envbuild.errors import BuildError, UserError

_SKIPPED = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", ".tox", ".nox")


def build_project(directory: Path, *, wheels: Wheelhouse, epoch: int, environ: Mapping[str, str], index_url: str,
                  extra_index_urls: Sequence[str], progress: Progress) -> tuple[ProjectWheel, Path]:
    """(what the wheel says about the project, the wheel in the cache)."""
    if not any((directory / name).is_file() for name in ("pyproject.toml", "setup.py", "setup.cfg")):
        raise UserError(f"project {directory}: no pyproject.toml, setup.py or setup.cfg there",
                        hint="point 'project:' at the directory that holds the project's pyproject.toml")
    tree = git.tree_id(directory)
    remembered = _remembered(wheels, tree, epoch) if tree else None
    if tree and remembered is not None:
        progress(f"the project's wheel for tree {tree[:12]} is in the cache: {remembered[0].name}")
        return _project_wheel(remembered[0], remembered[1], dirty=False), remembered[0]
    with tempfile.TemporaryDirectory(prefix="envbuild-project-") as tmp:
        source = Path(tmp) / "source"
        clean = tree is not None and git.export_tree(directory, tree, source)
        if not clean:
            shutil.copytree(directory, source, ignore=_SKIPPED, symlinks=True)
        dirty = not clean and git.is_repository(directory)
        progress(f"building the project's wheel from {'the committed tree' if clean else 'the working tree'} "
                 f"of {directory}" + (" (uncommitted changes: marked dirty)" if dirty else ""))
        stored, digest = pip_wheel(source, Path(tmp) / "out", wheels=wheels, environ=environ, index_url=index_url,
                                   extra_index_urls=extra_index_urls, epoch=str(epoch),
                                   what=f"the project's wheel ({directory})")
    if clean and tree:
        _remember(wheels, tree, epoch, stored, digest)
    return _project_wheel(stored, digest, dirty=dirty), stored


def pip_wheel(source: Path, out: Path, *, wheels: Wheelhouse, environ: Mapping[str, str], index_url: str,
              extra_index_urls: Sequence[str], epoch: str, what: str) -> tuple[Path, str]:
    """``source`` built into one wheel by pip (PEP 517, no dependencies, SOURCE_DATE_EPOCH ``epoch``),
    kept in the wheel cache: (its path there, its sha256). The project's and a git commit's."""
    env = resolver_env(environ) | index_env("pip", index_url, extra_index_urls) | {"SOURCE_DATE_EPOCH": epoch}
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)],
               env=env, timeout=1800)
    built = sorted(out.glob("*.whl")) if out.is_dir() else []
    if done.returncode != 0 or len(built) != 1:
        raise BuildError(f"{what} did not build", details="\n".join(done.stderr.strip().splitlines()[-10:]),
                         hint="build it yourself with 'pip wheel --no-deps .' to see the whole error")
    digest = sha256_file(built[0])
    return wheels.keep(built[0], digest), digest


def _project_wheel(wheel: Path, digest: str, *, dirty: bool) -> ProjectWheel:
    meta = read_metadata(metadata_text(wheel))
    return ProjectWheel(name=str(meta["name"]), version=str(meta["version"]), file_name=wheel.name, sha256=digest,
                        summary=str(meta["summary"]), license=str(meta["license"]),
                        requires=tuple(meta["requires"]), dirty=dirty)  # type: ignore[arg-type]


# A committed tree built once is not built again: <cache>/projects/<tree>-<epoch> names the wheel's
# sha256 (and the wheel itself is re-hashed from the cache before it is used).
def _record(wheels: Wheelhouse, tree: str, epoch: int) -> Path:
    return wheels.cache.parent / "projects" / f"{tree}-{epoch}"


def _remembered(wheels: Wheelhouse, tree: str, epoch: int) -> tuple[Path, str] | None:
    try:
        name, digest = _record(wheels, tree, epoch).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return None
    path = entry_folder(wheels.cache, digest) / name
    return (path, digest) if path.is_file() and sha256_file(path) == digest else None


def _remember(wheels: Wheelhouse, tree: str, epoch: int, wheel: Path, digest: str) -> None:
    from envbuild.adapters.files import atomic_write

    atomic_write(_record(wheels, tree, epoch), f"{wheel.name} {digest}\n")


def metadata_text(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise BuildError(f"{wheel.name}: expected one .dist-info/METADATA, found {len(names)}")
        return archive.read(names[0]).decode("utf-8", "replace")
