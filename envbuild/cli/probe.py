"""envbuild probe [-o FILE]: the stdlib-only probe, as the one script every transport sends."""

from __future__ import annotations

from pathlib import Path

import typer

from envbuild.cli.output import write_result


def probe(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here (atomically) instead of stdout; - is stdout."),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout: the document (wrapped unless it is JSON), "
                                 "or what was written to -o FILE."),
) -> None:
    """Print the probe for tools that run it themselves (Ansible, Salt, a CronJob): run it with
    `python3 -I -S - [--files]` on its standard input; its JSON answer is a snapshot for diff and verify --against."""
    from envbuild.adapters.places import probe_source

    text = probe_source()
    write_result(text, output, as_json=as_json)
