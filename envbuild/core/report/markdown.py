"""Reports as GitHub-flavoured Markdown: verify and diff findings, lock changes. Pure.

For a pull request comment or a job summary ($GITHUB_STEP_SUMMARY): a summary line, then one table
per finding kind (the most severe kind first), severities named. Every cell is escaped: names,
versions and paths come from inspected environments and must not break the table, open a link or
inject HTML.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from envbuild.core.check.severity import LEVELS, severity
from envbuild.core.text import printable

if TYPE_CHECKING:
    from envbuild.core.lock.changes import Change
    from envbuild.core.report.outcomes import Outcome

_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|`*_[]<>#!~"})


def cell(text: str | None) -> str:
    if not text:
        return "-"
    return printable(text).replace("\n", " ").translate(_SPECIAL)


def _table(header: Sequence[str], rows: Sequence[Sequence[str | None]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def verify_markdown(outcomes: Sequence["Outcome"], *, title: str = "envbuild verify", lock: str | None = None) -> str:
    """One section per environment: its verdict, then its findings grouped by kind."""
    failed = sum(1 for o in outcomes if o.error or o.findings)
    lines = [f"### {cell(title)}", ""]
    against = f" against {cell(lock)}" if lock else ""
    lines += [f"**{len(outcomes) - failed} of {len(outcomes)} environment{'s' if len(outcomes) != 1 else ''} "
              f"clean**{against}", ""]
    for o in outcomes:
        if o.error:
            lines += [f"#### {cell(o.label)}: unreachable", "", cell(o.error), ""]
            continue
        if not o.findings:
            lines += [f"#### {cell(o.label)}: ok ({len(o.packages)} {o.subject}{'s' if len(o.packages) != 1 else ''} "
                      "match)", ""]
            continue
        counts = ", ".join(f"{n} {level}" for level in reversed(LEVELS)
                           if (n := sum(1 for f in o.findings if severity(f) == level)))
        lines += [f"#### {cell(o.label)}: {len(o.findings)} finding{'s' if len(o.findings) != 1 else ''} ({counts})",
                  ""]
        kinds: dict[str, list[Any]] = {}
        for finding in o.findings:
            kinds.setdefault(finding.kind, []).append(finding)
        order = sorted(kinds, key=lambda k: (-max(LEVELS.index(severity(f)) for f in kinds[k]), k))
        for kind in order:
            lines += [f"**{cell(kind)}** ({len(kinds[kind])})", ""]
            lines += _table(("severity", "name", "expected", "actual", "detail"),
                            [(severity(f), f.name, f.expected, f.actual, f.detail) for f in kinds[kind]])
            lines.append("")
        lines += [f"note: {cell(n)}" for n in o.notes]
    return "\n".join(lines).rstrip() + "\n"


def lock_markdown(results: Sequence[tuple[str, str, Sequence["Change"]]]) -> str:
    """(target, lock path, changes) per target: a summary line each, then the changes grouped by kind."""
    from envbuild.core.lock.changes import summary

    lines = ["### envbuild lock", ""]
    for target, path, changes in results:
        lines += [f"#### {cell(target)} ({cell(path)}): {summary(changes)}", ""]
        kinds: dict[str, list[Any]] = {}
        for change in changes:
            kinds.setdefault(change.kind, []).append(change)
        for kind in sorted(kinds):
            lines += [f"**{kind}** ({len(kinds[kind])})", ""]
            lines += _table(("name", "before", "after"), [(c.name, c.old, c.new) for c in kinds[kind]])
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
