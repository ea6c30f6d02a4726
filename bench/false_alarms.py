#!/usr/bin/env python3
"""The zero-false-alarm corpus (issue 32, item 9): the most-downloaded ML wheels, installed from one
hashed lock with uv and with pip, then `envbuild verify --files` of each venv. A clean environment
must give no finding at all: a verifier that cries wolf gets switched off. Prints, never asserts
(tests/integration/test_false_alarms.py runs the check on a subset in CI).

    python bench/false_alarms.py [--subset N] [--keep DIR]

Everything from PyPI as of the lock's date: torch is PyPI's Linux build, with its nvidia-* CUDA
wheels (download.pytorch.org, where the CPU build lives, is not reachable from every machine).
Also timed: verify and verify --files of each venv, against `uv pip sync --dry-run --offline`
(uv's own "does this venv match the lock").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CORPUS = """numpy scipy pandas scikit-learn torch transformers tokenizers pyarrow mlflow ffmpy matplotlib pillow
requests pyyaml tqdm huggingface-hub safetensors regex sentencepiece protobuf grpcio onnx onnxruntime xgboost
lightgbm statsmodels sympy networkx jinja2 fsspec aiohttp pydantic fastapi uvicorn gradio datasets accelerate
numba llvmlite opencv-python-headless scikit-image seaborn plotly polars duckdb h5py tensorboard einops
nltk optuna""".split()


def run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = run(argv)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subset", type=int, default=len(CORPUS), help="the first N packages of the corpus")
    parser.add_argument("--keep", help="reuse (or create) the lock and venvs here")
    args = parser.parse_args()
    corpus = CORPUS[:args.subset]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="envbuild-bench-corpus-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, UV_NO_CONFIG="1", PIP_CONFIG_FILE=os.devnull)
    lock = work / "lock.txt"
    if not lock.exists():
        (work / "corpus.in").write_text("\n".join(corpus) + "\n")
        done = run([BIN / "uv", "pip", "compile", "--generate-hashes", "--quiet", "--python-version",
                    f"{sys.version_info.major}.{sys.version_info.minor}", "--python-platform", "x86_64-manylinux_2_28",
                    "--exclude-newer", "2026-11-01T00:00:00Z", work / "corpus.in", "-o", lock], env=env)
        if done.returncode:
            sys.exit(done.stderr)
    pins = sum(1 for line in lock.read_text().splitlines() if "==" in line and not line.startswith(" "))
    rows = []
    for installer in ("uv", "pip"):
        venv = work / installer
        python = venv / "bin" / "python"
        if not python.exists():
            run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
            argv = ([BIN / "uv", "pip", "install", "--python", python, "--require-hashes", "-r", lock]
                    if installer == "uv" else
                    [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--require-hashes", "-r", lock])
            done = run(argv, env=env)
            if done.returncode:
                sys.exit(f"{installer}: {done.stderr[-2000:]}")
        envbuild = [BIN / "envbuild", "verify", "--python", python, "--lock", lock, "--json"]
        run(envbuild)  # the wheels into the cache, the interpreter's facts cached: not what is timed
        run([*envbuild, "--files"])
        meta, plain = timed(envbuild)
        files, checked = timed([*envbuild, "--files"])
        uv, _ = timed([BIN / "uv", "pip", "sync", "--dry-run", "--offline", "--python", python, lock])
        findings = json.loads(checked.stdout)["findings"] + json.loads(plain.stdout)["findings"]
        dists = len(json.loads(run([BIN / "envbuild", "snapshot", "--python", python]).stdout)["distributions"])
        rows.append((installer, dists, findings, meta, files, uv))
    print(f"corpus: {len(corpus)} requested packages, {pins} pins in the lock (Python "
          f"{sys.version_info.major}.{sys.version_info.minor}, {os.cpu_count()} cores)")
    for installer, dists, findings, meta, files, uv in rows:
        print(f"  installed by {installer:3}: {dists} distributions checked, findings: {len(findings)}; "
              f"verify {meta:.2f} s, verify --files {files:.2f} s, uv pip sync --dry-run --offline {uv:.2f} s "
              f"(envbuild/uv {meta / uv:.2f}x)")
        for finding in findings[:10]:
            print(f"    {finding['severity']:8} {finding['kind']:10} {finding['name']}: {finding.get('detail', '')[:100]}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
