"""The conda ecosystem: a conda prefix at /opt/conda from a conda-lock file, with an optional pip part.

Lock: the conda part is solved by py-rattler (or conda-lock, when a conda binary is on PATH) for the
target's platform and virtual packages; the pip part is resolved through the Resolver interface (uv:
it writes one URL and hash per file) for the Python the solve picked, with every Python package
conda already provides held at conda's version and left to conda.

Build: every file is fetched by the lock's URL and hash-checked on the host (conda archives by
sha256 and md5, the pip part's wheels by sha256); the builder stage installs offline with py-rattler.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.core.envvars import expand, expand_all
from envbuild.core.spec.layers import RECORDED_FROM
from envbuild.core.layout import CONDA_PREFIX, EMBEDDED_LOCKS, Labels
from envbuild.core.lock import CONDA, DEFAULT_INDEX, PIP, Lock, Package, conda_format, pip_format
from envbuild.core.platforms import conda_virtual_packages, platform as platform_facts
from envbuild.core.progress import Progress
from envbuild.core.redact import strip_credentials
from envbuild.core.versions import major_minor
from envbuild.ecosystems.ecosystem import BuildFiles, Ecosystem, LockJob, WheelSource
from envbuild.errors import ResolutionError, UserError

if TYPE_CHECKING:
    from envbuild.core.snapshot import Snapshot
    from envbuild.adapters.index.wheelhouse import Wheel, Wheelhouse
    from envbuild.core.inputs.conda_env import CondaEnv
    from envbuild.core.inputs.requirements import RequirementLine
    from envbuild.core.spec.layers import LayerPlan, LayerRules
    from envbuild.core.findings import Finding
    from envbuild.core.image.render import RenderExtras
    from envbuild.core.spec.model import Spec, Target
    from envbuild.core.check.verify import View


_DATA = Path(__file__).resolve().parent.parent / "data"
INSTALLER_PINS = _DATA / "conda-installer.txt"
INSTALLER_SCRIPT = Path(__file__).resolve().parent.parent / "conda_installer.py"


class CondaEcosystem(Ecosystem):
    name = "conda"

    def regenerate_options(self, *, resolver: str, conda_solver: str) -> str:
        return f" --conda-solver {conda_solver}" if conda_solver != "auto" else ""
    lock_format = conda_format.FORMAT
    prefix = CONDA_PREFIX

    # ------------------------------------------------------------ lock

    def lock(self, job: LockJob) -> Lock:
        from envbuild.adapters.index.conda import SolveRequest, choose_solver, solve_conda_lock, solve_rattler
        from envbuild.adapters.inputs import display_path
        from envbuild.core.inputs.conda_env import channel_url

        spec, target, inputs, environ = job.spec, job.target, job.inputs, job.environ
        if job.resolver != "uv":
            job.progress(f"[{target.name}] note: the pip part of a conda target is resolved with uv "
                         f"(it needs one URL per file), not {job.resolver}")
        assert inputs.conda is not None and inputs.conda_file is not None
        env, env_file = inputs.conda, inputs.conda_file
        subdir = platform_facts(spec.platform_for(target)).conda_subdir
        channels = tuple(channel_url(c, env_file.parent.as_posix()) for c in env.channels)  # ${VAR}s unexpanded
        request = SolveRequest(channels=expand_all(channels, environ), specs=env.specs, platform=subdir,
                               virtual=conda_virtual_packages(spec.platform_for(target), target.cuda),
                               exclude_newer=spec.exclude_newer)
        _check_before_solving(env, [*env.pip, *inputs.requirements], spec, display_path(env_file))
        chosen, binary = choose_solver(job.conda_solver, environ)
        job.progress(f"[{target.name}] solving {len(env.specs)} conda specs with {chosen} for {subdir}"
                     + (f" (CUDA {target.cuda})" if target.cuda else ""))
        if chosen == "rattler":
            packages = [_from_record(r, list(zip(request.channels, channels))) for r in solve_rattler(request, environ)]
        else:
            if inputs.requirements:
                raise UserError("with the conda-lock solver, pip requirements belong in the environment file's pip: "
                                "section", hint="move them there, or use --conda-solver rattler")
            if spec.exclude_newer:
                job.progress(f"[{target.name}] warning: conda-lock has no exclude-newer; the solve is as of today")
            packages = solve_conda_lock(env_file, request, binary or "", environ, job.progress)
        conda = [p for p in packages if p.manager == CONDA]
        python = next((major_minor(p.version) for p in conda if p.name == "python"), None)
        if python and python != major_minor(spec.python):
            raise UserError(f"{spec.file} says python {spec.python}, but {display_path(env_file)} resolves "
                            f"python {python}", hint="make them agree (the spec's python is what the image runs)")
        pip = [p for p in packages if p.manager == PIP]
        wanted = [*env.pip, *inputs.requirements]
        if wanted and chosen == "rattler":
            pip = _lock_pip(job, env, [r.text for r in wanted], conda, python or spec.python)
        lock = Lock(format=self.lock_format, target=target.name, platform=spec.platform_for(target),
                    channels=tuple(strip_credentials(c) for c in channels),  # ${VAR}s kept, literal credentials not
                    sources=(Path(os.path.relpath(env_file, job.root / "locks")).as_posix(),),
                    packages=tuple(conda + pip), python=python or None, resolver=chosen,
                    exclude_newer=spec.exclude_newer, inputs_digest=inputs.digest,
                    inputs=tuple(sorted(inputs.components.items())), command=job.command)
        from envbuild.adapters.knowledge import cuda_data
        from envbuild.core.check.cuda import lock_cuda

        cuda = lock_cuda(lock, cuda_data())
        return replace(lock, cuda_runtime=f"{cuda.version} ({cuda.source})") if cuda else lock

    # ------------------------------------------------------------ build

    def fetch(self, lock: Lock, spec: Spec, target: Target, wheels: "Wheelhouse", environ: Mapping[str, str],
              progress: Progress) -> BuildFiles:
        """context/conda: the archives, their install plan and the installer; the installer's own
        wheels (py-rattler, pinned by hash) and the pip part's go to /tmp/wheels."""
        archives = wheels.fetch_files(lock.conda, progress, lambda url: expand(url, environ))
        folder: dict[str, Path | str] = {archive.name: archive for archive in archives}
        folder["plan.json"] = install_plan(lock.conda, [f"/tmp/conda/{archive.name}" for archive in archives])
        folder["install.py"] = INSTALLER_SCRIPT
        installer_pins = pip_format.parse_pins(INSTALLER_PINS.read_text(encoding="utf-8"),
                                                 "envbuild/data/conda-installer.txt").packages
        index = spec.index_url(target)
        # py-rattler from the spec's index (a PyPI mirror has it), else from PyPI: it is pinned by hash.
        installer = wheels.fetch(installer_pins, python=spec.python, platform=lock.platform,
                                 index_url=expand(index, environ),
                                 extra_index_urls=[] if index == DEFAULT_INDEX else [DEFAULT_INDEX], progress=progress)
        pip_wheels = _pip_part(spec, target, lock, wheels, environ, progress)
        from envbuild.adapters.index.wheelhouse import install_requirements

        return BuildFiles(wheels=tuple(w.path for w in (*installer, *pip_wheels)),
                          texts={"installer.txt": install_requirements(installer),
                                 "install.txt": install_requirements(pip_wheels)},
                          folders={"conda": folder},
                          summary=f"{len(installer) + len(pip_wheels)} wheels and {len(lock.conda)} conda packages")

    def template(self, target: Target) -> str:
        return "conda.Dockerfile.j2"

    def layer_plan(self, lock: Lock, rules: "LayerRules", *, project: bool, file: str, key: str) -> "LayerPlan":
        """The conda packages' layers, split from one install (core/spec/layers.py); the pip part, the
        project and the files go with the metadata."""
        from envbuild.core.gpu import CONDA_CUDA_RUNTIME
        from envbuild.core.spec.layers import plan_layers

        return plan_layers([(p.name, p.size) for p in lock.conda], rules, file=file, key=key, staged=False,
                           cuda_patterns=CONDA_CUDA_RUNTIME)

    def render_extras(self, lock: Lock) -> "RenderExtras":
        from envbuild.core.image.render import RenderExtras

        return RenderExtras(context={"conda_pip": bool(lock.pip), "embedded_lock": EMBEDDED_LOCKS[self.lock_format]},
                            labels={Labels.CONDA_PREFIX: self.prefix}, image_json={"conda_prefix": self.prefix},
                            history=f"{self.prefix} from {lock.target} conda lock")

    # ------------------------------------------------------------ verify

    def check(self, lock: Lock, snapshot: "Snapshot", *, allow_extra: Iterable[str], files: bool,
              wheels: WheelSource, progress: Progress) -> tuple["Snapshot", list["Finding"]]:
        """conda-meta's records against the conda packages; with ``files``, every file against its
        package archive's info/paths.json (as the engine read it in an image or a container, as the
        probe hashed it elsewhere); the pip part as a pip lock's pins."""
        from envbuild.core.check.conda_verify import verify_conda

        if files:
            snapshot = self.against_archives(lock, snapshot, wheels, progress)
        return snapshot, verify_conda(lock, snapshot, allow_extra=allow_extra)

    def against_archives(self, lock: Lock, snapshot: "Snapshot", wheels: WheelSource,
                         progress: Progress) -> "Snapshot":
        """The snapshot with each installed conda package's file verdict taken against its archive's
        own info/paths.json (the archives pinned by the lock, from the cache or their URLs)."""
        from envbuild.adapters.index.conda import archive_paths
        from envbuild.core.check.conda_verify import archive_verdicts

        conda = snapshot.conda
        if conda is None:
            return snapshot
        prefix = conda.prefix or ""
        records = {r.name: r for r in conda.packages or ()}
        if snapshot.engine and snapshot.engine.files:  # an image or a container: as the engine read it
            tree = snapshot.trees.get(prefix)
        else:  # a prefix only its own interpreter can be asked about: what the probe hashed
            tree = {rel: digest for r in records.values() for rel, digest in r.hashes.items()}
        archives = getattr(wheels, "archives", None)
        pins = [p for p in lock.conda if p.name in records and records[p.name].sha256 in (None, p.sha256)]
        if not tree or archives is None or not pins:
            return snapshot
        paths = archives(lock, pins, progress)
        verdicts = archive_verdicts({p.name: archive_paths(paths[p.name]) for p in pins}, tree, prefix,
                                    {p.name: records[p.name].files for p in pins})
        packages = tuple(replace(r, files=verdicts[r.name], from_archive=True) if r.name in verdicts else r
                         for r in conda.packages or ())
        return replace(snapshot, conda=replace(conda, packages=packages))

    def view(self, lock: Lock, label: str) -> "View":
        from envbuild.core.check.conda_verify import view_of_conda_lock

        return view_of_conda_lock(lock, label)


