"""envbuild: lock, build and verify ML environments."""

from envbuild.version import __version__

__all__ = ["__version__", "record"]


def record(run_id: str | None = None, *, files: bool = False, lock: str | None = None) -> object:
    """Log the environment of this interpreter into an MLflow run: the active run of the calling
    code's mlflow, else ``run_id``, else MLFLOW_RUN_ID. What it logs: see `envbuild record`.
    Importing envbuild stays cheap: mlflow and the rest load here, on the first call."""
    from envbuild.api import record as _record

    return _record(run_id=run_id, files=files, lock=lock)
