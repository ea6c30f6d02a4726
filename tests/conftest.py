"""Shared fixtures: a local package index on 127.0.0.1, image directories, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.index import LocalIndex
from tests.support.wheels import FIXTURE_PACKAGES

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_sessionfinish(session, exitstatus):
    import shutil

    shutil.rmtree(TEST_CACHE, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI nothing may be skipped quietly: a skip there — a marker's, or pytest.skip() in a test or a
    fixture when a tool or an engine is missing — is a failure. (The collection-time rule this replaces
    never fired: a skip marker wins over the xfail it added, and runtime skips were never seen.)"""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


@pytest.fixture(scope="session")
def index(tmp_path_factory) -> LocalIndex:
    idx = LocalIndex(tmp_path_factory.mktemp("index"), FIXTURE_PACKAGES).start()
    yield idx
    idx.stop()


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


# One wheel cache for the whole test run, never the user's (~/.cache/envbuild): content-addressed, so
# sharing it between tests is safe, and verify --files fetches the locked wheels into it.
TEST_CACHE = tempfile.mkdtemp(prefix="envbuild-test-cache-")


def hermetic_env(**extra: str) -> dict[str, str]:
    """The environment for subprocesses in tests: no pip.conf of this machine, no colour, a test cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_FIND_LINKS", "PIP_EXTRA_INDEX", "PIP_INDEX"))
           and k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "GITHUB_STEP_SUMMARY", "FORCE_COLOR")}  # the tester's shell
    env.update(PIP_CONFIG_FILE=os.devnull, NO_COLOR="1", PYTHONPATH=str(REPO), ENVBUILD_CACHE=TEST_CACHE,
               MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1")  # MLflow 3 reports usage unless told not to
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 600,
            process: bool = False) -> Result:
    """envbuild's CLI with ``args``: in this process (cli.main is re-entrant; start-up is ~0.3 s of
    every subprocess), or as ``python -m envbuild`` where the process is the point (``process``: its
    signals, its file descriptors, the modules it loads, a timeout) or ENVBUILD_TEST_SUBPROCESS is set."""
    if process or os.environ.get("ENVBUILD_TEST_SUBPROCESS"):
        done = subprocess.run([sys.executable, "-m", "envbuild", *args], cwd=cwd, env=env or hermetic_env(),
                              capture_output=True, text=True, timeout=timeout)
        return Result(done.returncode, done.stdout, done.stderr)
    return _in_process(list(args), cwd, env or hermetic_env())


_ONE_AT_A_TIME = threading.Lock()  # os.environ, the working directory and sys.stdout are the process's


def _in_process(args: list[str], cwd: Path | None, env: dict[str, str]) -> Result:
    """cli.main(args) with ``env`` as os.environ and ``cwd`` as the working directory, its standard
    output and error captured as a subprocess's would be; all put back after."""
    import contextlib
    import io

    from envbuild.cli import main

    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="replace", write_through=True)
                for _ in range(2))
    with _ONE_AT_A_TIME:
        saved_env, saved_cwd = dict(os.environ), os.getcwd()
        os.environ.clear()
        os.environ.update(env)
        try:
            os.chdir(cwd or saved_cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(args)
                except SystemExit as exc:  # a command that exits by itself, as a subprocess would
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
    return Result(code, out.buffer.getvalue().decode("utf-8", "replace"),
                  err.buffer.getvalue().decode("utf-8", "replace"))


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def make_image(tmp_path):
    """make_image(spec_yaml, {"requirements.in": "..."}) → an image directory."""

    def make(spec: str, files: dict[str, str] | None = None, name: str = "img") -> Path:
        directory = tmp_path / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "envbuild.yaml").write_text(textwrap.dedent(spec))
        for rel, text in (files or {}).items():
            path = directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode() if isinstance(text, str) else text)
        return directory

    return make


def resign_lock(text: str) -> str:
    """A lock edited and its body-sha256 fixed as well: what someone who means it would write (to
    test what envbuild checks beyond the digest)."""
    import re

    from envbuild.core.lock.pip_format import body_sha256, lock_body

    return re.sub(r"# body-sha256: [0-9a-f]{64}", f"# body-sha256: {body_sha256(lock_body(text))}", text)


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


