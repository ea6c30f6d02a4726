"""envbuild reproduce: re-run a recorded training run in its recorded image, on its data, and judge
the metrics it gives against the run's, within declared tolerances (core/spec/tolerances.py).

Preflight, before any compute: the record (its command), the image (by its recorded ID here, pulled
by its registry digest, or rebuilt from the recorded commit — and then it must have the same ID), its
files against the recorded lock (``verify_image``: `verify --image --files`), the data against the
outputs the run recorded (DVC), the hardware against the recorded fingerprint. A failed check stops
there: unverifiable, nothing trained. Then the recorded command runs in a container as `envbuild run`
starts one (adapters/engine/training.py), as a new MLflow run that names the run it reproduces, and each
metric is compared.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from envbuild.adapters.preflight import Rebuild
from envbuild.core.lineage.reproduction import Check, Recorded, Reproduction, baseline_artifact, recorded_from
from envbuild.errors import UserError

if TYPE_CHECKING:
    from envbuild.core.report.outcomes import Outcome
    from envbuild.core.spec.reproduce import Mode, ReproduceRules

    VerifyImage = Callable[[str, Path], Outcome]  # (image, lock file) → verify --image --files against it


def load(source: str, *, environ: Mapping[str, str]) -> Recorded:
    """The run behind ``source``: an MLflow run, model version or alias, or a record file (run --record-file)."""
    from envbuild.core.lineage.record import is_mlflow, parse_source

    if is_mlflow(source):
        from envbuild.adapters import mlflow_runs

        run_id = mlflow_runs.run_of(parse_source(source), environ=environ)
        artifacts = mlflow_runs.read_record(run_id, environ=environ)
        metrics, experiment = mlflow_runs.run_metrics(run_id, environ=environ)
        return recorded_from(f"mlflow:runs:/{run_id}", run_id, artifacts, metrics, experiment_id=experiment)
    from envbuild.adapters.files import read_text
    from envbuild.core.lineage.reproduction import RECORD_KIND

    path = Path(source)
    if not path.is_file():
        raise UserError(f"{source}: no such record file and not an MLflow source",
                        hint="give mlflow:runs:/<id>, mlflow:models:/<name>/<version>|@<alias>, or a file written "
                             "by envbuild run --record-file")
    try:
        found = json.loads(read_text(path, source))
    except ValueError:
        found = None
    if not isinstance(found, dict) or found.get("kind") != RECORD_KIND or not isinstance(found.get("artifacts"), dict):
        raise UserError(f"{source}: not a record envbuild wrote (envbuild run --record-file)")
    metrics = {k: v for k, v in (found.get("metrics") or {}).items() if isinstance(v, (int, float))
               and not isinstance(v, bool)}
    artifacts = {k: v for k, v in found["artifacts"].items() if isinstance(k, str) and isinstance(v, str)}
    recorded_run = found.get("run_id")
    return recorded_from(source, recorded_run if isinstance(recorded_run, str) else None, artifacts, metrics,
                         origin="file")


@dataclass(frozen=True, kw_only=True)
class Request:
    mode: str = "full"
    tolerances: "ReproduceRules | None" = None  # laid over the rules the run recorded
    image: str | None = None  # run in this image instead of the recorded one (it must verify)
    data: Path | None = None  # the DVC workspace here (required when the run recorded data)
    repo: Path | None = None  # the git repository to rebuild from when the image is gone
    rebaseline: str | None = None  # the reason: record this mode's baseline instead of judging
    seed: str | None = None  # another seed than the recorded, where the rules say how (never bit-exact then)
    timeout: float | None = None


@dataclass(frozen=True, kw_only=True)
class Prepared:
    recorded: Recorded
    rules: "ReproduceRules"
    mode: "Mode | None"
    baseline: Mapping[str, float]
    image: str  # what runs: an image ID or reference
    checks: tuple[Check, ...]
    same_image: bool

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks if c.name != "hardware")


def prepare(recorded: Recorded, request: Request, *, environ: Mapping[str, str], verify_image: VerifyImage,
            rebuild: Rebuild, progress: Callable[[str], None], judging: bool = True) -> Prepared:
    """The rules, the mode and its baseline (bad input said before anything runs), then the preflight.
    ``judging``: the re-run is compared with the baseline (not so when rebaselining or calibrating)."""
    from envbuild.adapters import preflight
    from envbuild.core.spec.tolerances import lint

    rules = request.tolerances.over(recorded.rules) if request.tolerances else recorded.rules
    try:
        mode = rules.mode(request.mode)
    except KeyError:
        known = ", ".join(["full", *(name for name, _ in rules.modes)])
        raise UserError(f"--mode {request.mode}: the run's rules declare no such mode (known: {known})",
                        hint="declare it under reproduce.modes in envbuild.yaml, or pass --tolerances FILE") from None
    if request.rebaseline is not None and mode is None:
        raise UserError("--rebaseline: the full mode's baseline is the recorded run itself",
                        hint="rebaseline a shorter mode: --mode smoke --rebaseline --reason '...'")
    judging = judging and request.rebaseline is None
    baseline = dict(recorded.metrics) if mode is None else dict((recorded.baselines.get(request.mode) or {})
                                                                 .get("metrics") or {})
    if judging:
        if mode is not None and request.mode not in recorded.baselines:
            raise UserError(f"--mode {request.mode}: the run has no baseline for this mode yet",
                            hint=f"record one: envbuild reproduce {recorded.label} --mode {request.mode} --rebaseline "
                                 "--reason 'why'")
        if not baseline:
            raise UserError(f"{recorded.label}: the run logged no metrics to compare with",
                            hint="log them from the training (mlflow.log_metric), or declare reproduce.metrics-file")
        problems = lint(rules.tolerances(), baseline)
        if problems:
            raise UserError(problems[0], hint="a tolerance below the metric's resolution compares exactly while "
                                              "saying it does not")
    checks = [Check(name="record", ok=True, detail="recorded command: " + " ".join(recorded.command))]
    image, image_check, same = preflight.find_image(recorded, image=request.image, repo=request.repo,
                                                    rebuild=rebuild, progress=progress)
    checks.append(image_check)
    if image is not None:
        checks.append(_check_files(recorded, image, verify_image, progress))
    checks.append(preflight.check_data(recorded, request.data, environ=environ))
    checks.append(preflight.check_hardware(recorded, rules))
    return Prepared(recorded=recorded, rules=rules, mode=mode, baseline=baseline, image=image or "",
                    checks=tuple(checks), same_image=same)


def _check_files(recorded: Recorded, image: str, verify_image: VerifyImage, progress: Callable[[str], None]) -> Check:
    if recorded.lock is None:
        return Check(name="environment", ok=False, detail="the run recorded no lock to verify the image against")
    with tempfile.TemporaryDirectory(prefix="envbuild-reproduce-") as tmp:
        from envbuild.core.lineage.record import LOCKS

        lock = Path(tmp) / LOCKS[recorded.lock[0]]
        lock.write_text(recorded.lock[1], encoding="utf-8")
        progress("verifying the image's files against the recorded lock")
        outcome = verify_image(image, lock)
    if outcome.error:
        return Check(name="environment", ok=False, detail=outcome.error)
    if outcome.findings:
        said = "; ".join(f"{f.kind} {f.name}: expected {f.expected or '-'}, found {f.actual or '-'}"
                         for f in outcome.findings[:3])
        more = f" (and {len(outcome.findings) - 3} more)" if len(outcome.findings) > 3 else ""
        return Check(name="environment", ok=False, detail=f"{said}{more}")
    return Check(name="environment", ok=True, detail=f"{len(outcome.packages)} locked packages, every file as locked")


def run_once(prepared: Prepared, *, environ: Mapping[str, str], request: Request, show: Callable[[str], None],
             seed: tuple[Any, str] | None = None, tags: Mapping[str, str] | None = None,
             experiment: str | None = None) -> tuple[int, dict[str, float], str | None]:
    """The recorded command (the mode's, with a calibration's seed) in the image: (exit status, the metrics,
    the MLflow run it was, when one). Metrics from the spec's metrics-file, else those the training logged."""
    from envbuild.adapters import mlflow_runs
    from envbuild.adapters.engine import training
    from envbuild.core.lineage.reproduction import command_for, environment_for

    recorded = prepared.recorded
    command = command_for(recorded, prepared.mode, seed=seed)
    env = environment_for(recorded, seed=seed)
    missing = [name for name in recorded.env_names if name not in environ]
    if missing:
        raise UserError(f"the run took {missing[0]} from its environment (envbuild run -e {missing[0]}): set it here")
    env.update({name: environ[name] for name in recorded.env_names})
    network = training.network_for(metrics_file=prepared.rules.metrics_file,
                                   tracking_uri=environ.get("MLFLOW_TRACKING_URI"))
    mounts = [training.Mount(source=str(request.data.resolve()), target=recorded.data_mount)] \
        if request.data is not None and recorded.data_mount else []
    run_id = None
    if environ.get("MLFLOW_TRACKING_URI") and (recorded.run_id or network != "none"):
        run_id, experiment = mlflow_runs.start_run(environ, experiment_id=experiment, tags=dict(tags or {}),
                                                   run_name=f"reproduce {(recorded.run_id or 'record')[:8]} "
                                                            f"({request.mode})")
        if network != "none":
            env.update(mlflow_runs.container_env(environ, run_id, experiment))
    try:
        with training.container(prepared.image, network=network, mounts=mounts, gpus=recorded.gpus) as name:
            code, _tail = training.train(name, command, env=env, workdir=recorded.workdir, show=show,
                                         timeout=request.timeout)
            metrics_file = prepared.rules.metrics_file
            metrics = (training.read_metrics(name, metrics_file, where=metrics_file) if metrics_file else None) or {}
        if run_id is not None:
            if prepared.rules.metrics_file:
                mlflow_runs.log_metrics(run_id, metrics, environ=environ)
            else:
                metrics, _ = mlflow_runs.run_metrics(run_id, environ=environ)
    except BaseException:
        if run_id is not None:  # interrupted or failed: the new run is not left RUNNING
            mlflow_runs.finish_run(run_id, ok=False, environ=environ)
        raise
    return code, metrics, run_id


