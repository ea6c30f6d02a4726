"""A reproduction's report: a table for the terminal, Markdown for a pull request or a job summary,
JUnit XML (one testcase per preflight check and per metric). Pure. Every value shown may come from
a recorded run, which is hostile input: printed through printable(), escaped in Markdown and XML."""

from __future__ import annotations

from envbuild.core.report.markdown import cell
from envbuild.core.lineage.reproduction import Reproduction
from envbuild.core.text import printable

_MARK = {True: "ok", False: "FAILED", None: "-"}
_WORDS = {"bit-exact": "bit-exact: every metric identical, same image and hardware",
          "within-tolerance": "within tolerance", "failed": "FAILED", "missing-metric": "a required metric is missing",
          "inconclusive": "inconclusive: the hardware differs and the spec requires the same",
          "unverifiable": "unverifiable: the environment did not check out, nothing was trained",
          "rebaselined": "a new baseline recorded for this mode"}


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.10g}"


def headline(r: Reproduction) -> str:
    by = f" as run {r.reproduced_by}" if r.reproduced_by else ""
    return f"reproduce {printable(r.label)} (mode {r.mode}){by}: {_WORDS[r.verdict]}{_why(r)}"


def _why(r: Reproduction) -> str:
    """What made it fail, in a few words: the metrics out of tolerance or missing, or the failed check."""
    if r.verdict in ("failed", "missing-metric"):
        bad = [f"{o.metric} {'missing' if o.value is None else f'moved {_number(o.delta)}, allowed {_number(o.allowed)}'}"
               for o in r.outcomes if o.status in ("failed", "missing")]
        bad += [f"{c.name}: {c.detail}" for c in r.checks if c.ok is False and c.name == "training"]
        return (": " + "; ".join(printable(b) for b in bad)) if bad else ""
    if r.verdict == "unverifiable":
        failed = next((c for c in r.checks if c.ok is False), None)
        return f": {failed.name} — {printable(failed.detail)}" if failed else ""
    return ""


def to_table(r: Reproduction) -> str:
    lines = [headline(r), ""]
    width = max((len(c.name) for c in r.checks), default=0)
    lines += [f"  {c.name.ljust(width)}  {_MARK[c.ok]:6}  {printable(c.detail)}" for c in r.checks]
    if r.outcomes:
        rows = [("metric", "baseline", "re-run", "delta", "allowed", "status", "rule")]
        rows += [(printable(o.metric), _number(o.baseline), _number(o.value), _number(o.delta), _number(o.allowed),
                  o.status, o.rule) for o in r.outcomes]
        widths = [max(len(row[i]) for row in rows) for i in range(6)]
        lines.append("")
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row[:6], widths)) + "  " + row[6] for row in rows]
    lines += [f"  hardware: {printable(d)}" for d in r.hardware]
    lines += [f"  note: {printable(n)}" for n in r.notes]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def to_markdown(r: Reproduction) -> str:
    icon = "✅" if r.exit_code == 0 else "❌" if r.verdict != "inconclusive" else "⚠️"
    lines = [f"### {icon} envbuild reproduce {cell(r.label)} — {cell(r.verdict)}", "",
             f"Mode **{cell(r.mode)}**" + (f", re-run as MLflow run `{cell(r.reproduced_by)}`" if r.reproduced_by
                                           else "") + f": {cell(_WORDS[r.verdict] + _why(r))}.", "",
             "| check | result | detail |", "|---|---|---|"]
    lines += [f"| {cell(c.name)} | {_MARK[c.ok]} | {cell(c.detail)} |" for c in r.checks]
    if r.outcomes:
        lines += ["", "| metric | baseline | re-run | delta | allowed | status | rule |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {cell(o.metric)} | {_number(o.baseline)} | {_number(o.value)} | {_number(o.delta)} | "
                  f"{_number(o.allowed)} | {cell(o.status)} | {cell(o.rule)} |" for o in r.outcomes]
    lines += [""] + [f"- hardware: {cell(d)}" for d in r.hardware] + [f"- {cell(n)}" for n in r.notes]
    return "\n".join(lines).rstrip() + "\n"


def to_junit(r: Reproduction) -> str:
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites", name="envbuild reproduce")
    suite = ET.SubElement(suites, "testsuite", name=printable(f"envbuild reproduce {r.label} ({r.mode})"))
    failures = skipped = 0
    for c in r.checks:
        case = ET.SubElement(suite, "testcase", classname="preflight", name=c.name)
        if c.ok is False:
            failures += 1
            ET.SubElement(case, "failure", message=printable(c.detail), type=c.name).text = printable(c.detail)
        elif c.ok is None:
            skipped += 1
            ET.SubElement(case, "skipped", message=printable(c.detail))
    for o in r.outcomes:
        case = ET.SubElement(suite, "testcase", classname="metrics", name=printable(o.metric))
        if o.status in ("failed", "missing"):
            failures += 1
            message = (f"{o.metric}: baseline {_number(o.baseline)}, re-run {_number(o.value)}, delta "
                       f"{_number(o.delta)}, allowed {_number(o.allowed)} ({o.rule})")
            ET.SubElement(case, "failure", message=printable(message), type=o.status).text = printable(message)
    if r.verdict == "inconclusive":
        case = ET.SubElement(suite, "testcase", classname="verdict", name="same hardware")
        failures += 1
        ET.SubElement(case, "failure", message=_WORDS[r.verdict], type="inconclusive")
    suite.set("tests", str(len(suite)))
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
