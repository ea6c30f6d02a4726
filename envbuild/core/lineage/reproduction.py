"""A recorded training run read back for a re-run, the command a re-run starts, and what a
reproduction found. Pure (services/reproducing.py does the work; core/report/reproduction.py shows it).

What a re-run needs comes from the run's record (core/lineage/record.py): invocation.json (the command, its
directory, the variables it ran with, the image, the hardware, the rules the spec declared), the lock
the image was built from, the data outputs DVC had, and the run's metrics — the baseline of the full
mode. A shorter mode's baseline is its own artifact on the original run (baseline-<mode>.json),
written only by `reproduce --mode NAME --rebaseline --reason TEXT`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.lineage.record import DVC, INVOCATION, LOCKS
from envbuild.core.spec.reproduce import Mode, ReproduceRules, Seed, rules_from_json
from envbuild.core.spec.tolerances import VERDICTS, MetricOutcome
from envbuild.errors import UserError

RECORD_KIND = "envbuild-record"  # a record written to a file (run --record-file), not into MLflow
MAX_METRICS = 10_000  # a metrics file with more numbers than this is not one a training wrote for us
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def baseline_artifact(mode: str) -> str:
    return f"baseline-{mode}.json"


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """A run as a re-run sees it. ``metrics``: the full mode's baseline (the run's own)."""

    label: str
    run_id: str | None
    command: tuple[str, ...]
    origin: str = "mlflow"  # mlflow | file: where a mode's new baseline is written
    experiment_id: str | None = None
    entrypoint: tuple[str, ...]  # the command's first words that a mode's ``replace`` keeps
    workdir: str | None
    environment: Mapping[str, str]  # the determinism variables it ran with
    env: Mapping[str, str]  # what `run -e NAME=VALUE` set
    env_names: tuple[str, ...] = ()  # `run -e NAME`: the value came from the environment and was not recorded
    image: Mapping[str, Any] = field(default_factory=dict)  # ref, image_id, repo_digests
    hardware: Mapping[str, Any] | None = None
    definition: Mapping[str, str] | None = None  # path in the repository, target, commit: enough to rebuild
    rules: ReproduceRules = field(default_factory=ReproduceRules)
    data_mount: str | None = None  # where the DVC workspace was mounted, read-only
    gpus: str | None = None  # docker's --gpus the training ran with
    lock: tuple[str, str] | None = None  # (format, text)
    data: list[dict[str, Any]] | None = None  # dvc.lock's outputs
    metrics: Mapping[str, float] = field(default_factory=dict)
    baselines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def recorded_from(label: str, run_id: str | None, artifacts: Mapping[str, str], metrics: Mapping[str, float], *,
                  origin: str = "mlflow", experiment_id: str | None = None) -> Recorded:
    """A record's artifacts (name → text), hostile until read: a run recorded before `record` kept the
    command, or by hand without one, cannot be re-run — said as such."""
    text = artifacts.get(INVOCATION)
    if text is None:
        raise UserError(f"cannot reproduce {label}: the run did not record its command (no envbuild/{INVOCATION}: "
                        "it was recorded before envbuild kept one)",
                        hint="train with 'envbuild run DIR' (or call envbuild.record() from the training), "
                             "then reproduce that run")
    invocation = _json(label, INVOCATION, text)
    command = invocation.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise UserError(f"cannot reproduce {label}: the run did not record its command",
                        hint="train with 'envbuild run DIR', which records the command it starts")
    entrypoint = invocation.get("entrypoint") or []
    if not isinstance(entrypoint, list) or command[:len(entrypoint)] != entrypoint:
        entrypoint = command[:1]
    rules = rules_from_json(f"{label}: envbuild/{INVOCATION}", invocation.get("reproduce"))
    lock = next(((fmt, artifacts[name]) for fmt, name in LOCKS.items() if name in artifacts), None)
    data = _json(label, DVC, artifacts[DVC]).get("outputs") if DVC in artifacts else None
    baselines = {}
    for name, body in artifacts.items():
        if name.startswith("baseline-") and name.endswith(".json"):
            found = _json(label, name, body)
            if isinstance(found.get("metrics"), dict):
                baselines[name.removeprefix("baseline-").removesuffix(".json")] = found
    env = _strings(invocation.get("env"))
    image = _image(invocation.get("image"))
    return Recorded(label=label, run_id=run_id, command=tuple(command), entrypoint=tuple(entrypoint), origin=origin,
                    experiment_id=experiment_id,
                    workdir=invocation.get("workdir") if isinstance(invocation.get("workdir"), str) else None,
                    environment=_strings(invocation.get("environment")), env=env,
                    env_names=tuple(n for n in invocation.get("env_names") or () if isinstance(n, str)
                                    and _ENV_NAME.match(n)),
                    image=image,
                    hardware=invocation.get("hardware") if isinstance(invocation.get("hardware"), dict) else None,
                    definition=_definition(invocation.get("definition")),
                    rules=rules,
                    data_mount=invocation.get("data_mount") if isinstance(invocation.get("data_mount"), str) else None,
                    gpus=invocation.get("gpus") if isinstance(invocation.get("gpus"), str)
                    and re.fullmatch(r"[A-Za-z0-9=,:\"-]{1,200}", invocation["gpus"]) else None,
                    lock=lock, data=data if isinstance(data, list) else None,
                    metrics={k: float(v) for k, v in metrics.items()}, baselines=baselines)


# What a record names goes to `docker` and `git` command lines: only what has the shape it must have
# (an option-looking word, a path out of the repository, is dropped, and the check then says what is missing).
_IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")
_REPO_DIGEST = re.compile(r"[a-z0-9][a-z0-9._/:-]{0,254}@sha256:[0-9a-f]{64}")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _image(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    out: dict[str, Any] = {key: value[key] for key in ("ref", "project") if isinstance(value.get(key), str)}
    if isinstance(value.get("image_id"), str) and _IMAGE_ID.fullmatch(value["image_id"]):
        out["image_id"] = value["image_id"]
    out["repo_digests"] = [d for d in value.get("repo_digests") or () if isinstance(d, str) and _REPO_DIGEST.fullmatch(d)]
    return out


def _definition(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict):
        return None
    commit, path, target = value.get("commit"), value.get("path"), value.get("target")
    if not (isinstance(commit, str) and _COMMIT.fullmatch(commit) and isinstance(path, str) and isinstance(target, str)
            and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", target) and not path.startswith(("/", "-"))
            and ".." not in path.split("/")):
        return None
    return {"commit": commit, "path": path, "target": target}


def _json(label: str, name: str, text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise UserError(f"{label}: envbuild/{name} is not a JSON object: not a record envbuild wrote")
    return found


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and _ENV_NAME.match(k) and isinstance(v, str)}


def command_for(recorded: Recorded, mode: Mode | None, *, seed: tuple[Seed, str] | None = None) -> list[str]:
    """The argv a re-run starts: the recorded command, a mode's arguments appended to it (or in place
    of its arguments), and a calibration run's seed where the spec says the seed is an argument."""
    argv = list(recorded.command)
    if mode is not None:
        argv = [*recorded.entrypoint, *mode.args] if mode.replace else [*argv, *mode.args]
    if seed is not None and seed[0].arg:
        argv = with_argument(argv, seed[0].arg, seed[1])
    return argv


