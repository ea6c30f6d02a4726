"""MLflow, through its own client: log a record into a run, read one back (by run, model version or alias).

Imported only by `record` and by a `mlflow:` source (mlflow takes about a second to import). The
tracking server and the registry are MLFLOW_TRACKING_URI's (and MLFLOW_REGISTRY_URI's), and
credentials stay where MLflow reads them (MLFLOW_TRACKING_TOKEN, …, in the environment): envbuild
never puts them in a message — a URI with a password in it is shown without it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from envbuild.core.lineage.record import ARTIFACT_DIR, RUN_ID, Source
from envbuild.core.redact import redact_text, strip_credentials
from envbuild.errors import ToolUnavailable, UserError

MAX_ARTIFACT = 64 << 20  # a recorded artifact larger than this is not one envbuild wrote


def _client(environ: Mapping[str, str]) -> Any:
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ToolUnavailable("MLflow is not installed here", hint="pip install 'envbuild[mlflow]'") from None
    return MlflowClient(tracking_uri=environ.get("MLFLOW_TRACKING_URI") or None,
                        registry_uri=environ.get("MLFLOW_REGISTRY_URI") or None)


def _reading_client(environ: Mapping[str, str], what: str) -> Any:
    """A client to read a run with. MLflow's default store (no MLFLOW_TRACKING_URI) is a new
    `sqlite:///mlflow.db` in the current directory: reading from it would create a database where the
    user stands and then find nothing. So with no URI, only a local store that exists here is read."""
    if not environ.get("MLFLOW_TRACKING_URI") and not any(Path(name).exists() for name in ("mlflow.db", "mlruns")):
        raise UserError(f"{what}: no MLflow tracking server is named (MLFLOW_TRACKING_URI is unset) and there is no "
                        "local store here (mlflow.db, mlruns/)",
                        hint="set MLFLOW_TRACKING_URI to the server that holds the run, e.g. http://127.0.0.1:5000")
    return _client(environ)


def _where(environ: Mapping[str, str]) -> str:
    uri = environ.get("MLFLOW_TRACKING_URI")
    return strip_credentials(uri) if uri else "the default tracking store"


@contextmanager
def _answering(what: str, environ: Mapping[str, str]) -> Iterator[None]:
    """MLflow's errors as envbuild's: a missing run or model is the user's (2), anything else the server's (5)."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        first = redact_text(str(exc.message if hasattr(exc, "message") else exc)).strip().splitlines()[0][:300]
        if getattr(exc, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            raise UserError(f"{what}: not found at {_where(environ)}: {first}",
                            hint="check MLFLOW_TRACKING_URI and the run ID, model name, version or alias") from None
        raise ToolUnavailable(f"{what}: MLflow at {_where(environ)} failed: {first}") from None
    except OSError as exc:
        raise ToolUnavailable(f"{what}: MLflow at {_where(environ)} cannot be reached: {exc}") from None


def log_record(run_id: str, artifacts: Mapping[str, str], tags: Mapping[str, str], *,
               environ: Mapping[str, str]) -> str:
    """Log ``artifacts`` under envbuild/ and set ``tags`` on the run; the run's artifact URI."""
    client = _client(environ)
    with _answering(f"run {run_id}", environ):
        run = client.get_run(run_id)
        if run.info.lifecycle_stage == "deleted":
            raise UserError(f"run {run_id} is deleted", hint="restore it, or record into another run")
        for name, text in sorted(artifacts.items()):
            client.log_text(run_id, text, f"{ARTIFACT_DIR}/{name}")
        for key, value in sorted(tags.items()):
            client.set_tag(run_id, key, value)
        return str(run.info.artifact_uri)


def run_of(source: Source, *, environ: Mapping[str, str]) -> str:
    """The run behind a source: itself, or the one that logged the model version (or the alias's)."""
    if source.run_id:
        return source.run_id
    client = _reading_client(environ, source.label)
    with _answering(source.label, environ):
        if source.version:
            found = client.get_model_version(source.model, source.version)
        else:
            found = client.get_model_version_by_alias(source.model, source.alias)
    if not found.run_id:
        raise UserError(f"{source.label}: this model version was not logged by a run (no run ID)",
                        hint="verify against the run that trained it: mlflow:runs:/<run_id>")
    return str(found.run_id)


def read_record(run_id: str, *, environ: Mapping[str, str]) -> dict[str, str]:
    """The envbuild/ artifacts of a run, name → text (empty when nothing was recorded there)."""
    client = _reading_client(environ, f"run {run_id}")
    with _answering(f"run {run_id}", environ), tempfile.TemporaryDirectory(prefix="envbuild-mlflow-") as tmp:
        client.get_run(run_id)  # a missing run is "not found", not an empty record
        listed = client.list_artifacts(run_id, ARTIFACT_DIR)
        names = [Path(item.path).name for item in listed if not item.is_dir]
        for item in listed:  # the sizes the server lists are refused before anything is downloaded
            if not item.is_dir and (item.file_size or 0) > MAX_ARTIFACT:
                raise UserError(f"run {run_id}: {item.path} is over {MAX_ARTIFACT >> 20} MB: not a record envbuild wrote")
        # the directory in one request when it holds only files (each file alone costs a round trip and
        # more: 2 s against 0.4 s for a record's seven); anything else under it, file by file
        whole = Path(client.download_artifacts(run_id, ARTIFACT_DIR, tmp)) if names and \
            not any(item.is_dir for item in listed) else None
        out = {}
        for name in names:
            local = whole / name if whole is not None else \
                Path(client.download_artifacts(run_id, f"{ARTIFACT_DIR}/{name}", tmp))
            if local.stat().st_size > MAX_ARTIFACT:
                raise UserError(f"run {run_id}: {ARTIFACT_DIR}/{name} is over {MAX_ARTIFACT >> 20} MB: "
                                "not a record envbuild wrote")
            try:
                out[name] = local.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UserError(f"run {run_id}: {ARTIFACT_DIR}/{name} is not UTF-8 text: "
                                "not a record envbuild wrote") from None
        return out


def start_run(environ: Mapping[str, str], *, run_id: str | None = None, run_name: str | None = None,
              tags: Mapping[str, str] | None = None, experiment_id: str | None = None) -> tuple[str, str]:
    """(run ID, experiment ID): the run ``run_id`` names (joined, as MLFLOW_RUN_ID is by mlflow), else a
    new one in ``experiment_id``, MLFLOW_EXPERIMENT_ID's, MLFLOW_EXPERIMENT_NAME's (made when new) or the
    default experiment."""
    client = _client(environ)
    with _answering(f"run {run_id}" if run_id else "a new run", environ):
        if run_id:
            run = client.get_run(run_id)
            if run.info.lifecycle_stage == "deleted":
                raise UserError(f"run {run_id} is deleted", hint="restore it, or unset MLFLOW_RUN_ID for a new run")
            for key, value in sorted((tags or {}).items()):
                client.set_tag(run_id, key, value)
            return run_id, str(run.info.experiment_id)
        experiment = experiment_id or environ.get("MLFLOW_EXPERIMENT_ID")
        if not experiment and environ.get("MLFLOW_EXPERIMENT_NAME"):
            name = environ["MLFLOW_EXPERIMENT_NAME"]
            found = client.get_experiment_by_name(name)
            experiment = found.experiment_id if found else client.create_experiment(name)
        run = client.create_run(str(experiment or "0"), run_name=run_name, tags=dict(tags or {}))
        return str(run.info.run_id), str(run.info.experiment_id)


def finish_run(run_id: str, *, ok: bool, environ: Mapping[str, str]) -> None:
    import contextlib
    import io

    client = _client(environ)
    # MLflow prints the run's URL on standard output as it ends one: it would break --json
    with _answering(f"run {run_id}", environ), contextlib.redirect_stdout(io.StringIO()):
        client.set_terminated(run_id, "FINISHED" if ok else "FAILED")


def log_metrics(run_id: str, metrics: Mapping[str, float], *, environ: Mapping[str, str]) -> None:
    import time

    from mlflow.entities import Metric

    client = _client(environ)
    now = int(time.time() * 1000)
    items = [Metric(key=key, value=float(value), timestamp=now, step=0) for key, value in sorted(metrics.items())]
    with _answering(f"run {run_id}", environ):
        for start in range(0, len(items), 500):  # MLflow takes at most 1000 metrics a batch
            client.log_batch(run_id, metrics=items[start:start + 500])


def run_metrics(run_id: str, *, environ: Mapping[str, str]) -> tuple[dict[str, float], str]:
    """(the run's metrics, each at its last logged value; its experiment ID)."""
    client = _reading_client(environ, f"run {run_id}")
    with _answering(f"run {run_id}", environ):
        run = client.get_run(run_id)
        return {str(k): float(v) for k, v in run.data.metrics.items()}, str(run.info.experiment_id)


def reproductions(run_id: str, experiment_id: str, *, environ: Mapping[str, str]) -> list[dict[str, Any]]:
    """The runs that reproduced ``run_id`` (tag envbuild.reproduces), newest first: their ID, start
    time (ms since the epoch), mode and verdict."""
    if not RUN_ID.fullmatch(run_id):  # it goes into a filter string
        raise UserError(f"{run_id}: not an MLflow run ID")
    client = _reading_client(environ, f"run {run_id}")
    with _answering(f"run {run_id}", environ):
        found = client.search_runs([experiment_id], filter_string=f"tags.`envbuild.reproduces` = '{run_id}'",
                                   order_by=["attributes.start_time DESC"], max_results=200)
    return [{"run_id": r.info.run_id, "start_time": r.info.start_time, "mode": r.data.tags.get("envbuild.reproduce.mode"),
             "verdict": r.data.tags.get("envbuild.reproduce.verdict")} for r in found]


# What a training's own mlflow needs to log into the run envbuild made. Passed by name to `docker exec`:
# the values stay in this process's environment, never on a command line, in a container's
# configuration or in an image.
CONTAINER_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
                       "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_SERVER_CERT_PATH",
                       "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def container_env(environ: Mapping[str, str], run_id: str, experiment_id: str) -> dict[str, str]:
    env = {name: environ[name] for name in CONTAINER_VARIABLES if environ.get(name)}
    return {**env, "MLFLOW_RUN_ID": run_id, "MLFLOW_EXPERIMENT_ID": experiment_id}