def reproduce(recorded: Recorded, request: Request, *, environ: Mapping[str, str], verify_image: VerifyImage,
              rebuild: Rebuild, show: Callable[[str], None], progress: Callable[[str], None]) -> Reproduction:
    """Preflight, the re-run, the comparison: the reproduction (or, with ``request.rebaseline``, the mode's
    new baseline recorded on the original run, with its reason)."""
    import time

    from envbuild.core.lineage.reproduction import command_for, judged
    from envbuild.core.spec.tolerances import compare

    started = time.perf_counter()
    prepared = prepare(recorded, request, environ=environ, verify_image=verify_image, rebuild=rebuild, progress=progress)
    seconds = {"preflight": time.perf_counter() - started}
    unverifiable = Reproduction(label=recorded.label, run_id=recorded.run_id, mode=request.mode,
                                image=prepared.image or None, verdict="unverifiable", checks=prepared.checks,
                                seconds=seconds, notes=("nothing was trained: the preflight failed",))
    if not prepared.ok:
        return unverifiable
    tags = {"envbuild.reproduce.mode": request.mode, **({"envbuild.reproduces": recorded.run_id} if recorded.run_id
                                                         else {})}
    seed = None
    if request.seed is not None:
        if prepared.rules.seed is None:
            raise UserError("--seed: the rules do not say where the training takes its seed",
                            hint="declare reproduce.seed: {env: NAME} or {arg: --seed} in envbuild.yaml")
        seed = (prepared.rules.seed, request.seed)
        tags["envbuild.reproduce.seed"] = request.seed
    progress(f"training: {' '.join(prepared.recorded.command)} (mode {request.mode})")
    code, metrics, new_run = run_once(prepared, environ=environ, request=request, show=show, tags=tags,
                                      experiment=recorded.experiment_id, seed=seed)
    seconds["training"] = time.perf_counter() - started - seconds["preflight"]
    said = f" (seed {request.seed})" if request.seed is not None else ""
    ran = " ".join(command_for(recorded, prepared.mode, seed=seed))
    checks = (*prepared.checks, Check(name="training", ok=code == 0, detail=f"{ran}{said}: exited {code}"))
    hardware = next((c for c in prepared.checks if c.name == "hardware" and c.ok is False), None)
    differs = tuple(hardware.detail.split("; ")) if hardware else ()
    if request.rebaseline is not None:
        verdict = "rebaselined" if code == 0 else "failed"
        notes: tuple[str, ...] = ()
        if code == 0:
            _store_baseline(recorded, request, metrics, new_run, prepared.image, environ=environ)
            notes = (f"baseline of mode {request.mode} recorded on {recorded.label}: {len(metrics)} metrics; reason: "
                     f"{request.rebaseline}",)
        result = replace(unverifiable, verdict=verdict, checks=checks, hardware=differs, reproduced_by=new_run,
                         notes=notes)
    else:
        outcomes = compare(prepared.baseline, metrics, prepared.rules.tolerances())
        verdict = judged(checks, outcomes, require_same_hardware=bool(prepared.rules.same_hardware),
                         same_image=prepared.same_image and seed is None)
        result = replace(unverifiable, verdict=verdict, checks=checks, outcomes=tuple(outcomes), hardware=differs,
                         reproduced_by=new_run,
                         notes=tuple(f"{o.metric}: no tolerance declared, the default applied ({o.rule})"
                                     for o in outcomes if o.default))
    result = replace(result, seconds={**seconds, "total": time.perf_counter() - started})
    if new_run is not None:
        from envbuild.adapters import mlflow_runs

        text = json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n"
        mlflow_runs.log_record(new_run, {"reproduction.json": text}, {"envbuild.reproduce.verdict": result.verdict},
                               environ=environ)
        mlflow_runs.finish_run(new_run, ok=result.exit_code == 0, environ=environ)
    return result


