"""envbuild reproduce SOURCE [--mode NAME] [--tolerances FILE] [--calibrate N] [--rebaseline --reason TEXT]
[--image REF] [--data DIR] [--repo DIR] [--json | --format text|json|markdown] [--junit FILE]"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from envbuild.cli.output import out, out_text, progress


def reproduce(
    source: str = typer.Argument(..., help="mlflow:runs:/ID, mlflow:models:/NAME/VERSION, mlflow:models:/NAME@ALIAS, "
                                 "or a record file (envbuild run --record-file)."),
    mode: str = typer.Option("full", "--mode", help="full (the recorded command) or a mode the rules declare."),
    tolerances: Path | None = typer.Option(None, "--tolerances", help="A YAML file shaped as envbuild.yaml's reproduce: "
                                    "key, laid over the rules the run recorded."),
    calibrate: int = typer.Option(None, "--calibrate", help="Run N times (seeds varied as reproduce.seed says) and "
                                  "propose a tolerance per metric (N ≥ 5)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="With --calibrate: write the proposed tolerances here "
                                "(a --tolerances file)."),
    rebaseline: bool = typer.Option(False, "--rebaseline", help="Record this mode's baseline on the run (needs --reason)."),
    reason: str = typer.Option(None, "--reason", help="Why the baseline is recorded anew (kept with it)."),
    image: str = typer.Option(None, "--image", help="Run in this image instead of the recorded one (it must verify "
                              "against the recorded lock)."),
    data: Path | None = typer.Option(None, "--data", help="The DVC workspace the run's data is in (checked, then mounted)."),
    seed: str = typer.Option(None, "--seed", help="Train with this seed instead of the recorded one (where "
                             "reproduce.seed says how): a tolerance test, never bit-exact."),
    repo: Path | None = typer.Option(None, "--repo", help="The git repository to rebuild a gone image from (default: here)."),
    timeout: float = typer.Option(None, "--timeout", help="Stop a training after this many seconds."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown."),
    junit: Path | None = typer.Option(None, "--junit", help="Also write JUnit XML here (a testcase per check and per metric)."),
) -> None:
    """Re-run a recorded training run in its recorded image and check its metrics within tolerance."""
    import os
    import sys

    from envbuild.cli.output import report_format, step_summary
    from envbuild.errors import UserError
    from envbuild.services import reproducing

    fmt = report_format(fmt, as_json)
    if rebaseline and not (reason or "").strip():
        raise UserError("--rebaseline needs --reason: a baseline is never replaced silently")
    if reason and not rebaseline:
        raise UserError("--reason goes with --rebaseline")
    if calibrate is not None and rebaseline:
        raise UserError("--calibrate and --rebaseline are two different runs: one at a time")
    if output is not None and calibrate is None:
        raise UserError("-o FILE writes the tolerances --calibrate proposes: it needs --calibrate N",
                        hint="for the report in a file: --json > FILE, or --junit FILE")
    if calibrate is not None and calibrate < 5:
        raise UserError(f"--calibrate {calibrate}: k·σ needs at least 5 runs to say anything about σ")
    rules = _tolerances(tolerances) if tolerances is not None else None
    recorded = reproducing.load(source, environ=os.environ)
    request = reproducing.Request(mode=mode, tolerances=rules, image=image, data=data, repo=repo,
                                  rebaseline=reason if rebaseline else None, seed=seed, timeout=timeout)
    def show(line: str) -> None:  # the training's own output: on stderr, so that --json stays one object
        print(line, file=sys.stderr, flush=True)

    if calibrate is not None:
        done = reproducing.calibrate(recorded, request, calibrate, environ=os.environ, verify_image=_verify_image,
                                     rebuild=_rebuild, progress=progress, show=show)
        _show_calibration(done, output, as_json=fmt == "json")
        return
    result = reproducing.reproduce(recorded, request, environ=os.environ, verify_image=_verify_image,
                                   rebuild=_rebuild, progress=progress, show=show)
    from envbuild.core.report import reproduction as report

    if junit is not None:
        from envbuild.adapters.files import atomic_write

        atomic_write(junit, report.to_junit(result))
    if fmt == "markdown" or os.environ.get("GITHUB_STEP_SUMMARY"):
        step_summary(report.to_markdown(result))
    if fmt == "json":
        out(json.dumps(result.to_json(), sort_keys=True))
    elif fmt == "markdown":
        out_text(report.to_markdown(result))
    else:
        out_text(report.to_table(result))
    if result.exit_code != 0:
        raise typer.Exit(result.exit_code)  # the verdict is the report's first line: said once


def _tolerances(path: Path):  # -> ReproduceRules
    from envbuild.adapters.files import read_text
    from envbuild.core.spec.reproduce import rules_from_json
    from envbuild.core.yamlfile import load_yaml

    data = load_yaml(read_text(path, str(path)), str(path))  # the spec's loader: duplicate keys refused
    if isinstance(data, dict) and set(data) == {"reproduce"}:
        data = data["reproduce"]  # an envbuild.yaml-shaped file
    return rules_from_json(str(path), data)


def _verify_image(image: str, lock: Path):
    import os

    from envbuild.adapters.places import Place
    from envbuild.services.verifying import verify

    _choice, outcomes = verify(None, None, lock, [Place(kind="image", name=image)], environ=os.environ, files=True)
    return outcomes[0]


def _rebuild(directory: Path, target: str) -> str:
    from envbuild.cli.build import build_image

    return build_image(directory, target).image_id


def _show_calibration(done, output: Path | None, *, as_json: bool) -> None:
    import yaml

    from envbuild.core.spec.tolerances import tolerance_to_json

    proposed = {"metrics": {c.metric: tolerance_to_json(c.proposed) for c in done.results}}
    if output is not None:
        from envbuild.adapters.files import atomic_write

        atomic_write(output, "# proposed by envbuild reproduce --calibrate: review, then commit (--tolerances FILE,\n"
                             "# or under reproduce: in envbuild.yaml)\n" + yaml.safe_dump(proposed, sort_keys=True))
        progress(f"wrote {output}")
    if as_json:
        out(json.dumps({"schema": 1, "runs": len(done.runs), "seeds": list(done.seeds), "notes": list(done.notes),
                        "metrics": [{"metric": c.metric, "mean": c.mean, "std": c.std,
                                     "proposed": tolerance_to_json(c.proposed)} for c in done.results]},
                       sort_keys=True))
        return
    out(f"calibrated over {len(done.runs)} runs" + (f" (seeds {', '.join(done.seeds)})" if done.seeds else ""))
    for c in done.results:
        out(f"  {c.metric}: mean {c.mean:.10g}, σ {c.std:.3g} → abs {c.proposed.abs:.3g}")
    for note in done.notes:
        out(f"  note: {note}")
