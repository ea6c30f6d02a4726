"""The pip ecosystem: a venv at /opt/venv, installed offline from a hash-pinned requirements lock.

Locking drives a resolver CLI (uv or pip-tools, behind adapters/index/resolvers.Resolver); a pin with no
wheel for the target gets the sha256 of the wheel built from its sdist (adapters/index/wheelhouse.py).
Verify compares the probe's distributions with the pins and, with ``--files``, every installed file
with the RECORD inside the very wheel the lock pins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from envbuild.core.envvars import expand, expand_all
from envbuild.core.lock.model import DEFAULT_INDEX
from envbuild.core.layout import EMBEDDED_LOCKS, VENV
from envbuild.core.lock import Lock, Package, pip_format
from envbuild.core.progress import Progress
from envbuild.core.redact import strip_credentials
from envbuild.ecosystems.ecosystem import BuildFiles, Ecosystem, LockJob, WheelSource
from envbuild.errors import BuildError, ResolutionError, ToolUnavailable, UserError

if TYPE_CHECKING:
    from envbuild.core.snapshot import Distribution, Snapshot
    from envbuild.adapters.index.resolvers import ResolveRequest
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.findings import Finding
    from envbuild.core.spec.layers import LayerPlan, LayerRules
    from envbuild.core.check.cuda import LockedCuda
    from envbuild.core.lock.pylock_files import PinFiles
    from envbuild.core.image.render import RenderExtras
    from envbuild.core.spec.model import Spec, Target
    from envbuild.core.check.verify import View


# uv, the in-image installer of the layer stages (templates/base.Dockerfile.j2): a pinned wheel.
INSTALLER_PINS = Path(__file__).resolve().parent.parent / "data" / "uv-installer.txt"


class PipEcosystem(Ecosystem):
    name = "pip"
    inherits_base = True
    uses_base_python = True

    def regenerate_options(self, *, resolver: str, conda_solver: str) -> str:
        return f" --resolver {resolver}" if resolver != "uv" else ""
    lock_format = pip_format.FORMAT
    prefix = VENV

    # ------------------------------------------------------------ lock

    def lock(self, job: LockJob) -> Lock:
        import tempfile

        from envbuild.adapters.knowledge import cuda_data
        from envbuild.adapters.index.resolvers import ResolveRequest, get_resolver, write_resolver_input
        from envbuild.core.check.cuda import check_target, cpu_target_warning, locked_cuda

        spec, target, inputs = job.spec, job.target, job.inputs
        backend = get_resolver(job.resolver, job.environ)
        with tempfile.TemporaryDirectory(prefix="envbuild-lock-") as tmp:
            work = Path(tmp)
            # A git requirement is resolved as the wheel built from its commit, offered to the
            # resolver on a find-links directory of its own: it pins that wheel's sha256.
            vcs, built = _vcs_wheels(job, work / "vcs-wheels")
            wanted = [f"{r.name}=={vcs[r.name][1]}" if r.name in vcs else r.text for r in inputs.requirements]
            held, stubs = _base_stubs(job, work / "base-stubs")  # base-packages: inherit
            request = ResolveRequest(
                requirements_file=write_resolver_input(work, wanted, [c.text for c in inputs.constraints] + held),
                output_file=work / "lock.txt", python=spec.python, platform=spec.platform_for(target),
                index_url=expand(inputs.index_url, job.environ),
                extra_index_urls=expand_all(inputs.extra_index_urls, job.environ),
                find_links=expand_all(inputs.find_links, job.environ) + ((f"file://{built}",) if vcs else ())
                + ((f"file://{stubs}",) if held else ()),
                exclude_newer=spec.exclude_newer, prerelease=inputs.prerelease, upgrade=job.upgrade)
            backend.check_host(request)
            if job.previous is not None and not job.upgrade:
                request.output_file.write_text(pip_format.render(job.previous), encoding="utf-8")  # pins to keep

            def resolve() -> tuple[tuple[Package, ...], bool]:
                job.progress(f"[{target.name}] resolving {len(inputs.requirements)} requirements with {backend.name} "
                             f"for Python {spec.python} on {request.platform}")
                compiled = backend.compile(request, lambda line: job.progress(f"[{target.name}]   {line}"))
                try:
                    pins = pip_format.parse_pins(compiled, f"{backend.name} output").packages
                except UserError as exc:
                    raise ResolutionError(f"{backend.name} produced a lock envbuild cannot read: {exc.message}") from None
                pins = pip_format.settle_markers(pins, spec.python, request.platform)
                if job.base is not None:  # what the base has is not installed: it is taken as given
                    given = dict(job.base.packages)
                    pins = tuple(p for p in pins if given.get(p.name) != p.version)
                pins, files, kept = _with_files(pins, job, request)
                pins = _with_built_wheels(pins, files, kept, job, request)
                pins = _with_sizes(pins, files, job, request)
                return _with_hooks(pins, files, job, request)

            # Targets whose inputs, Python and platform are the same (a CPU and a GPU target from one
            # requirements file, say) resolve once: the key is everything the resolution reads.
            key = (backend.name, tuple(wanted), tuple(c.text for c in inputs.constraints), spec.python,
                   request.platform, request.index_url, request.extra_index_urls, inputs.find_links,
                   spec.exclude_newer, inputs.prerelease, job.upgrade, tuple(sorted(vcs.items())),
                   pip_format.render(job.previous) if job.previous is not None and not job.upgrade else "",
                   job.base.packages if job.base else ())
            (pins, hooks_checked), first = job.shared.once(key, resolve)
            if not first:
                job.progress(f"[{target.name}] the same requirements, Python and platform as another target: "
                             "its resolution is used")
        cuda = locked_cuda(pins, cuda_data()) or _base_cuda(job)
        for problem in check_target(target.cuda, cuda) if target.cuda else (cpu_target_warning(cuda),):
            if problem:
                job.progress(f"[{target.name}] warning: {problem}")
        return Lock(format=self.lock_format, target=target.name, python=spec.python, platform=request.platform,
                    resolver=backend.name, inputs_digest=inputs.digest, inputs=tuple(sorted(inputs.components.items())),
                    exclude_newer=spec.exclude_newer, command=job.command,
                    cuda_runtime=f"{cuda.version} ({cuda.source})" if cuda else None, packages=pins,
                    index_url=inputs.index_url, extra_index_urls=inputs.extra_index_urls, find_links=inputs.find_links,
                    vcs=tuple(sorted((name, pinned, source) for name, (pinned, _version, source) in vcs.items())),
                    hooks_checked=hooks_checked, base_packages=job.base.packages if job.base else ())

    # ------------------------------------------------------------ build

    def fetch(self, lock: Lock, spec: Spec, target: Target, wheels: "Wheelhouse", environ: Mapping[str, str],
              progress: Progress) -> BuildFiles:
        from envbuild.adapters.index.wheelhouse import install_requirements
        from envbuild.ecosystems.pip_wheels import lock_indexes, rebuild_vcs

        rebuild_vcs(lock, wheels, environ, progress)
        found = wheels.fetch(lock.pip, python=spec.python, platform=lock.platform, **lock_indexes(lock, environ),
                             progress=progress)
        return BuildFiles(wheels=tuple(w.path for w in found), texts={"install.txt": install_requirements(found)},
                          folders={"installer": {"uv.whl": fetch_installer(spec, target, lock, wheels, environ, progress)}},
                          by_package={w.name: (w.path, install_requirements([w])) for w in found},
                          summary=f"{len(found)} wheels")

    def template(self, target: Target) -> str:
        return "cuda.Dockerfile.j2" if target.cuda else "cpu.Dockerfile.j2"

    def render_extras(self, lock: Lock) -> "RenderExtras":
        from envbuild.core.image.render import RenderExtras

        return RenderExtras(context={"embedded_lock": EMBEDDED_LOCKS[self.lock_format],
                                     "installer": {"version": _installer_pins()[0].version}},
                            image_json={"venv": self.prefix}, history=f"{self.prefix} from {lock.target} lock")

    def layer_plan(self, lock: Lock, rules: "LayerRules", *, project: bool, file: str, key: str) -> "LayerPlan":
        from envbuild.core.spec.layers import plan_layers

        return plan_layers([(p.name, p.size) for p in lock.pip], rules, project=project, file=file, key=key)

    # ------------------------------------------------------------ verify

    def check(self, lock: Lock, snapshot: "Snapshot", *, allow_extra: Iterable[str], files: bool,
              wheels: WheelSource, progress: Progress) -> tuple["Snapshot", list["Finding"]]:
        """With ``files``, every site file against the RECORD of the wheel the lock pins (and the
        files no distribution owns); without, the .pth files that would run code."""
        from envbuild.core.check.ownership import pth_findings
        from envbuild.core.check.verify import verify

        if files:
            from envbuild.ecosystems.pip_wheels import allowed_names

            snapshot, extra = self.against_wheels(lock, snapshot, wheels, progress, allowed=allowed_names(lock, allow_extra))
            if lock.base_packages:  # the base's own site-packages: its files are the image's (the engine's verdict)
                extra = [f for f in extra if f.kind != "unowned" or any(p.startswith(f"{VENV}/") for p in f.paths)]
        else:
            extra = pth_findings(snapshot)
        return snapshot, verify(lock, snapshot, allow_extra=allow_extra) + extra

    def against_wheels(self, lock: Lock, snapshot: "Snapshot", wheels: WheelSource, progress: Progress,
                       allowed: Iterable[str] = ()) -> tuple["Snapshot", list["Finding"]]:
        """verify --files: the snapshot with each locked distribution's file verdict taken against
        its wheel's own RECORD, and the unowned files. Only pins installed at their locked version
        are fetched: the others are findings already. An ``allowed`` distribution (installed, not
        locked) is judged by the wheel of its installed version on the lock's index (vouched_pins)."""
        from envbuild.core.check.ownership import check_site_files, wheel_record
        from envbuild.core.check.verify import active
        from envbuild.core.versions import same_version
        from envbuild.ecosystems.pip_wheels import other_variants, vouched_pins

        installed = active(snapshot)
        pins = [p for p in lock.pip if p.name in installed and same_version(installed[p.name].version, p.version)
                and p.hashes]  # another tool's lock may pin a git or path source by version alone
        vouched, extra, unvouched = vouched_pins(lock, installed, allowed, wheels)
        records = {name: wheel_record(name, text) for name, text in wheels(lock, pins, progress, None).items()} if pins else {}
        if vouched:
            try:
                records.update((n, wheel_record(n, text)) for n, text in wheels(lock, vouched, progress, None).items())
            except (ToolUnavailable, BuildError) as exc:
                unvouched += [f"{p.name} {p.version}: {exc.message}" for p in vouched]
                vouched = []
        pins += vouched
        # A lock lists every file of a version; an environment may have installed another than the one
        # the target's build takes (manylinux_2_34 on a newer glibc; a platform wheel where a pure one
        # exists too). Its WHEEL file names that variant: fetch it too, by the tags it records.
        for tags, group in other_variants(pins, installed, records, snapshot).items():
            try:
                variants = wheels(lock, group, progress, tags)
            except (ToolUnavailable, BuildError):
                continue  # no such locked file: the first wheel stays the expected side, its WHEEL shows as modified
            records.update((name, wheel_record(name, text)) for name, text in variants.items())
        verdicts, unowned = check_site_files(snapshot, records, {p.name: p.version for p in (*lock.pip, *vouched)})

        def judged(d: "Distribution") -> "Distribution":
            active_one = d.name in verdicts and d is installed.get(d.name)  # not a shadowed copy
            return replace(d, files=verdicts[d.name]) if active_one else d

        dists = tuple(judged(d) for d in snapshot.distributions)
        return replace(snapshot, distributions=dists, unvouched=tuple(unvouched)), extra + unowned

    def view(self, lock: Lock, label: str) -> "View":
        from envbuild.core.check.verify import view_of_lock

        return view_of_lock(lock, label)