BASE_REF = "envbuild/base:bookworm"


@pytest.fixture(scope="session")
def engine():
    """A Docker engine. Locally its absence skips Docker tests; in CI it fails them (never skipped there)."""
    from envbuild.adapters.engine.docker import Engine
    from envbuild.errors import ToolUnavailable

    try:
        return Engine.connect()
    except ToolUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Docker tests must run in CI, but: {exc.message}")
        pytest.skip(f"no Docker engine: {exc.message} (scripts/setup-docker.sh starts one)")


@pytest.fixture(scope="session")
def base_image(engine) -> str:
    """The Debian base image made by `envbuild base` (cached by tag: made once per machine)."""
    if engine.inspect(BASE_REF) is None:
        from envbuild.services.base import make_base

        make_base(engine, tag=BASE_REF, environ=os.environ)
    return BASE_REF


BUILD_SECRET = "s3cr3t-b4ild"


@pytest.fixture(scope="session")
def built_image_env(tmp_path_factory):
    return hermetic_env(ENVBUILD_CACHE=str(tmp_path_factory.mktemp("wheel-cache")))


@pytest.fixture(scope="session")
def built_image(tmp_path_factory, index, base_image, built_image_env):
    """An image built by envbuild from the local index, once per session: (image directory, build JSON).
    Its index URL carries a credential, which must never reach the image."""
    import json

    image = tmp_path_factory.mktemp("build") / "img"
    image.mkdir()
    (image / "envbuild.yaml").write_text(f"""\
name: envbuild-test/fixture
python: "3.11"
exclude-newer: 2026-05-01
index: {index.url.replace("http://", f"http://robot:{BUILD_SECRET}@")}
base: {base_image}
requirements: requirements.in
targets:
  cpu: {{}}
""")
    (image / "requirements.in").write_text("alpha\nepsilon\n")
    assert run_cli("lock", str(image), env=built_image_env).returncode == 0
    result = run_cli("build", str(image), "--target", "cpu", "--json", env=built_image_env)
    assert result.returncode == 0, result.stderr
    return image, json.loads(result.stdout)


@pytest.fixture
def container(built_image):
    """A running container of the session's image (no network), removed afterwards."""
    import uuid

    name = f"envbuild-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "run", "-d", "--name", name, "--network", "none", built_image[1]["image"], "sleep", "600"],
                   capture_output=True, check=True)
    yield name
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)


# ---------------------------------------------------------------- venvs installed from a lock (verify tests)


