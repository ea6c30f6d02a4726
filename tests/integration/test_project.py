"""A project of the repository's own installed into the image: its wheel built on the host, checked
against the lock, named in the labels and image.json. Hermetic: the local index, an in-tree build
backend, a fake engine (tests/support/fake_engine.py)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.errors import SpecError
from envbuild.services import images
from tests.conftest import hermetic_env, run_cli
from tests.support.fake_engine import FakeEngine
from tests.support.project import make_project

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_installer")]


@pytest.fixture
def repo(make_image, index, tmp_path):
    """A git repository: envbuild.yaml at its top, the project in it, locked from the project's pyproject."""
    directory = make_image(f"name: team/tinytrain\npython: \"3.11\"\nexclude-newer: 2026-05-01\n"
                           f"base: envbuild/base:bookworm\nindex: {index.url}\nrequirements: [pyproject.toml]\n"
                           "project: .\nentrypoint: [train]\ncmd: [--epochs, \"3\"]\nworkdir: /workspace\n"
                           "env: {SEED: \"7\"}\ntargets:\n  cpu: {}\n")
    make_project(directory)
    for argv in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "init"]):
        subprocess.run(["git", *argv], cwd=directory, check=True)
    assert run_cli("lock", str(directory)).returncode == 0
    subprocess.run(["git", "add", "-A"], cwd=directory, check=True)
    subprocess.run(["git", "-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "lock"], cwd=directory, check=True)
    return directory


def build(directory, engine, tmp_path):
    return images.build(directory, "cpu", engine=engine, wheels=Wheelhouse(tmp_path / "cache" / "wheels", hermetic_env()),
                        environ=hermetic_env(), manifests=False)


def engine_with_base() -> FakeEngine:
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    return engine


def test_the_project_s_wheel_goes_in_after_the_lock_and_is_named_in_labels_and_image_json(repo, tmp_path):
    engine = engine_with_base()
    outcome = build(repo, engine, tmp_path)
    [context] = engine.builds
    [wheel] = [name for name in context.files if name.startswith("layers/project/tinytrain-")]
    line = context.files["layers/project/install.txt"]  # the project's own layer, after the lock's
    assert re.fullmatch(r"tinytrain==0\.3\.0 --hash=sha256:[0-9a-f]{64}\n", line)
    assert context.files[wheel] == "sha256:" + line.split("sha256:")[1].strip()  # the very file the line pins
    assert "COPY --from=project /staging/ /\nCOPY --from=metadata" in context.files["Dockerfile"]
    meta = json.loads(context.files["envbuild/image.json"])
    assert meta["project"] | {"sha256": ""} == {"name": "tinytrain", "version": "0.3.0", "sha256": "",
                                                 "wheel": wheel.removeprefix("layers/project/"), "dirty": False}
    labels = engine.inspect(outcome.image_id).labels
    assert labels["org.opencontainers.image.version"] == "0.3.0"
    assert labels["org.opencontainers.image.description"] == "A tiny training project"
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["dev.envbuild.project"] == f"tinytrain 0.3.0 sha256:{meta['project']['sha256']}"
    dockerfile = context.files["Dockerfile"]
    assert 'ENTRYPOINT ["train"]\nCMD ["--epochs", "3"]' in dockerfile and "WORKDIR /workspace" in dockerfile
    assert 'ENV SEED="7"' in dockerfile


def test_the_same_tree_builds_the_same_wheel_and_tag_and_a_change_marks_it_dirty(repo, tmp_path):
    engine = engine_with_base()
    first = build(repo, engine, tmp_path)
    assert build(repo, engine, tmp_path).ref == first.ref and len(engine.builds) == 1
    module = repo / "tinytrain" / "__init__.py"
    module.write_text(module.read_text() + "# tuned\n")
    dirty = build(repo, engine, tmp_path)
    assert dirty.ref != first.ref
    assert engine.inspect(dirty.image_id).labels["org.opencontainers.image.version"] == "0.3.0-dirty"
    assert json.loads(engine.builds[-1].files["envbuild/image.json"])["project"]["dirty"] is True


def test_a_dependency_the_lock_does_not_cover_is_exit_2_naming_it(repo, tmp_path):
    pyproject = repo / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dependencies = ["alpha>=1.0"]',
                                                       'dependencies = ["alpha>=1.0", "epsilon"]'))
    # the lock is made from the old pyproject: build refuses it as stale first, so check the project directly
    with pytest.raises(SpecError, match=r"project: the lock does not cover what tinytrain depends on: epsilon"):
        images.prepare(repo, "cpu", engine=engine_with_base(), wheels=Wheelhouse(tmp_path / "w", hermetic_env()),
                       environ=hermetic_env(), templates=None, progress=lambda _l: None, require_fresh=False)
    result = run_cli("build", str(repo), "--target", "cpu")
    assert result.returncode in (1, 2, 5), result.stderr  # stale (1) here; never a traceback
    assert "Traceback" not in result.stderr


def test_a_project_without_a_build_file_is_a_clear_error(make_image, index, tmp_path):
    directory = make_image(f"name: t/x\npython: \"3.11\"\nbase: envbuild/base:bookworm\nindex: {index.url}\n"
                           "requirements: r.in\nproject: nothing-here\ntargets:\n  cpu: {}\n", {"r.in": "alpha\n",
                                                                                               "nothing-here/x": ""})
    assert run_cli("lock", str(directory)).returncode == 0
    result = run_cli("render", str(directory), "--target", "cpu")
    assert result.returncode == 2 and "no pyproject.toml, setup.py or setup.cfg" in result.stderr


@pytest.mark.network  # the conda builder's installer (py-rattler) is fetched from PyPI, pinned by hash
def test_a_conda_target_takes_a_project_into_its_prefix(conda_image, tmp_path):
    from tests.conftest import CONDA_SPEC

    image = conda_image(["python=3.11", "tinytool"], pip=["alpha<2"],
                        spec=CONDA_SPEC.replace("conda: environment.yml\n", "conda: environment.yml\nproject: proj\n"))
    make_project(image / "proj", dependencies=("alpha<2", "tinytool"))  # a pip and a conda dependency, both locked
    assert run_cli("lock", str(image)).returncode == 0
    engine = engine_with_base()
    outcome = build(image, engine, tmp_path)
    [context] = engine.builds
    assert "--python /opt/conda/bin/python install" in context.files["Dockerfile"]
    assert "-r /tmp/envbuild/project.txt" in context.files["Dockerfile"]
    assert context.files["envbuild/project.txt"].startswith("tinytrain==0.3.0 --hash=sha256:")
    assert engine.inspect(outcome.image_id).labels["dev.envbuild.project"].startswith("tinytrain 0.3.0")


def test_a_conda_environment_without_python_cannot_take_a_project(conda_image, tmp_path):
    from tests.conftest import CONDA_SPEC

    image = conda_image(["tinytool"], spec=CONDA_SPEC.replace("conda: environment.yml\n",
                                                              "conda: environment.yml\nproject: proj\n"))
    make_project(image / "proj", dependencies=())
    assert run_cli("lock", str(image)).returncode == 0
    with pytest.raises(SpecError, match="project: the conda environment has no Python to install the project into"):
        build(image, engine_with_base(), tmp_path)
