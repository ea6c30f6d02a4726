"""envbuild's Python API, for training code: ``envbuild.record()``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from envbuild.adapters.places import Place
from envbuild.services.recording import Recorded
from envbuild.services.recording import record as _record


def record(*, run_id: str | None = None, files: bool = False, lock: str | os.PathLike[str] | None = None) -> Recorded:
    if run_id is None and "mlflow" in sys.modules:  # the training code's own active run, if it has one
        active = sys.modules["mlflow"].active_run()
        run_id = active.info.run_id if active is not None else None
    return _record(Place(kind="python", name=sys.executable), environ=os.environ, run_id=run_id,
                   lock_file=Path(lock) if lock is not None else None, files=files)
