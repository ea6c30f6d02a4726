"""Index credentials never reach a child process's argv (readable by every local user), nor output."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import hermetic_env, pip

pytestmark = pytest.mark.security

SECRET = "t0k3n-n0t-f0r-ps"


class ArgvWatch:
    """Reads every process's command line while a command runs, as any local user can."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    text = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                except OSError:
                    continue
                if SECRET in text:
                    self.seen.append(text)

    def __enter__(self) -> "ArgvWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def test_lock_and_wheel_fetches_keep_the_token_out_of_argv(make_image, index, tmp_path):
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    url = index.url.replace("http://", "http://${INDEX_USER}:${INDEX_TOKEN}@")
    image = make_image(f'name: a/b\npython: "{python}"\nexclude-newer: 2026-05-01\nindex: {url}\n'
                       "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": "alpha\nepsilon\n"})
    env = hermetic_env(INDEX_USER="robot", INDEX_TOKEN=SECRET, ENVBUILD_CACHE=str(tmp_path / "cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    with ArgvWatch() as watch:
        def envbuild(*args):
            done = subprocess.run([sys.executable, "-m", "envbuild", "--debug", *args], env=env, capture_output=True,
                                  text=True)
            assert SECRET not in done.stdout + done.stderr
            assert done.returncode == 0, done.stderr

        envbuild("lock", str(image))
        pip(venv, "install", "--require-hashes", "--no-deps", "-r", str(image / "locks" / "cpu.txt"))
        envbuild("verify", str(image), "--python", str(venv / "bin" / "python"), "--files")
    assert watch.seen == []
    lock = (image / "locks" / "cpu.txt").read_text()
    assert SECRET not in lock and "${INDEX_TOKEN}" in lock
    assert list((tmp_path / "cache").rglob("*.whl")), "the verify fetched the locked wheels through the index"


def test_a_token_in_the_url_path_is_redacted_from_errors_and_tracebacks(make_image, index):
    url = index.url.replace("/simple", "/t/${INDEX_TOKEN}/simple")  # the local index has no such path: 404
    image = make_image(f'name: a/b\npython: "3.11"\nindex: {url}\nrequirements: r.in\ntargets:\n  cpu: {{}}\n',
                       {"r.in": "alpha\n"})
    for debug in ((), ("--debug",)):
        done = subprocess.run([sys.executable, "-m", "envbuild", *debug, "lock", str(image)], capture_output=True,
                              text=True, env=hermetic_env(INDEX_TOKEN=SECRET))
        assert done.returncode in (3, 5), done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "***" in done.stderr or "/t/" not in done.stderr
