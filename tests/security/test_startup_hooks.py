"""Start-up code that a locked wheel ships (issue 32, item 2 and way out 4): read from each wheel at
lock time (range requests of its central directory), recorded in the lock with a warning naming the
package, expected by verify - and any other such hook a finding. Hermetic: the local index serves
`hooked`, whose wheel ships hooked_init.pth with an import line (the shape of litellm 1.82.7)."""

from __future__ import annotations

import glob
import json
import subprocess
import sys

import pytest

from envbuild.core.lock import read_lock
from tests.conftest import assert_no_traceback, hermetic_env, pip

pytestmark = pytest.mark.security
SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


@pytest.fixture
def hooked(make_image, index, cli, tmp_path):
    directory = make_image(f'name: t/hooks\npython: "{sys.version_info.major}.{sys.version_info.minor}"\n'
                           f"exclude-newer: 2026-05-01\nindex: {index.url}\nrequirements: requirements.in\n"
                           "targets:\n  cpu: {}\n", {"requirements.in": "hooked\nbeta\n"})
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "lock-cache"))  # nothing remembered yet
    before = index.ranged
    result = cli("lock", str(directory), env=env)
    assert result.returncode == 0, result.stderr
    assert index.ranged > before  # the central directory by range, not the whole file
    # What a wheel ships is remembered under its sha256: a fresh lock of the same pins reads none again.
    (directory / "locks" / "cpu.txt").unlink()
    before = index.ranged
    again = cli("lock", str(directory), env=env)
    assert again.returncode == 0 and index.ranged == before, again.stderr
    assert (directory / "locks" / "cpu.txt").read_text().count("# start-up: hooked hooked_init.pth") == 1
    return directory, result


def test_the_lock_records_each_wheel_s_start_up_code_and_says_so(hooked):
    directory, result = hooked
    assert "warning: hooked 1.0 ships code that runs at every interpreter start: hooked_init.pth" in result.stderr
    text = (directory / "locks" / "cpu.txt").read_text()
    assert "# start-up: checked\n# start-up: hooked hooked_init.pth\n" in text
    lock = read_lock(text, "cpu.txt")
    assert lock.hooks_checked and {p.name: p.hooks for p in lock.pip} == {"beta": (), "hooked": ("hooked_init.pth",)}


def test_a_plain_server_without_ranges_is_read_whole(make_image, index, cli):
    index.ranges = False
    try:
        directory = make_image(f'name: t/plain\npython: "3.11"\nexclude-newer: 2026-05-01\nindex: {index.url}\n'
                               "requirements: requirements.in\ntargets:\n  cpu: {}\n", {"requirements.in": "hooked\n"})
        assert cli("lock", str(directory)).returncode == 0
        assert "# start-up: hooked hooked_init.pth" in (directory / "locks" / "cpu.txt").read_text()
    finally:
        index.ranges = True


def test_verify_expects_the_recorded_hook_and_finds_any_other(hooked, tmp_path, cli):
    directory, _ = hooked
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip(venv, "install", "--require-hashes", "--no-deps", "-r", str(directory / "locks" / "cpu.txt"))

    def verify(*extra: str) -> dict:
        result = cli("verify", str(directory), "--python", str(venv / "bin" / "python"), "--json", *extra)
        assert_no_traceback(result)
        return json.loads(result.stdout)

    for files in ((), ("--files",)):
        clean = verify(*files)
        assert clean["exit_code"] == 0 and clean["findings"] == [], clean
        assert any("hooked_init.pth of hooked 1.0 (the lock expects it)" in n for n in clean["targets"][0]["notes"])
    # A second hook, listed in the installed RECORD so that the package seems to own it
    (venv / SITE / "hooked_extra.pth").write_text("import hooked; hooked.__version__\n")
    [record] = glob.glob(str(venv / SITE / "hooked-1.0.dist-info" / "RECORD"))
    with open(record, "a") as handle:
        handle.write("hooked_extra.pth,,\n")
    for files in ((), ("--files",)):
        report = verify(*files)
        [finding] = report["findings"]
        assert (finding["kind"], finding["name"], finding["severity"]) == ("unowned", "hooked_extra.pth", "high")
        assert finding["detail"].startswith("runs code at start-up: import hooked")
        assert report["exit_code"] == 1 and verify("--fail-on", "medium", *files)["exit_code"] == 1