def _base_stubs(job: LockJob, folder: Path) -> tuple[list[str], Path]:
    """The constraints that hold the base image's packages at their versions, and the find-links
    folder of their stand-in wheels (ecosystems/pip_base.py); none without base-packages: inherit."""
    if job.base is None:
        return [], folder
    from envbuild.ecosystems.pip_base import check_python, stub_wheels

    check_python(job.base, job.spec.python, job.spec.file)
    return stub_wheels(job.base, folder), folder


def _base_cuda(job: LockJob) -> "LockedCuda | None":
    """The CUDA the base image brings (its CUDA_VERSION, its torch's +cuXYZ), where the target inherits it."""
    from envbuild.core.check.cuda import LockedCuda

    if job.base is None or not job.base.cuda:
        return None
    return LockedCuda(version=job.base.cuda, source=f"the base image {job.base.ref.split('@')[0]}")


def _vcs_wheels(job: LockJob, folder: Path) -> tuple[dict[str, tuple[str, str, str]], Path]:
    """name → ('git+URL@commit', version, 'git+URL@ref' as written) for each git requirement, its
    wheel copied into ``folder``. A re-lock keeps the commit the previous lock pinned for the very
    same URL and ref, unless --upgrade: another ref is resolved again."""
    import shutil

    from envbuild.adapters.index.vcs import build_commit, resolve_commit, split_url
    from envbuild.adapters.index.wheelhouse import Wheelhouse

    kept = {name: (pinned, source) for name, pinned, source in job.previous.vcs} \
        if job.previous is not None and not job.upgrade else {}
    found: dict[str, tuple[str, str, str]] = {}
    for requirement in (r for r in job.inputs.requirements if r.vcs):
        url = requirement.vcs or ""
        repository, ref, subdirectory = split_url(url)
        pinned_before, source_before = kept.get(requirement.name, ("", ""))
        same = pinned_before and source_before == strip_credentials(url)
        commit = split_url(pinned_before)[1] if same else None
        commit = commit or resolve_commit(expand(repository, job.environ), ref, job.environ)
        wheel, _digest, name, version = build_commit(
            expand(repository, job.environ), commit, subdirectory, wheels=Wheelhouse(environ=job.environ),
            environ=job.environ,
            index_url=expand(job.inputs.index_url, job.environ),
            extra_index_urls=expand_all(job.inputs.extra_index_urls, job.environ), progress=job.progress)
        if name != requirement.name:
            raise ResolutionError(f"{url} builds {name}, not {requirement.name}", hint="name the requirement after "
                                  "the project it builds")
        folder.mkdir(exist_ok=True)
        shutil.copyfile(wheel, folder / wheel.name)
        pinned = f"git+{repository}@{commit}" + (f"#subdirectory={subdirectory}" if subdirectory else "")
        found[name] = (pinned, version, url)
    return found, folder