@pytest.fixture(scope="session")
def locked(tmp_path_factory, index):
    from tests.conftest import run_cli

    image = tmp_path_factory.mktemp("verify") / "img"
    image.mkdir()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    (image / "envbuild.yaml").write_text(f'name: fixture\npython: "{python}"\nexclude-newer: 2026-05-01\n'
                                         f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n")
    (image / "requirements.in").write_text("alpha\nepsilon\n")
    assert run_cli("lock", str(image)).returncode == 0
    return image


def pip(venv: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *args],
                          env=hermetic_env(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def installed_venv(tmp_path_factory, locked, index) -> Path:
    """The locked environment, installed by pip once per test run; tests get copies (``venv``)."""
    path = tmp_path_factory.mktemp("venv-template") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    pip(path, "install", "--require-hashes", "--no-deps", "-r", str(locked / "locks" / "cpu.txt"))
    return path


@pytest.fixture
def venv(tmp_path, installed_venv):
    """A venv of the locked packages of its own, to change at will: a copy of the one pip installed
    (the interpreter is a link, the packages lie under the venv's own prefix: a copy is a venv)."""
    import shutil

    path = tmp_path / "venv"
    shutil.copytree(installed_venv, path, symlinks=True)
    return path


def kinds(report) -> list[tuple[str, str]]:
    return sorted((f["kind"], f["name"]) for f in report["findings"])


# ---------------------------------------------------------------- conda


@pytest.fixture(scope="session")
def channel(tmp_path_factory) -> Path:
    """A local conda channel (tests/support/conda_channel.py), as a file:// channel."""
    from tests.support.conda_channel import FIXTURE_CHANNEL, write_channel

    return write_channel(tmp_path_factory.mktemp("conda") / "channel", FIXTURE_CHANNEL)


CONDA_SPEC = """\
name: test/conda
python: "3.11"
exclude-newer: 2026-06-01
base: envbuild/base:bookworm
conda: environment.yml
index: {index}
targets:
  cpu: {{}}
"""


@pytest.fixture
def conda_image(make_image, channel, index):
    """conda_image(["tinytool"], pip=["alpha"], spec=...) → an image directory on the fixture channel."""

    def make(deps: list[str], *, pip: list[str] = (), spec: str = CONDA_SPEC, name: str = "img") -> Path:
        lines = ["channels:", f"  - file://{channel}", "dependencies:", *(f"  - {d}" for d in deps)]
        if pip:
            lines += ["  - pip:", *(f"    - {p}" for p in pip)]
        return make_image(spec.format(index=index.url), {"environment.yml": "\n".join(lines) + "\n"}, name=name)

    return make


def install_conda_lock(lock_file: Path, prefix: Path) -> None:
    """Install a conda lock into a prefix on this host the way an image's builder stage does."""
    from urllib.parse import unquote, urlsplit

    from envbuild.core.lock import read_lock
    from envbuild.ecosystems.conda import install_plan

    lock = read_lock(lock_file.read_text(), str(lock_file))
    plan_file = prefix.parent / f"{prefix.name}-plan.json"
    plan_file.write_text(install_plan(lock.conda, [unquote(urlsplit(p.url).path) for p in lock.conda]))
    done = subprocess.run([sys.executable, str(REPO / "envbuild" / "conda_installer.py"), str(plan_file), str(prefix),
                           str(prefix.parent / "conda-cache")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheels = [p.url for p in lock.pip]
    if wheels:
        pip(prefix, "install", "--no-deps", *wheels)


@pytest.fixture
def offline_installer(monkeypatch, tmp_path):
    """For builds on the fake engine, which runs nothing: a stand-in for uv's wheel, which the
    in-image install needs and only PyPI has (make test-fast runs with no network). Real builds
    fetch the pinned wheel (test_build.py)."""
    import zipfile

    from envbuild.ecosystems import pip as pip_ecosystem

    wheel = tmp_path / "uv-stand-in.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("uv-0.0.0.data/scripts/uv", "#!/bin/sh\nexit 1\n")
    monkeypatch.setattr(pip_ecosystem, "fetch_installer", lambda *args, **kwargs: wheel)
    return wheel


# ---------------------------------------------------------------- a real MLflow tracking server

@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real MLflow tracking server on 127.0.0.1 (sqlite backend, proxied local artifact store), once per session."""
    import socket
    import time
    import urllib.request

    root = tmp_path_factory.mktemp("mlflow")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1",
                               "--port", str(port), "--backend-store-uri", f"sqlite:///{root}/mlflow.db",
                               "--artifacts-destination", str(root / "artifacts"),
                               "--workers", "1"],  # not 4: each imports mlflow (~2 s of a core) for requests one at a time
                              stdout=open(root / "log", "w"), stderr=subprocess.STDOUT, cwd=root, start_new_session=True,
                              # no job runner: seven huey consumers (~1.6 GB) that no test uses, started and stopped
                              env=hermetic_env(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"))
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{uri}/health", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the MLflow server did not start: {(root / 'log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield uri
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


# ---------------------------------------------------------------- DVC (make tools)

@pytest.fixture(scope="session")
def dvc_bin(tmp_path_factory) -> Path:
    """A directory holding only `dvc`, to put first on PATH."""
    import shutil

    found = REPO / ".tools" / "dvc" / "bin" / "dvc"
    if not found.is_file():
        found = Path(shutil.which("dvc") or "")
    if not found.is_file():
        pytest.skip("DVC is not installed: run 'make tools'")
    directory = tmp_path_factory.mktemp("dvc-bin")
    (directory / "dvc").symlink_to(found)
    return directory
