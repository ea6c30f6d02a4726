"""The usual `envbuild verify` command lines, parsed without importing Typer.

Typer and click cost about 60 ms to import and build the command tree, as much as the verify itself
of a local venv (the probe runs in-process). So main() first offers the arguments here: a command
line made only of verify's options, each spelled in full (`--lock FILE`, `--lock=FILE`, `-t cpu`),
at most one DIR, values that parse, is run straight away with the same function the Typer command
calls (cli/verify_run.py). Anything else - `-h`, an unknown or misspelt option, a bad number, a
value that looks like an option - returns None, and Typer parses it, reporting any error as usual.

tests/unit/test_fast.py holds this parser to click's: for each command line both accept, the same
arguments; for the ones it refuses, Typer's answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

VALUES = {"--target": "target", "-t": "target", "--lock": "lock", "--platform": "platform", "--against": "against",
          "--require-lock": "require_lock", "--lock-python": "lock_python", "--require-reproduced": "require_reproduced",
          "--python": "python", "--container": "container", "--image": "image", "--ssh": "ssh", "--exec": "exec_",
          "--hosts": "hosts", "--jobs": "jobs", "-j": "jobs", "--interpreter": "interpreter",
          "--ssh-config": "ssh_config", "--conda-prefix": "conda_prefix", "--timeout": "timeout",
          "--allow-extra": "allow_extra", "--format": "format", "-f": "format", "--junit": "junit",
          "--fail-on": "fail_on", "--color": "color"}
FLAGS = {"--files": "files", "--gpu": "gpu", "--data": "data", "--json": "as_json", "-q": "quiet", "--quiet": "quiet",
         "--debug": "debug"}
COUNTS = {"-v": "verbose", "--verbose": "verbose"}
MULTIPLE = {"python", "container", "image", "ssh", "exec_", "allow_extra"}
PATHS = {"directory", "lock", "hosts", "ssh_config", "junit"}
DEFAULTS: dict[str, Any] = {
    "directory": None, "target": None, "lock": None, "platform": None, "against": None, "require_lock": None, "lock_python": None,
    "require_reproduced": None,
    "python": [], "container": [],
    "image": [], "ssh": [], "exec_": [], "hosts": None, "jobs": 16, "interpreter": "python3", "ssh_config": None,
    "conda_prefix": None, "files": False, "timeout": 120.0, "allow_extra": [], "gpu": False, "data": False,
    "as_json": False, "format": "text", "junit": None, "fail_on": "low"}
CONVENTIONS = {"quiet": False, "verbose": 0, "color": None, "debug": False}


def parse_verify(args: list[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(verify's arguments, the common options) for a command line this parser is sure of; else None."""
    options: dict[str, Any] = {k: list(v) if isinstance(v, list) else v for k, v in DEFAULTS.items()}
    common: dict[str, Any] = dict(CONVENTIONS)
    positional: list[str] = []
    words = iter(args)
    for word in words:
        name, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in FLAGS and not eq:
            (common if FLAGS[name] in common else options)[FLAGS[name]] = True
        elif name in COUNTS and not eq:
            common["verbose"] += 1
        elif name in VALUES:
            value = inline if eq else next(words, None)
            if value is None or (not eq and value.startswith("-")):
                return None  # missing, or click's business to read as it does
            key = VALUES[name]
            if key == "color":
                common["color"] = value
            elif key in MULTIPLE:
                options[key].append(value)
            else:
                options[key] = value
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
    if len(positional) > 1 or common["color"] not in (None, "auto", "always", "never"):
        return None
    options["directory"] = positional[0] if positional else None
    try:
        options["jobs"] = int(options["jobs"])
        options["timeout"] = float(options["timeout"])
        if options["require_reproduced"] is not None:
            options["require_reproduced"] = float(options["require_reproduced"])
    except ValueError:
        return None
    if options["jobs"] < 1 or not options["timeout"] >= 1:
        return None
    for key in PATHS:
        if options[key] is not None:
            options[key] = Path(options[key])
    return options, common


def fast_verify(args: list[str]) -> int | None:
    """The exit code of `envbuild verify ...` run here, or None: Typer's to parse."""
    if not args or args[0] != "verify":
        return None
    parsed = parse_verify(args[1:])
    if parsed is None:
        return None
    options, common = parsed
    from envbuild.cli.settings import SETTINGS

    SETTINGS.quiet, SETTINGS.verbose, SETTINGS.debug = common["quiet"], common["verbose"], common["debug"]
    if common["color"]:
        SETTINGS.color = common["color"]
    from envbuild.cli.verify_run import run

    return run(**options)
