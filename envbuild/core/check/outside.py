"""The files of an image or a container as the engine read them (adapters/engine/exports.py), in place of
what the probe answered from inside. Pure.

The probe's answer is the place's own word: with root inside, a filter in the standard library can
drop a planted file from it. Where the engine's export stream is at hand, its hashes are the truth:
the site directories' manifests, the surface's trees and the .pth files' lines all come from it,
and any file the answer left out or gave another hash is itself a finding (`concealed`, critical),
since a clean place has no way to answer so.
"""

from __future__ import annotations

import posixpath
from dataclasses import replace
from collections.abc import Mapping

from envbuild.core.findings import Finding
from envbuild.core.image.surface import tree_of
from envbuild.probe.paths import pth_lines
from envbuild.core.snapshot import EngineFiles, Pth, Snapshot


_SHOWN = 3


def engine_files(snapshot: Snapshot) -> EngineFiles | None:
    return snapshot.engine.files if snapshot.engine else None


def with_engine_files(snapshot: Snapshot) -> tuple[Snapshot, list[Finding]]:
    """(the snapshot with the engine's hashes and .pth lines in place of the probe's, a `concealed`
    finding when the probe's answer hid or altered what the engine read). Unchanged when the
    engine read nothing (a venv, an ssh host: only the place itself can be asked there)."""
    read = engine_files(snapshot)
    if read is None:
        return snapshot, []
    trees = read.trees
    answered = snapshot.site_files
    sites = list(dict.fromkeys([*snapshot.site_dirs, *answered]))
    site_files: dict[str, dict[str, str]] = {}
    for site in sites:
        found = _under(trees, site)
        if found is not None:
            site_files[site] = found
        elif site in answered:  # off the surface: only the place's own word
            site_files[site] = dict(answered[site])
    findings = _concealed(answered, site_files)
    out = replace(snapshot, trees={k: dict(v) for k, v in trees.items()}, pth=_pth(snapshot, read.texts, trees))
    if snapshot.files_checked:
        out = replace(out, site_files=site_files)
    return out, findings


def _under(trees: Mapping[str, Mapping[str, str]], folder: str) -> dict[str, str] | None:
    """The files under ``folder`` (relative to it) from the engine's trees; None: not on the surface."""
    where = tree_of(folder)
    if where is None:
        return None
    key, rel = where
    prefix = rel.rstrip("/") + "/"
    return {path[len(prefix):]: digest for path, digest in (trees.get(key) or {}).items() if path.startswith(prefix)}


def _concealed(answered: Mapping[str, Mapping[str, str]], read: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """Files the engine read that the probe's answer left out, or gave another hash. Only what the
    engine has counts: a file written after the export (a cache) is not hiding; nor is one the probe
    could not read (it said so) or one behind a link."""
    hidden, other = [], []
    for site, files in sorted(read.items()):
        said = answered.get(site)
        if said is None:
            continue
        unreadable = {rel.rstrip("/") for rel, d in said.items() if d in ("unreadable", "special")}
        for rel, digest in sorted(files.items()):
            if digest.startswith("link:") or digest == "special":
                continue
            claim = said.get(rel)
            if claim is None:
                if not any(rel == u or rel.startswith(u + "/") for u in unreadable):
                    hidden.append(posixpath.join(site, rel))
            elif claim != digest and claim not in ("unreadable", "special") and not claim.startswith("link:"):
                other.append(posixpath.join(site, rel))
    if not hidden and not other:
        return []
    parts = [f"{len(hidden)} left out" if hidden else "", f"{len(other)} with another hash" if other else ""]
    paths = hidden + other
    shown = ", ".join(paths[:_SHOWN]) + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
    return [Finding(kind="concealed", name="the probe's answer", expected="the files as the engine reads them",
                    actual=", ".join(p for p in parts if p),
                    detail=f"{shown}: something inside the place filters what it reports", paths=tuple(paths))]


def _pth(snapshot: Snapshot, texts: Mapping[str, str],
         trees: Mapping[str, Mapping[str, str]]) -> tuple[Pth, ...]:
    """The .pth reports with each file's lines as the engine read it; one the answer left out is
    added (its owner unknown: no RECORD vouches for it); one the engine has not, dropped."""
    said = {p.path: p for p in snapshot.pth}
    sites = set(snapshot.site_dirs) | {posixpath.dirname(p) for p in said}
    out = []
    for path in sorted(set(said) | {p for p in texts if posixpath.dirname(p) in sites}):
        report = said.get(path) or Pth.read({"path": path, "added": [], "owner": None})
        if path in texts:
            report = replace(report, exec=tuple(pth_lines(texts[path])[0]))
        elif (where := tree_of(path)) is not None and where[1] not in (trees.get(where[0]) or {}):
            continue  # the engine has no such file: the answer made it up (one too long to read stays)
        out.append(report)
    return tuple(out)