def with_argument(argv: Sequence[str], option: str, value: str) -> list[str]:
    """``option value`` set in argv: replaced where it is (``--seed 3`` or ``--seed=3``), else appended."""
    out, i = [], 0
    replaced = False
    while i < len(argv):
        if argv[i] == option and i + 1 < len(argv):
            out += [option, value]
            i, replaced = i + 2, True
            continue
        if argv[i].startswith(option + "="):
            out.append(f"{option}={value}")
            replaced = True
        else:
            out.append(argv[i])
        i += 1
    return out if replaced else [*out, option, value]


def environment_for(recorded: Recorded, *, seed: tuple[Seed, str] | None = None) -> dict[str, str]:
    """The variables a re-run sets: the determinism variables and `run -e` values recorded, and a
    calibration run's seed where the spec says the seed is a variable."""
    env = {**recorded.environment, **recorded.env}
    if seed is not None and seed[0].env:
        env[seed[0].env] = seed[1]
    return env


def metrics_of(text: str, where: str) -> dict[str, float]:
    """The numbers a metrics file (a JSON object) holds: top-level numbers, and those of nested objects
    named with '/' (``{"val": {"loss": 0.3}}`` → ``val/loss``); strings, booleans and lists are not metrics."""
    try:
        found = json.loads(text)
    except (ValueError, RecursionError):
        raise UserError(f"{where}: the metrics file is not JSON",
                        hint="the training should write one JSON object of numbers, e.g. {\"loss\": 0.31}") from None
    if not isinstance(found, dict):
        raise UserError(f"{where}: the metrics file is not a JSON object of numbers")
    out: dict[str, float] = {}

    def walk(prefix: str, value: Any, depth: int) -> None:
        if len(out) > MAX_METRICS:
            raise UserError(f"{where}: more than {MAX_METRICS} metrics: not a metrics file")
        if isinstance(value, bool):
            return
        if isinstance(value, (int, float)):
            out[prefix] = float(value)
        elif isinstance(value, dict) and depth < 4:
            for key, inner in value.items():
                walk(f"{prefix}/{key}" if prefix else str(key), inner, depth + 1)

    walk("", found, 0)
    return out