def install_plan(packages: Sequence[Package], files: Sequence[str]) -> str:
    """What conda_installer.py reads: each archive's path where it runs, its hashes, and the URL and
    channel its conda-meta record names."""
    plan = [{"file": file, "sha256": p.sha256, "md5": p.md5, "url": p.url, "channel": _channel_of(p.url or "")}
            for p, file in zip(packages, files)]
    return json.dumps({"packages": plan}, indent=1, sort_keys=True) + "\n"


def _channel_of(url: str) -> str:
    """https://conda.anaconda.org/conda-forge/linux-64/x.conda → https://conda.anaconda.org/conda-forge"""
    return url.rsplit("/", 2)[0]


def _pip_part(spec: Spec, target: Target, lock: Lock, house: "Wheelhouse", environ: Mapping[str, str],
              progress: Progress) -> list["Wheel"]:
    """Wheels by the URL and sha256 the lock names; an sdist is built into a wheel by the wheelhouse."""
    from envbuild.adapters.index.wheelhouse import Wheel

    wheels = [p for p in lock.pip if p.file_name.endswith(".whl")]
    paths = house.fetch_files(wheels, progress, lambda url: expand(url, environ)) if wheels else []
    found = [Wheel(name=p.key, version=p.version, path=path, sha256=p.sha256) for p, path in zip(wheels, paths)]
    sdists = [replace(p, name=p.key) for p in lock.pip if not p.file_name.endswith(".whl")]
    if sdists:
        found += house.fetch(sdists, python=lock.python or spec.python, platform=lock.platform,
                             index_url=expand(spec.index_url(target), environ),
                             extra_index_urls=list(expand_all(spec.extra_index_urls(target), environ)), progress=progress)
    return found


