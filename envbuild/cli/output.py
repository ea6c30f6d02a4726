"""How results and errors reach the terminal: data on stdout, progress and errors on stderr.

Everything shown passes `printable_lines`: text that came from an inspected environment or a tool
cannot move the cursor, clear the screen or overwrite a line (see core/text.py).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from envbuild.cli.settings import SETTINGS
from envbuild.core.redact import redact_text
from envbuild.core.text import printable, printable_lines
from envbuild.errors import EnvbuildError

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def out(line: str = "") -> None:
    print(printable_lines(line), flush=True)


def out_text(text: str) -> None:
    """Several lines, as they are (a table ending in a newline)."""
    sys.stdout.write(printable_lines(text))
    sys.stdout.flush()


def progress(line: str) -> None:
    """Progress and notes on stderr; -q keeps only warnings (they say a result may not be what it seems)."""
    if SETTINGS.quiet and not line.startswith(("warning", "hint")):
        return
    print(printable(redact_text(line)), file=sys.stderr, flush=True)


_BAR = 24


def _meter(done: int, total: int, text: str, *, done_flag: bool = False) -> None:
    if SETTINGS.quiet:
        return
    """A bar redrawn in place on a terminal (adapters/index/downloads.py calls it); cleared when done."""
    if done_flag:
        sys.stderr.write("\r\x1b[K")
    else:
        filled = _BAR * done // total if total else 0
        bar = "#" * filled + "-" * (_BAR - filled) if total else "." * (done // (1 << 20) % _BAR + 1)
        sys.stderr.write(f"\r\x1b[K[{bar}] {printable(text)}")
    sys.stderr.flush()


def use_meter() -> None:
    """On a terminal, progress carries a meter: downloads draw a bar instead of periodic lines."""
    if sys.stderr.isatty():
        progress.meter = _meter  # type: ignore[attr-defined]


def report_error(exc: EnvbuildError) -> None:
    print(f"envbuild: error: {printable(redact_text(exc.message))}", file=sys.stderr)
    if exc.details:
        for line in redact_text(exc.details).splitlines():
            print(f"  {printable(line)}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {printable(redact_text(exc.hint))}", file=sys.stderr)


def write_result(text: str, output: "Path | None", *, as_json: bool = False) -> None:
    """A command's document: to ``output`` (atomically; ``-`` or None is standard output). With
    --json: a document that is JSON already goes out as it is, any other is wrapped
    ({"text": ...}); one written to a file is described ({"path", "bytes", "sha256"})."""
    import json

    to_stdout = output is None or str(output) == "-"
    if to_stdout and as_json:
        try:
            json.loads(text)
        except ValueError:
            text = json.dumps({"schema": 1, "text": text}, sort_keys=True) + "\n"
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from envbuild.adapters.files import atomic_write

    assert output is not None  # to_stdout covers None
    atomic_write(output, text)
    progress(f"wrote {output}")
    if as_json:
        import hashlib

        data = text.encode("utf-8")
        out(json.dumps({"schema": 1, "path": str(output), "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()}, sort_keys=True))


FORMATS = ("text", "json", "markdown")


def report_format(value: str, as_json: bool) -> str:
    """--format text|json|markdown; --json is --format json."""
    from envbuild.errors import UserError

    if value not in FORMATS:
        raise UserError(f"--format {value}: expected one of {', '.join(FORMATS)}")
    return "json" if as_json else value


def step_summary(markdown: str) -> None:
    """In a GitHub Actions job ($GITHUB_STEP_SUMMARY set), the Markdown report is appended to the
    job's summary too, whatever --format says for standard output."""
    import os

    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(markdown + "\n")
    except OSError as exc:
        progress(f"warning: cannot append to $GITHUB_STEP_SUMMARY ({path}): {exc.strerror or exc}")


def show_report(outcomes: list, fmt: str, *, lock: str | None, fail_on: str, title: str,
                ok_summary: "Callable[[int], str] | None" = None) -> None:
    """verify's and diff's findings on stdout as text (a table; colour on a terminal), JSON or
    Markdown; the Markdown also to the job summary in GitHub Actions."""
    import json
    import os

    from envbuild.core.report.outcomes import to_json, to_table

    if fmt == "markdown" or os.environ.get("GITHUB_STEP_SUMMARY"):
        from envbuild.core.report.markdown import verify_markdown

        markdown = verify_markdown(outcomes, title=title, lock=lock)
        step_summary(markdown)
    if fmt == "json":
        out(json.dumps(to_json(outcomes, lock=lock, fail_on=fail_on), sort_keys=True))
    elif fmt == "markdown":
        out_text(markdown)
    else:
        from envbuild.cli.settings import use_color

        if use_color():
            from envbuild.cli.terminal import print_findings

            print_findings(outcomes, ok_summary=ok_summary)
        else:
            out_text(to_table(outcomes, **({"ok_summary": ok_summary} if ok_summary else {})))
