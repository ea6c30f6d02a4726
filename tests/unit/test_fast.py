"""cli/fast.py holds to click: for every command line it takes, the arguments Typer would give
verify; for the ones it leaves alone, Typer parses (and reports errors as usual)."""

from __future__ import annotations

import pytest
import typer

from envbuild.cli import app
from envbuild.cli.fast import parse_verify

ACCEPTED = [
    [],
    ["images/demo"],
    ["images/demo", "--target", "cpu", "--json"],
    ["-t", "cpu", "--lock", "locks/cpu.txt", "--python", "a/bin/python", "--python", "b/bin/python"],
    ["--lock=locks/cpu.txt", "--format=markdown", "--fail-on", "high", "--files", "-q", "-v", "-v"],
    ["--image", "x:1", "--container", "c", "--ssh", "h", "--exec", "kubectl exec -i p --", "--hosts", "hosts.txt",
     "-j", "4", "--interpreter", "/opt/venv/bin/python", "--ssh-config", "cfg", "--conda-prefix", "/opt/conda"],
    ["--timeout", "30", "--allow-extra", "pip", "--allow-extra", "wheel", "--gpu", "--data", "--junit", "r.xml",
     "--against", "mlflow:runs:/abc", "--platform", "linux-64", "--color", "never", "--debug", "-f", "json"],
]
REFUSED = [["-h"], ["--help"], ["--lokc", "x"], ["-tcpu"], ["--jobs", "0"], ["--timeout", "soon"], ["a", "b"],
           ["--lock"], ["--lock", "--json"], ["--color", "blue"], ["--json=yes"], ["--", "x"]]


def _typer_gives(args: list[str], monkeypatch) -> tuple[dict, dict]:
    """What the Typer command passes to verify_run.run, and what it settles the common options to."""
    import envbuild.cli.verify_run as verify_run
    from envbuild.cli.settings import SETTINGS, Settings

    seen: dict = {}
    monkeypatch.setattr(verify_run, "run", lambda **options: seen.update(options) or 0)
    monkeypatch.setattr(SETTINGS, "__dict__", dict(Settings().__dict__))
    typer.main.get_command(app).main(["verify", *args], prog_name="envbuild", standalone_mode=False)
    return seen, {"quiet": SETTINGS.quiet, "verbose": SETTINGS.verbose, "debug": SETTINGS.debug,
                  "color": None if SETTINGS.color == "auto" and "auto" not in args else SETTINGS.color}


@pytest.mark.parametrize("args", ACCEPTED)
def test_the_fast_parser_gives_what_typer_gives(args, monkeypatch):
    parsed = parse_verify(args)
    assert parsed is not None, args
    options, common = parsed
    expected, conventions = _typer_gives(args, monkeypatch)
    assert options == expected
    assert common == conventions


@pytest.mark.parametrize("args", REFUSED)
def test_anything_unusual_is_left_to_typer(args):
    assert parse_verify(args) is None
