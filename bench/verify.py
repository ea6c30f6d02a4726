#!/usr/bin/env python3
"""Benchmark `envbuild verify` (prints, never asserts).

    python bench/verify.py [--runs N] [--keep DIR] [--image REF]

Builds a venv of ~150 distributions from PyPI (bench/ml-requirements.in plus mlflow, which shares
files with mlflow-skinny, and jupyterlab), locked by envbuild and installed with uv, then times:
  envbuild verify (whole process)  vs  uv pip sync --dry-run --offline (the same lock, the same
                                       venv: uv's own "does this venv match the lock"), uv pip
                                       freeze, pip freeze, pip check
  the same on envbuild's own dev venv (.venv, locks/dev.txt), as `envbuild verify --lock` run
  with that venv activated (VIRTUAL_ENV), against uv pip sync --dry-run --offline
Runs are interleaved (envbuild, then each peer, repeated), medians reported.
  envbuild verify --files          vs  xargs -P2 sha256sum over the same files (throughput; whole
                                       process: walking, hashing, the locked wheels' RECORD, the report)
and checks that --files reports nothing modified where several distributions list the same path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def paired(commands: dict[str, list[str]], runs: int, **kw) -> dict[str, float]:
    """Medians of interleaved runs: a noisy machine slows every command alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            run(argv, **kw)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def image_bench(ref: str, runs: int) -> None:
    """verify --image REF, metadata and --files, whole process, against reading the image once
    through the engine (what --files now does besides the probe)."""
    envbuild = [str(BIN / "envbuild"), "verify", "--image", ref]
    run([*envbuild, "--files"])  # the wheels into the cache
    export = f"c=$(docker create --entrypoint /x {ref}) && docker export $c > /dev/null; docker rm -f $c > /dev/null"
    medians = paired({"verify --image": envbuild, "verify --image --files": [*envbuild, "--files"],
                      "docker create + export": ["sh", "-c", export]}, runs)
    peer = medians.pop("docker create + export")
    for name, seconds in medians.items():
        print(f"envbuild {name} {ref} (median of {runs}): {seconds:.2f} s   /  docker create + export {peer:.2f} s "
              f"= {seconds / peer:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="reuse (or create) the bench venv here")
    parser.add_argument("--image", help="also time verify --image REF (and --files) against the engine's "
                        "own export of it (docker create + export to /dev/null)")
    args = parser.parse_args()
    if args.image:
        image_bench(args.image, args.runs)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="envbuild-bench-verify-"))
    image, venv = work / "img", work / "venv"
    if not (venv / "bin" / "python").exists():
        image.mkdir(parents=True, exist_ok=True)
        reqs = (HERE / "ml-requirements.in").read_text() + "mlflow\njupyterlab\n"
        (image / "requirements.in").write_text(reqs)
        (image / "envbuild.yaml").write_text(f'name: bench\npython: "{PY}"\nexclude-newer: 2026-11-01\n'
                                             "requirements: requirements.in\ntargets:\n  cpu: {}\n")
        done = run([str(BIN / "envbuild"), "lock", str(image)])
        if done.returncode:
            sys.exit(done.stderr)
        run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = run([str(BIN / "uv"), "pip", "install", "--python", str(venv / "bin" / "python"), "--require-hashes",
                    "-r", str(image / "locks" / "cpu.txt")], env=dict(os.environ, UV_NO_CONFIG="1"))
        if done.returncode:
            sys.exit(done.stderr)
    python = str(venv / "bin" / "python")
    lock = str(image / "locks" / "cpu.txt")
    dists = len(json.loads(run([str(BIN / "envbuild"), "snapshot", "--python", python]).stdout)["distributions"])

    uv = str(BIN / "uv")
    run([str(BIN / "envbuild"), "verify", "--lock", lock, "--python", python])  # the interpreter's facts, cached
    medians = paired({"envbuild verify": [str(BIN / "envbuild"), "verify", "--lock", lock, "--python", python],
                      "uv pip sync --dry-run --offline": [uv, "pip", "sync", "--dry-run", "--offline", "--python",
                                                          python, lock],
                      "uv pip freeze": [uv, "pip", "freeze", "--python", python],
                      "pip freeze": [python, "-m", "pip", "freeze"],
                      "pip check": [python, "-m", "pip", "check"]}, args.runs)
    verify = medians.pop("envbuild verify")
    peers = medians
    repo = HERE.parent
    dev_env = dict(os.environ, VIRTUAL_ENV=str(repo / ".venv"))
    dev = paired({"envbuild": [str(BIN / "envbuild"), "verify", "--lock", str(repo / "locks" / "dev.txt")],
                  "uv": [uv, "pip", "sync", "--dry-run", "--offline", "--python", str(repo / ".venv" / "bin" / "python"),
                         str(repo / "locks" / "dev.txt")]}, args.runs, env=dev_env, cwd=str(repo))
    result = run([str(BIN / "envbuild"), "verify", "--lock", lock, "--python", python, "--files", "--json"])
    report = json.loads(result.stdout)
    site = next((venv / "lib").glob("python*/site-packages"))
    listing = work / "files.txt"
    paths = [str(p) for p in site.rglob("*") if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts]
    listing.write_text("\0".join(paths))
    size = sum(os.path.getsize(p) for p in paths)
    hashing = paired({"envbuild": [str(BIN / "envbuild"), "verify", "--lock", lock, "--python", python, "--files"],
                      "sha256sum": ["sh", "-c", f"xargs -0 -P2 -n 200 sha256sum < {listing} > /dev/null"]},
                     max(3, args.runs // 2))
    files_time, sha = hashing["envbuild"], hashing["sha256sum"]
    shared = [f for f in report["findings"] if f["kind"] == "modified" and f["name"].startswith("mlflow")]

    print(f"venv: {dists} distributions, {len(paths)} files, {size / 1e6:.0f} MB (Python {PY}, {os.cpu_count()} cores)")
    print(f"envbuild verify --python VENV (whole process, median of {args.runs}): {verify:.3f} s")
    for name, seconds in peers.items():
        print(f"  {name:32} {seconds:.3f} s   envbuild/peer {verify / seconds:.2f}x")
    print(f"envbuild's dev venv (VIRTUAL_ENV, locks/dev.txt): envbuild verify {dev['envbuild']:.3f} s, "
          f"uv pip sync --dry-run --offline {dev['uv']:.3f} s, envbuild/uv {dev['envbuild'] / dev['uv']:.2f}x "
          "(target <= 1.00x)")
    print(f"envbuild verify --files: {files_time:.2f} s = {size / files_time / 1e6:.0f} MB/s   "
          f"xargs -P2 sha256sum: {sha:.2f} s = {size / sha / 1e6:.0f} MB/s   throughput ratio {sha / files_time:.2f}x "
          "(issue 16: >= 2x)")
    print(f"--files findings: {len(report['findings'])} (mlflow/mlflow-skinny shared paths reported modified: "
          f"{len(shared)}, expected 0); exit {result.returncode}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
