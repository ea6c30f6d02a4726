"""What the container engine knows, against what the environment shows. Pure.

Whoever is root inside a container can edit its files, its RECORDs, its conda-meta and the lock
envbuild embedded in it, all together, and make its Python answer anything. What lies outside their
reach: the image's labels (written at build time: the embedded lock's sha256), its configuration,
the engine's list of paths changed since a container was created (`docker diff`) and its files as
the engine's export stream gives them (adapters/engine/exports.py). A change anywhere on the start-up
surface (core/image/surface.py) is drift whatever the files inside now claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.layout import Labels
from envbuild.core.lock.carried import label_vouches
from envbuild.core.image.surface import group_of, on_surface
from envbuild.core.snapshot import EngineConfig, Snapshot


# Variables that change what an interpreter loads or runs, for every process of the place (the
# probe's own: the dynamic loader reads LD_* before Python starts). Their values are kept (paths,
# not secrets); of every other variable only the name, since a container's environment holds its
# credentials. PATH decides which python3 a workload's `python` is.
RISKY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONPLATLIBDIR",
             "PYTHONWARNINGS", "PYTHONBREAKPOINT", "PYTHONINSPECT", "PYTHONSAFEPATH", "PYTHONNOUSERSITE",
             "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "PATH")
# Of those, the ones that make the dynamic loader run a library's code in every process before any
# Python runs: emptied or unset for the probe's process wherever envbuild starts it (adapters/places.py).
LOADER_ENV = ("LD_PRELOAD", "LD_AUDIT")

_WORDS = {"C": "changed", "A": "added", "D": "deleted"}
_SHOWN = 3


def engine_findings(snapshot: Snapshot, embedded_lock: str | None) -> list[Finding]:
    """The image's label against the lock inside: ``embedded_lock`` is the text of the lock read
    from inside the place, when verify used it."""
    want = snapshot.engine.labels.get(Labels.LOCK_SHA256) if snapshot.engine else None
    if embedded_lock is not None and want and not label_vouches(snapshot, embedded_lock):
        return [Finding(kind="modified", name="/etc/envbuild lock", expected=f"sha256 {want[:12]}… (image label)",
                        actual="another lock", detail="the lock inside is not the one the image was built "
                        "with: its verdicts cannot be trusted")]
    return []


def required_lock_findings(embedded_lock: str, sha256: str, where: str) -> list[Finding]:
    """--require-lock: the lock an image carries must be ``where``'s, byte for byte (its sha256).
    Another one is critical: every verdict taken against it proves nothing."""
    have = hashlib.sha256(embedded_lock.encode("utf-8")).hexdigest()
    if have == sha256:
        return []
    return [Finding(kind="modified", name="/etc/envbuild lock", expected=f"sha256 {sha256[:12]}… ({where})",
                    actual=f"sha256 {have[:12]}…", detail="the image carries another lock than the one required: "
                    "its packages were not checked against it")]


def changed_paths(changes: Sequence[Sequence[str]]) -> list[tuple[str, str]]:
    """(path, C|A|D) of `docker diff` on the start-up surface. A directory that docker reports as
    changed only because something below it changed is not counted."""
    parents = {path.rsplit("/", 1)[0] for _, path in changes}
    return [(path, kind) for kind, path in changes if on_surface(path) and not (kind == "C" and path in parents)]


def surface_findings(built: Mapping[str, Mapping[str, str]] | None, seen: Mapping[str, Mapping[str, str]] | None,
                     changes: Sequence[Sequence[str]], source: str = "build manifest") -> list[Finding]:
    """One `modified` finding per tree of the start-up surface that changed: the trees as the
    engine reads them now (``seen``) against the build manifest (``built``), and a container's
    `docker diff` (``changes``), each path said once. A path docker lists whose content is back as
    built is still drift (something wrote it); the manifest alone sees an image's changes.
    ``source``: what ``built`` is (the build manifest; the base image's files)."""
    status: dict[str, dict[str, str]] = {}
    why: dict[str, set[str]] = {}

    def add(path: str, kind: str, source: str, root: str | None = None) -> None:
        group = group_of(path) or root  # a file the build put there besides (the spec's files:): its folder
        if group is not None:
            status.setdefault(group, {}).setdefault(path, kind)
            why.setdefault(group, set()).add(source)

    if built is not None and seen is not None:
        for root in sorted(set(built) | set(seen)):
            want, have = built.get(root) or {}, seen.get(root) or {}
            base = root.rstrip("/") + "/"
            for rel in sorted(set(want) | set(have)):
                if want.get(rel) != have.get(rel):
                    add(base + rel, "D" if rel not in have else "A" if rel not in want else "C", source, root)
    for path, kind in changed_paths(changes):
        add(path, kind, "docker diff")
    return [_tree_finding(root, sorted(paths.items()), f"as built ({', '.join(sorted(why[root]))})")
            for root, paths in sorted(status.items())]


def _tree_finding(root: str, status: list[tuple[str, str]], expected: str) -> Finding:
    """(path, C|A|D) pairs under one tree → one `modified` finding, counts first, a few paths shown."""
    status = sorted(status)
    counts = [f"{sum(1 for _, k in status if k == key)} {word}" for key, word in _WORDS.items()
              if any(k == key for _, k in status)]
    shown = ", ".join(f"{_WORDS[k][0].upper()} {p}" for p, k in status[:_SHOWN])
    more = f" and {len(status) - _SHOWN} more" if len(status) > _SHOWN else ""
    return Finding(kind="modified", name=root, expected=expected, actual=", ".join(counts), detail=shown + more,
                   paths=tuple(p for p, _ in status))


def config_findings(config: EngineConfig | None, expected: EngineConfig | None, *, image: bool,
                    expected_label: str) -> list[Finding]:
    """The configuration the engine runs the place with (adapters/places._config) against what
    envbuild built (``expected``): each RISKY_ENV variable added, removed or changed; for an image
    also its entrypoint, command, user and working directory. No record (None): no finding (see
    unrecorded_config)."""
    if not config or expected is None:
        return []
    env, want = config.env, expected.env
    findings = []
    for name in RISKY_ENV:
        have, had = env.get(name), want.get(name)
        if have != had and not (name in ("PYTHONNOUSERSITE", "PYTHONSAFEPATH") and had is None):
            what = "loaded by every process" if name.startswith("LD_") else "changes what Python runs and imports"
            findings.append(Finding(kind="config", name=name, expected=had, actual=have if have is not None else "unset",
                                    detail=f"the {'image' if image else 'container'}'s environment: {what} "
                                    f"({expected_label})"))
    if image:
        for key, have_it, had_it in (("entrypoint", config.entrypoint, expected.entrypoint),
                                     ("cmd", config.cmd, expected.cmd), ("user", config.user, expected.user),
                                     ("workdir", config.workdir, expected.workdir)):
            if have_it != had_it:
                findings.append(Finding(kind="config", name=key.upper(), expected=_shown(had_it),
                                        actual=_shown(have_it), detail=f"the image's {key} ({expected_label})"))
    return findings


def unrecorded_config(config: EngineConfig | None) -> list[str]:
    """An image with no record of its build on this machine (built by another runner, the usual
    way to CI): the variables set that make Python load code from elsewhere, said in notes - its
    spec may well have set them, and nothing here can tell a verifier that cries wolf from one that
    is right. (A container is always checked against its image's configuration.)"""
    env = config.env if config else {}
    return [f"the image's environment sets {name}={env[name]} (no record of its build here to check it against)"
            for name in RISKY_ENV if env.get(name) is not None
            and name not in ("PATH", "LD_LIBRARY_PATH", "PYTHONNOUSERSITE", "PYTHONSAFEPATH")]


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(value) if isinstance(value, (list, tuple)) else str(value)
