"""The data a model was trained on, as DVC versions it: dvc.lock's outputs, what `dvc status` says
of a workspace, and two records of outputs compared. Pure.

envbuild never hashes data itself: DVC's hashes (md5 of a file, md5 of a directory's listing with
a ``.dir`` suffix) are read from dvc.lock as DVC wrote them, and a workspace is checked by DVC.
Everything here reads hostile input: a dvc.lock, a recorded run or a snapshot of the wrong shape
is refused at its key path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from envbuild.core.findings import Finding
from envbuild.errors import UserError

KIND = "data"


def dvc_outputs(data: Any, source: str) -> list[dict[str, Any]]:
    """The outputs a ``dvc.lock`` (schema 2.0) pins, stage by stage: path, hash algorithm and value,
    size and file count (a directory's). What DVC versions, as DVC wrote it; DVC itself checks it."""
    if not isinstance(data, dict) or not isinstance(data.get("stages", {}), dict):
        raise UserError(f"{source}: not a dvc.lock (expected a mapping with 'stages')")
    if str(data.get("schema", "")) != "2.0":
        raise UserError(f"{source}: schema: {data.get('schema')!r} is not supported (this envbuild reads dvc.lock 2.0)")
    found = []
    for stage, body in sorted(data.get("stages", {}).items()):
        outs = body.get("outs", []) if isinstance(body, dict) else None
        if not isinstance(outs, list):
            raise UserError(f"{source}: stages.{stage}.outs: expected a list")
        for i, out in enumerate(outs):
            where = f"{source}: stages.{stage}.outs[{i}]"
            if not isinstance(out, dict) or not isinstance(out.get("path"), str):
                raise UserError(f"{where}.path: expected a string")
            algorithm = str(out.get("hash") or "md5")
            value = out.get(algorithm, out.get("md5"))
            if not isinstance(value, str):
                raise UserError(f"{where}.{algorithm}: expected the output's hash")
            entry = {"stage": str(stage), "path": out["path"], "hash": algorithm, "value": value}
            for key in ("size", "nfiles"):
                if isinstance(out.get(key), int) and not isinstance(out.get(key), bool):
                    entry[key] = out[key]
            found.append(entry)
    return found


def checked_outputs(value: Any, source: str) -> list[dict[str, Any]]:
    """Recorded outputs (a run's dvc.json, a snapshot's ``data``) as dvc_outputs gives them, or a
    UserError at the first wrong key."""
    if not isinstance(value, list):
        raise UserError(f"{source}: outputs: expected a list")
    for i, out in enumerate(value):
        if not isinstance(out, dict):
            raise UserError(f"{source}: outputs[{i}]: expected a mapping")
        for key in ("stage", "path", "hash", "value"):
            if not isinstance(out.get(key), str):
                raise UserError(f"{source}: outputs[{i}].{key}: expected a string")
        for key in ("size", "nfiles"):
            if key in out and (not isinstance(out[key], int) or isinstance(out[key], bool)):
                raise UserError(f"{source}: outputs[{i}].{key}: expected an integer")
    return value


def status_findings(status: Any, workspace: str) -> list[Finding]:
    """`dvc status --json`: {stage or .dvc file: [{"changed outs": {path: state}}, "changed command", …]}.
    Each changed path is a finding; a workspace DVC calls up to date ({}) has none."""
    if not isinstance(status, dict):
        raise UserError(f"dvc status in {workspace}: expected a JSON object, got {type(status).__name__}")
    findings = []
    for stage, changes in sorted(status.items()):
        for change in changes if isinstance(changes, list) else [changes]:
            if isinstance(change, str):  # "changed command", "always changed"
                findings.append(Finding(kind=KIND, name=str(stage), expected="as in dvc.lock", actual=change,
                                        detail="dvc status"))
                continue
            if not isinstance(change, dict):
                continue
            for what, paths in sorted(change.items()):
                if not isinstance(paths, dict):
                    findings.append(Finding(kind=KIND, name=str(stage), expected="as in dvc.lock", actual=str(what),
                                            detail="dvc status"))
                    continue
                for path, state in sorted(paths.items()):
                    findings.append(Finding(kind=KIND, name=str(path), expected=f"as {_versioned_by(stage)} has it",
                                            actual=str(state), detail=f"{stage}: {what}"))
    return findings


def compare_outputs(expected: Sequence[Mapping[str, Any]], actual: Sequence[Mapping[str, Any]], *,
                    expected_label: str, actual_label: str) -> list[Finding]:
    """Outputs one record pins (what a run trained on) against another's (the workspace's dvc.lock):
    a path whose hash differs, or that only one side versions."""
    left = {str(o["path"]): o for o in expected}
    right = {str(o["path"]): o for o in actual}
    findings = []
    for path in sorted(set(left) | set(right)):
        a, b = left.get(path), right.get(path)
        if b is None:
            findings.append(Finding(kind=KIND, name=path, expected=_hash(a), actual="not versioned",
                                    detail=f"only in {expected_label}"))
        elif a is None:
            findings.append(Finding(kind=KIND, name=path, expected="not versioned", actual=_hash(b),
                                    detail=f"only in {actual_label}"))
        elif (a["hash"], a["value"]) != (b["hash"], b["value"]):
            findings.append(Finding(kind=KIND, name=path, expected=_hash(a), actual=_hash(b),
                                    detail=f"other data than {expected_label} ({_size(a)} → {_size(b)})"))
    return findings


def _versioned_by(stage: str) -> str:
    return stage if str(stage).endswith(".dvc") else "dvc.lock"


def _hash(output: Mapping[str, Any] | None) -> str:
    assert output is not None
    return f"{output['hash']}:{output['value']}"


def _size(output: Mapping[str, Any]) -> str:
    size = output.get("size")
    count = output.get("nfiles")
    files = f", {count} file{'s' if count != 1 else ''}" if count is not None else ""
    return f"{size} bytes{files}" if size is not None else f"size unknown{files}"
