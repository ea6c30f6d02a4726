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

from envbuild.core.lineage import ARTIFACT_DIR, Source
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
        names = [Path(item.path).name for item in client.list_artifacts(run_id, ARTIFACT_DIR) if not item.is_dir]
        out = {}
        for name in names:
            local = Path(client.download_artifacts(run_id, f"{ARTIFACT_DIR}/{name}", tmp))
            if local.stat().st_size > MAX_ARTIFACT:
                raise UserError(f"run {run_id}: {ARTIFACT_DIR}/{name} is over {MAX_ARTIFACT >> 20} MB: "
                                "not a record envbuild wrote")
            try:
                out[name] = local.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise UserError(f"run {run_id}: {ARTIFACT_DIR}/{name} is not UTF-8 text: "
                                "not a record envbuild wrote") from None
        return out
