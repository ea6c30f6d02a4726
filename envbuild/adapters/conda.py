"""conda solving and fetching: py-rattler in a child process, or conda-lock driving a conda binary.

Which solver: ``auto`` uses the conda-lock CLI when a micromamba, mamba or conda executable is on
PATH (looked up first — conda-lock would otherwise try to download one), and py-rattler otherwise.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from envbuild.adapters.files import store
from envbuild.adapters.process import find_executable, run
from envbuild.adapters.wheelhouse import default_cache as wheel_cache
from envbuild.adapters.wheelhouse import entry_folder
from envbuild.core.condalock import CondaPackage
from envbuild.core.redact import redact_text, redact_url
from envbuild.errors import BuildError, ResolutionError, ToolUnavailable, UserError
from envbuild.core.progress import Progress

CONDA_BINARIES = ("micromamba", "mamba", "conda")
SOLVERS = ("auto", "rattler", "conda-lock")


@dataclass(frozen=True, kw_only=True)
class SolveRequest:
    channels: tuple[str, ...]  # URLs, credentials expanded
    specs: tuple[str, ...]
    platform: str  # conda subdir
    virtual: tuple[tuple[str, str, str], ...]  # (name, version, build) of __linux, __glibc, __cuda...
    exclude_newer: str | None = None
    timeout: float = 600.0


def choose_solver(name: str, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(solver, conda binary or None)."""
    if name not in SOLVERS:
        raise UserError(f"unknown conda solver {name!r}", hint=f"choose one of: {', '.join(SOLVERS)}")
    binary = next((path for b in CONDA_BINARIES if (path := shutil.which(b, path=environ.get("PATH")))), None)
    if name == "rattler" or (name == "auto" and binary is None):
        return "rattler", None
    if binary is None:
        raise ToolUnavailable("--conda-solver conda-lock needs a micromamba, mamba or conda executable on PATH",
                              hint="install micromamba, or use --conda-solver rattler")
    if find_executable("conda-lock") is None and not _module("conda_lock"):
        raise ToolUnavailable(f"{Path(binary).name} is on PATH but conda-lock is not installed",
                              hint="pip install 'envbuild[conda-lock]', or use --conda-solver rattler")
    return "conda-lock", binary


def solve_rattler(request: SolveRequest, environ: Mapping[str, str]) -> list[dict]:
    """Repodata records (rattler's JSON form) of the solution."""
    payload = json.dumps({"channels": list(request.channels), "specs": list(request.specs),
                          "platform": request.platform, "virtual": [list(v) for v in request.virtual],
                          "exclude_newer": request.exclude_newer, "timeout": request.timeout})
    done = run([sys.executable, "-m", "envbuild.adapters.rattler_worker"], stdin=payload, env=dict(environ),
               timeout=request.timeout + 60)
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = redact_text(done.stderr.strip().splitlines()[-1]) if done.stderr.strip() else f"exit {done.returncode}"
        raise ResolutionError(f"py-rattler stopped without an answer: {tail}") from None
    if "records" in answer:
        return answer["records"]
    message = redact_text(answer.get("message", "")).strip()
    first = message.splitlines()[0] if message else "no message"
    kind = answer.get("error")
    if kind == "unreachable":
        raise ToolUnavailable(_unreachable(message, request.channels),
                              hint="check the channel URLs and the network (no conda channel answers from here?)")
    if kind == "invalid":
        raise UserError(f"invalid conda package spec or channel: {first}")
    if kind == "unsolvable":
        hint = None
        if "__cuda" in message and not any(v[0] == "__cuda" for v in request.virtual):
            hint = "a package needs a CUDA driver (__cuda): set 'cuda: \"12.4\"' on the target"
        raise ResolutionError("the conda environment cannot be solved", details=message, hint=hint)
    raise ResolutionError(f"py-rattler failed: {first}", details=message)


def _unreachable(message: str, channels: Sequence[str]) -> str:
    """'conda channel https://conda.anaconda.org/nvidia cannot be reached (failed to lookup address ...)'."""
    import re

    url = re.search(r"url \((\S+?)\)", message)
    channel = next((c for c in channels if url and url.group(1).startswith(c.rstrip("/") + "/")), None)
    causes = [line.split(":", 1)[1].strip() for line in message.splitlines() if line.strip().startswith("Caused by:")]
    why = causes[-1] if causes else message.splitlines()[0]
    return f"conda channel {redact_url(channel or (url.group(1) if url else '?'))} cannot be reached ({why})"


