"""Findings → a table, the JSON envelope, JUnit XML; and the final exit code. Pure.

Every finding carries its severity (core/check/severity.py): tables list the most severe first, JSON and
JUnit name it, and ``fail_on`` sets the least severe finding that fails (default: any)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from envbuild.core.findings import Finding
from envbuild.core.check.severity import LEVELS, at_least, severity
from envbuild.core.text import printable
from envbuild.errors import CheckFailed, ToolUnavailable

PACKAGE_KINDS = ("missing", "version", "build", "modified", "duplicate")
ENVIRONMENT_CHECKS = (("python", ("python",)), ("platform", ("platform",)), ("gpu", ("gpu",)),
                      ("unexpected packages", ("unexpected",)))


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """The result of checking one environment (one host, container, image or interpreter)."""

    label: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # set when the environment could not be inspected at all
    packages: tuple[str, ...] = ()  # the locked names checked, for JUnit
    notes: tuple[str, ...] = field(default=())
    subject: str = "locked package"  # what ``packages`` names, for the summary line ("versioned output")

    @property
    def ok(self) -> bool:
        return self.error is None and not self.findings


def exit_code(outcomes: Sequence[Outcome], fail_on: str = "low") -> int:
    """5 when any environment could not be reached (the check is incomplete), else 1 on any finding
    at least as severe as ``fail_on``."""
    if any(o.error for o in outcomes):
        return ToolUnavailable.exit_code
    return CheckFailed.exit_code if any(at_least(f, fail_on) for o in outcomes for f in o.findings) else 0


def to_json(outcomes: Sequence[Outcome], *, lock: str | None, fail_on: str = "low") -> dict[str, Any]:
    findings = []
    for o in outcomes:
        for f in _ranked(o.findings):
            findings.append(dict(f.to_dict(), severity=severity(f), **({"target": o.label} if len(outcomes) > 1 else {})))
    return {
        "schema": 1,
        "ok": all(o.ok for o in outcomes),
        "exit_code": exit_code(outcomes, fail_on),
        "fail_on": fail_on,
        "lock": lock,
        "findings": findings,
        "targets": [{"target": o.label, "ok": o.ok, "error": o.error, "findings": len(o.findings),
                     "notes": list(o.notes)} for o in outcomes],
    }


def packages_matched(count: int, subject: str = "locked package") -> str:
    return f"{count} {subject}{'s match' if count != 1 else ' matches'}"


def to_table(outcomes: Sequence[Outcome], *, ok_summary: Callable[[int], str] = packages_matched) -> str:
    """Every field passes `printable`: names, paths and versions come from the inspected place."""
    lines: list[str] = []
    for o in outcomes:
        label = printable(o.label)
        if o.error:
            lines.append(f"{label}: UNREACHABLE: {printable(o.error)}")
            continue
        if not o.findings:
            summary = ok_summary(len(o.packages)) if o.subject == "locked package" else packages_matched(
                len(o.packages), o.subject)
            lines.append(f"{label}: ok ({summary})")
        else:
            ranked = _ranked(o.findings)
            counts = ", ".join(f"{n} {level}" for level in reversed(LEVELS)
                               if (n := sum(1 for f in ranked if severity(f) == level)))
            lines.append(f"{label}: {len(o.findings)} finding{'s' if len(o.findings) != 1 else ''} ({counts})")
            header = ("severity", "kind", "name", "expected", "actual")
            rows = [tuple(printable(c) for c in (severity(f), f.kind, f.name, f.expected or "-", f.actual or "-",
                                                   f.detail)) for f in ranked]
            widths = [max(len(r[i]) for r in rows + [(*header, "")]) for i in range(len(header))]
            lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
            for row in rows:
                text = "  ".join(c.ljust(w) for c, w in zip(row[:5], widths))
                lines.append(("  " + text + ("  " + row[5] if row[5] else "")).rstrip())
        lines.extend(f"  note: {printable(n)}" for n in o.notes)
    return "\n".join(lines) + "\n"


def to_junit(outcomes: Sequence[Outcome]) -> str:
    """One testsuite per environment; one testcase per locked package and per environment check."""
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites", name="envbuild verify")
    for o in outcomes:
        o = _printable_outcome(o)  # XML 1.0 has no control characters: unescaped, the file would not parse
        suite = ET.SubElement(suites, "testsuite", name=f"envbuild verify {o.label}")
        cases = failures = errors = 0
        if o.error:
            case = ET.SubElement(suite, "testcase", classname=f"{o.label}.environment", name="reachable")
            ET.SubElement(case, "error", message=o.error, type="unreachable").text = o.error
            cases, errors = 1, 1
        else:
            by_name: dict[str, list[Finding]] = {}
            for f in o.findings:
                by_name.setdefault(f.name, []).append(f)
            reported: set[int] = set()  # every finding fails some testcase: a report never passes what exit 1 fails
            for name in o.packages:
                cases += 1
                case = ET.SubElement(suite, "testcase", classname=f"{o.label}.packages", name=name)
                bad = [f for f in by_name.get(name, []) if f.kind in PACKAGE_KINDS or f.kind == "data"]
                if bad:
                    failures += 1
                    _failure(case, bad)
                    reported.update(map(id, bad))
            for check, kinds in ENVIRONMENT_CHECKS:
                cases += 1
                case = ET.SubElement(suite, "testcase", classname=f"{o.label}.environment", name=check)
                bad = [f for f in o.findings if f.kind in kinds]
                if bad:
                    failures += 1
                    _failure(case, bad)
                    reported.update(map(id, bad))
            rest: dict[str, list[Finding]] = {}
            for f in o.findings:
                if id(f) not in reported:
                    rest.setdefault("other packages" if f.kind in PACKAGE_KINDS else f.kind, []).append(f)
            for check, bad in rest.items():
                cases += 1
                failures += 1
                case = ET.SubElement(suite, "testcase", classname=f"{o.label}.environment", name=check)
                _failure(case, bad)
        suite.set("tests", str(cases))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _ranked(findings: Sequence[Finding]) -> list[Finding]:
    """The most severe first; in the order found within a level."""
    return sorted(findings, key=lambda f: -LEVELS.index(severity(f)))


def _printable_outcome(o: Outcome) -> Outcome:
    from dataclasses import replace

    def clean(f: Finding) -> Finding:
        return replace(f, kind=printable(f.kind), name=printable(f.name), detail=printable(f.detail),
                       expected=printable(f.expected) if f.expected is not None else None,
                       actual=printable(f.actual) if f.actual is not None else None)

    return replace(o, label=printable(o.label), error=printable(o.error) if o.error is not None else None,
                   findings=tuple(clean(f) for f in o.findings), packages=tuple(printable(p) for p in o.packages))


def _failure(case: Any, findings: list[Finding]) -> None:
    import xml.etree.ElementTree as ET

    first = findings[0]
    message = "; ".join(f"[{severity(f)}] {f.kind} {f.name}: expected {f.expected or '-'}, actual {f.actual or '-'}"
                        for f in findings)
    node = ET.SubElement(case, "failure", message=message, type=first.kind)
    node.text = "\n".join(f"{f.kind}: expected {f.expected or '-'}, actual {f.actual or '-'}"
                          + (f" ({f.detail})" if f.detail else "") for f in findings)