@dataclass(frozen=True, kw_only=True)
class Check:
    """One preflight (or run) check: ``ok`` None when it did not apply (nothing recorded to check)."""

    name: str  # record | image | environment | data | hardware | training
    ok: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True, kw_only=True)
class Reproduction:
    label: str
    run_id: str | None
    mode: str
    verdict: str  # a key of tolerances.VERDICTS
    checks: tuple[Check, ...]
    outcomes: tuple[MetricOutcome, ...] = ()
    hardware: tuple[str, ...] = ()  # what differs from the recorded fingerprint
    image: str | None = None
    reproduced_by: str | None = None  # the new run
    notes: tuple[str, ...] = ()
    seconds: Mapping[str, float] = field(default_factory=dict)  # preflight, training, total

    @property
    def exit_code(self) -> int:
        return VERDICTS[self.verdict]

    def to_json(self) -> dict[str, Any]:
        return {"schema": 1, "source": self.label, "run_id": self.run_id, "mode": self.mode, "verdict": self.verdict,
                "ok": self.exit_code == 0, "exit_code": self.exit_code, "image": self.image,
                "reproduced_by": self.reproduced_by, "preflight": [c.to_dict() for c in self.checks],
                "metrics": [o.to_dict() for o in self.outcomes], "hardware_differences": list(self.hardware),
                "notes": list(self.notes), "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


def judged(checks: Sequence[Check], outcomes: Sequence[MetricOutcome], *, require_same_hardware: bool,
           same_image: bool) -> str:
    """The verdict: a check that failed before the training ran makes it unverifiable; a training that
    failed fails; the rest is the metrics' (tolerances.verdict)."""
    from envbuild.core.spec.tolerances import verdict

    by = {c.name: c for c in checks}
    preflight_ok = all(c.ok is not False for c in checks if c.name not in ("hardware", "training"))
    if preflight_ok and by.get("training") is not None and by["training"].ok is False:
        return "failed"
    hardware = by.get("hardware")
    return verdict(outcomes, preflight_ok=preflight_ok, same_environment=same_image,
                   same_hardware=None if hardware is None or hardware.ok is None else hardware.ok,
                   require_same_hardware=require_same_hardware)


def freshness(runs: Sequence[Mapping[str, Any]], *, run_id: str, days: float,
              now_ms: int) -> tuple[Finding | None, str]:
    """(a finding when no passing reproduction of ``run_id`` is newer than ``days``, a note naming the
    latest reproduction). ``runs``: those tagged envbuild.reproduces=run_id (mlflow_runs.reproductions).
    Only the full mode counts: a smoke mode shows the training still runs in the image, not that it
    still gives the model's results (and a rebaseline judges nothing)."""
    since = now_ms - days * 86_400_000
    good = [r for r in runs if r.get("verdict") in ("bit-exact", "within-tolerance") and (r.get("mode") or "full") == "full"
            and isinstance(r.get("start_time"), int)]
    fresh = [r for r in good if r["start_time"] >= since]
    latest = max(runs, key=lambda r: r.get("start_time") or 0, default=None)
    note = "no reproduction recorded" if latest is None else \
        f"latest reproduction: run {latest.get('run_id')} (mode {latest.get('mode') or 'full'}): " \
        f"{latest.get('verdict') or 'unfinished'}, {_ago(now_ms - (latest.get('start_time') or now_ms))}"
    if fresh:
        return None, note
    last_good = max(good, key=lambda r: r["start_time"], default=None)
    actual = "never reproduced" if last_good is None else \
        f"last passed {_ago(now_ms - last_good['start_time'])} (run {last_good['run_id']})"
    return Finding(kind="reproduction", name=run_id, expected=f"a passing envbuild reproduce within {days:g} days",
                   actual=actual, detail=note), note


def _ago(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours:.1f} hours ago" if hours < 48 else f"{hours / 24:.1f} days ago"