def fetch_installer(spec: "Spec", target: "Target", lock: Lock, wheels: "Wheelhouse", environ: Mapping[str, str],
                    progress: Progress) -> Path:
    """uv's wheel for the lock's platform, from the spec's index (a PyPI mirror has it), else from
    PyPI: pinned by hash like every wheel."""
    index = spec.index_url(target)
    found = wheels.fetch(_installer_pins(), python=spec.python, platform=lock.platform, index_url=expand(index, environ),
                         extra_index_urls=[] if index == DEFAULT_INDEX else [DEFAULT_INDEX], progress=progress)
    return found[0].path


def _installer_pins() -> tuple[Package, ...]:
    return pip_format.parse_pins(INSTALLER_PINS.read_text(encoding="utf-8"), "envbuild/data/uv-installer.txt").packages


def _with_files(pins: Sequence[Package], job: LockJob,
                request: "ResolveRequest") -> tuple[tuple[Package, ...], "Mapping[str, PinFiles]", set[str]]:
    """The pins, each that a format-2 previous lock has at the same version and files with the hashes
    it recorded (the built wheel's too); the files of every other pin, as uv knows them after the
    resolution (adapters/index/pin_files.py); and the names of the pins kept."""
    from urllib.parse import urlsplit

    from envbuild.adapters.cache import cache_root
    from envbuild.adapters.index.pin_files import locked_files

    previous = job.previous
    before = {p.name: p for p in previous.pip} if previous and previous.version >= 2 else {}
    kept = {p.name: replace(p, hashes=before[p.name].hashes) for p in pins
            if p.name in before and before[p.name].version == p.version and set(p.hashes) <= set(before[p.name].hashes)}
    out = tuple(kept.get(p.name, p) for p in pins)
    # A previous lock without sizes or start-up checks predates them: every pin is asked.
    complete = bool(previous and previous.hooks_checked and any(p.size for p in previous.pip))
    ask = [p for p in out if not (complete and p.name in kept)]
    inputs = job.inputs
    secret = any("${" in url or urlsplit(url).username for url in (inputs.index_url, *inputs.extra_index_urls,
                                                                   *inputs.find_links))
    files = locked_files(ask, python=job.spec.python, platform=request.platform,
                         index_url=request.index_url, extra_index_urls=request.extra_index_urls,
                         find_links=request.find_links, exclude_newer=request.exclude_newer, environ=job.environ,
                         memo=None if secret else cache_root(job.environ) / "files")
    return out, files, set(kept)


