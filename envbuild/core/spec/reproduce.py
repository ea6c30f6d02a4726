"""The spec's `reproduce:` key: how a recorded training run is re-run and judged (issue 34). Pure.

    reproduce:
      metrics:                 # core/spec/tolerances.py: per metric, abs/rel, direction, resolution, required
        accuracy: {abs: 0.01, direction: no-worse, better: higher, resolution: 0.002}
        loss: {rel: 0.05}
      same-hardware: true      # a re-run on other hardware is inconclusive, never silently widened
      metrics-file: /home/app/metrics.json   # for training code that does not log to MLflow
      modes:                   # shorter runs, each with its own baseline (--mode smoke)
        smoke: {args: ["--epochs", "1"]}             # appended to the recorded command
        tiny: {args: ["--steps", "10"], replace: true}  # instead of the recorded arguments
      seed: {env: TINYTRAIN_SEED}  # how --calibrate varies the seed (or {arg: --seed})

A target's `reproduce:` is laid over the top level's: its metrics and modes add to (and replace, by
name) the top level's; `same-hardware`, `metrics-file` and `seed`, when it sets them, replace.

`envbuild run` records the rules in force into the run (rules_to_json), so that a reproduction judges
by the rules the run was trained under, with what a later spec or a --tolerances file adds laid over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from envbuild.core.spec.keypaths import Reader
from envbuild.core.spec.tolerances import Tolerance, ToleranceError, lint, tolerance_from, tolerance_to_json
from envbuild.errors import SpecError

KEYS = {"metrics", "same-hardware", "metrics-file", "modes", "seed"}
_NAME = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")  # an MLflow metric name
_MODE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True, kw_only=True)
class Mode:
    args: tuple[str, ...] = ()
    replace: bool = False  # the args replace the recorded command's arguments (else: appended)


@dataclass(frozen=True, kw_only=True)
class Seed:
    """How a calibration run gets its own seed: an environment variable, or an argument's value."""

    env: str | None = None
    arg: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReproduceRules:
    metrics: tuple[tuple[str, Tolerance], ...] = ()
    same_hardware: bool | None = None  # None: unset (a target inherits the top level's; default false)
    metrics_file: str | None = None
    modes: tuple[tuple[str, Mode], ...] = ()
    seed: Seed | None = None

    def over(self, base: "ReproduceRules") -> "ReproduceRules":
        return ReproduceRules(metrics=tuple(sorted({**dict(base.metrics), **dict(self.metrics)}.items())),
                              same_hardware=self.same_hardware if self.same_hardware is not None else base.same_hardware,
                              metrics_file=self.metrics_file or base.metrics_file,
                              modes=tuple(sorted({**dict(base.modes), **dict(self.modes)}.items())),
                              seed=self.seed or base.seed)

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
                          modes=_modes(r, f"{path}.modes", value.get("modes") or {}),
                          seed=_seed(r, f"{path}.seed", value["seed"]) if value.get("seed") is not None else None)


def _seed(r: Reader, path: str, value: Any) -> Seed:
    r.mapping(path, value)
    if len(value) != 1 or not set(value) <= {"env", "arg"} or not isinstance(next(iter(value.values())), str) \
            or not next(iter(value.values())):
        raise SpecError(r.file, path, "expected {env: NAME} or {arg: --seed}: where the training takes its seed")
    return Seed(env=value.get("env"), arg=value.get("arg"))


def rules_to_json(rules: ReproduceRules) -> dict[str, Any]:
    """The rules as envbuild.yaml writes them (what `envbuild run` records into the run)."""
    out: dict[str, Any] = {"metrics": {name: tolerance_to_json(t) for name, t in rules.metrics},
                           "modes": {name: {"args": list(m.args), "replace": m.replace} for name, m in rules.modes}}
    if rules.same_hardware is not None:
        out["same-hardware"] = rules.same_hardware
    if rules.metrics_file:
        out["metrics-file"] = rules.metrics_file
    if rules.seed is not None:
        out["seed"] = {"env": rules.seed.env} if rules.seed.env else {"arg": rules.seed.arg}
    return out


def rules_from_json(file: str, data: Any) -> ReproduceRules:
    """Rules recorded in a run, or a --tolerances file: read as the spec's key is (a bad one is bad input)."""
    return reproduce_from(Reader(file), "reproduce", data if data is not None else {})


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
