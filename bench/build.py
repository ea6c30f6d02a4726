#!/usr/bin/env python3
"""Benchmark `envbuild build` on images/demo (prints, never asserts).

    python bench/build.py [--image-dir images/demo] [--target cpu]

Times: cold build (empty wheel cache, no Docker cache), cached rebuild (tag removed, Docker and
wheel caches warm), no-op rebuild (whole process), and the config normalisation step. Size: the
image against base + the installed venv. Peer: a plain single-stage `docker build` of the same
wheels (COPY wheels; RUN pip install), the way most ML Dockerfiles do it, timed and sized too.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def envbuild(args: list[str], env: dict[str, str]) -> tuple[float, dict, str]:
    start = time.perf_counter()
    done = subprocess.run([str(BIN / "envbuild"), *args, "--json"], capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return elapsed, json.loads(done.stdout), done.stderr


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--image-dir", default="images/demo")
    parser.add_argument("--target", default="cpu")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ENVBUILD_CACHE=str(Path(tmp) / "cache"))
        base_args = ["build", args.image_dir, "--target", args.target]
        cold, result, progress = envbuild(base_args + ["--no-cache"], env)
        normalise = float(re.search(r"normalised the image config in ([\d.]+) s", progress)[1])
        docker("rmi", result["image"])
        cached, again, _ = envbuild(base_args, env)
        noop, same, _ = envbuild(base_args, env)
        assert again["id"] == result["id"] == same["id"], "image IDs differ"

        image = result["image"]
        info = json.loads(docker("image", "inspect", image))[0]
        base_id = info["Config"]["Labels"]["org.opencontainers.image.base.digest"]
        base_size = json.loads(docker("image", "inspect", base_id))[0]["Size"]
        venv_size = int(docker("run", "--rm", "--network", "none", image, "du", "-sb", "/opt/venv").split()[0])
        size = info["Size"]

        # The peer: one stage, same base, same wheels, pip install in the image.
        ctx = Path(tmp) / "naive"
        (ctx / "wheels").mkdir(parents=True)
        for wheel in (Path(tmp) / "cache").rglob("*.whl"):
            (ctx / "wheels" / wheel.name).write_bytes(wheel.read_bytes())
        (ctx / "Dockerfile").write_text(
            f"FROM {base_id}\nCOPY wheels/ /wheels/\n"
            "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /wheels /wheels/*.whl\n"
            'ENV PATH=/opt/venv/bin:$PATH\n')
        start = time.perf_counter()
        subprocess.run(["docker", "build", "--no-cache", "-q", "-t", "envbuild-bench/naive", str(ctx)], check=True,
                       capture_output=True)
        naive_time = time.perf_counter() - start
        naive = json.loads(docker("image", "inspect", "envbuild-bench/naive"))[0]
        start = time.perf_counter()
        subprocess.run(["docker", "build", "--no-cache", "-q", "-t", "envbuild-bench/naive", str(ctx)], check=True,
                       capture_output=True)
        naive_id_2 = json.loads(docker("image", "inspect", "envbuild-bench/naive"))[0]["Id"]

    mb = 1e6
    print(f"image {image}")
    print(f"cold build (empty wheel cache, --no-cache): {cold:7.2f} s   plain docker build of the same wheels: "
          f"{naive_time:6.2f} s   ratio {cold / naive_time:.2f}x (envbuild includes the wheel download)")
    print(f"cached rebuild (tag removed)              : {cached:7.2f} s")
    print(f"no-op rebuild (whole process)             : {noop:7.2f} s   (target < 1 s)")
    print(f"config normalisation                      : {normalise:7.2f} s   (target < 0.5 s)")
    print(f"size: image {size / mb:.1f} MB = base {base_size / mb:.1f} MB + venv {venv_size / mb:.1f} MB "
          f"+ {(size - base_size - venv_size) / mb:.1f} MB ({(size / (base_size + venv_size) - 1) * 100:+.1f}%, target ≤ +5%)")
    print(f"plain docker build image: {naive['Size'] / mb:.1f} MB ({naive['Size'] / size:.2f}x envbuild's); "
          f"same ID on a second --no-cache build: {naive_id_2 == naive['Id']} (envbuild: True)")


if __name__ == "__main__":
    main()
