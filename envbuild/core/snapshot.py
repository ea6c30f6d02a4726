"""The snapshot: what the probe prints and `snapshot` writes, as frozen dataclasses. Pure.

Everything that comes back from an inspected environment is hostile until checked: a place that
answers with the wrong shape (a list where a mapping belongs, a number for a version, a path that
is not a string) is refused by ``read_snapshot``, with the dotted key path, in the one pass that
builds the records — before any code reads them. The field types are the shape. Keys this envbuild
does not read are kept (``extra``: newer probes add fields) and written back by ``to_dict``, which
writes exactly the keys that came (``keys``) and every field set since: the JSON of an unchanged
snapshot is the JSON it was read from.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar


class InvalidSnapshot(ValueError):
    """A snapshot of the wrong shape; ``str()`` names the key path."""


P = TypeVar("P", bound="Part")


@dataclass(frozen=True, kw_only=True)
class Part:
    """A record of the snapshot. ``extra``: the keys of the answer no field reads; ``keys``: which
    of the fields' keys the answer had (None: made here, not read — every field that is not None is
    written)."""

    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    keys: frozenset[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def read(cls: type[P], value: Any, path: str = "") -> P:
        return _read(cls, value, path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in _fields(type(self)):
            value = getattr(self, f.name)
            key = _key(f)
            if (value is not None if self.keys is None else key in self.keys) or value != _default(f):
                out[key] = _plain(value)
        out.update(self.extra)
        return out


@dataclass(frozen=True, kw_only=True)
class FileVerdict(Part):
    """A distribution's installed files against a RECORD (the probe's, or the locked wheel's)."""

    checked: int = 0
    modified: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unreadable: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Distribution(Part):
    name: str
    version: str
    location: str
    metadata_dir: str = ""
    format: str = ""
    installer: str = ""
    url: str = ""
    editable: bool = False
    has_record: bool = False
    shadowed_by: str | None = None
    duplicate_of: str | None = None
    files: FileVerdict | None = None
    top_level: tuple[str, ...] = ()
    wheel_tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CondaPackage(Part):
    name: str
    version: str | None = None
    build: str | None = None
    sha256: str | None = None
    md5: str | None = None
    channel: str | None = None
    url: str | None = None
    meta: str = ""
    files: FileVerdict | None = None
    hashes: dict[str, str] = field(default_factory=dict)
    from_archive: bool = False  # ``files`` judged against the package's archive (verify --files), not conda-meta


@dataclass(frozen=True, kw_only=True)
class Interpreter(Part):
    version: str = ""
    implementation: str = "cpython"
    executable: str = ""
    prefix: str = ""
    base_prefix: str = ""
    in_venv: bool = False
    machine: str = ""
    system: str = "linux"
    libc: str = ""
    libc_version: str = ""
    platform_tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Pth(Part):
    path: str
    exec: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    owner: str | None = None


@dataclass(frozen=True, kw_only=True)
class Found(Part):
    location: str = ""
    entry: str = ""
    kind: str = ""


