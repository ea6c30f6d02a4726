"""adapters/places.py and cli/places.py: how each place's command line is made, and the hosts file."""

from __future__ import annotations

from pathlib import Path

import pytest

from envbuild.adapters.places import Place, argv_for
from envbuild.cli.places import places
from envbuild.errors import UserError


def test_exec_is_the_user_s_command_split_like_a_shell_then_the_probe_s_words():
    place = Place(kind="exec", name="kubectl exec -i 'train pod' -n ml --", interpreter="/opt/venv/bin/python")
    assert argv_for(place, files=True, timeout=30) == [
        "kubectl", "exec", "-i", "train pod", "-n", "ml", "--", "/opt/venv/bin/python", "-I", "-S", "-B", "-",
        "--deadline=30", "--files"]
    assert place.label == "exec kubectl exec -i 'train pod' -n ml --"
    for bad in ("kubectl exec -i 'pod", "   "):
        with pytest.raises(UserError, match="--exec"):
            Place(kind="exec", name=bad)


def test_a_hosts_file_is_one_host_per_line_with_comments(tmp_path: Path):
    hosts = tmp_path / "hosts"
    hosts.write_text("# rack 1\ngpu-1\n  root@gpu-2  # spare\n\n")
    found = places([], [], [], ["gpu-0"], "python3", None, hosts=hosts)
    assert [(p.kind, p.name) for p in found] == [("ssh", "gpu-0"), ("ssh", "gpu-1"), ("ssh", "root@gpu-2")]
    for text, message in (("gpu-1 gpu-2\n", "one host per line"), ("-oProxyCommand=x\n", "not a host name"),
                          ("# none\n", "no hosts in it")):
        hosts.write_text(text)
        with pytest.raises(UserError, match=message):
            places([], [], [], [], "python3", None, hosts=hosts)
    with pytest.raises(UserError, match="no such file"):
        places([], [], [], [], "python3", None, hosts=tmp_path / "absent")


def test_short_help_and_version_and_o_dash_is_standard_output(tmp_path: Path):
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "envbuild", *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)

    from envbuild.version import __version__

    assert run("-V").stdout.strip() == f"envbuild {__version__}"
    assert run("verify", "-h").stdout.startswith("Usage: envbuild verify")
    snapshot = run("snapshot", "-o", "-")
    assert snapshot.returncode == 0 and snapshot.stdout.lstrip().startswith("{")
    assert not (tmp_path / "-").exists()