def _store_baseline(recorded: Recorded, request: Request, metrics: Mapping[str, float], new_run: str | None,
                    image: str, *, environ: Mapping[str, str]) -> None:
    """A mode's baseline, written beside the run's record (never silently: the reason is required and kept)."""
    from envbuild.core.lineage.reproduction import command_for

    body = {"schema": 1, "mode": request.mode, "command": command_for(recorded, recorded.rules.mode(request.mode)
                                                                       if request.mode != "full" else None),
            "metrics": dict(metrics), "reason": request.rebaseline, "image": image, "run": new_run,
            "at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    text = json.dumps(body, indent=2, sort_keys=True) + "\n"
    if recorded.origin == "file":
        from envbuild.adapters.files import atomic_write, read_text

        path = Path(recorded.label)
        found = json.loads(read_text(path, recorded.label))
        found["artifacts"][baseline_artifact(request.mode)] = text
        atomic_write(path, json.dumps(found, indent=2, sort_keys=True) + "\n")
        return
    from envbuild.adapters import mlflow_runs

    mlflow_runs.log_record(str(recorded.run_id), {baseline_artifact(request.mode): text},
                           {f"envbuild.baseline.{request.mode}": str(new_run or "")}, environ=environ)


@dataclass(frozen=True, kw_only=True)
class Calibrated:
    prepared: Prepared
    results: tuple[Any, ...]  # tolerances.Calibration, per metric
    runs: tuple[Mapping[str, float], ...]
    seeds: tuple[str, ...]
    notes: tuple[str, ...] = ()


def calibrate(recorded: Recorded, request: Request, runs: int, *, environ: Mapping[str, str],
              verify_image: VerifyImage, rebuild: Rebuild, show: Callable[[str], None], progress: Callable[[str], None],
              k: float = 3.0) -> Calibrated:
    """``runs`` re-runs, each with its own seed where the rules say how, and per metric the mean, the
    spread and a proposed two-sided tolerance (k·σ, at least the metric's resolution)."""
    from envbuild.core.spec.tolerances import calibrate as propose
    from envbuild.errors import CheckFailed

    if runs < 5:
        raise UserError(f"--calibrate {runs}: k·σ needs at least 5 runs to say anything about σ")
    prepared = prepare(recorded, replace(request, rebaseline=None), environ=environ, verify_image=verify_image,
                       rebuild=rebuild, progress=progress, judging=False)
    if not prepared.ok:
        failed = next(c for c in prepared.checks if c.ok is False)
        raise CheckFailed(f"cannot calibrate: the preflight failed: {failed.name}: {failed.detail}")
    seed = prepared.rules.seed
    seeds = tuple(str(i) for i in range(1, runs + 1)) if seed else ()
    notes = () if seed else ("no reproduce.seed declared: the runs differ only by what is not deterministic",)
    found = []
    for i in range(runs):
        progress(f"calibration run {i + 1} of {runs}" + (f" (seed {seeds[i]})" if seeds else ""))
        code, metrics, new_run = run_once(prepared, environ=environ, request=request, show=show,
                                          seed=(seed, seeds[i]) if seed else None,
                                          tags={"envbuild.calibrates": recorded.run_id or recorded.label},
                                          experiment=recorded.experiment_id)
        if new_run is not None:
            from envbuild.adapters import mlflow_runs

            mlflow_runs.finish_run(new_run, ok=code == 0, environ=environ)
        if code != 0:
            raise CheckFailed(f"calibration run {i + 1} failed: the training exited {code}")
        found.append(metrics)
    tolerances = prepared.rules.tolerances()
    names = sorted(set.intersection(*(set(m) for m in found)))
    results = tuple(propose(name, [m[name] for m in found], k=k,
                            resolution=tolerances[name].resolution if name in tolerances else None) for name in names)
    return Calibrated(prepared=prepared, results=results, runs=tuple(found), seeds=seeds, notes=notes)
