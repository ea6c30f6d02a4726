"""envbuild's Python API, for training code: ``envbuild.record()``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from envbuild.adapters.places import Place
from envbuild.services.recording import Recorded
from envbuild.services.recording import record as _record


def record(*, run_id: str | None = None, files: bool = False, lock: str | os.PathLike[str] | None = None,
           dvc_lock: str | os.PathLike[str] | None = None) -> Recorded:
    """Log this interpreter's environment into the active MLflow run (else ``run_id``, else
    MLFLOW_RUN_ID): its snapshot (``files``: every installed file's verdict), ``lock``'s lock and SBOM,
    and the data versions of ``dvc_lock`` (default: ./dvc.lock when there is one)."""
    if run_id is None and "mlflow" in sys.modules:  # the training code's own active run, if it has one
        active = sys.modules["mlflow"].active_run()
        run_id = active.info.run_id if active is not None else None
    command = list(getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv])  # how this training started
    return _record(Place(kind="python", name=sys.executable), environ=os.environ, run_id=run_id,
                   lock_file=Path(lock) if lock is not None else None, files=files,
                   dvc_lock=Path(dvc_lock) if dvc_lock is not None else None, command=command, workdir=os.getcwd())
