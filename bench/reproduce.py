#!/usr/bin/env python3
"""Benchmark `envbuild reproduce` (prints, never asserts).

    python bench/reproduce.py [--runs N] [--image-dir images/train] [--target cpu]

Starts an MLflow tracking server on 127.0.0.1, builds the image directory's image (a no-op when it is
there), trains in it once with `envbuild run` (the run to reproduce), then times per run:
  envbuild reproduce mlflow:runs:/ID    its preflight (image, `verify --files` against the recorded
                                         lock, data, hardware), its re-run, its total
  docker run --rm --network none IMAGE  the same training container started by hand (the peer: what
                                         a reproduction is without envbuild — no check, no verdict)
Medians of N runs. Targets (issue 34): the preflight ≤ 10 s on the demo image; the overhead of
reproduce over the hand-run container ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tracking import tracking_server

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image-dir", default="images/train")
    parser.add_argument("--target", default="cpu")
    args = parser.parse_args()
    envbuild = str(BIN / "envbuild")
    with tracking_server() as env:
        built = subprocess.run([envbuild, "build", args.image_dir, "--target", args.target, "--json"],
                               capture_output=True, text=True, env=env, cwd=REPO)
        if built.returncode != 0:
            sys.exit(f"build failed: {built.stderr[-800:]}")
        image = json.loads(built.stdout)["image"]
        ran = subprocess.run([envbuild, "run", args.image_dir, "--target", args.target, "--json"],
                             capture_output=True, text=True, env=env, cwd=REPO)
        if ran.returncode != 0:
            sys.exit(f"envbuild run failed: {ran.stderr[-800:]}")
        run_id = json.loads(ran.stdout)["run_id"]
        by_hand, total, preflight, training = [], [], [], []
        for _ in range(args.runs):
            seconds, done = timed(["docker", "run", "--rm", "--network", "none", image], env)
            if done.returncode != 0:
                sys.exit(f"docker run failed: {done.stderr[-500:]}")
            by_hand.append(seconds)
            seconds, done = timed([envbuild, "reproduce", f"mlflow:runs:/{run_id}", "--json"], env)
            if not done.stdout.strip():
                sys.exit(f"reproduce failed: {done.stderr[-800:]}")
            report = json.loads(done.stdout)
            if report["verdict"] != "bit-exact":
                sys.exit(f"reproduce: {report['verdict']}: {done.stdout[-800:]}")
            total.append(seconds)
            preflight.append(report["seconds"]["preflight"])
            training.append(report["seconds"]["training"])
    hand, whole = statistics.median(by_hand), statistics.median(total)
    print(f"image {image}, {args.runs} runs, medians")
    print(f"  docker run by hand (the training alone)     {hand:6.2f} s")
    print(f"  envbuild reproduce, total                   {whole:6.2f} s   ({whole / hand:.1f}x)")
    print(f"    preflight (image, files, data, hardware)  {statistics.median(preflight):6.2f} s   (target <= 10 s)")
    print(f"    re-run (container, training, metrics)     {statistics.median(training):6.2f} s")
    print(f"  overhead of reproduce over the hand run     {whole - hand:6.2f} s   (target <= 5 s)")


if __name__ == "__main__":
    main()
