"""cli/conventions.py and cli/settings.py: the options every command takes, colour's rules, usage
errors in the one-line form, shell completion."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from envbuild.cli import app
from envbuild.cli.settings import SETTINGS, use_color
from tests.conftest import hermetic_env


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "envbuild", *args], cwd=cwd, capture_output=True, text=True,
                          env=hermetic_env(**env), timeout=120)


def test_every_command_takes_the_common_options():
    group = typer.main.get_command(app)
    assert set(group.commands) >= {"lock", "verify", "build", "snapshot", "diff", "export", "schema"}
    for name, command in [("envbuild", group), *group.commands.items()]:
        options = {o for param in command.params for o in getattr(param, "opts", [])}
        assert {"-q", "--quiet", "-v", "--verbose", "--color", "--debug"} <= options, name
        assert name == "envbuild" or "--json" in options, name
        assert command.context_settings.get("help_option_names", ["-h", "--help"]) == ["-h", "--help"], name


def test_a_usage_error_is_one_line_and_a_hint_with_exit_2(tmp_path):
    for args, message in ((("export",), "envbuild: error: Missing option '--format' / '-f'."),
                          (("verify", "--colour", "x"), "envbuild: error: No such option: --colour"),
                          (("verify", "--color", "blue"), "'blue': expected auto, always or never"),
                          (("nonsense",), "envbuild: error: No such command 'nonsense'.")):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.splitlines()
        assert len(lines) == 2 and message in lines[0] and lines[1].startswith("hint: '"), (args, done.stderr)
        assert "Usage:" not in done.stderr and "Traceback" not in done.stderr


def test_quiet_before_or_after_the_command_drops_progress_but_not_results(tmp_path):
    loud = run("schema", "-o", str(tmp_path / "a.json"), cwd=tmp_path)
    assert loud.returncode == 0 and f"wrote {tmp_path / 'a.json'}" in loud.stderr
    for args in (("-q", "schema"), ("schema", "-q"), ("schema", "--quiet")):
        quiet = run(*args, "-o", str(tmp_path / "b.json"), cwd=tmp_path)
        assert quiet.returncode == 0 and quiet.stderr == "" and (tmp_path / "b.json").read_text().startswith("{")
    results = run("-q", "schema", cwd=tmp_path)
    assert results.stdout.startswith("{")


def test_shell_completion_is_shown_and_completes_commands_and_options():
    # the shell is detected from the parent processes; typer's switch makes it an argument instead
    shown = run("--show-completion", "bash", _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert shown.returncode == 0 and "_ENVBUILD_COMPLETE=complete_bash" in shown.stdout
    words = run(_ENVBUILD_COMPLETE="complete_bash", COMP_WORDS="envbuild ver", COMP_CWORD="1")
    assert words.stdout.split() == ["verify"]
    options = run(_ENVBUILD_COMPLETE="complete_bash", COMP_WORDS="envbuild verify --fail", COMP_CWORD="2")
    assert options.stdout.split() == ["--fail-on"]


class _Tty:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("setting", "environ", "tty", "expected"), [
    ("auto", {}, True, True), ("auto", {}, False, False), ("auto", {"TERM": "dumb"}, True, False),
    ("auto", {"NO_COLOR": "1"}, True, False), ("auto", {"NO_COLOR": ""}, True, True),
    ("auto", {"FORCE_COLOR": "1"}, False, True), ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ("always", {"NO_COLOR": "1"}, False, True), ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_follows_the_option_then_no_color_then_force_color_then_the_terminal(setting, environ, tty, expected,
                                                                                      monkeypatch):
    monkeypatch.setattr(SETTINGS, "color", setting)
    assert use_color(environ, _Tty(tty)) is expected


def test_json_on_document_commands_is_the_document_or_what_was_written(tmp_path):
    import hashlib
    import json

    schema = run("schema", "--json", cwd=tmp_path)
    assert json.loads(schema.stdout)["$schema"].startswith("https://json-schema.org/")
    probe = json.loads(run("probe", "--json", cwd=tmp_path).stdout)  # a script: wrapped
    assert probe["schema"] == 1 and probe["text"].startswith("import sys, types") and "def _boot(" in probe["text"]
    written = run("schema", "--json", "-o", str(tmp_path / "s.json"), cwd=tmp_path)
    described = json.loads(written.stdout)
    data = (tmp_path / "s.json").read_bytes()
    assert described == {"schema": 1, "path": str(tmp_path / "s.json"), "bytes": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()}


def test_envbuild_alone_prints_its_help_not_an_error(tmp_path):
    done = run(cwd=tmp_path)
    assert done.returncode == 2 and done.stdout.startswith("Usage: envbuild [OPTIONS] COMMAND")
    assert "verify" in done.stdout and "error" not in done.stderr