def _from_record(record: dict, channels: list[tuple[str, str]]) -> Package:
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
    sha256 = record.get("sha256") or ""
    size = record.get("size")
    return Package(name=record["name"], version=str(record["version"]), manager=CONDA, url=strip_credentials(url),
                   hashes=(f"sha256:{sha256}",) if sha256 else (), md5=record.get("md5"), build=record.get("build"),
                   dependencies=tuple(depends),
                   size=size if isinstance(size, int) and size >= RECORDED_FROM else None)


def _check_before_solving(env: "CondaEnv", wanted: Sequence["RequirementLine"], spec: "Spec", file: str) -> None:
    """What can be said without a channel: a Python the environment pins against the spec's, a match
    spec that does not parse (file, key path, line), a git line in the pip part."""
    from envbuild.adapters.index.conda import match_spec_problem
    from envbuild.core.inputs.conda_env import python_disagreement
    from envbuild.errors import SpecError

    other = python_disagreement(env, spec.python)
    if other:
        raise UserError(f"{spec.file} says python {spec.python}, but {file} asks for {other!r}",
                        hint="make them agree (the spec's python is what the image runs)")
    for text, where in zip(env.specs, env.where or [""] * len(env.specs)):
        problem = match_spec_problem(text)
        if problem:
            raise SpecError(file, where, f"{text!r} is not a conda match spec: {problem}",
                            hint="e.g. 'numpy>=1.26', 'numpy=1.26.*', 'conda-forge::numpy 1.26.4'")
    git = [r for r in wanted if r.vcs]
    if git:
        raise UserError(f"{git[0].origin}: {git[0].text!r}: git requirements are locked for pip targets; a conda "
                        "target's pip part takes packages from an index", hint="build a wheel from the commit and "
                        "serve it (index.find-links), or move the package to a pip target")


