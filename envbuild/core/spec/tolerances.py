"""A re-run's metrics against its baseline: declared tolerances, each metric's outcome, the verdict. Pure.

"Performance tolerance, not bit-for-bit weights": a reproduction passes when each metric lands where
its tolerance allows. A tolerance is ``abs`` and/or ``rel`` (relative to |baseline|, so a negative
baseline works; with both, the larger allowance holds, as pytest.approx has it), a direction
(``two-sided``; ``no-worse`` or ``no-better`` with which way is ``better``: higher or lower), an
optional ``resolution`` (the smallest step the metric can move: 1/n for an accuracy over n cases —
an allowance above zero but below it is an exact comparison in disguise, and refused), and
``required`` (a metric the re-run does not report fails; never passes).

Undeclared metrics get defaults, and the outcome says so: integers exactly, floats within a
relative 1e-6 (what identical code and data on other hardware or another BLAS leave of a float).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DIRECTIONS = ("two-sided", "no-worse", "no-better")
BETTER = ("higher", "lower")
DEFAULT_FLOAT_REL = 1e-6

# Verdicts, worst first; each one's exit code per the contract (0 ok, 1 a difference, 5 cannot tell).
# "rebaselined": no judgement, a mode's new baseline was recorded (reproduce --rebaseline).
VERDICTS = {"unverifiable": 1, "failed": 1, "missing-metric": 1, "inconclusive": 5, "within-tolerance": 0,
            "bit-exact": 0, "rebaselined": 0}


class ToleranceError(ValueError):
    """A tolerance that cannot be applied: the key path and what is wrong with it."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


@dataclass(frozen=True, kw_only=True)
class Tolerance:
    direction: str = "two-sided"
    better: str | None = None  # higher | lower: which way a one-sided tolerance calls better
    abs: float | None = None
    rel: float | None = None
    resolution: float | None = None
    required: bool = True

    def allowance(self, baseline: float) -> float:
        return max(self.abs or 0.0, (self.rel or 0.0) * abs(baseline))

    def describe(self) -> str:
        parts = [p for p in (f"abs {self.abs:g}" if self.abs is not None else "",
                             f"rel {self.rel:g}" if self.rel is not None else "") if p] or ["exact"]
        side = self.direction if self.direction == "two-sided" else f"{self.direction} ({self.better} is better)"
        return f"{' or '.join(parts)}, {side}"


@dataclass(frozen=True, kw_only=True)
class MetricOutcome:
    metric: str
    baseline: float
    value: float | None  # None: the re-run did not report it
    status: str  # exact | within | failed | missing
    allowed: float  # the allowance at this baseline
    rule: str  # the tolerance that applied, as words
    default: bool = False  # no tolerance was declared for it

    @property
    def delta(self) -> float | None:
        return None if self.value is None else self.value - self.baseline

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "baseline": self.baseline, "value": self.value, "delta": self.delta,
                "allowed": self.allowed, "status": self.status, "rule": self.rule, "default": self.default}


def tolerance_from(path: str, data: Any) -> Tolerance:
    """One metric's tolerance as envbuild.yaml (``reproduce.metrics.NAME``) or a tolerances file writes it."""
    if not isinstance(data, dict):
        raise ToleranceError(path, "expected a mapping (abs, rel, direction, better, resolution, required)")
    unknown = sorted(set(data) - {"abs", "rel", "direction", "better", "resolution", "required"})
    if unknown:
        raise ToleranceError(f"{path}.{unknown[0]}", "unknown key (abs, rel, direction, better, resolution, "
                                                     "required)")
    numbers = {key: _number(f"{path}.{key}", data[key]) for key in ("abs", "rel", "resolution") if key in data}
    direction = data.get("direction", "two-sided")
    if direction not in DIRECTIONS:
        raise ToleranceError(f"{path}.direction", f"expected one of {', '.join(DIRECTIONS)}, got {direction!r}")
    better = data.get("better")
    if direction != "two-sided" and better not in BETTER:
        raise ToleranceError(f"{path}.better", f"a {direction} tolerance needs better: higher or better: lower")
    if better is not None and better not in BETTER:
        raise ToleranceError(f"{path}.better", f"expected higher or lower, got {better!r}")
    required = data.get("required", True)
    if not isinstance(required, bool):
        raise ToleranceError(f"{path}.required", "expected true or false")
    return Tolerance(direction=direction, better=better, abs=numbers.get("abs"), rel=numbers.get("rel"),
                     resolution=numbers.get("resolution"), required=required)


