"""The spec's `reproduce:` key: how a recorded training run is re-run and judged (issue 34). Pure.

    reproduce:
      metrics:                 # core/tolerances.py: per metric, abs/rel, direction, resolution, required
        accuracy: {abs: 0.01, direction: no-worse, better: higher, resolution: 0.002}
        loss: {rel: 0.05}
      same-hardware: true      # a re-run on other hardware is inconclusive, never silently widened
      metrics-file: /home/app/metrics.json   # for training code that does not log to MLflow
      modes:                   # shorter runs, each with its own baseline (--mode smoke)
        smoke: {args: ["--epochs", "1"]}             # appended to the recorded command
        tiny: {args: ["--steps", "10"], replace: true}  # instead of the recorded arguments

A target's `reproduce:` is laid over the top level's: its metrics and modes add to (and replace, by
name) the top level's; `same-hardware` and `metrics-file`, when it sets them, replace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from envbuild.core.keypaths import Reader
from envbuild.core.tolerances import Tolerance, ToleranceError, lint, tolerance_from
from envbuild.errors import SpecError

KEYS = {"metrics", "same-hardware", "metrics-file", "modes"}
_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")  # an MLflow metric name
_MODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True, kw_only=True)
class Mode:
    args: tuple[str, ...] = ()
    replace: bool = False  # the args replace the recorded command's arguments (else: appended)


@dataclass(frozen=True, kw_only=True)
class ReproduceRules:
    metrics: tuple[tuple[str, Tolerance], ...] = ()
    same_hardware: bool | None = None  # None: unset (a target inherits the top level's; default false)
    metrics_file: str | None = None
    modes: tuple[tuple[str, Mode], ...] = ()

    def over(self, base: "ReproduceRules") -> "ReproduceRules":
        return ReproduceRules(metrics=tuple(sorted({**dict(base.metrics), **dict(self.metrics)}.items())),
                              same_hardware=self.same_hardware if self.same_hardware is not None else base.same_hardware,
                              metrics_file=self.metrics_file or base.metrics_file,
                              modes=tuple(sorted({**dict(base.modes), **dict(self.modes)}.items())))

    def tolerances(self) -> dict[str, Tolerance]:
        return dict(self.metrics)

    def mode(self, name: str) -> Mode | None:
        """None for "full": the recorded command as it was."""
        if name == "full":
            return None
        found = dict(self.modes).get(name)
        if found is None:
            raise KeyError(name)
        return found


def reproduce_from(r: Reader, path: str, value: Any) -> ReproduceRules:
    r.mapping(path, value)
    r.keys(path, value, required=set(), optional=KEYS)
    metrics = value.get("metrics") or {}
    r.mapping(f"{path}.metrics", metrics)
    read = []
    for name, data in metrics.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise SpecError(r.file, f"{path}.metrics", f"expected a metric name, got {name!r}")
        try:
            tolerance = tolerance_from(f"{path}.metrics.{name}", data)
        except ToleranceError as exc:
            raise SpecError(r.file, exc.path, exc.problem) from None
        if tolerance.rel is None and lint({name: tolerance}, {}):  # abs alone: known before any baseline
            raise SpecError(r.file, f"{path}.metrics.{name}.abs", f"{tolerance.abs:g} is below the metric's "
                            f"resolution {tolerance.resolution:g}: an exact comparison in disguise",
                            hint=f"declare abs: 0 to compare exactly, or at least {tolerance.resolution:g}")
        read.append((name, tolerance))
    same = value.get("same-hardware")
    if same is not None and not isinstance(same, bool):
        raise SpecError(r.file, f"{path}.same-hardware", "expected true or false")
    metrics_file = value.get("metrics-file")
    if metrics_file is not None and (not isinstance(metrics_file, str) or not metrics_file.startswith("/")):
        raise SpecError(r.file, f"{path}.metrics-file", "expected an absolute path in the image, e.g. "
                        "/home/app/metrics.json")
    return ReproduceRules(metrics=tuple(sorted(read)), same_hardware=same, metrics_file=metrics_file,
                          modes=_modes(r, f"{path}.modes", value.get("modes") or {}))


def _modes(r: Reader, path: str, value: Any) -> tuple[tuple[str, Mode], ...]:
    r.mapping(path, value)
    out = []
    for name, data in value.items():
        where = f"{path}.{name}"
        if not isinstance(name, str) or not _MODE.match(name) or name == "full":
            raise SpecError(r.file, path, f"expected a mode name of lowercase letters, digits, '-' or '_' (not "
                            f"'full', the recorded command itself), got {name!r}")
        r.mapping(where, data)
        r.keys(where, data, required={"args"}, optional={"replace"})
        args = data["args"]
        if not isinstance(args, list) or not all(isinstance(a, (str, int, float)) and not isinstance(a, bool)
                                                 for a in args):
            raise SpecError(r.file, f"{where}.args", "expected a list of arguments, e.g. [\"--epochs\", \"1\"]")
        replace = data.get("replace", False)
        if not isinstance(replace, bool):
            raise SpecError(r.file, f"{where}.replace", "expected true or false")
        out.append((name, Mode(args=tuple(str(a) for a in args), replace=replace)))
    return tuple(sorted(out))
