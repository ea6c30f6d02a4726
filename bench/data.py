#!/usr/bin/env python3
"""Benchmark `envbuild verify --data` against `dvc status --json` itself (prints, never asserts).

    python bench/data.py [--runs N] [--files N] [--megabytes M]

Makes a DVC workspace in a temporary directory (git + `dvc init`, a raw directory of N files of M MB
in all, a `prepare` stage that copies it into a directory output), reproduces it, then times per run,
with DVC's state cache warm as in a CI job that checks out and verifies:
  envbuild verify --data              vs  dvc status --json        (the check envbuild drives)
  envbuild verify --data --against S  vs  dvc status + a dvc.lock compare by hand (S: a snapshot)
DVC is the one `make tools` installs (.tools/dvc), else the one on PATH. Medians of N runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENVBUILD = [sys.executable, "-m", "envbuild"]
PEER_COMPARE = """
import json, subprocess, sys, yaml
status = json.loads(subprocess.run([sys.argv[1], "status", "--json"], capture_output=True, text=True).stdout)
want = {o["path"]: o["value"] for o in json.load(open(sys.argv[2]))["data"]["outputs"]}
have = {o["path"]: o["md5"] for s in yaml.safe_load(open("dvc.lock"))["stages"].values() for o in s.get("outs", [])}
sys.exit(1 if status or want != have else 0)
"""


def median_time(argv: list[str], runs: int, cwd: Path, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            sys.exit(f"{argv[:4]} failed: {done.stdout[-300:]} {done.stderr[-500:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    dvc = REPO / ".tools" / "dvc" / "bin" / "dvc"
    dvc = str(dvc) if dvc.is_file() else shutil.which("dvc")
    if not dvc:
        sys.exit("no DVC: run 'make tools'")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        raw = root / "data" / "raw"
        raw.mkdir(parents=True)
        bin_dir = Path(tmp) / "bin"
        bin_dir.mkdir()
        (bin_dir / "dvc").symlink_to(dvc)
        env = dict(os.environ, DVC_NO_ANALYTICS="1", PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                   PYTHONPATH=str(REPO))
        size = args.megabytes * 1024 * 1024 // args.files
        for i in range(args.files):
            (raw / f"{i:06d}.bin").write_bytes(os.urandom(size))
        for argv in (["git", "init", "-q"], [dvc, "init", "-q"],
                     [dvc, "stage", "add", "-q", "-n", "prepare", "-d", "data/raw", "-o", "data/features",
                      "cp -r data/raw data/features"], [dvc, "repro", "-q"]):
            subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)
        snapshot = Path(tmp) / "trained.json"
        subprocess.run([*ENVBUILD, "snapshot", "-o", str(snapshot)], cwd=root, env=env, check=True)
        subprocess.run([dvc, "status", "--json"], cwd=root, env=env, check=True, capture_output=True)  # warm
        rows = [
            ("envbuild verify --data", median_time([*ENVBUILD, "verify", "--data"], args.runs, root, env),
             "dvc status --json", median_time([dvc, "status", "--json"], args.runs, root, env)),
            ("envbuild verify --data --against snapshot",
             median_time([*ENVBUILD, "verify", "--data", "--against", str(snapshot)], args.runs, root, env),
             "dvc status + dvc.lock compare by hand",
             median_time([sys.executable, "-c", PEER_COMPARE, dvc, str(snapshot)], args.runs, root, env)),
        ]
    print(f"DVC workspace: {args.files} files, {args.megabytes} MB in data/raw and again in data/features; "
          f"medians of {args.runs}")
    for name, mine, peer_name, peer in rows:
        print(f"  {name:44s} {mine:6.2f} s   {peer_name:40s} {peer:6.2f} s   ratio {mine / peer:.2f}x")


if __name__ == "__main__":
    main()
