"""verify --ssh against a real sshd on 127.0.0.1 (started here, throwaway keys), plus a host that is down."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.conftest import kinds, pip

pytestmark = [pytest.mark.ssh, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not os.path.exists("/usr/sbin/sshd") or shutil.which("ssh") is None:
        pytest.fail("openssh-server and openssh-client are needed (scripts/setup-docker.sh installs them)")
    root = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / name)], check=True)
    shutil.copy(root / "client_key.pub", root / "authorized_keys")
    port = free_port()
    (root / "sshd_config").write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {root / 'host_key'}
AuthorizedKeysFile {root / 'authorized_keys'}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile {root / 'sshd.pid'}
""")
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(root / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    down = free_port()  # nothing listens there
    config = root / "ssh_config"
    common = (f"  HostName 127.0.0.1\n  User root\n  IdentityFile {root / 'client_key'}\n  IdentitiesOnly yes\n"
              "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n")
    config.write_text(f"Host gpu-prod-1 gpu-prod-2\n  Port {port}\n{common}Host gpu-prod-down\n  Port {down}\n{common}")
    for _ in range(50):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield config
    proc.terminate()
    proc.wait(timeout=10)


def test_hosts_are_verified_in_parallel_and_a_down_host_is_reported_exit_5(sshd, cli, locked, venv, index, tmp_path):
    junit = tmp_path / "ssh.xml"
    args = ["verify", "--lock", str(locked / "locks" / "cpu.txt"), "--ssh-config", str(sshd),
            "--interpreter", str(venv / "bin" / "python"), "--files"]
    clean = cli(*args, "--ssh", "gpu-prod-1", "--ssh", "gpu-prod-2")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ssh gpu-prod-1: ok (5 locked packages match)" in clean.stdout
    assert "ssh gpu-prod-2: ok" in clean.stdout

    pip(venv, "install", "--no-deps", "--index-url", index.url, "beta==1.0")
    result = cli(*args, "--ssh", "gpu-prod-1", "--ssh", "gpu-prod-down", "--json", "--junit", str(junit))
    report = json.loads(result.stdout)
    assert result.returncode == 5  # one host could not be checked
    states = {t["target"]: t for t in report["targets"]}
    assert states["ssh gpu-prod-down"]["error"].startswith("ssh gpu-prod-down: cannot connect")
    assert states["ssh gpu-prod-1"]["findings"] == 1 and kinds(report) == [("version", "beta")]
    assert report["findings"][0]["target"] == "ssh gpu-prod-1"
    assert junit.read_text().count("<testsuite ") == 2 and 'type="unreachable"' in junit.read_text()


def test_nothing_is_installed_on_the_host(sshd, cli, locked, venv):
    before = sorted(p.name for p in (venv / "lib").rglob("*"))
    assert cli("snapshot", "--ssh", "gpu-prod-1", "--ssh-config", str(sshd),
               "--interpreter", str(venv / "bin" / "python")).returncode == 0
    assert sorted(p.name for p in (venv / "lib").rglob("*")) == before


def test_a_hosts_file_and_any_transport_through_exec(sshd, cli, locked, venv, tmp_path):
    """--hosts FILE (comments, blank lines) and --exec 'ssh -F CONFIG HOST' (the way a bastion hop,
    kubectl exec or podman exec is used) reach the same hosts as --ssh."""
    hosts = tmp_path / "hosts"
    hosts.write_text("# production\ngpu-prod-1\n\ngpu-prod-2   # the second rack\n")
    common = ["verify", "--lock", str(locked / "locks" / "cpu.txt"), "--interpreter", str(venv / "bin" / "python")]
    both = cli(*common, "--ssh-config", str(sshd), "--hosts", str(hosts), "--json")
    assert both.returncode == 0, both.stdout + both.stderr
    assert [t["target"] for t in json.loads(both.stdout)["targets"]] == ["ssh gpu-prod-1", "ssh gpu-prod-2"]
    through = cli(*common, "--exec", f"ssh -F {sshd} gpu-prod-1", "--json")
    assert through.returncode == 0, through.stdout + through.stderr
    assert json.loads(through.stdout)["targets"][0]["target"] == f"exec ssh -F {sshd} gpu-prod-1"
    hosts.write_text("# nobody\n")
    empty = cli(*common, "--hosts", str(hosts))
    assert empty.returncode == 2 and "no hosts in it" in empty.stderr
