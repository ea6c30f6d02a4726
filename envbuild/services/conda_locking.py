"""Lock a conda target: environment.yml (+ the spec's pip inputs) → locks/<target>.conda-lock.yml.

The conda part is solved by py-rattler (or conda-lock, when a conda binary is on PATH) for the
target's platform and virtual packages; the pip part is resolved by uv for the Python the solve
picked, with every Python package conda already provides held at conda's version and left to conda.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from envbuild.adapters.files import atomic_write
from envbuild.adapters.inputs import TargetInputs, display_path
from envbuild.core.conda_env import CondaEnv, channel_url
from envbuild.core.envvars import expand
from envbuild.core.platforms import conda_virtual_packages, platform as platform_facts
from envbuild.core.progress import Progress
from envbuild.core.condalock import CondaLock, CondaPackage, parse_conda_lock, render_conda_lock
from envbuild.core.lockfile import Pin
from envbuild.core.redact import strip_credentials
from envbuild.core.spec import Spec, Target
from envbuild.errors import EnvbuildError, ResolutionError, UserError

def lock_conda_target(spec: Spec, root: Path, target: Target, inputs: TargetInputs, *, solver: str,
                      progress: Progress, environ: Mapping[str, str]) -> tuple[Path, CondaLock, CondaLock | None, bool]:
    """(path, new lock, previous lock or None, written)."""
    from envbuild.adapters.conda import SolveRequest, choose_solver, solve_conda_lock, solve_rattler
    from envbuild.services.locking import regenerate_command, target_lock_path

    assert inputs.conda is not None and inputs.conda_file is not None
    env, env_file = inputs.conda, inputs.conda_file
    subdir = platform_facts(spec.platform).conda_subdir
    path = target_lock_path(root, target.name, conda=True)
    previous_text = path.read_text(encoding="utf-8") if path.is_file() else None
    previous = _previous(previous_text, display_path(path), progress, target.name)
    channels = tuple(channel_url(c, env_file.parent.as_posix()) for c in env.channels)  # ${VAR}s unexpanded
    request = SolveRequest(
        channels=tuple(expand(c, environ) for c in channels),
        specs=env.specs, platform=subdir, virtual=conda_virtual_packages(spec.platform, target.cuda),
        exclude_newer=spec.exclude_newer)
    chosen, binary = choose_solver(solver, environ)
    progress(f"[{target.name}] solving {len(env.specs)} conda specs with {chosen} for {subdir}"
             + (f" (CUDA {target.cuda})" if target.cuda else ""))
    if chosen == "rattler":
        packages = [_from_record(r, list(zip(request.channels, channels))) for r in solve_rattler(request, environ)]
    else:
        if inputs.requirements:
            raise UserError("with the conda-lock solver, pip requirements belong in the environment file's pip: "
                            "section", hint="move them there, or use --conda-solver rattler")
        if spec.exclude_newer:
            progress(f"[{target.name}] warning: conda-lock has no exclude-newer; the solve is as of today")
        packages = solve_conda_lock(env_file, request, binary or "", environ, progress)
    conda = [p for p in packages if p.manager == "conda"]
    python = next((".".join(p.version.split(".")[:2]) for p in conda if p.name == "python"), None)
    if python and python != ".".join(spec.python.split(".")[:2]):
        raise UserError(f"{spec.file} says python {spec.python}, but {display_path(env_file)} resolves "
                        f"python {python}", hint="make them agree (the spec's python is what the image runs)")
    pip = [p for p in packages if p.manager == "pip"]
    requirements = [*env.pip, *inputs.requirements]
    if requirements and chosen == "rattler":
        pip = _lock_pip(spec, inputs, env, requirements, conda, python or spec.python, progress, environ, target.name)
    lock = CondaLock(
        target=target.name, platform=subdir,
        channels=tuple(strip_credentials(c) for c in channels),  # ${VAR}s kept, literal credentials not
        sources=(_rel(env_file, path.parent),),
        packages=tuple(conda + pip), python=python or None, solver=chosen, exclude_newer=spec.exclude_newer,
        inputs_digest=inputs.digest, inputs=tuple(sorted(inputs.components.items())),
        command=regenerate_command(root, target.name, "uv"),
    )
    lock = _with_cuda(lock)
    text = render_conda_lock(lock)
    written = text != previous_text
    if written:
        atomic_write(path, text)
    return path, lock, previous, written


def as_pins(lock: CondaLock | None) -> list[Pin]:
    """Packages as pins, for the lock diff: a new build of the same version shows as 'rehashed'."""
    if lock is None:
        return []
    return [Pin(name=p.key if p.manager == "conda" else f"{p.key} (pip)", version=p.version, hashes=(p.sha256,))
            for p in lock.packages]


def _from_record(record: dict, channels: list[tuple[str, str]]) -> CondaPackage:
    """channels: (URL as solved, URL as written): a package URL keeps the ${VAR}s of its channel's
    URL, never their values, and never literal credentials."""
    url = record["url"]
    for solved, as_written in channels:
        if url.startswith(solved.rstrip("/") + "/"):
            url = as_written.rstrip("/") + url[len(solved.rstrip("/")):]
            break
    depends = []
    for dep in record.get("depends") or []:
        name, _, constraint = dep.partition(" ")
        depends.append((name, constraint.strip() or "*"))
    return CondaPackage(name=record["name"], version=str(record["version"]), manager="conda", url=strip_credentials(url),
                        sha256=record.get("sha256") or "", md5=record.get("md5"), build=record.get("build"),
                        dependencies=tuple(depends))


def _lock_pip(spec: Spec, inputs: TargetInputs, env: CondaEnv, requirements: list, conda: list[CondaPackage],
              python: str, progress: Progress, environ: Mapping[str, str], target: str) -> list[CondaPackage]:
    """The pip part: uv resolves it (pylock.toml output: one URL and hash per file) for conda's Python."""
    import tempfile

    from envbuild.adapters.resolvers import ResolveRequest, UvResolver
    from envbuild.core.pylock import choose_files, conda_constraints
    from envbuild.core.platforms import marker_environment, supported_tags

    held = conda_constraints([(p.name, p.version) for p in conda if _is_python_package(p)])
    with tempfile.TemporaryDirectory(prefix="envbuild-conda-pip-") as tmp:
        work = Path(tmp)
        lines = [r.text for r in requirements]
        if held or inputs.constraints:
            (work / "constraints.txt").write_text("\n".join([*held, *(c.text for c in inputs.constraints)]) + "\n",
                                                  encoding="utf-8")
            lines.insert(0, "-c constraints.txt")
        (work / "requirements.in").write_text("\n".join(lines) + "\n", encoding="utf-8")
        request = ResolveRequest(
            requirements_file=work / "requirements.in", output_file=work / "pylock.toml", python=python,
            platform=spec.platform, index_url=expand(env.pip_index_url or inputs.index_url, environ),
            extra_index_urls=tuple(expand(u, environ) for u in (*inputs.extra_index_urls,
                                                                    *env.pip_extra_index_urls)),
            exclude_newer=spec.exclude_newer, prerelease=inputs.prerelease, pylock=True)
        progress(f"[{target}] resolving {len(requirements)} pip requirements with uv for conda's Python {python}")
        text = UvResolver(environ).compile(request, lambda line: progress(f"[{target}]   {line}"))
    provided = {p.name for p in conda}
    try:
        files = choose_files(text, supported_tags(python, spec.platform), provided,
                             marker_environment(python, spec.platform))
    except UserError as exc:
        raise ResolutionError(exc.message, hint=exc.hint) from None
    return [CondaPackage(name=f.name, version=f.version, manager="pip", url=strip_credentials(f.url), sha256=f.sha256)
            for f in files]


def _is_python_package(p: CondaPackage) -> bool:
    return any(name == "python" for name, _ in p.dependencies)


def _with_cuda(lock: CondaLock) -> CondaLock:
    from dataclasses import replace

    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.cuda import lock_cuda

    cuda = lock_cuda(lock, cuda_data())
    return replace(lock, cuda_runtime=f"{cuda.version} ({cuda.source})") if cuda else lock


def _rel(path: Path, start: Path) -> str:
    import os

    return Path(os.path.relpath(path, start)).as_posix()


def _previous(text: str | None, source: str, progress: Progress, target: str) -> CondaLock | None:
    if text is None:
        return None
    try:
        return parse_conda_lock(text, source, check_body=False)
    except EnvbuildError as exc:
        progress(f"[{target}] ignoring the previous lock: {exc.message}")
        return None