def solve_conda_lock(env_file: Path, request: SolveRequest, binary: str, environ: Mapping[str, str],
                     log: Progress) -> list[CondaPackage]:
    """conda-lock with the conda binary found on PATH; its lock file is read back into packages."""
    from envbuild.core.condalock import parse_conda_lock

    with tempfile.TemporaryDirectory(prefix="envbuild-conda-lock-") as tmp:
        work = Path(tmp)
        packages = {n: v if b == "0" else f"{v} {b}" for n, v, b in request.virtual}  # conda-lock's "version build"
        (work / "virtual.yml").write_text(json.dumps({"subdirs": {request.platform: {"packages": packages}}}),
                                          encoding="utf-8")
        flavour = {"micromamba": ["--micromamba"], "mamba": ["--mamba"]}.get(Path(binary).name,
                                                                              ["--no-mamba", "--no-micromamba"])
        argv = [*_conda_lock_argv(), "lock", "--file", str(env_file), "--platform", request.platform,
                "--conda", binary, *flavour, "--lockfile", str(work / "conda-lock.yml"), "--kind", "lock",
                "--virtual-package-spec", str(work / "virtual.yml"), "--strip-auth"]
        log(f"solving with conda-lock and {Path(binary).name}")
        done = run(argv, env=dict(environ), timeout=request.timeout, on_stderr_line=lambda line: None)
        if done.returncode != 0:
            lines = [ln for ln in redact_text(done.stderr).splitlines() if ln.strip()]
            raise ResolutionError("conda-lock failed", details="\n".join(lines[-15:]))
        text = (work / "conda-lock.yml").read_text(encoding="utf-8")
    return list(parse_conda_lock(text, "conda-lock output", platform=request.platform).packages)


def _conda_lock_argv() -> list[str]:
    exe = find_executable("conda-lock")
    return [exe] if exe else [sys.executable, "-m", "conda_lock"]


def _module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# ---------------------------------------------------------------- fetching packages for a build


def default_cache() -> Path:
    return wheel_cache().parent / "archives"


def fetch_packages(packages: Sequence[CondaPackage], cache: Path | None, log: Progress,
                   expand: Callable[[str], str] = lambda url: url) -> list[Path]:
    """Each package (a conda archive, or a wheel of the pip part) by its URL into a content-addressed
    cache, sha256 (and md5 where the lock has it) checked; their paths, in order."""
    cache = cache or default_cache()
    paths = []
    fetched = 0
    for package in packages:
        folder = entry_folder(cache, package.sha256)
        path = folder / package.file_name
        if not path.is_file():
            def fetch(partial: Path, package: CondaPackage = package) -> None:
                _download(expand(package.url), partial, package.url)  # ${VAR}s come from the environment
                _check(partial, package)

            store(folder, package.file_name, fetch)
            fetched += 1
        else:
            _check(path, package)  # a cache entry that no longer hashes to its name stops the build
        paths.append(path)
    kind = "conda packages" if all(p.manager == "conda" for p in packages) else "pip wheels"
    log(f"{kind}: {fetched} downloaded, {len(packages) - fetched} from the cache ({cache})")
    return paths


def _download(url: str, dest: Path, shown: str) -> None:
    """shown: the URL for messages (as the lock has it: ${VAR}s, not their values)."""
    parts = urlsplit(url)
    try:
        if parts.scheme == "file":
            shutil.copyfile(unquote(parts.path), dest)
            return
        with urllib.request.urlopen(url, timeout=120) as response, open(dest, "wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out, 1 << 20)
    except (OSError, ValueError) as exc:
        dest.unlink(missing_ok=True)
        reason = redact_text(str(getattr(exc, "reason", None) or exc)).replace(url, shown)
        raise ToolUnavailable(f"cannot fetch {redact_url(shown)}: {reason}") from None


def _check(path: Path, package: CondaPackage) -> None:
    sha, md5 = hashlib.sha256(), hashlib.md5()  # noqa: S324 - md5 is what conda records, next to sha256
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
            md5.update(block)
    if sha.hexdigest() != package.sha256 or (package.md5 and md5.hexdigest() != package.md5):
        path.unlink(missing_ok=True)
        raise BuildError(f"{package.file_name} does not match the hashes in the lock "
                         f"(sha256 {sha.hexdigest()[:16]}…, lock {package.sha256[:16]}…)",
                         hint="the channel serves a different file than when the lock was written: re-lock, "
                         "or find out why it changed")