def _lock_pip(job: LockJob, env: "CondaEnv", wanted: list[str], conda: list[Package], python: str) -> list[Package]:
    """The pip part, resolved by uv through the Resolver interface (pylock.toml output: one URL and
    hash per file) for conda's Python."""
    from envbuild.adapters.index.resolvers import ResolveRequest, get_resolver, write_resolver_input
    from envbuild.core.platforms import marker_environment, supported_tags
    from envbuild.core.lock.pylock_files import choose_files, conda_constraints

    spec, inputs, environ = job.spec, job.inputs, job.environ
    held = conda_constraints([(p.name, p.version) for p in conda if _is_python_package(p)])
    with tempfile.TemporaryDirectory(prefix="envbuild-conda-pip-") as tmp:
        work = Path(tmp)
        request = ResolveRequest(
            requirements_file=write_resolver_input(work, wanted, [*held, *(c.text for c in inputs.constraints)]),
            output_file=work / "pylock.toml", python=python, platform=spec.platform_for(job.target),
            index_url=expand(env.pip_index_url or inputs.index_url, environ),
            extra_index_urls=expand_all((*inputs.extra_index_urls, *env.pip_extra_index_urls), environ),
            find_links=expand_all(inputs.find_links, environ),
            exclude_newer=spec.exclude_newer, prerelease=inputs.prerelease, pylock=True)
        job.progress(f"[{job.target.name}] resolving {len(wanted)} pip requirements with uv for conda's Python {python}")
        text = get_resolver("uv", environ).compile(request, lambda line: job.progress(f"[{job.target.name}]   {line}"))
    try:
        files = choose_files(text, supported_tags(python, request.platform), {p.name for p in conda},
                             marker_environment(python, request.platform))
    except UserError as exc:
        raise ResolutionError(exc.message, hint=exc.hint) from None
    return [Package(name=f.name, version=f.version, manager=PIP, url=strip_credentials(f.url),
                    hashes=(f"sha256:{f.sha256}",)) for f in files]


def _is_python_package(p: Package) -> bool:
    return any(name == "python" for name, _ in p.dependencies)
