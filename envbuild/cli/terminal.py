"""Findings as rich tables in colour, for a terminal only (output.show_report decides; imported
then and only then, so piped output and --json never pay for rich).

Every cell is a rich Text built from `printable` text, never markup: a package named
'[bold]x' or carrying escape codes prints as what it is.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from envbuild.core.report.outcomes import _ranked, packages_matched
from envbuild.core.check.severity import LEVELS, severity
from envbuild.core.text import printable

if TYPE_CHECKING:
    from envbuild.core.report.outcomes import Outcome

STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}


def console() -> Console:
    return Console(file=sys.stdout, force_terminal=True, highlight=False, emoji=False, markup=False)


def print_findings(outcomes: Sequence["Outcome"], *, ok_summary: Callable[[int], str] | None = None) -> None:
    screen = console()
    for o in outcomes:
        label = printable(o.label)
        if o.error:
            screen.print(Text.assemble((label, "bold"), ": ", ("UNREACHABLE", "bold red"), ": ", printable(o.error)))
            continue
        if not o.findings:
            summary = (ok_summary or packages_matched)(len(o.packages)) if o.subject == "locked package" else \
                packages_matched(len(o.packages), o.subject)
            screen.print(Text.assemble((label, "bold"), ": ", ("ok", "bold green"), f" ({summary})"))
            continue
        ranked = _ranked(o.findings)
        counts = ", ".join(f"{n} {level}" for level in reversed(LEVELS)
                           if (n := sum(1 for f in ranked if severity(f) == level)))
        plural = "s" if len(ranked) != 1 else ""
        screen.print(Text.assemble((label, "bold"), f": {len(ranked)} finding{plural} ({counts})"))
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="bold")
        for column in ("severity", "kind", "name", "expected", "actual", "detail"):
            table.add_column(column, overflow="fold")
        for f in ranked:
            level = severity(f)
            table.add_row(Text(level, STYLES.get(level, "")), Text(printable(f.kind)), Text(printable(f.name), "bold"),
                          Text(printable(f.expected or "-")), Text(printable(f.actual or "-")),
                          Text(printable(f.detail), "dim"))
        screen.print(Padding(table, (0, 0, 0, 2)))
        for note in o.notes:
            screen.print(Text(f"  note: {printable(note)}", "dim"))
