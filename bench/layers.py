#!/usr/bin/env python3
"""Benchmark layered images: a cold build under each builder, then one small package bumped (prints,
never asserts).

    python bench/layers.py [--requirements "numpy scipy pandas scikit-learn pyarrow"] [--bump tqdm==4.66.5:tqdm==4.67.1]

A local registry (Debian's docker-registry) on 127.0.0.1 receives both pushes; what it stores after
each is measured on its disk, and what a pull of the bumped image downloads next to the first one is
the manifest's layers the first image lacks. Two peers, from the very wheels envbuild fetched, built
--no-cache in the same run: what a user writes today for BuildKit (one RUN --mount=type=bind of the
wheels and `uv pip install --offline --require-hashes --compile-bytecode` of envbuild's own lock),
compared with envbuild's BuildKit build; and a plain single-stage pip Dockerfile (COPY wheels; RUN
pip install) under the classic builder, compared with envbuild's classic fallback. For the CUDA stack
of the issue: --requirements "torch==2.9.1" (3.9 GB of wheels; needs ~40 GB of disk).
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
    parser.add_argument("--no-classic", action="store_true", help="skip the classic builder's pair (torch: disk)")
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
            labels = json.loads(run("docker", "image", "inspect", first["image"]).stdout)[0]["Config"]["Labels"]
            base_id = labels["org.opencontainers.image.base.digest"]
            from envbuild.core.image.plan import pinned_base_tag

            base_tag = pinned_base_tag(labels["org.opencontainers.image.base.name"], base_id)  # BuildKit needs a name
            run("docker", "tag", base_id, base_tag)
            wheels = sorted((work / "cache" / "wheels").rglob("*.whl"))
            uv_ctx = peer_context(work / "uv-peer", wheels, image / "locks" / "cpu.txt")
            uv_build = timed_build(uv_ctx, "envbuild-bench/uv-buildkit", buildkit=True, dockerfile=(
                f"FROM {base_tag}\n"
                "RUN --mount=type=bind,source=wheels,target=/wheels --mount=type=bind,source=uv,target=/uv \\\n"
                "    python3 -m venv --without-pip /opt/venv \\\n"
                " && /uv/uv pip install --python /opt/venv/bin/python --offline --no-index --find-links /wheels \\\n"
                "        --require-hashes --compile-bytecode --no-deps -r /wheels/requirements.txt\n"))
            shutil.rmtree(uv_ctx)
            uv_size = json.loads(run("docker", "image", "inspect", "envbuild-bench/uv-buildkit").stdout)[0]["Size"]
            run("docker", "rmi", "envbuild-bench/uv-buildkit")  # its layers are no one else's: the torch run needs the disk
            classic, naive, naive_size = None, 0.0, 0
            if not args.no_classic:
                _, classic = envbuild(env, "build", str(image), "--target", "cpu", "--no-cache", "--builder", "classic",
                                      "--json")
                pip_ctx = peer_context(work / "pip-peer", wheels, None)
                naive = timed_build(pip_ctx, "envbuild-bench/naive-layers", buildkit=False, dockerfile=(
                    f"FROM {base_id}\nCOPY wheels/ /wheels/\n"
                    "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index --find-links /wheels "
                    + " ".join(p.split("==")[0] for p in (args.requirements.split() + [old])) + "\n"))
                naive_size = json.loads(run("docker", "image", "inspect", "envbuild-bench/naive-layers").stdout)[0]["Size"]
                shutil.rmtree(pip_ctx)

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
    built = first["phases"].get("build", 0)
    classic_built = classic["phases"].get("build", 0) if classic else 0.0
    print(f"stack: {args.requirements} + {old} → {new}")
    print(f"cold build (--no-cache, wheels cached), BuildKit: envbuild {built:6.1f} s of build ({cold:.1f} s with "
          f"download and push; {first['builder']})   uv + RUN --mount Dockerfile: {uv_build:6.1f} s   "
          f"ratio {built / uv_build:.2f}x (target ≤ 1.0x)")
    if classic is not None:
        print(f"cold build, classic builder: envbuild {classic_built:6.1f} s   plain pip Dockerfile: {naive:6.1f} s   "
              f"ratio {classic_built / naive:.2f}x (target ≤ 1.0x); BuildKit over classic for envbuild: "
              f"{classic_built / built:.2f}x faster; same image: {classic['id'] == first['id']}")
    print(f"after the bump: rebuild {second['phases'].get('build', 0):6.1f} s "
          f"({second['phases'].get('build', 0) / built * 100:.0f} % of the cold build, target ≤ 10 %)")
    print(f"push of the bumped image stored {pushed / mb:.1f} MB in the registry (target ≤ 10 MB); "
          f"a pull next to the first image downloads {pull / mb:.1f} MB (target ≤ 10 MB)")
    print("layers: " + ", ".join(f"{layer['name']} {layer['size'] / mb:.1f} MB" for layer in second["layers"]))
    print(f"size: image {second['size'] / mb:.1f} MB = base {base_size / mb:.1f} + installed {installed / mb:.1f} MB "
          f"({(second['size'] / (base_size + installed) - 1) * 100:+.1f} %, target ≤ +5 %); "
          f"uv + RUN --mount image {uv_size / mb:.1f} MB" + (f", plain pip image {naive_size / mb:.1f} MB" if naive_size else ""))


def peer_context(ctx: Path, wheels: list[Path], lock: Path | None) -> Path:
    """The wheels (and for the uv peer, uv from envbuild's pinned installer wheel and the lock)."""
    import zipfile

    (ctx / "wheels").mkdir(parents=True)
    for wheel in wheels:
        if not wheel.name.startswith("uv-"):
            shutil.copyfile(wheel, ctx / "wheels" / wheel.name)
    if lock is not None:
        shutil.copyfile(lock, ctx / "wheels" / "requirements.txt")
        uv_wheel = next(w for w in wheels if w.name.startswith("uv-"))
        with zipfile.ZipFile(uv_wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
            (ctx / "uv").mkdir()
            (ctx / "uv" / "uv").write_bytes(archive.read(name))
            (ctx / "uv" / "uv").chmod(0o755)
    return ctx


def timed_build(ctx: Path, tag: str, *, buildkit: bool, dockerfile: str) -> float:
    (ctx / "Dockerfile").write_text(dockerfile)
    client = "/usr/bin/docker" if buildkit else "docker"
    start = time.perf_counter()
    run(client, "build", "--no-cache", "-q", "-t", tag, str(ctx), env=dict(os.environ, DOCKER_BUILDKIT="1" if buildkit
                                                                              else "0"))
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
