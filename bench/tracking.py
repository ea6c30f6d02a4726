"""A throwaway MLflow tracking server on 127.0.0.1 for the benchmarks that record into runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


@contextmanager
def tracking_server() -> Iterator[dict[str, str]]:
    """The environment that names the server (MLFLOW_TRACKING_URI), for as long as the block runs."""
    with tempfile.TemporaryDirectory() as root, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}", "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no job runner: its consumers would load the machine
        server = subprocess.Popen([str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
                                   "--backend-store-uri", f"sqlite:///{root}/db", "--artifacts-destination",
                                   f"{root}/artifacts"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        try:
            for _ in range(240):
                try:
                    urllib.request.urlopen(f"{env['MLFLOW_TRACKING_URI']}/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.5)
            yield env
        finally:
            server.terminate()
            server.wait(timeout=30)
