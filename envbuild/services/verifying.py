"""verify(), snapshot() and diff(): probe environments and compare them with a lock or each other."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.targets import DEFAULT_TIMEOUT, Place, start_snapshots, take_snapshot
from envbuild.errors import BuildError, ToolUnavailable, UserError

if TYPE_CHECKING:  # imported when needed: verify starts its probes before it reads the lock
    from envbuild.core.condalock import CondaLock
    from envbuild.core.lockfile import LockFile, Pin
    from envbuild.core.report import Outcome
    from envbuild.core.findings import Finding
    from envbuild.core.verify import View

# The locked wheels for these pins (name → RECORD text of the very file the lock pins), fetched for
# the lock's Python and platform. The default is envbuild's wheel cache; tests pass their own.
# The 4th argument (exact wheel tags) asks for the variant an environment installed.
WheelSource = Callable[["LockFile", Sequence["Pin"], Callable[[str], None], "Sequence[str] | None"], Mapping[str, str]]


def _cache_wheels() -> WheelSource:
    def fetch(lock: "LockFile", pins: Sequence["Pin"], log: Callable[[str], None],
              exact_tags: Sequence[str] | None = None) -> Mapping[str, str]:
        import os

        from envbuild.adapters.wheelhouse import Wheelhouse, wheel_record_text
        from envbuild.core.render import epoch_of
        from envbuild.services.locking import lock_indexes

        house = Wheelhouse(epoch=epoch_of(lock.header.exclude_newer))
        found = house.fetch(pins, python=lock.header.python, platform=lock.header.platform,
                            **lock_indexes(lock, os.environ), log=log, exact_tags=exact_tags)
        return {wheel.name: wheel_record_text(wheel.path) for wheel in found}

    return fetch


def _build_manifest(snapshot: Mapping[str, Any]) -> Mapping[str, Mapping[str, str]] | None:
    from envbuild.adapters.manifests import read_manifest

    image_id = (snapshot.get("engine") or {}).get("image_id")
    return read_manifest(image_id) if image_id else None


def _other_variants(pins: Sequence["Pin"], installed: Mapping[str, Mapping[str, Any]],
                    records: Mapping[str, Any], snapshot: Mapping[str, Any]) -> dict[tuple[str, ...], list["Pin"]]:
    """Pins whose installed WHEEL file is not the fetched wheel's, grouped by the tags the installed
    WHEEL file records."""
    manifest = snapshot.get("site_files") or {}
    groups: dict[tuple[str, ...], list["Pin"]] = {}
    for pin in pins:
        dist, record = installed[pin.name], records.get(pin.name)
        present = manifest.get(str(dist["location"])) or {}
        wheel_file = f"{dist.get('metadata_dir')}/WHEEL"
        if record is None or wheel_file not in present or present[wheel_file] == record.files.get(wheel_file):
            continue
        tags = tuple(sorted(dist.get("wheel_tags") or ()))
        if tags:
            groups.setdefault(tags, []).append(pin)
    return groups


def _against_wheels(lock: "LockFile", snapshot: dict[str, Any], wheels: WheelSource,
                    log: Callable[[str], None]) -> tuple[dict[str, Any], list["Finding"]]:
    """The snapshot with each locked distribution's file verdict taken against its wheel's own
    RECORD, and the unowned files. Only pins installed at their locked version are fetched: the
    others are findings already."""
    from envbuild.core.ownership import check_site_files, wheel_record
    from envbuild.core.verify import active
    from envbuild.core.versions import same_version

    installed = active(snapshot)
    pins = [p for p in lock.pins if p.name in installed and same_version(installed[p.name]["version"], p.version)]
    records = {name: wheel_record(name, text) for name, text in wheels(lock, pins, log, None).items()} if pins else {}
    # A lock lists every file of a version; an environment may have installed another than the one
    # the target's build takes (manylinux_2_34 on a newer glibc; a platform wheel where a pure one
    # exists too). Its WHEEL file names that variant: fetch it too, by the tags it records.
    for tags, group in _other_variants(pins, installed, records, snapshot).items():
        try:
            variants = wheels(lock, group, log, tags)
        except (ToolUnavailable, BuildError):
            continue  # no such locked file: the first wheel stays the expected side, its WHEEL shows as modified
        records.update((name, wheel_record(name, text)) for name, text in variants.items())
    verdicts, unowned = check_site_files(snapshot, records, {p.name: p.version for p in lock.pins})
    dists = [dict(d, files=verdicts[d["name"]]) if d["name"] in verdicts and d is installed.get(d["name"]) else d
             for d in snapshot.get("distributions", [])]
    return dict(snapshot, distributions=dists), unowned


@dataclass(frozen=True, kw_only=True)
class LockChoice:
    """Where the lock comes from: a file, an image directory's target, or (None) each image's own."""

    lock: "LockFile | CondaLock | None"
    label: str | None


def choose_lock(directory: Path | None, target: str | None, lock_file: Path | None,
                places: Sequence[Place]) -> LockChoice:
    if lock_file is not None:
        return LockChoice(lock=_read_lock(lock_file), label=str(lock_file))
    if directory is not None or target is not None:
        from envbuild.adapters.inputs import load_spec, spec_dir
        from envbuild.services.locking import target_lock_path

        spec = load_spec(directory or Path("."))
        name = target or (spec.targets[0].name if len(spec.targets) == 1 else None)
        if name is None:
            raise UserError("this spec has several targets: say which with --target",
                            hint=f"targets: {', '.join(t.name for t in spec.targets)}")
        chosen = spec.target(name)
        path = target_lock_path(spec_dir(directory or Path(".")), chosen.name, conda=bool(spec.conda_for(chosen)))
        return LockChoice(lock=_read_lock(path), label=str(path))
    if places and all(p.kind in ("image", "container") for p in places):
        return LockChoice(lock=None, label=None)  # each is verified against the lock its image carries
    raise UserError("nothing to verify against", hint="pass an image directory and --target, or --lock FILE "
                    "(an image built by envbuild carries its own lock: --image REF alone is enough)")


def verify(directory: Path | None, target: str | None, lock_file: Path | None, places: Sequence[Place], *,
           files: bool = False, allow_extra: Sequence[str] = (), require_gpu: bool = False,
           timeout: float = DEFAULT_TIMEOUT, wheels: "WheelSource | None" = None,
           log: Callable[[str], None] = lambda _line: None) -> tuple[LockChoice, list["Outcome"]]:
    """``wheels`` gives the locked wheels whose own RECORD is the expected side of ``files``
    (default: envbuild's wheel cache, downloading what it lacks)."""
    from envbuild.core.report import Outcome

    wait = start_snapshots(places, files=files, timeout=timeout)  # the probes run while the lock is read
    choice = choose_lock(directory, target, lock_file, places)
    outcomes = []
    for place, snapshot in zip(places, wait()):
        if isinstance(snapshot, ToolUnavailable):
            outcomes.append(Outcome(label=place.label, error=snapshot.message))
            continue
        outcomes.append(_check_place(place, snapshot, choice.lock, files=files, allow_extra=allow_extra,
                                     require_gpu=require_gpu, wheels=wheels or _cache_wheels(), log=log))
    return choice, outcomes


def _check_place(place: Place, snapshot: dict[str, Any], lock: "LockFile | CondaLock | None", *, files: bool,
                 allow_extra: Sequence[str], require_gpu: bool, wheels: WheelSource,
                 log: Callable[[str], None]) -> "Outcome":
    """One place's snapshot against the lock (or, with none given, the lock its image carries)."""
    from envbuild.adapters.knowledge import cuda_data
    from envbuild.core.conda_verify import verify_conda
    from envbuild.core.condalock import CondaLock
    from envbuild.core.cuda import gpu_findings, lock_cuda
    from envbuild.core.image_checks import engine_findings, manifest_findings
    from envbuild.core.ownership import pth_findings, shadowed_findings
    from envbuild.core.report import Outcome
    from envbuild.core.findings import Finding
    from envbuild.core.verify import verify as verify_lock

    notes: list[str] = []
    embedded_text = None
    if lock is None:
        lock, embedded_text, where, refused = _embedded_lock(place, snapshot)
        if refused is not None:
            return Outcome(label=place.label, findings=(refused, *engine_findings(snapshot, embedded_text)))
        notes.append(f"verified against the lock embedded in its image ({where})")
    if isinstance(lock, CondaLock):
        findings = verify_conda(lock, snapshot, allow_extra=allow_extra)
        names = tuple(p.key for p in lock.packages)
    else:
        extra: list[Finding] = []
        if files:
            try:
                snapshot, extra = _against_wheels(lock, snapshot, wheels, log)
            except (ToolUnavailable, BuildError) as exc:
                return Outcome(label=place.label, error=f"the locked wheels' RECORD: {exc.message}")
        else:
            extra = pth_findings(snapshot)
        findings = verify_lock(lock, snapshot, allow_extra=allow_extra) + extra
        names = tuple(p.name for p in lock.pins)
    findings.extend(shadowed_findings(snapshot))
    built = _build_manifest(snapshot) if files and place.kind in ("container", "image") else None
    # With a build manifest, every file of the prefix is compared with it; docker diff would say it twice.
    findings.extend(engine_findings(snapshot, embedded_text, changes=built is None))
    if built is not None:
        findings.extend(manifest_findings(built, snapshot.get("trees") or {}))
    elif files and place.kind in ("container", "image"):
        notes.append("no build manifest for this image here (built elsewhere, or the cache was cleared): "
                     "its files were checked against the locked wheels only")
    more, gpu_notes = gpu_findings(lock_cuda(lock, cuda_data()), snapshot.get("gpu") or {}, cuda_data(),
                                   require_gpu=require_gpu)
    findings.extend(more)
    notes.extend(gpu_notes)
    notes.extend(f"could not read {p['path']}: {p['problem']}" for p in snapshot.get("problems", [])[:5])
    for dist in snapshot.get("distributions", []):
        unreadable = (dist.get("files") or {}).get("unreadable") or []
        if unreadable:
            notes.append(f"{dist['name']}: {len(unreadable)} file(s) could not be read to check: {unreadable[0]}")
    return Outcome(label=place.label, findings=tuple(findings), packages=names, notes=tuple(notes))


def _embedded_lock(place: Place, snapshot: Mapping[str, Any]) -> tuple[Any, str, str, "Finding | None"]:
    """(the lock the place carries, its text, where it lies, None) — or, when that lock is not one
    envbuild wrote, (None, its text, where, the finding that says so)."""
    from envbuild.core.condalock import parse_any_lock
    from envbuild.core.findings import Finding
    from envbuild.core.image_checks import label_vouches

    carried = snapshot.get("envbuild") or {}
    conda = bool(carried.get("conda_lock"))
    text = carried.get("conda_lock") or carried.get("lock")
    where = f"/etc/envbuild/{'lock.conda-lock.yml' if conda else 'lock.txt'}"
    if not text:
        raise UserError(f"{place.label} carries no /etc/envbuild/lock.txt (not built by envbuild?)",
                        hint="pass --lock FILE, or an image directory and --target")
    try:
        # The image's label vouches for the lock it was built with (one of lock format 1 too);
        # without that, the lock must stand on its own body digest.
        lock = parse_any_lock(text, f"{place.name}:{where}", conda=conda,
                              check_body=not label_vouches(snapshot, text))
    except UserError as exc:
        return None, text, where, Finding(kind="modified", name="/etc/envbuild lock", expected="the lock the image "
                                          "was built with", actual="not a lock envbuild wrote", detail=exc.message)
    return lock, text, where, None


def snapshot(place: Place, *, files: bool = False, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    data = take_snapshot(place, files=files, timeout=timeout)
    data["taken"] = {"from": place.label, "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    return data


def view(argument: str, *, interpreter: str = "python3") -> "View":
    """A lock file, a snapshot JSON file, or (when no such file exists) an image reference."""
    from envbuild.core.conda_verify import view_of_conda_lock, view_of_conda_snapshot
    from envbuild.core.condalock import CondaLock, parse_any_lock
    from envbuild.core.verify import view_of_lock

    from envbuild.adapters.files import read_text
    from envbuild.core.snapshot import InvalidSnapshot, validate_snapshot

    path = Path(argument)
    if path.is_file():
        text = read_text(path, argument)
        if text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise UserError(f"{argument}: not valid JSON: {exc}") from None
            try:
                return view_of_conda_snapshot(validate_snapshot(data), argument)
            except InvalidSnapshot as exc:
                raise UserError(f"{argument}: not an envbuild snapshot: {exc}",
                                hint="make one with 'envbuild snapshot -o FILE'") from None
        lock = parse_any_lock(text, argument)
        return view_of_conda_lock(lock, argument) if isinstance(lock, CondaLock) else view_of_lock(lock, argument)
    if path.suffix in (".json", ".txt", ".lock", ".yml", ".yaml"):
        raise UserError(f"{argument}: no such file")
    data = take_snapshot(Place(kind="image", name=argument, interpreter=interpreter))
    return view_of_conda_snapshot(data, argument)


def diff(a: str, b: str) -> list["Finding"]:
    from envbuild.core.verify import diff_views

    return diff_views(view(a), view(b))


def _read_lock(path: Path) -> "LockFile | CondaLock":
    from envbuild.core.condalock import parse_any_lock

    from envbuild.adapters.files import read_text

    if not path.is_file():
        raise UserError(f"no lock file at {path}", hint="create it with 'envbuild lock'")
    return parse_any_lock(read_text(path, str(path)), str(path))
