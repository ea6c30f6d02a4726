"""The README's tour, rerun: each of its sessions runs (as bash, in a clone of the repository) and
what each command prints must have the shape the README shows (tests/support/tour.py).
The digests and tags the README shows must stand for the ones printed, one for one, across the
whole tour; where this machine's base image is the README's, they must be the same digests.

Every session of the README is either rerun here or listed in NOT_RERUN with the reason and the
test that covers it instead: a session added to the README and to neither fails the first test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, hermetic_env
from tests.support.tour import Comparison, Session, sessions

README = REPO / "README.md"
SITE = "/opt/venv/lib/python3.11/site-packages"

# A session's first command, or how it starts -> why it is not rerun here, and where it is tested.
NOT_RERUN = {
    "envbuild base": "it replaces the base image every other test builds on (tests/integration/test_build.py)",
    "envbuild build pushdemo": "the registry on 127.0.0.1:5555 (tests/integration/test_push.py pushes and attaches)",
    "mlflow server": "a run ID of its own (tests/integration/test_lineage.py records into a real MLflow server)",
    "envbuild verify --container serve-1 --against mlflow:": "a registered model (tests/integration/test_lineage.py)",
    "dvc repro": "a DVC project (tests/integration/test_data.py)",
    "export MLFLOW_TRACKING_URI": "an MLflow server and run IDs of its own (tests/integration/test_reproduce.py trains "
                                  "with envbuild run, then reproduces every verdict)",
    "envbuild prune --dry-run": "it counts what this engine holds (tests/integration/test_prune.py)",
    "envbuild render --target cuda": "a torch CUDA lock (tests/unit/test_cuda.py)",
    "envbuild render      # python": "a base of another Python (tests/unit/test_bases.py holds the message)",
    "envbuild verify --image envbuild-test/cuda-runtime:": "the CUDA runtime image (tests/integration/test_cuda_image.py)",
    "envbuild lock -v": "the tests' conda channel (tests/integration/test_conda_lock.py)",
    "envbuild build                  # the same directory": "the tests' conda channel (tests/integration/test_conda_image.py)",
}


def test_every_session_of_the_readme_is_rerun_or_says_why_not():
    skipped = {_key(prefix) for prefix in NOT_RERUN}
    assert None not in skipped, "a NOT_RERUN entry names no session of the README"
    assert sorted(set(SESSIONS) - set(RERUN) - skipped) == [], "rerun it here, or say in NOT_RERUN why not"
    assert set(RERUN).isdisjoint(skipped)


class Tour:
    """A clone of the repository (an image's tag names the last commit of its directory, so the tags are
    the ones a user's checkout prints), a cache of its own, the commands' environment, the comparison."""

    def __init__(self, scratch: Path, comparison: Comparison):
        self.comparison, self.cache, self.root = comparison, scratch / "cache", scratch / "repo"
        subprocess.run(["git", "clone", "--quiet", "--local", str(REPO), str(self.root)], check=True)
        self.replace = {"/tmp/ctx": str(scratch / "ctx")}  # README text -> what this run uses instead
        # uv's default hardlinks installed files to its cache: a session that edits one must not edit the cache.
        self.env = hermetic_env(ENVBUILD_CACHE=str(self.cache), PYTHONUNBUFFERED="1", ENVBUILD_PROGRESS_INTERVAL="3600",
                                UV_LINK_MODE="copy", SITE=SITE, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")

    def copy(self, example: str, to: str) -> Path:
        """A copy of an example outside git (what a session edits or writes into)."""
        target = self.root / to
        if not target.exists():
            shutil.copytree(self.root / example, target)
        return target

    def warm(self) -> None:
        """The demo's wheels in the cache, as after a first build: the README's sessions show warm runs."""
        if not (self.cache / "wheels").is_dir():
            self.sh("envbuild context images/demo -o ../warm >/dev/null 2>&1 && rm -rf ../warm")

    def image(self, command: str) -> str:
        """The image an envbuild command names in its --json answer."""
        return json.loads(self.sh(f"{command} --json 2>/dev/null"))["image"]

    def untag(self, directory: str) -> None:
        """No image tagged as this directory's next build: the README shows a build, not a no-op."""
        # A cache of its own, removed after: the session itself builds the project's wheel.
        image = self.image(f"ENVBUILD_CACHE=../untag-cache envbuild context {directory} -o ../untag")
        shutil.rmtree(self.root.parent / "untag", ignore_errors=True)
        shutil.rmtree(self.root.parent / "untag-cache", ignore_errors=True)
        subprocess.run(["docker", "rmi", image], capture_output=True)

    def sh(self, command: str) -> str:
        done = subprocess.run(["bash", "-c", command], cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
        return done.stdout.strip()

    def output(self, text: str) -> str:
        """What a command printed, with this run's paths and names written back as the README's."""
        for readme, here in sorted(self.replace.items(), key=lambda kv: -len(kv[1])):
            text = text.replace(here, readme)
        return text.replace(str(self.cache), "/root/.cache/envbuild").replace(str(self.root), "/work/main")

    def rerun(self, session: Session, cwd: Path | None = None, free: tuple[str, ...] = ()) -> None:
        """Runs the session's commands one by one, each in a bash that starts where the last one ended
        (its directory and `$?`), and compares each envbuild command's output, and any other's the
        README shows; `free`: commands whose digests differ by design (a plain `docker build`). A digest
        a README command names (a tag) is given as the one printed in its place earlier in the tour."""
        state = self.root.parent / "step-state"
        where, status = str(cwd or self.root), 0
        for step in session.steps:
            command = self.comparison.translate(step.command)
            for readme, here in self.replace.items():
                command = command.replace(readme, here)
            script = f"(exit {status})\n{command}\n__rc=$?; pwd > {state}; echo $__rc >> {state}"
            done = subprocess.run(["bash", "-c", script], cwd=where, env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=900)
            where, status = state.read_text().split("\n")[:2]
            out = self.output(done.stdout).rstrip("\n")
            with open(self.root.parent / "printed.txt", "a") as log:  # to paste into the README when it is stale
                log.write(f"$ {step.command}\n{out}\n")
            if step.command.startswith("envbuild ") or step.shown:
                self.comparison.step(f"README line {step.line}: $ {step.command}", step.shown,
                                     out.split("\n") if out.strip() else [], pair=step.command not in free)


@pytest.fixture(scope="module")
def tour(tmp_path_factory, base_image):
    text = README.read_text()
    shown_base = re.search(r"pinned by its ID sha256:([0-9a-f]+)…", text).group(1)
    local = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", base_image], capture_output=True, text=True)
    comparison = Comparison(exact=local.stdout.strip().startswith(f"sha256:{shown_base}"))
    tour = Tour(tmp_path_factory.mktemp("tour"), comparison)
    yield tour
    subprocess.run(["docker", "rm", "-f", *(v for k, v in tour.replace.items() if k.startswith(("prod-", "serve-")))],
                   capture_output=True)
    subprocess.run(["docker", "rmi", "ctx-test:docker"], capture_output=True)


SESSIONS = {s.key: s for s in sessions(README.read_text())}


def _key(start: str) -> str | None:
    """The key of the session whose first command is `start`, or else starts with it (a long one)."""
    return start if start in SESSIONS else next((k for k in SESSIONS if k.startswith(start)), None)


def session(start: str) -> Session:
    key = _key(start)
    assert key, f"no session of the README starts with {start!r}"
    return SESSIONS[key]


def spec_error(tour: Tour) -> None:
    spec = tour.copy("images/demo", "typo/images/demo") / "envbuild.yaml"
    spec.write_text(spec.read_text().replace("  cpu: {}", "  cpu: {bsae: envbuild/base:bookworm}"))
    tour.rerun(session("envbuild lock images/demo"), cwd=tour.root / "typo")


def init(tour: Tour) -> None:
    project = tour.root / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "fraud-model"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["numpy>=2", "requests"]\n\n'
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n')
    tour.rerun(session("envbuild init . --from pyproject.toml"), cwd=project)


def lock(tour: Tour) -> None:
    directory = tour.copy("images/demo", "fresh/images/demo")
    shutil.rmtree(directory / "locks")
    tour.rerun(session("envbuild lock images/demo #2"), cwd=tour.root / "fresh")

    def pins(lock: Path) -> list[str]:  # all but the header's "regenerate it with" line, which names the directory
        return [line for line in lock.read_text().splitlines() if not line.startswith("#    envbuild lock")]

    assert pins(directory / "locks/cpu.txt") == pins(REPO / "images/demo/locks/cpu.txt"), "as of the same date"


def build(tour: Tour) -> None:
    tour.warm()
    tour.rerun(session("envbuild build images/demo --target cpu --no-cache"))


def context(tour: Tour) -> None:
    tour.rerun(session("envbuild context images/demo -o /tmp/ctx"),
               free=("docker build --network none -q -t ctx-test:docker /tmp/ctx",))


def tampered(tour: Tour) -> None:
    """prod-1 and prod-2: containers of the demo image, as in production."""
    image = tour.image("envbuild build images/demo --target cpu")
    for name in ("prod-1", "prod-2"):
        tour.replace[name] = here = f"envbuild-tour-{name}-{os.getpid()}"
        tour.sh(f"docker rm -f {here} >/dev/null 2>&1; docker run -d --name {here} --network none "
                f"--entrypoint sleep {image} 900 >/dev/null")
    tour.rerun(session(TAMPERED))


def snapshot_and_diff(tour: Tour) -> None:
    with _venv(tour, tour.root / "venv"):
        tour.rerun(session("envbuild snapshot --container prod-1 -o prod.json"))


def fail_on(tour: Tour) -> None:
    tour.copy("images/demo", "failon/images/demo")
    with _venv(tour, tour.root / "failon" / "venv"):
        tour.rerun(session(FAIL_ON), cwd=tour.root / "failon")


@contextlib.contextmanager
def _venv(tour: Tour, where: Path):
    """A venv with pip, installed from images/demo's lock (the host's Python is 3.11, as the lock's),
    first on PATH and its site-packages as $SITE while the session runs."""
    tour.sh(f"python3 -m venv {where} && uv pip install --quiet --python {where}/bin/python --require-hashes "
            f"-r images/demo/locks/cpu.txt")
    saved = dict(tour.env)
    tour.env.update(SITE=str(next(where.glob("lib/python3.*/site-packages"))), PATH=f"{where}/bin:{tour.env['PATH']}")
    try:
        yield
    finally:
        tour.env = saved


def sbom(tour: Tour) -> None:
    tour.rerun(session("envbuild sbom images/demo --target cpu -o demo.cdx.json"))


def export(tour: Tour) -> None:
    directory = tour.copy("images/demo", "export/images/demo")
    tour.warm()
    tour.sh(f"python3 -m venv {directory}/venv")
    tour.rerun(session("cd images/demo"), cwd=tour.root / "export")


def schema(tour: Tour) -> None:
    tour.rerun(session("envbuild schema -o envbuild.schema.json"))


def determinism(tour: Tour) -> None:
    tour.copy("images/demo", "demo-copy")
    tour.sh(session(DETERMINISM).steps[0].command)  # the session's own edit, to know the tag it builds
    tour.untag("demo-copy")
    shutil.copy(tour.root / "images/demo/envbuild.yaml", tour.root / "demo-copy/envbuild.yaml")  # the session edits it
    tour.replace["serve-2"] = f"envbuild-tour-serve-2-{os.getpid()}"
    tour.rerun(session(DETERMINISM))


def train(tour: Tour) -> None:
    tour.untag("images/train")
    tour.rerun(session("envbuild build images/train --target cpu"))


def usage_error(tour: Tour) -> None:
    tour.rerun(session("envbuild verify --colr never"))


TAMPERED = 'docker exec -u 0 prod-1 sh -c "rm -r $SITE/tqdm'
FAIL_ON = "pip install tqdm==4.70.0 "
DETERMINISM = "sed -i 's/^targets:/determinism"
RERUN = {
    "envbuild lock images/demo": spec_error,
    "envbuild init . --from pyproject.toml": init,
    "envbuild lock images/demo #2": lock,
    "envbuild build images/demo --target cpu --no-cache": build,
    "envbuild context images/demo -o /tmp/ctx": context,
    session(TAMPERED).key: tampered,
    "envbuild snapshot --container prod-1 -o prod.json": snapshot_and_diff,
    session(FAIL_ON).key: fail_on,
    "envbuild sbom images/demo --target cpu -o demo.cdx.json": sbom,
    "cd images/demo": export,
    "envbuild schema -o envbuild.schema.json": schema,
    session(DETERMINISM).key: determinism,
    "envbuild build images/train --target cpu": train,
    "envbuild verify --colr never": usage_error,
}


@pytest.mark.docker
@pytest.mark.network
@pytest.mark.slow
@pytest.mark.parametrize("key", list(RERUN), ids=[f"line-{SESSIONS[k].line}" for k in RERUN])
def test_the_readme_session_prints_what_the_readme_shows(tour, key):
    before = len(tour.comparison.problems)
    RERUN[key](tour)
    problems = tour.comparison.problems[before:]
    assert problems == [], "\n".join(problems) + ("" if tour.comparison.exact else
                                                  "\n(this machine's base image is not the README's: shapes only)")
