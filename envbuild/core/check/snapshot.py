"""The shape of a snapshot: what the probe prints and `snapshot` writes. Pure.

Everything that comes back from an inspected environment is hostile until checked: a place that
answers with the wrong shape (a list where a mapping belongs, a number for a version, a path that
is not a string) is refused here, with the dotted key path, before any code reads it. Extra keys
are allowed (newer probes add fields); the keys that are read must have the type written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class InvalidSnapshot(ValueError):
    """A snapshot of the wrong shape; ``str()`` names the key path."""


@dataclass(frozen=True)
class Opt:
    """A value that may also be null."""

    of: Any


@dataclass(frozen=True)
class MapOf:
    """A mapping of string keys to values of one type."""

    of: Any


@dataclass(frozen=True)
class Record:
    """A mapping with known keys (``required`` must be there); other keys pass unchecked."""

    fields: Mapping[str, Any]
    required: frozenset[str] = frozenset()


ANY = object()
_VERDICT = Record({"checked": int, "modified": [str], "missing": [str], "unreadable": [str]})
_DISTRIBUTION = Record({
    "name": str, "version": str, "location": str, "metadata_dir": str, "format": str, "installer": str,
    "url": str, "editable": bool, "has_record": bool, "shadowed_by": str, "duplicate_of": str, "files": _VERDICT,
    "top_level": [str], "wheel_tags": [str],
}, frozenset({"name", "version", "location"}))
_CONDA_PACKAGE = Record({
    "name": str, "version": Opt(str), "build": Opt(str), "sha256": Opt(str), "md5": Opt(str),
    "channel": Opt(str), "url": Opt(str), "meta": str, "files": _VERDICT, "hashes": MapOf(str),
}, frozenset({"name"}))
SNAPSHOT = Record({
    "schema": int,
    "probe": int,
    "interpreter": Record({
        "version": str, "implementation": str, "executable": str, "prefix": str, "base_prefix": str,
        "in_venv": bool, "machine": str, "system": str, "libc": str, "libc_version": str, "platform_tags": [str],
    }),
    "os": MapOf(str),
    "path": [str],
    "site_dirs": [str],
    "pth": [Record({"path": str, "exec": [str], "added": [str], "owner": Opt(str)}, frozenset({"path"}))],
    "shadowing": [Record({"name": str, "stdlib": bool,
                          "found": [Record({"location": str, "entry": str, "kind": str})]}, frozenset({"name"}))],
    "customize": [Record({"module": str, "path": str}, frozenset({"module", "path"}))],
    "distributions": [_DISTRIBUTION],
    "gpu": Record({"driver": str, "gpus": [Record({"bus": str, "model": str})], "cuda_runtime": str,
                   "cudnn": str, "nccl": str, "torch_cuda": Opt(str)}),
    "files_checked": bool,
    "site_files": MapOf(MapOf(str)),
    "trees": MapOf(MapOf(str)),
    "stale_pyc": [str],
    "problems": [Record({"path": str, "problem": str})],
    "envbuild": Record({"lock": str, "conda_lock": str, "image": Record({"conda_prefix": Opt(str)})}),
    "conda": Record({"prefix": Opt(str), "packages": Opt([_CONDA_PACKAGE])}),
    "taken": Record({"from": str, "at": str}),
    "environment": MapOf(str),  # the determinism variables only (probe/system.py)
    "engine": Record({"labels": MapOf(str), "changes": [[str]], "image_id": str, "ref": str}),
    "data": Record({"dvc_lock": str, "outputs": [Record({  # the data versions beside it (core/lineage/data.py)
        "stage": str, "path": str, "hash": str, "value": str, "size": int, "nfiles": int,
    }, frozenset({"stage", "path", "hash", "value"}))]}, frozenset({"outputs"})),
}, frozenset({"schema", "interpreter", "distributions"}))


def validate_snapshot(data: Any) -> dict[str, Any]:
    """``data`` if it has the snapshot's shape, else InvalidSnapshot naming the first wrong key."""
    _check(data, SNAPSHOT, "")
    if data["schema"] != 1:
        raise InvalidSnapshot(f"schema: version {data['schema']} is not supported (this envbuild reads 1)")
    checked: dict[str, Any] = data
    return checked


def _check(value: Any, shape: Any, path: str) -> None:
    where = path or "(top level)"
    if shape is ANY:
        return
    if isinstance(shape, Opt):
        if value is not None:
            _check(value, shape.of, path)
        return
    if isinstance(shape, Record):
        if not isinstance(value, dict):
            raise InvalidSnapshot(f"{where}: expected a mapping, got {_kind(value)}")
        for key in sorted(shape.required - value.keys()):
            raise InvalidSnapshot(f"{_join(path, key)}: missing")
        for key, sub in shape.fields.items():
            if key in value:
                _check(value[key], sub, _join(path, key))
        return
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            raise InvalidSnapshot(f"{where}: expected a mapping, got {_kind(value)}")
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidSnapshot(f"{where}: expected string keys")
            _check(item, shape.of, _join(path, key))
        return
    if isinstance(shape, list):
        if not isinstance(value, list):
            raise InvalidSnapshot(f"{where}: expected a list, got {_kind(value)}")
        for i, item in enumerate(value):
            _check(item, shape[0], f"{path}[{i}]")
        return
    # bool is an int in Python: a version of `true` must not pass as a number, nor 1 as a flag
    if not isinstance(value, shape) or (shape is int and isinstance(value, bool)):
        raise InvalidSnapshot(f"{where}: expected {_NAMES.get(shape, shape.__name__)}, got {_kind(value)}")


_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
