#!/usr/bin/env python3
"""Benchmark layered images: a cold build, then one small package bumped (prints, never asserts).

    python bench/layers.py [--requirements "numpy scipy pandas scikit-learn pyarrow"] [--bump tqdm==4.66.5:tqdm==4.67.1]

A local registry (Debian's docker-registry) on 127.0.0.1 receives both pushes; what it stores after
each is measured on its disk, and what a pull of the bumped image downloads next to the first one is
the manifest's layers the first image lacks. The peer is a plain single-stage Dockerfile of the same
wheels (COPY wheels; RUN pip install), built --no-cache in the same run. For the CUDA stack of the
issue: --requirements "torch==2.9.1" (3.9 GB of wheels; needs ~40 GB of disk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
SPEC = """name: {registry}/bench/layers
python: "3.11"
exclude-newer: 2026-11-01
base: envbuild/base:bookworm
requirements: requirements.in
targets:
  cpu: {{}}
"""


def run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:3])} failed:\n{done.stderr[-3000:]}")
    return done


def envbuild(env: dict[str, str], *args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    done = run(str(BIN / "envbuild"), *args, env=env)
    return time.perf_counter() - start, json.loads(done.stdout) if "--json" in args else {}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def manifest_layers(registry: str, repo: str, tag: str) -> dict[str, int]:
    request = urllib.request.Request(f"http://{registry}/v2/{repo}/manifests/{tag}",
                                     headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    with urllib.request.urlopen(request) as response:
        return {layer["digest"]: layer["size"] for layer in json.load(response)["layers"]}


def start_registry(root: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root.mkdir(parents=True)
    (root / "config.yml").write_text(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
                                     f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen([shutil.which("docker-registry") or "docker-registry", "serve", str(root / "config.yml")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc, f"127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requirements", default="numpy scipy pandas scikit-learn pyarrow")
    parser.add_argument("--bump", default="tqdm==4.66.5:tqdm==4.67.1", help="OLD:NEW, a small package")
    args = parser.parse_args()
    old, new = args.bump.split(":")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, registry = start_registry(work / "registry")
        try:
            env = dict(os.environ, ENVBUILD_CACHE=str(work / "cache"))
            image = work / "img"
            image.mkdir()
            (image / "envbuild.yaml").write_text(SPEC.format(registry=registry))
            reqs = "\n".join(args.requirements.split()) + "\n"
            (image / "requirements.in").write_text(reqs + old + "\n")
            envbuild(env, "lock", str(image))
            cold, first = envbuild(env, "build", str(image), "--target", "cpu", "--no-cache", "--push", "--json")
            stored_first = du(work / "registry" / "data")
            tag1 = first["image"].rsplit(":", 1)[1]

            # The peer, from the very wheels envbuild fetched.
            ctx = work / "naive"
            (ctx / "wheels").mkdir(parents=True)
            for wheel in (work / "cache" / "wheels").rglob("*.whl"):
                shutil.copyfile(wheel, ctx / "wheels" / wheel.name)
            labels = json.loads(run("docker", "image", "inspect", first["image"]).stdout)[0]["Config"]["Labels"]
            base_id = labels["org.opencontainers.image.base.digest"]
            (ctx / "Dockerfile").write_text(
                f"FROM {base_id}\nCOPY wheels/ /wheels/\n"
                "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /wheels "
                + " ".join(p.split("==")[0] for p in (args.requirements.split() + [old])) + "\n")
            start = time.perf_counter()
            run("docker", "build", "--no-cache", "-q", "-t", "envbuild-bench/naive-layers", str(ctx))
            naive = time.perf_counter() - start
            naive_size = json.loads(run("docker", "image", "inspect", "envbuild-bench/naive-layers").stdout)[0]["Size"]

            (image / "requirements.in").write_text(reqs + new + "\n")
            envbuild(env, "lock", str(image))
            bump, second = envbuild(env, "build", str(image), "--target", "cpu", "--push", "--json")
            pushed = du(work / "registry" / "data") - stored_first
            tag2 = second["image"].rsplit(":", 1)[1]
            repo = first["image"].split("/", 1)[1].rsplit(":", 1)[0]
            before, after = manifest_layers(registry, repo, tag1), manifest_layers(registry, repo, tag2)
            pull = sum(size for digest, size in after.items() if digest not in before)

            base_size = json.loads(run("docker", "image", "inspect", base_id).stdout)[0]["Size"]
            installed = int(run("docker", "run", "--rm", "--network", "none", "--entrypoint", "du", second["image"],
                                "-sb", "/opt/venv", "/etc/envbuild").stdout.split()[0])
        finally:
            proc.terminate()
    mb = 1e6
    print(f"stack: {args.requirements} + {old} → {new}")
    print(f"cold build (--no-cache, wheels cached)   : {first['phases'].get('build', 0):7.1f} s of docker build "
          f"({cold:.1f} s with download and push)   plain Dockerfile: {naive:6.1f} s   "
          f"ratio {first['phases'].get('build', 0) / naive:.2f}x (target ≤ 1.0x)")
    print(f"after the bump: rebuild {second['phases'].get('build', 0):6.1f} s "
          f"({second['phases'].get('build', 0) / first['phases'].get('build', 1) * 100:.0f} % of the cold build, target ≤ 10 %)")
    print(f"push of the bumped image stored {pushed / mb:.1f} MB in the registry (target ≤ 50 MB); "
          f"a pull next to the first image downloads {pull / mb:.1f} MB (target ≤ 50 MB)")
    print(f"layers: " + ", ".join(f"{layer['name']} {layer['size'] / mb:.1f} MB" for layer in second["layers"]))
    print(f"size: image {second['size'] / mb:.1f} MB = base {base_size / mb:.1f} + installed {installed / mb:.1f} MB "
          f"({(second['size'] / (base_size + installed) - 1) * 100:+.1f} %, target ≤ +5 %); "
          f"plain Dockerfile image {naive_size / mb:.1f} MB")


if __name__ == "__main__":
    main()