@dataclass(frozen=True, kw_only=True)
class Shadowing(Part):
    name: str
    stdlib: bool = False
    found: tuple[Found, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Customize(Part):
    module: str
    path: str


@dataclass(frozen=True, kw_only=True)
class GpuDevice(Part):
    bus: str = ""
    model: str = ""


@dataclass(frozen=True, kw_only=True)
class Gpu(Part):
    driver: str = ""
    gpus: tuple[GpuDevice, ...] = ()
    cuda_runtime: str = ""
    cudnn: str = ""
    nccl: str = ""
    torch_cuda: str | None = None


@dataclass(frozen=True, kw_only=True)
class Cpu(Part):
    model: str = ""
    cores: int = 0


@dataclass(frozen=True, kw_only=True)
class Problem(Part):
    path: str = ""
    problem: str = ""


@dataclass(frozen=True, kw_only=True)
class CarriedImage(Part):
    """/etc/envbuild/image.json: what render wrote about the image (its other keys: ``extra``)."""

    conda_prefix: str | None = None
    inputs_digest: str | None = None
    determinism: dict[str, Any] | None = None  # the variables the image sets for repeatable runs


@dataclass(frozen=True, kw_only=True)
class Carried(Part):
    """What an envbuild image carries under /etc/envbuild, as the probe read it."""

    lock: str = ""
    conda_lock: str = ""
    image: CarriedImage | None = None


@dataclass(frozen=True, kw_only=True)
class Conda(Part):
    prefix: str | None = None
    packages: tuple[CondaPackage, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class Taken(Part):
    source: str = field(default="", metadata={"key": "from"})
    at: str = ""


@dataclass(frozen=True, kw_only=True)
class EngineConfig(Part):
    """The parts of a container's or an image's configuration that decide what runs."""

    env: dict[str, str | None] = field(default_factory=dict)
    user: str = ""
    workdir: str = ""
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class EngineFiles(Part):
    """The start-up surface as the engine read it: tree → relative path → digest; texts of .pth files."""

    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Engine(Part):
    """What the container engine itself knows (adapters/places.engine_record)."""

    labels: dict[str, str] = field(default_factory=dict)
    changes: tuple[tuple[str, ...], ...] = ()
    image_id: str = ""
    ref: str = ""
    repo_digests: tuple[str, ...] = ()
    config: EngineConfig | None = None
    image_config: EngineConfig | None = None
    files: EngineFiles | None = None


@dataclass(frozen=True, kw_only=True)
class DataOutput(Part):
    stage: str
    path: str
    hash: str
    value: str
    size: int | None = None
    nfiles: int | None = None


@dataclass(frozen=True, kw_only=True)
class Data(Part):
    """The data versions beside the environment (core/lineage/data.py)."""

    dvc_lock: str = ""
    outputs: tuple[DataOutput, ...]


@dataclass(frozen=True, kw_only=True)
class Snapshot(Part):
    schema: int
    probe: int = 0
    interpreter: Interpreter
    os: dict[str, str] = field(default_factory=dict)
    path: tuple[str, ...] = ()
    site_dirs: tuple[str, ...] = ()
    pth: tuple[Pth, ...] = ()
    shadowing: tuple[Shadowing, ...] = ()
    customize: tuple[Customize, ...] = ()
    distributions: tuple[Distribution, ...]
    gpu: Gpu | None = None
    cpu: Cpu | None = None
    files_checked: bool = False
    site_files: dict[str, dict[str, str]] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)
    stale_pyc: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    envbuild: Carried | None = None
    conda: Conda | None = None
    taken: Taken | None = None
    environment: dict[str, str] = field(default_factory=dict)  # the determinism variables only (probe/system.py)
    engine: Engine | None = None
    data: Data | None = None
    unvouched: tuple[str, ...] = ()  # allowed packages no wheel on the lock's index vouched for (verify --files)


def read_snapshot(data: Any) -> Snapshot:
    """``data`` as a Snapshot if it has the snapshot's shape, else InvalidSnapshot naming the first
    wrong key."""
    snapshot = Snapshot.read(data)
    if snapshot.schema != 1:
        raise InvalidSnapshot(f"schema: version {snapshot.schema} is not supported (this envbuild reads 1)")
    return snapshot


def stamped(snapshot: Snapshot, *, source: str, at: str, data: tuple[str, list[dict[str, Any]]] | None) -> Snapshot:
    """The snapshot with where and when it was taken (``at``: UTC, RFC 3339) and, with ``data``
    ((dvc.lock's path, its outputs)), the data versions beside it: what `snapshot` writes and
    `record` logs."""
    out = dataclasses.replace(snapshot, taken=Taken(source=source, at=at))
    if data is not None:
        out = dataclasses.replace(out, data=Data.read({"dvc_lock": data[0], "outputs": data[1]}, "data"))
    return out


# ---------------------------------------------------------------- reading and writing, by field type

def _read(cls: type[P], value: Any, path: str) -> P:
    if not isinstance(value, dict):
        raise InvalidSnapshot(f"{path or '(top level)'}: expected a mapping, got {_kind(value)}")
    hints = _hints(cls)
    known = {_key(f): f for f in _fields(cls)}
    for key in sorted(k for k, f in known.items() if k not in value and _default(f) is dataclasses.MISSING):
        raise InvalidSnapshot(f"{_join(path, key)}: missing")
    given = {f.name: _value(value[key], hints[f.name], _join(path, key)) for key, f in known.items() if key in value}
    return cls(**given, extra={k: v for k, v in value.items() if k not in known},
               keys=frozenset(k for k in value if k in known))


def _value(value: Any, tp: Any, path: str) -> Any:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(value, inner, path)
    if isinstance(tp, type) and issubclass(tp, Part):
        return _read(tp, value, path)
    where = path or "(top level)"
    if origin is tuple:
        if not isinstance(value, list):
            raise InvalidSnapshot(f"{where}: expected a list, got {_kind(value)}")
        return tuple(_value(item, args[0], f"{path}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidSnapshot(f"{where}: expected a mapping, got {_kind(value)}")
        if not all(isinstance(key, str) for key in value):
            raise InvalidSnapshot(f"{where}: expected string keys")
        return {key: _value(item, args[1], _join(path, key)) for key, item in value.items()}
    # bool is an int in Python: a version of `true` must not pass as a number, nor 1 as a flag
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise InvalidSnapshot(f"{where}: expected {_NAMES.get(tp, tp.__name__)}, got {_kind(value)}")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Part):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _fields(cls: type[Part]) -> tuple[dataclasses.Field[Any], ...]:
    return _FIELDS.get(cls) or _FIELDS.setdefault(cls, tuple(f for f in dataclasses.fields(cls)
                                                              if f.name not in ("extra", "keys")))


def _hints(cls: type[Part]) -> dict[str, Any]:
    return _HINTS.get(cls) or _HINTS.setdefault(cls, typing.get_type_hints(cls))


_FIELDS: dict[type[Part], tuple[dataclasses.Field[Any], ...]] = {}  # each record type's, worked out once
_HINTS: dict[type[Part], dict[str, Any]] = {}


def _key(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get("key", f.name))


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
