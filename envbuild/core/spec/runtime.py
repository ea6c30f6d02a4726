"""The image's runtime settings in envbuild.yaml: entrypoint, cmd, workdir, env, user, labels and
files, at the top level and per target. Pure: data in, model out, errors with key paths.

A target's settings override the top level's: entrypoint, cmd, workdir, user and determinism
replace; env and labels merge (the target's value wins for a key both set); files append (the
target's after).

``determinism: true`` sets the variables that make runs repeatable (DETERMINISM: Python's hash
seed, cuBLAS's deterministic workspace as PyTorch's reproducibility notes ask, TensorFlow's
deterministic ops and cuDNN); a mapping sets those with its own values over them, and a null value
drops one. They are ENV lines of the image (before the spec's own env, which wins) and recorded in
/etc/envbuild/image.json, where verify finds what a container or host should have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from envbuild.core.spec.keypaths import Reader, kind
from envbuild.core.layout import LABEL_PREFIX, OCI_PREFIX
from envbuild.errors import SpecError

KEYS = {"entrypoint", "cmd", "workdir", "env", "user", "labels", "files", "determinism"}
DETERMINISM = {"PYTHONHASHSEED": "0", "CUBLAS_WORKSPACE_CONFIG": ":4096:8", "TF_DETERMINISTIC_OPS": "1",
               "TF_CUDNN_DETERMINISTIC": "1"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_USER = re.compile(r"^(?:[a-z_][a-z0-9_-]{0,31}|\d{1,10})$")
_LABEL = re.compile(r"^[a-z0-9][a-z0-9._-]*[a-z0-9]$")
# What a credential looks like, by the variable's name or by the value's own shape.
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_SECRET_VALUE = re.compile(r"^(ghp_|gho_|github_pat_|glpat-|hf_|xox[abpr]-|sk-|AKIA[0-9A-Z]{16})|://[^/\s:@]+:[^/\s@]+@")
_RESERVED_LABELS = (f"{OCI_PREFIX}.", f"{LABEL_PREFIX}.")


@dataclass(frozen=True, kw_only=True)
class FileCopy:
    src: str  # relative to the spec's directory: a file or a directory
    dst: str  # absolute path in the image
    key: str = ""  # "files[0]", for messages


@dataclass(frozen=True, kw_only=True)
class Runtime:
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    workdir: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    user: str | None = None  # a user name, or a uid; "root" is allowed (with a warning)
    labels: tuple[tuple[str, str], ...] = ()
    files: tuple[FileCopy, ...] = ()
    determinism: tuple[tuple[str, str], ...] | None = None  # None: not said here; () : off

    @property
    def environment(self) -> tuple[tuple[str, str], ...]:
        """The image's ENV: the determinism variables, then the spec's env over them."""
        return tuple({**dict(self.determinism or ()), **dict(self.env)}.items())

    def over(self, base: "Runtime") -> "Runtime":
        """These settings (a target's) over ``base`` (the top level's)."""
        return Runtime(entrypoint=self.entrypoint if self.entrypoint is not None else base.entrypoint,
                       cmd=self.cmd if self.cmd is not None else base.cmd,
                       workdir=self.workdir or base.workdir, user=self.user or base.user,
                       env=tuple({**dict(base.env), **dict(self.env)}.items()),
                       labels=tuple({**dict(base.labels), **dict(self.labels)}.items()),
                       files=base.files + self.files,
                       determinism=self.determinism if self.determinism is not None else base.determinism)


def runtime_from(r: Reader, path: str, data: dict[str, Any]) -> Runtime:
    """The runtime keys of one mapping (the spec's top level, or a target's)."""
    where = f"{path}." if path else ""
    return Runtime(
        entrypoint=_argv(r, f"{where}entrypoint", data["entrypoint"]) if "entrypoint" in data else None,
        cmd=_argv(r, f"{where}cmd", data["cmd"]) if "cmd" in data else None,
        workdir=_absolute(r, f"{where}workdir", data["workdir"]) if "workdir" in data else None,
        env=_env(r, f"{where}env", data.get("env")),
        user=_user(r, f"{where}user", data["user"]) if "user" in data else None,
        labels=_labels(r, f"{where}labels", data.get("labels")),
        files=_files(r, f"{where}files", data.get("files")),
        determinism=_determinism(r, f"{where}determinism", data["determinism"]) if "determinism" in data else None,
    )


def _determinism(r: Reader, path: str, value: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(value, bool):
        return tuple(DETERMINISM.items()) if value else ()
    if not isinstance(value, dict):
        raise SpecError(r.file, path, f"expected true, false or a mapping of variables, got {kind(value)}")
    dropped = {name for name, raw in value.items() if raw is None}
    given = dict((name, text) for _key, name, text in _string_map(
        r, path, {k: v for k, v in value.items() if v is not None}, _ENV_NAME, "a variable name of letters, digits and '_'"))
    return tuple((k, v) for k, v in {**DETERMINISM, **given}.items() if k not in dropped)


def _argv(r: Reader, path: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise SpecError(r.file, path, "expected a list (exec form), not a shell string",
                        hint=f"write it as a list: [{', '.join(value.split())}]; a shell runs nothing here, so "
                        "no quoting or variable is interpreted")
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                           for v in value):
        raise SpecError(r.file, path, f"expected a non-empty list of strings, got {kind(value)}")
    items = tuple(str(v) for v in value)
    for item in items:
        _printable(r, path, item)
    return items


def _absolute(r: Reader, path: str, value: Any) -> str:
    text = r.string(path, value, what="an absolute path in the image")
    if not text.startswith("/") or "\n" in text or any(not c.isprintable() for c in text) or "/../" in f"{text}/":
        raise SpecError(r.file, path, f"expected an absolute path like /workspace, got {text!r}")
    return text.rstrip("/") or "/"


def _string_map(r: Reader, path: str, value: Any, names: re.Pattern[str], what: str) -> list[tuple[str, str, str]]:
    """(key path, name, value) of a mapping of names to scalars, each checked (env, labels)."""
    if value is None:
        return []
    r.mapping(path, value)
    out = []
    for name, raw in value.items():
        key = f"{path}.{name}"
        if not isinstance(name, str) or not names.match(name):
            raise SpecError(r.file, key, f"expected {what}")
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise SpecError(r.file, key, f"expected a string, got {kind(raw)}", hint='quote it: "true", "1"')
        _printable(r, key, str(raw))
        out.append((key, name, str(raw)))
    return out


def _env(r: Reader, path: str, value: Any) -> tuple[tuple[str, str], ...]:
    entries = _string_map(r, path, value, _ENV_NAME, "a variable name of letters, digits and '_'")
    for key, name, text in entries:
        if (_SECRET_NAME.search(name) and text) or _SECRET_VALUE.search(text):
            raise SpecError(r.file, key, "looks like a credential: it would be readable by anyone who can pull "
                            "the image (docker inspect, every layer)",
                            hint=f"pass it when the container starts: docker run -e {name} ... (or a secrets manager)")
    return tuple((name, text) for _key, name, text in entries)


def _user(r: Reader, path: str, value: Any) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else r.string(
        path, value, what="a user name or a uid")
    if not _USER.match(text):
        raise SpecError(r.file, path, f"expected a user name like 'trainer' or a uid like 1000, got {text!r}")
    return "root" if text == "0" else text


def _labels(r: Reader, path: str, value: Any) -> tuple[tuple[str, str], ...]:
    entries = _string_map(r, path, value, _LABEL, "a label key like com.example.team (lowercase, dots)")
    for key, name, _text in entries:
        if name.startswith(_RESERVED_LABELS):
            raise SpecError(r.file, key, "envbuild writes this namespace itself (lineage labels cannot be overridden)",
                            hint="use your own reverse-DNS prefix, e.g. com.example.model-card")
    return tuple((name, text) for _key, name, text in entries)


def _files(r: Reader, path: str, value: Any) -> tuple[FileCopy, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(r.file, path, f"expected a list of {{src, dst}}, got {kind(value)}")
    out = []
    for i, item in enumerate(value):
        key = f"{path}[{i}]"
        r.mapping(key, item)
        r.keys(key, item, required={"src", "dst"}, optional=set())
        src = r.string(f"{key}.src", item["src"], what="a path relative to envbuild.yaml").strip()
        if not src or src.startswith("/") or any(not c.isprintable() for c in src):
            raise SpecError(r.file, f"{key}.src", f"expected a relative path inside the repository, got {src!r}")
        out.append(FileCopy(src=src, dst=_absolute(r, f"{key}.dst", item["dst"]), key=key))
    return tuple(out)


def _printable(r: Reader, path: str, text: str) -> None:
    if any(not c.isprintable() for c in text):
        raise SpecError(r.file, path, f"contains a control character: {text!r}")
