"""How results and errors reach the terminal: data on stdout, progress and errors on stderr."""

from __future__ import annotations

import sys

from envbuild.core.redact import redact_text
from envbuild.errors import EnvbuildError


def out(line: str = "") -> None:
    print(line, flush=True)


def progress(line: str) -> None:
    print(redact_text(line), file=sys.stderr, flush=True)


def report_error(exc: EnvbuildError) -> None:
    print(f"envbuild: error: {redact_text(exc.message)}", file=sys.stderr)
    if exc.details:
        for line in redact_text(exc.details).splitlines():
            print(f"  {line}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)
