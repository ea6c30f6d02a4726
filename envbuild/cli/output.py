"""How results and errors reach the terminal: data on stdout, progress and errors on stderr.

Everything shown passes `printable_lines`: text that came from an inspected environment or a tool
cannot move the cursor, clear the screen or overwrite a line (see core/text.py).
"""

from __future__ import annotations

import sys

from envbuild.core.redact import redact_text
from envbuild.core.text import printable, printable_lines
from envbuild.errors import EnvbuildError


def out(line: str = "") -> None:
    print(printable_lines(line), flush=True)


def out_text(text: str) -> None:
    """Several lines, as they are (a table ending in a newline)."""
    sys.stdout.write(printable_lines(text))
    sys.stdout.flush()


def progress(line: str) -> None:
    print(printable(redact_text(line)), file=sys.stderr, flush=True)


def report_error(exc: EnvbuildError) -> None:
    print(f"envbuild: error: {printable(redact_text(exc.message))}", file=sys.stderr)
    if exc.details:
        for line in redact_text(exc.details).splitlines():
            print(f"  {printable(line)}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {printable(redact_text(exc.hint))}", file=sys.stderr)