def _with_sizes(pins: Sequence[Package], files: "Mapping[str, PinFiles]", job: LockJob,
                request: "ResolveRequest") -> tuple[Package, ...]:
    """Each pin with the size of its locked file (the layer plan's input, core/spec/layers.py): kept from
    the previous lock for a pin whose files are unchanged, taken from ``files`` for the others."""
    from envbuild.adapters.index.sizes import locked_sizes
    from envbuild.adapters.cache import cache_root

    before = {p.name: p for p in job.previous.pip} if job.previous else {}
    known = {p.name: old.size for p in pins for old in [before.get(p.name)]
             if old is not None and old.hashes == p.hashes and old.version == p.version and old.size}
    # A pin the previous lock recorded no size for was small then (under RECORDED_FROM) and still is;
    # a previous lock with no sizes at all predates them: everything is asked.
    sized_before = any(old.size for old in before.values())
    ask = [p for p in pins if p.name not in known
           and not (sized_before and p.name in before and before[p.name].hashes == p.hashes)]
    if ask:
        known |= locked_sizes(ask, files, python=job.spec.python, platform=request.platform,
                              wheel_cache=cache_root(job.environ) / "wheels",
                              progress=lambda line: job.progress(f"[{job.target.name}] {line}"))
    return tuple(replace(p, size=known.get(p.name)) for p in pins)


