"""What verify prints where: colour and tables on a terminal (a real pseudo-terminal), plain text
when piped or with NO_COLOR, Markdown with --format markdown and in $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys

from tests.conftest import hermetic_env, pip
from tests.unit.test_markdown import tables

ESC = "\x1b["


def on_terminal(*args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run envbuild with stdout and stderr on a pseudo-terminal; what it wrote there."""
    master, slave = pty.openpty()
    done = subprocess.Popen([sys.executable, "-m", "envbuild", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return done.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def _drifted(venv, index):
    pip(venv, "install", "--no-deps", "--index-url", index.url, "beta==1.0")


def test_colour_on_a_terminal_plain_when_piped_or_no_color(cli, locked, venv, index):
    _drifted(venv, index)
    args = ("verify", str(locked), "--python", str(venv / "bin" / "python"))
    env = {k: v for k, v in hermetic_env().items() if k != "NO_COLOR"}
    code, shown = on_terminal(*args, env={**env, "TERM": "xterm"})
    assert code == 1
    assert ESC in shown and "\x1b[1mbeta" in shown  # the name in bold, the severity coloured
    assert "1.1" in shown and "1.0" in shown
    code, plain = on_terminal(*args, env={**env, "TERM": "xterm", "NO_COLOR": "1"})
    assert code == 1 and ESC not in plain and "beta" in plain
    code, never = on_terminal(*args, "--color", "never", env={**env, "TERM": "xterm"})
    assert code == 1 and ESC not in never
    piped = cli(*args, env=env)
    assert piped.returncode == 1 and ESC not in piped.stdout + piped.stderr
    assert re.search(r"^  \w+ +version +beta +1\.1 +1\.0", piped.stdout, re.MULTILINE), piped.stdout
    forced = cli(*args, env={**env, "FORCE_COLOR": "1"})
    assert ESC in forced.stdout


def test_markdown_report_on_stdout_and_in_the_job_summary(cli, locked, venv, index, tmp_path):
    _drifted(venv, index)
    summary = tmp_path / "summary.md"
    result = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--format", "markdown",
                 env=hermetic_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert result.returncode == 1
    assert result.stdout.startswith("### envbuild verify\n") and "**0 of 1 environment clean**" in result.stdout
    [version] = tables(result.stdout)
    assert version[0] == ["severity", "name", "expected", "actual", "detail"] and version[1][1:4] == ["beta", "1.1", "1.0"]
    assert summary.read_text() == result.stdout + "\n"
    as_json = cli("verify", str(locked), "--python", str(venv / "bin" / "python"), "--json",
                  env=hermetic_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert as_json.stdout.startswith("{") and summary.read_text().count("### envbuild verify") == 2


def test_files_hashed_are_a_meter_on_a_terminal_and_lines_when_piped(cli, locked, venv):
    site = next((venv / "lib").glob("python3*/site-packages"))
    planted = site / "planted"
    planted.mkdir()
    for n in range(3000):  # ~190 MB in files of its own: long enough for progress lines every 0.1 s
        (planted / f"blob{n}.bin").write_bytes(n.to_bytes(4, "big") * 16384)
    args = ("verify", str(locked), "--python", str(venv / "bin" / "python"), "--files")
    env = {**{k: v for k, v in hermetic_env().items() if k != "NO_COLOR"}, "ENVBUILD_PROGRESS_INTERVAL": "0.1"}
    piped = cli(*args, env=env)
    assert piped.returncode == 1, piped.stderr  # the planted files are nobody's
    assert ESC not in piped.stderr and "envbuild-probe:" not in piped.stderr
    periodic = re.findall(r"^  python \S+: hashed [\d.]+ [kMG]?B of [\d.]+ [kMG]?B \(\d+ %\), \d+/\d+ files", piped.stderr,
                          re.MULTILINE)
    assert periodic, piped.stderr
    closing = re.search(r"^python \S+: hashed (\d+) files, [\d.]+ MB in [\d.]+ s \([\d.]+ [kMG]?B/s\)$", piped.stderr,
                        re.MULTILINE)
    assert closing and int(closing[1]) >= 3000, piped.stderr
    code, shown = on_terminal(*args, env={**env, "TERM": "xterm"})
    assert code == 1
    assert "\r\x1b[K[" in shown and re.search(r"\[[#-]{24}\] python \S+: hashed ", shown), shown[-2000:]
    assert re.search(r"python \S+: hashed \d+ files, ", shown)
