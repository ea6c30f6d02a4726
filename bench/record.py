#!/usr/bin/env python3
"""Benchmark `envbuild record` and `verify --against mlflow:…` (prints, never asserts).

    python bench/record.py [--runs N]

Starts an MLflow tracking server on 127.0.0.1 (sqlite, proxied artifacts) and, on envbuild's own
development venv (the interpreter running this script), times per run:
  envbuild record --lock locks/dev.txt        vs  pip freeze piped into mlflow's log_text (what a
                                                   training script records by hand: versions only)
  envbuild verify --against mlflow:runs:/ID   vs  the same pip freeze, downloaded and compared by hand
Medians of N runs; the ratios are envbuild / peer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tracking import tracking_server

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PEER_RECORD = """
import subprocess, sys
from mlflow import MlflowClient
frozen = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
MlflowClient().log_text(sys.argv[1], frozen, "freeze/requirements.txt")
"""
PEER_CHECK = """
import subprocess, sys, tempfile, pathlib
from mlflow import MlflowClient
with tempfile.TemporaryDirectory() as tmp:
    want = pathlib.Path(MlflowClient().download_artifacts(sys.argv[1], "freeze/requirements.txt", tmp)).read_text()
have = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
sys.exit(0 if set(want.split()) == set(have.split()) else 1)
"""


def median_time(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{argv[:4]} failed: {done.stderr[-500:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tracking_server() as env:
        from mlflow import MlflowClient

        os.environ.update(env)
        run_id = MlflowClient().create_run("0").info.run_id
        envbuild = [str(BIN / "envbuild")]
        record = median_time([*envbuild, "record", "--run-id", run_id, "--python", sys.executable,
                              "--lock", str(REPO / "locks" / "dev.txt")], args.runs, env)
        peer_record = median_time([sys.executable, "-c", PEER_RECORD, run_id], args.runs, env)
        check = median_time([*envbuild, "verify", "--python", sys.executable, "--allow-extra", "envbuild",
                             "--against", f"mlflow:runs:/{run_id}"], args.runs, env)
        peer_check = median_time([sys.executable, "-c", PEER_CHECK, run_id], args.runs, env)
    print(f"record:          envbuild {record:.2f} s   pip freeze + log_text {peer_record:.2f} s   "
          f"ratio {record / peer_record:.2f}x")
    print(f"verify --against: envbuild {check:.2f} s   download + pip freeze + compare {peer_check:.2f} s   "
          f"ratio {check / peer_check:.2f}x")


if __name__ == "__main__":
    main()