def _with_hooks(pins: Sequence[Package], files: "Mapping[str, PinFiles]", job: LockJob,
                request: "ResolveRequest") -> tuple[tuple[Package, ...], bool]:
    """Each pin with the start-up code its wheel ships (adapters/index/wheel_hooks.py): kept from the
    previous lock for a pin whose files are unchanged, read for the others. (pins, whether every
    pin's wheel could be read: only then does the lock say it checked.) A hook the previous lock
    did not record is said, as a warning naming the package and version."""
    from envbuild.adapters.cache import cache_root
    from envbuild.adapters.index.wheel_hooks import locked_hooks

    before = {p.name: p for p in job.previous.pip} if job.previous and job.previous.hooks_checked else {}
    known: dict[str, tuple[str, ...] | None] = {
        p.name: before[p.name].hooks for p in pins
        if p.name in before and before[p.name].hashes == p.hashes and before[p.name].version == p.version}
    ask = [p for p in pins if p.name not in known]
    if ask:
        known |= locked_hooks(ask, files, python=job.spec.python, platform=request.platform,
                              wheel_cache=cache_root(job.environ) / "wheels")
    unread = sorted(name for name, hooks in known.items() if hooks is None)
    out = tuple(replace(p, hooks=known.get(p.name) or ()) for p in pins)
    say = lambda line: job.progress(f"[{job.target.name}] {line}")  # noqa: E731
    for pin in out:
        if pin.hooks and (pin.name not in before or before[pin.name].hooks != pin.hooks):
            say(f"warning: {pin.name} {pin.version} ships code that runs at every interpreter start: "
                f"{', '.join(pin.hooks)} (verify expects it from now on; read it before you trust it)")
    if unread:
        say(f"start-up code not checked for {len(unread)} package(s) whose wheel could not be read "
            f"({', '.join(unread[:3])}{' …' if len(unread) > 3 else ''}): verify names their hooks without judging them")
    return out, not unread


def _with_built_wheels(pins: Sequence[Package], files: "Mapping[str, PinFiles]", kept: set[str], job: LockJob,
                       request: "ResolveRequest") -> tuple[Package, ...]:
    """Pins with no wheel for the target (among ``files``: uv lists the wheels the target accepts)
    get the sha256 of the wheel built from their sdist (adapters/index/sdists.py)."""
    from envbuild.adapters.index.sizes import installable
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.epoch import epoch_of
    from envbuild.core.platforms import supported_tags

    tags = supported_tags(job.spec.python, request.platform)
    wheelless = []
    for pin in pins:
        found = files.get(pin.name)
        hexes = pin.sha256s
        if found is not None and not any(w.sha256 in hexes and installable(w.filename, tags) for w in found.wheels) \
                and pin.name not in kept:  # kept from the previous lock: with the wheel built then
            wheelless.append(pin)
    if not wheelless:
        return tuple(pins)
    built = Wheelhouse(environ=job.environ, epoch=epoch_of(job.spec.exclude_newer)).build_from_sdists(
        wheelless, files, python=job.spec.python, platform=request.platform, index_url=request.index_url,
        extra_index_urls=request.extra_index_urls, find_links=request.find_links,
        progress=lambda line: job.progress(f"[{job.target.name}] {line}"))
    return tuple(replace(p, hashes=tuple(sorted({*p.hashes, f"sha256:{built[p.name]}"}))) if p.name in built else p
                 for p in pins)
