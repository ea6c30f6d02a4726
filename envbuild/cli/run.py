"""envbuild run [DIR|IMAGE] [--target T] [-e NAME[=VALUE]]... [--data DIR] [--network MODE] [--record-file FILE] [-- ARGS]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from envbuild.cli.output import out, progress

if TYPE_CHECKING:
    from envbuild.core.spec.reproduce import ReproduceRules


def run(
    where: str = typer.Argument(None, help="An image directory (envbuild.yaml: its image is built when missing) or an "
                                "image reference (default: the nearest image directory)."),
    args: list[str] = typer.Argument(None, help="Arguments for the entrypoint, after -- (instead of the image's "
                                     "command, as docker run takes them)."),
    target: str = typer.Option(None, "--target", "-t", help="The target to train in (the only one if the spec has one)."),
    env: list[str] = typer.Option(None, "--env", "-e", help="NAME=VALUE set for the training, and recorded (a seed, a "
                                  "setting); NAME alone passes this environment's value, recorded by name only (a "
                                  "secret)."),
    data: Path | None = typer.Option(None, "--data", help="A DVC workspace: mounted read-only (at --data-mount), and its "
                              "dvc.lock's outputs recorded."),
    data_mount: str = typer.Option("/data", "--data-mount", help="Where the training sees --data."),
    network: str = typer.Option(None, "--network", help="none, host or bridge (default: none when the spec names a "
                                "metrics-file, else what reaches MLFLOW_TRACKING_URI: host for a server on this "
                                "machine, bridge otherwise)."),
    gpus: str = typer.Option(None, "--gpus", help="GPUs for the training, as docker run --gpus takes them (all, a "
                             "count, device=0,1): recorded, and a reproduction asks for the same."),
    record_file: Path | None = typer.Option(None, "--record-file", help="Also write the record here (one JSON file that "
                                     "reproduce reads; with no MLFLOW_TRACKING_URI, only here)."),
    files: bool = typer.Option(True, "--files/--no-files", help="Record every installed file's verdict (default: on)."),
    timeout: float = typer.Option(None, "--timeout", help="Stop the training after this many seconds."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Train in the image, as an MLflow run, and record that very container into the run."""
    import os
    import sys

    from envbuild.cli.discovery import spec_directory
    from envbuild.errors import CheckFailed, UserError
    from envbuild.services import recording

    rules: "ReproduceRules | None" = None
    definition: dict[str, str] | None = None
    given = Path(where) if where is not None else None
    if given is None or given.is_dir():
        from envbuild.adapters import git
        from envbuild.adapters.inputs import load_spec
        from envbuild.cli.build import build_image
        from envbuild.ecosystems import chosen_target

        directory = spec_directory(given)
        assert directory is not None  # required=True: it raises rather than answer None
        image = build_image(directory, target).ref
        spec = load_spec(directory)
        chosen = chosen_target(spec, target)
        rules = spec.reproduce_for(chosen)
        found = git.definition(directory)
        if found is not None:
            definition = {"commit": found[0], "path": found[1], "target": chosen.name}
        else:
            progress(f"note: {directory} has uncommitted changes (or is not in git): a reproduction cannot rebuild "
                     "this image if it is gone")
    else:
        if target:
            raise UserError("--target names a target of an image directory; an image reference has none")
        image = str(where)
    values, names = {}, []
    for item in env or []:
        name, eq, value = item.partition("=")
        if not name.isidentifier():
            raise UserError(f"-e {item!r}: expected NAME=VALUE or NAME")
        if eq:
            values[name] = value
        else:
            names.append(name)
    if gpus is not None and (gpus.startswith("-") or not gpus.strip()):
        raise UserError(f"--gpus {gpus!r}: expected all, a count or device=0,1 (as docker run --gpus takes it)")
    if data is not None and not data.is_dir():
        raise UserError(f"--data {data}: not a directory")
    trained = recording.train(image, environ=os.environ, args=args or None, rules=rules, definition=definition,
                              env=values, env_names=names, data=data, data_mount=data_mount, network=network,
                              gpus=gpus, record_file=record_file, files=files, timeout=timeout,
                              show=lambda line: print(line, file=sys.stderr, flush=True))
    if as_json:
        out(json.dumps({"schema": 1, "run_id": trained.run_id, "image": image, "exit_code": trained.exit_code,
                        "command": list(trained.command), "network": trained.network, "metrics": dict(trained.metrics),
                        "artifacts": list(trained.artifacts),
                        "record_file": str(trained.record_file) if trained.record_file else None}, sort_keys=True))
    else:
        where_to = f"run {trained.run_id}" if trained.run_id else str(trained.record_file)
        out(f"trained in {image} (network {trained.network}): {' '.join(trained.command)} exited {trained.exit_code}")
        if trained.metrics:
            out("metrics: " + ", ".join(f"{k} {v:g}" for k, v in sorted(trained.metrics.items())))
        out(f"recorded into {where_to}: {len(trained.artifacts)} artifacts under envbuild/")
        if trained.run_id:
            out(f"reproduce it: envbuild reproduce mlflow:runs:/{trained.run_id}")
    if trained.metrics_file:
        progress(f"warning: the training wrote no {trained.metrics_file} (the spec's metrics-file): the run has no "
                 "metrics to reproduce against")
    if trained.exit_code != 0:
        raise CheckFailed(f"the training exited {trained.exit_code} (recorded all the same)")
