"""The README stays true by construction: its command reference is generated from the commands
themselves (every option listed), every directory and file it names exists, and the tour's
commands parse with envbuild's own parser.

ENVBUILD_UPDATE_GOLDEN=1 rewrites the reference block from the commands (`make readme`).
"""

from __future__ import annotations

import os
import re
import shlex

import typer

from envbuild.cli import app
from envbuild.cli.conventions import OPTIONS
from tests.conftest import REPO

README = REPO / "README.md"
BEGIN, END = "<!-- synopses: generated from the commands; make readme -->", "<!-- end of synopses -->"
COMMON = {opt for _name, _kind, option in OPTIONS for opt in (option.param_decls or ())} | {"-h", "--help"}


def synopsis(name: str, command) -> str:
    words = [f"envbuild {name}"]
    for param in command.params:
        if param.param_type_name == "argument":
            meta = {"directory": "DIR", "where": "DIR|IMAGE", "args": "-- ARGS..."}.get(
                param.name, param.name.upper().replace("_", "-"))
            words.append(meta if param.required else f"[{meta}]")
            continue
        opts = [o for o in param.opts if o.startswith("--")] or param.opts
        if set(param.opts) & COMMON or not opts:
            continue
        word = opts[0]
        if not param.is_flag and not getattr(param, "count", False):
            word += " " + (param.metavar or opts[0].lstrip("-").upper())
        words.append(word if param.required else f"[{word}]" + ("..." if param.multiple else ""))
    return " ".join(words)


def synopses() -> str:
    group = typer.main.get_command(app)
    lines = ["```"] + [synopsis(name, command) for name, command in group.commands.items()]
    lines += ["", "every command also takes: -q/--quiet, -v/--verbose, --color auto|always|never, --debug, -h/--help",
              "```"]
    return "\n".join(lines)


def test_the_command_reference_lists_every_option_of_every_command():
    text = README.read_text()
    assert BEGIN in text and END in text, "the README has the generated command reference"
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    fresh = "\n" + synopses() + "\n"
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        README.write_text(text[:start] + fresh + text[end:])
        text = README.read_text()
        start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    assert text[start:end] == fresh, "README command reference is stale: run 'make readme'"


_NAMED = re.compile(r"(?<![\w./-])((?:images|examples|bench|tools|tests|scripts|templates|\.ci)/[\w./-]*\w)")


def test_every_repository_path_the_readme_names_exists():
    text = README.read_text()
    missing = sorted({p for p in _NAMED.findall(text) if not (REPO / p).exists() and not _generated(p)})
    assert missing == []


def _generated(path: str) -> bool:
    """Paths the tour's own commands write (a lock, a build's outputs) or that stand for many."""
    return "/locks/" in path or path.endswith("/locks") or "*" in path or "…" in path


def test_the_tours_commands_parse_and_name_existing_directories():
    group = typer.main.get_command(app)
    failures = []
    lines = README.read_text().splitlines()
    for number, line in enumerate(lines):
        if not line.startswith("$ envbuild "):
            continue
        if number + 1 < len(lines) and lines[number + 1].startswith("envbuild: error: No such option"):
            continue  # the example of a usage error
        command = re.split(r"\s#|;|\s\||&&|\s2?>", line[2:] + " ", maxsplit=1)[0].strip()
        try:
            words = shlex.split(command)[1:]
        except ValueError as exc:
            failures.append(f"{command}: {exc}")
            continue
        if "…" in command or "..." in command or any(w.startswith(("<", "$")) for w in words):
            continue  # a placeholder, e.g. an image ID shortened in the text
        try:
            with group.make_context("envbuild", list(words), resilient_parsing=False) as context:
                name, sub, rest = group.resolve_command(context, list(words))
                sub.make_context(name, rest, parent=context)
        except typer.Exit:
            pass
        except Exception as exc:  # noqa: BLE001 - every failure is listed
            failures.append(f"{command}: {exc}")
            continue
        for word in words[1:]:
            if re.fullmatch(r"(images|examples)/[\w-]+", word) and not (REPO / word).is_dir():
                failures.append(f"{command}: no {word} in the repository")
    assert failures == []