def tolerance_to_json(tolerance: Tolerance) -> dict[str, Any]:
    """As tolerance_from reads it: only what differs from the defaults."""
    out: dict[str, Any] = {key: getattr(tolerance, key) for key in ("abs", "rel", "resolution", "better")
                           if getattr(tolerance, key) is not None}
    if tolerance.direction != "two-sided":
        out["direction"] = tolerance.direction
    if not tolerance.required:
        out["required"] = False
    return out


def _number(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ToleranceError(path, f"expected a number of zero or more, got {value!r}")
    return float(value)


def lint(tolerances: Mapping[str, Tolerance], baseline: Mapping[str, float]) -> list[str]:
    """Tolerances that pretend: an allowance above zero but below the metric's resolution compares
    exactly while it says it does not."""
    problems = []
    for name, tolerance in sorted(tolerances.items()):
        allowed = tolerance.allowance(baseline.get(name, 0.0))
        if tolerance.resolution and 0 < allowed < tolerance.resolution:
            problems.append(f"reproduce.metrics.{name}: the allowance {allowed:g} is below the metric's resolution "
                            f"{tolerance.resolution:g}: an exact comparison in disguise (declare abs: 0 for exact, or "
                            f"at least {tolerance.resolution:g})")
    return problems


def compare(baseline: Mapping[str, float], rerun: Mapping[str, float],
            tolerances: Mapping[str, Tolerance]) -> list[MetricOutcome]:
    """Every baseline metric against the re-run's, sorted by name. A metric only the re-run reports is
    not judged (it has no baseline)."""
    outcomes = []
    for name in sorted(baseline):
        base = float(baseline[name])
        declared = tolerances.get(name)
        tolerance = declared or _default(base, rerun.get(name))
        allowed = tolerance.allowance(base)
        rule = tolerance.describe() + ("" if declared else " (default)")
        value = rerun.get(name)
        if value is None:
            status = "missing" if tolerance.required else "within"
            outcomes.append(MetricOutcome(metric=name, baseline=base, value=None, status=status, allowed=allowed,
                                          rule=rule, default=declared is None))
            continue
        value = float(value)
        status = "exact" if value == base else "within" if _holds(tolerance, base, value, allowed) else "failed"
        outcomes.append(MetricOutcome(metric=name, baseline=base, value=value, status=status, allowed=allowed,
                                      rule=rule, default=declared is None))
    return outcomes


def _default(base: float, value: float | None) -> Tolerance:
    integral = float(base).is_integer() and (value is None or float(value).is_integer())
    return Tolerance() if integral else Tolerance(rel=DEFAULT_FLOAT_REL)


def _holds(tolerance: Tolerance, base: float, value: float, allowed: float) -> bool:
    if not math.isfinite(value):
        return False
    delta = value - base
    if tolerance.direction == "two-sided":
        return abs(delta) <= allowed
    up_is_better = tolerance.better == "higher"
    worse = -delta if up_is_better else delta  # how far it moved the bad way
    if tolerance.direction == "no-worse":
        return worse <= allowed
    return -worse <= allowed  # no-better: it may not improve beyond the allowance either


def verdict(outcomes: Sequence[MetricOutcome], *, preflight_ok: bool = True, same_environment: bool = True,
            same_hardware: bool | None = True, require_same_hardware: bool = False) -> str:
    """The reproduction's verdict (a key of VERDICTS). ``same_hardware`` None: nothing recorded to
    compare. Hardware that differs where the spec requires the same is inconclusive, whatever the
    metrics say: never silently widened."""
    if not preflight_ok:
        return "unverifiable"
    if require_same_hardware and same_hardware is False:
        return "inconclusive"
    if any(o.status == "failed" for o in outcomes):
        return "failed"
    if any(o.status == "missing" for o in outcomes):
        return "missing-metric"
    if outcomes and all(o.status == "exact" for o in outcomes) and same_environment and same_hardware:
        return "bit-exact"
    return "within-tolerance"


@dataclass(frozen=True, kw_only=True)
class Calibration:
    metric: str
    runs: int
    mean: float
    std: float
    proposed: Tolerance


def calibrate(metric: str, values: Sequence[float], *, k: float = 3.0, floor: float = 0.0,
              resolution: float | None = None) -> Calibration:
    """A proposed two-sided tolerance from repeated runs: abs = max(k·σ, floor, resolution). Fewer than
    five runs say too little about σ to multiply it: refused."""
    if len(values) < 5:
        raise ToleranceError(f"calibrate.{metric}", f"{len(values)} runs are too few for k·σ (at least 5)")
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    allowance = max(k * std, floor, resolution or 0.0)
    return Calibration(metric=metric, runs=len(values), mean=mean, std=std,
                       proposed=Tolerance(abs=allowance, resolution=resolution))
