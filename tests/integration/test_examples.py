"""The examples/ recipes, run for real: the Ansible playbook with ansible-core (the venv `make tools`
installs from tools/ansible/locks/tool.txt) against the sshd on 127.0.0.1, its snapshots fed to
envbuild diff."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import REPO, hermetic_env, pip
from tests.integration.test_verify_ssh import sshd  # noqa: F401 - the fixture

pytestmark = [pytest.mark.ssh, pytest.mark.slow]
ANSIBLE = REPO / ".tools" / "ansible" / "bin"


def test_the_ansible_playbook_snapshots_each_host_and_envbuild_diff_finds_the_drifted_one(
        sshd, cli, locked, venv, index, tmp_path):  # noqa: F811
    if not (ANSIBLE / "ansible-playbook").is_file():
        pytest.skip("ansible-core is not installed: run 'make tools'")
    probe = tmp_path / "probe.py"
    assert cli("probe", "-o", str(probe)).returncode == 0
    python = venv / "bin" / "python"
    (tmp_path / "inventory.ini").write_text(
        "[serving]\ngpu-prod-1\ngpu-prod-2\n\n[serving:vars]\n"
        f"ansible_ssh_common_args='-F {sshd}'\nansible_python_interpreter={python}\n")
    env = hermetic_env(ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_SSH_TRANSFER_METHOD="piped", ANSIBLE_RETRY_FILES_ENABLED="False",
                       ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"), ANSIBLE_CONFIG=str(tmp_path / "none.cfg"))

    def playbook() -> None:
        done = subprocess.run([str(ANSIBLE / "ansible-playbook"), "-i", str(tmp_path / "inventory.ini"),
                               str(REPO / "examples" / "ansible" / "snapshot.yml"), "-e", f"envbuild_python={python}",
                               "-e", f"envbuild_probe={probe}", "-e", f"envbuild_snapshots={tmp_path / 'snapshots'}",
                               "-e", "envbuild_files=true"], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]

    playbook()
    lock = locked / "locks" / "cpu.txt"
    for host in ("gpu-prod-1", "gpu-prod-2"):
        snapshot = tmp_path / "snapshots" / f"{host}.json"
        assert json.loads(snapshot.read_text())["files_checked"] is True
        clean = cli("diff", str(lock), str(snapshot))
        assert clean.returncode == 0 and "no differences" in clean.stdout, clean.stdout + clean.stderr

    pip(venv, "install", "--no-deps", "--index-url", index.url, "beta==1.0")
    playbook()
    drift = cli("diff", str(lock), str(tmp_path / "snapshots" / "gpu-prod-1.json"), "--json")
    assert drift.returncode == 1
    assert [(f["kind"], f["name"], f["actual"]) for f in json.loads(drift.stdout)["findings"]] == [
        ("version", "beta", "1.0")]


@pytest.mark.network  # pre-commit installs envbuild into its own venv from PyPI, as it does for users
def test_the_pre_commit_hook_passes_a_fresh_lock_and_fails_a_stale_one(cli, locked, tmp_path):
    import shutil

    tool = REPO / ".tools" / "pre-commit" / "bin" / "pre-commit"
    if not tool.is_file():
        pytest.skip("pre-commit is not installed: run 'make tools'")
    project = tmp_path / "project"
    shutil.copytree(locked, project / "images" / "model")
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "model"], check=True)
    env = hermetic_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"), PIP_INDEX_URL="https://pypi.org/simple",
                       PIP_CONFIG_FILE="/dev/null", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)  # the hook runs the envbuild pre-commit installed, not this checkout's

    def hook() -> subprocess.CompletedProcess:
        return subprocess.run([str(tool), "try-repo", str(REPO), "envbuild-lock-check", "--all-files"], cwd=project,
                              env=env, capture_output=True, text=True, timeout=900)

    fresh = hook()
    assert fresh.returncode == 0, fresh.stdout[-3000:] + fresh.stderr[-2000:]
    assert "envbuild lock --check" in fresh.stdout and "Passed" in fresh.stdout
    with open(project / "images" / "model" / "requirements.in", "a") as handle:
        handle.write("gamma\n")
    stale = hook()
    assert stale.returncode == 1, stale.stdout[-3000:]
    assert "Failed" in stale.stdout and "cpu: stale (images/model/locks/cpu.txt)" in stale.stdout
    assert "requirements.in" in stale.stdout  # which input changed
