"""git requirements: a ref resolved to a commit, and the wheel built from a clean checkout of it.

The wheel is built with SOURCE_DATE_EPOCH set to the commit's time, so a backend that honours it
writes the same bytes on every machine: the lock pins that wheel's sha256, and `build` on a machine
without it in the cache builds it again from the commit and checks the hash.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from envbuild.adapters.process import run
from envbuild.adapters.project import metadata_text, pip_wheel
from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.progress import Progress
from envbuild.core.image.project import read_metadata
from envbuild.errors import ResolutionError, ToolUnavailable

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def split_url(url: str) -> tuple[str, str | None, str | None]:
    """'git+https://host/repo.git@v1.0#subdirectory=pkg' → ('https://host/repo.git', 'v1.0', 'pkg')."""
    url, _, fragment = url.removeprefix("git+").partition("#")
    subdirectory = next((part.split("=", 1)[1] for part in fragment.split("&") if part.startswith("subdirectory=")),
                        None)
    parts = urlsplit(url)
    path, at, ref = parts.path.rpartition("@")
    if not at or "/" in ref:
        return url, None, subdirectory
    return parts._replace(path=path).geturl(), ref, subdirectory


def resolve_commit(repository: str, ref: str | None, environ: Mapping[str, str]) -> str:
    """The commit ``ref`` (a branch, a tag, a commit; None: HEAD) names in ``repository`` now."""
    if ref and _COMMIT.match(ref):
        return ref
    wanted = ref or "HEAD"
    done = _git(["ls-remote", "--", repository, wanted, f"{wanted}^{{}}"], environ)  # and an annotated tag's commit
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]
    peeled = [sha for sha, name in lines if name.endswith("^{}")]  # an annotated tag's commit
    found = peeled or [sha for sha, _name in lines]
    if done.returncode != 0 and re.search(r"could not resolve host|connection refused|timed out|unable to access|"
                                          r"proxy|network is unreachable|could not read from remote", done.stderr, re.I):
        raise ToolUnavailable(f"git: {repository} cannot be reached",
                              details=done.stderr.strip()[-300:], hint="check the URL, the network and any proxy")
    if done.returncode != 0 or not found:
        raise ResolutionError(f"git: {repository} has no ref {ref or 'HEAD'!r}",
                              details=done.stderr.strip()[-500:] or None,
                              hint="check the URL and the ref (a tag, a branch or a full commit SHA)")
    return found[0]


def build_commit(repository: str, commit: str, subdirectory: str | None, *, wheels: Wheelhouse,
                 environ: Mapping[str, str], index_url: str, extra_index_urls: Sequence[str],
                 progress: Progress) -> tuple[Path, str, str, str]:
    """(the wheel in the cache, its sha256, name, version), built from a clean checkout of ``commit``."""
    with tempfile.TemporaryDirectory(prefix="envbuild-vcs-") as tmp:
        checkout = Path(tmp) / "checkout"
        progress(f"building a wheel from {repository} at {commit[:12]}")
        for argv in (["clone", "--quiet", "--no-checkout", "--", repository, str(checkout)],
                     ["-C", str(checkout), "checkout", "--quiet", commit]):
            done = _git(argv, environ)
            if done.returncode != 0:
                raise ToolUnavailable(f"git: cannot fetch {commit[:12]} of {repository}",
                                      details=done.stderr.strip()[-500:])
        epoch = _git(["-C", str(checkout), "show", "-s", "--format=%ct", commit], environ).stdout.strip() or "0"
        shutil.rmtree(checkout / ".git")
        source = checkout / subdirectory if subdirectory else checkout
        stored, digest = pip_wheel(source, Path(tmp) / "out", wheels=wheels, environ=environ, index_url=index_url,
                                   extra_index_urls=extra_index_urls, epoch=epoch,
                                   what=f"the wheel of {repository} at {commit[:12]}")
    meta = read_metadata(metadata_text(stored))
    return stored, digest, str(meta["name"]), str(meta["version"])


def _git(argv: list[str], environ: Mapping[str, str]):  # noqa: ANN202 - adapters.process.Completed
    env = {k: v for k, v in environ.items() if not k.startswith("GIT_")} | {"GIT_TERMINAL_PROMPT": "0"}
    return run(["git", *argv], env=env, timeout=600)
