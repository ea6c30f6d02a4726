"""A conda image end to end on a real Docker engine: lock from a local channel, build offline, verify,
then drift planted in a container and a rebuilt package in another image."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.conftest import assert_no_traceback, run_cli

# docker: the engine; network: the builder's conda installer (py-rattler) comes from PyPI, pinned by hash.
pytestmark = [pytest.mark.docker, pytest.mark.network, pytest.mark.slow]


def docker(*args: str, check: bool = True) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check).stdout


@pytest.fixture(scope="module")
def conda_built(tmp_path_factory, channel, index, base_image, built_image_env):
    image = tmp_path_factory.mktemp("conda-build") / "img"
    image.mkdir()
    (image / "envbuild.yaml").write_text(f"""\
name: envbuild-test/conda
python: "3.11"
exclude-newer: 2026-06-01
index: {index.url}
base: {base_image}
conda: environment.yml
layers: {{groups: {{tools: [tinytool, libtiny]}}}}
targets:
  cpu: {{}}
  rebuilt:
    conda: rebuilt.yml
""")
    env = f"channels: [file://{channel}]\ndependencies:\n  - python=3.11\n  - tinytool\n  - tinydata\n" \
          "  - pip:\n    - alpha<2\n"
    (image / "environment.yml").write_text(env)
    (image / "rebuilt.yml").write_text(env.replace("  - tinydata\n", "  - tinydata\n  - libtiny=1.1=h0_0\n"))
    locked = run_cli("lock", str(image), env=built_image_env)
    assert locked.returncode == 0, locked.stderr
    result = run_cli("build", str(image), "--target", "cpu", "--json", env=built_image_env)
    assert_no_traceback(result)
    assert result.returncode == 0, result.stderr
    return image, json.loads(result.stdout)


def test_the_image_runs_its_conda_and_pip_packages_as_non_root(conda_built, engine):
    image, result = conda_built
    out = docker("run", "--rm", "--network", "none", result["image"], "sh", "-c",
                 'id -u; tinytool; python -c "import alpha, sys; print(alpha.__version__, sys.prefix)"; '
                 "head -2 /opt/conda/bin/tinytool | tail -1; ls -A /opt/conda")
    assert out.splitlines() == ["10001", "tinytool 2.0", "1.0 /opt/conda", "# installed in /opt/conda",
                                "bin", "conda-meta", "lib", "pyvenv.cfg", "share"]
    lock_text = (image / "locks" / "cpu.conda-lock.yml").read_text()
    assert docker("run", "--rm", result["image"], "cat", "/etc/envbuild/lock.conda-lock.yml") == lock_text
    record = json.loads(docker("run", "--rm", result["image"], "sh", "-c", "cat /opt/conda/conda-meta/tinytool-*.json"))
    assert record["url"].startswith("file://") and record["url"] in lock_text  # the lock's URL, not the build's copy
    labels = engine.inspect(result["id"]).labels
    assert labels["dev.envbuild.conda-prefix"] == "/opt/conda" and labels["dev.envbuild.target"] == "cpu"
    assert [layer["name"] for layer in result["layers"]] == ["tools", "packages", "metadata"]


def test_verify_the_image_clean_and_rebuild_is_a_no_op_then_reproducible(conda_built, built_image_env):
    image, first = conda_built
    result = run_cli("verify", "--image", first["image"], "--files", env=built_image_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok (6 locked packages match)" in result.stdout and "lock.conda-lock.yml" in result.stdout
    again = json.loads(run_cli("build", str(image), "--target", "cpu", "--json", env=built_image_env).stdout)
    assert again["built"] is False and again["id"] == first["id"]
    fresh = json.loads(run_cli("build", str(image), "--target", "cpu", "--no-cache", "--json",
                               env=built_image_env).stdout)
    assert fresh["built"] is True and fresh["id"] == first["id"]  # same inputs, same image ID


def test_drift_planted_in_a_running_container(conda_built, built_image_env):
    _, result = conda_built
    name = f"envbuild-conda-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--network", "none", result["image"], "sleep", "300")
    try:
        docker("exec", "-u", "0", name, "sh", "-c", "echo patched >> /opt/conda/share/tinytool/README && "
               "rm /opt/conda/conda-meta/tinydata-*.json && "
               "rm -r /opt/conda/lib/python3.11/site-packages/beta-1.1.dist-info")
        verify = run_cli("verify", "--container", name, "--files", "--json", env=built_image_env)
        assert_no_traceback(verify)
        report = json.loads(verify.stdout)
        assert verify.returncode == 1
        assert sorted((f["kind"], f["name"]) for f in report["findings"]) == [
            ("missing", "beta"), ("missing", "tinydata"), ("modified", "/opt/conda"), ("modified", "tinytool")]
    finally:
        docker("rm", "-f", name, check=False)


def test_a_rebuilt_conda_package_is_a_build_finding(conda_built, built_image_env):
    image, built = conda_built
    other = run_cli("build", str(image), "--target", "rebuilt", "--json", env=built_image_env)
    assert other.returncode == 0, other.stderr
    verify = run_cli("verify", "--lock", str(image / "locks" / "cpu.conda-lock.yml"), "--image",
                     json.loads(other.stdout)["image"], "--json", env=built_image_env)
    findings = json.loads(verify.stdout)["findings"]
    assert verify.returncode == 1
    assert [(f["kind"], f["name"], f["expected"], f["actual"]) for f in findings] == [
        ("build", "libtiny", "1.1 h1_1", "1.1 h0_0")]
    # the layers split from the one install: only the group holding libtiny (and the metadata) differ
    first = {layer["name"]: layer["diff_id"] for layer in built["layers"]}
    second = {layer["name"]: layer["diff_id"] for layer in json.loads(other.stdout)["layers"]}
    assert [name for name in first if first[name] != second[name]] == ["tools", "metadata"]


FORGE_META = """
import glob, hashlib, json
path = "/opt/conda/share/tinytool/README"
open(path, "a").write("patched\\n")
digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
[meta] = glob.glob("/opt/conda/conda-meta/tinytool-*.json")
record = json.load(open(meta))
for entry in record["paths_data"]["paths"]:
    if entry["_path"] == "share/tinytool/README":
        entry["sha256"] = entry["sha256_in_prefix"] = digest
json.dump(record, open(meta, "w"))
"""


def test_a_file_edited_with_its_conda_meta_record_is_found_against_the_archive(conda_built, built_image_env):
    """Issue 32, item 8: conda-meta is the environment's own claim; the package archive's
    info/paths.json (pinned by the lock's sha256) is not."""
    _, result = conda_built
    name = f"envbuild-conda-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, "--network", "none", result["image"], "sleep", "300")
    try:
        subprocess.run(["docker", "exec", "-i", "-u", "0", name, "/opt/conda/bin/python", "-"], input=FORGE_META,
                       text=True, check=True, capture_output=True)
        verify = run_cli("verify", "--container", name, "--files", "--json", env=built_image_env)
        assert_no_traceback(verify)
        found = {(f["kind"], f["name"]): f for f in json.loads(verify.stdout)["findings"]}
        tinytool = found[("modified", "tinytool")]
        assert tinytool["expected"] == "files as in its archive"
        assert tinytool["paths"] == ["/opt/conda/share/tinytool/README"]
    finally:
        docker("rm", "-f", name, check=False)
