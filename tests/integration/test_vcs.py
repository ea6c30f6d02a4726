"""git requirements: the ref pinned to a commit, the wheel built from a clean checkout of it locked by
sha256, kept on re-lock, rebuilt and checked by build where the cache lacks it. Hermetic: a git
repository on disk (file://), an in-tree build backend, the local index."""

from __future__ import annotations

import subprocess

import pytest

from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import read_lock
from envbuild.services import images
from tests.conftest import TEST_CACHE, hermetic_env, run_cli
from tests.support.fake_engine import FakeEngine
from tests.support.project import make_project

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_installer")]
GIT = ["git", "-c", "user.email=t@e", "-c", "user.name=t"]


def commit(repo, message):
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=repo, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    repo = make_project(tmp_path / "tinytrain-repo")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    first = commit(repo, "v0.3.0")
    subprocess.run(["git", "tag", "-a", "v0.3.0", "-m", "release"], cwd=repo, check=True)
    return repo, first


def test_a_git_requirement_is_locked_as_its_commit_s_wheel_and_kept_on_relock(make_image, index, repo, tmp_path):
    path, first = repo
    directory = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: envbuild/base:bookworm\n"
                           f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                           {"requirements.in": f"tinytrain @ git+file://{path}@v0.3.0\n"})
    locked = run_cli("lock", str(directory))
    assert locked.returncode == 0, locked.stderr
    text = (directory / "locks" / "cpu.txt").read_text()
    lock = read_lock(text, "cpu.txt")
    assert lock.vcs == (("tinytrain", f"git+file://{path}@{first}", f"git+file://{path}@v0.3.0"),)
    assert lock.package("tinytrain").version == "0.3.0" and lock.package("alpha")  # its dependency resolved too
    assert "vcs-wheels" not in text  # the lock names the commit, not where the wheel was built
    # the tag moves: a re-lock keeps the commit, --upgrade takes the new one
    (path / "tinytrain" / "__init__.py").write_text((path / "tinytrain" / "__init__.py").read_text() + "# 2\n")
    second = commit(path, "more")
    subprocess.run(["git", "tag", "-f", "-a", "v0.3.0", "-m", "moved"], cwd=path, check=True, capture_output=True)
    assert run_cli("lock", str(directory)).returncode == 0
    assert read_lock((directory / "locks" / "cpu.txt").read_text(), "cpu.txt").vcs[0][1].endswith(first)
    assert run_cli("lock", str(directory), "--upgrade").returncode == 0
    upgraded = read_lock((directory / "locks" / "cpu.txt").read_text(), "cpu.txt")
    assert upgraded.vcs[0][1].endswith(second)
    assert upgraded.package("tinytrain").hashes != lock.package("tinytrain").hashes
    # another ref in the input is resolved again, --upgrade or not
    (directory / "requirements.in").write_text(f"tinytrain @ git+file://{path}@{first}\n")
    assert run_cli("lock", str(directory)).returncode == 0
    assert read_lock((directory / "locks" / "cpu.txt").read_text(), "cpu.txt").vcs[0][1].endswith(first)


def test_build_rebuilds_the_commit_s_wheel_where_the_cache_lacks_it(make_image, index, repo, tmp_path):
    path, _first = repo
    directory = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: envbuild/base:bookworm\n"
                           f"index: {index.url}\nrequirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                           {"requirements.in": f"git+file://{path}@v0.3.0#egg=tinytrain\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    fresh = Wheelhouse(tmp_path / "empty-cache" / "wheels", hermetic_env())  # not the cache the lock filled
    images.build(directory, "cpu", engine=engine, wheels=fresh, environ=hermetic_env(), manifests=False)
    assert any(name.startswith("layers/01/tinytrain-0.3.0") for name in engine.builds[0].files)
    assert TEST_CACHE  # the lock's wheels went to the test cache; this build used its own


def test_git_protocol_and_unnamed_git_lines_say_what_to_write(make_image, index):
    directory = make_image(f"name: t/x\npython: \"3.11\"\nindex: {index.url}\nrequirements: r.in\ntargets:\n  cpu: {{}}\n",
                           {"r.in": "x @ git://github.com/o/x\ngit+https://github.com/o/y@v1\n"})
    result = run_cli("lock", str(directory))
    assert result.returncode == 2 and "git://" in result.stderr and "git+https://host/repo@ref" in result.stderr
    assert "name @ git+https://host/repo@tag" in result.stderr
