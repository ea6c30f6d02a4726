"""The README's tour as data, and what "the output has the README's shape" means. Pure: texts in.

A *session* is a fenced block of the README with `$ ` lines: each is a command (a `> ` line
continues it), followed by what the README shows it printing. A rerun's output has the README's
shape when, after both are normalised (durations, sizes and digests made placeholders, runs of
spaces made one), every run of shown lines between elisions (`…` or `...` alone on a line) appears
in order and contiguously in the printed lines, anchored at the start and end where the README does
not elide there. A JSON line is compared by its structure: the same keys, the same kinds of value.

Digests and tags are compared as well: each one the README shows (often shortened, `7438ae04b951…`)
is paired with the one printed in its place. Across a whole rerun one shown digest must stand for one
printed digest, and two different shown ones for two different printed ones — so a README whose
build section shows a tag the verify section does not use is caught on any machine; where the
machine's inputs are the README's (the same base image), `exact` also requires every printed digest
to start with the one shown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

ELISIONS = ("…", "...")


@dataclass(frozen=True)
class Step:
    command: str  # what follows "$ ", continuation lines joined with newlines
    shown: tuple[str, ...]  # the lines the README shows it printing
    line: int  # the README line of the command (1-based)


@dataclass(frozen=True)
class Session:
    key: str  # the first command, with " #N" from the second session that starts the same way
    steps: tuple[Step, ...]
    line: int


def sessions(text: str) -> list[Session]:
    found: list[Session] = []
    seen: dict[str, int] = {}
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        if not lines[number].startswith("```"):
            number += 1
            continue
        end = next((i for i in range(number + 1, len(lines)) if lines[i].startswith("```")), len(lines))
        steps = _steps(lines[number + 1:end], number + 2)
        if steps:
            first = steps[0].command.split("\n")[0]
            seen[first] = seen.get(first, 0) + 1
            key = first if seen[first] == 1 else f"{first} #{seen[first]}"
            found.append(Session(key, tuple(steps), steps[0].line))
        number = end + 1
    return found


def _steps(block: list[str], first_line: int) -> list[Step]:
    steps: list[Step] = []
    command, shown, at = None, [], 0

    def done() -> Step:
        while shown and not shown[-1].strip():
            shown.pop()  # the blank line that sets the next command apart
        return Step(command, tuple(shown), at)

    for offset, line in enumerate(block):
        if line.startswith("$ "):
            if command is not None:
                steps.append(done())
            command, shown, at = line[2:], [], first_line + offset
        elif command is not None and line.startswith("> ") and not shown:
            command += "\n" + line[2:]
        elif command is not None:
            shown.append(line)
    if command is not None:
        steps.append(done())
    return steps


# A digest: 8+ hex digits shortened with "…", or 12+ with a letter among them (a size in bytes is
# not one), standing alone.
_DIGEST = re.compile(r"(?<![0-9A-Za-z])(?:[0-9a-f]{8,}…|(?=[0-9a-f]*[a-f])[0-9a-f]{12,})(?![0-9A-Za-z])")
_QUANTITY = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|s|kB|MB|GB|B)(?:/s)?(?![\w])")


def digests(line: str) -> list[str]:
    return [d.rstrip("…") for d in _DIGEST.findall(line)]


def normalise(line: str) -> str:
    stripped = line.strip()
    if stripped.startswith(("{", "[")):
        try:
            return "json " + _structure(json.loads(stripped))
        except ValueError:
            pass
    text = _QUANTITY.sub("<q>", _DIGEST.sub("<digest>", stripped))
    return ("  " if line[:1].isspace() else "") + re.sub(r"\s+", " ", text)


def _structure(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_structure(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + "|".join(sorted({_structure(v) for v in value})) + "]"
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


@dataclass
class Comparison:
    """Everything one rerun was compared on: shape problems, and the digests paired so far."""

    exact: bool = False
    problems: list[str] = field(default_factory=list)
    pairs: dict[str, str] = field(default_factory=dict)  # shown digest (its first 8) -> the printed one

    def step(self, where: str, shown: tuple[str, ...], printed: list[str], pair: bool = True) -> None:
        """Compares one command's output; `pair=False` for a command whose digests differ by design."""
        matched = match(shown, printed)
        if isinstance(matched, str):
            self.problems.append(f"{where}: {matched}\n  printed:\n" + "\n".join(f"    {p}" for p in printed))
            return
        for shown_line, printed_line in matched if pair else ():
            self._pair(where, digests(shown_line), digests(printed_line))

    def _pair(self, where: str, shown: list[str], printed: list[str]) -> None:
        for want, got in zip(shown, printed):
            if self.exact and not got.startswith(want):
                self.problems.append(f"{where}: the README shows {want}…, the command printed {got}")
            key = want[:8]
            if self.pairs.setdefault(key, got)[:8] != got[:8]:
                self.problems.append(f"{where}: {want}… stands for {self.pairs[key][:8]}… elsewhere, here for {got}")
            others = [k for k, v in self.pairs.items() if v[:8] == got[:8] and k != key]
            if others:
                self.problems.append(f"{where}: {want}… and {others[0]}… in the README are one digest, {got}")

    def translate(self, command: str) -> str:
        """A README command with each digest it names (a tag) as the one printed in its place so far."""
        return _DIGEST.sub(lambda m: self.pairs.get(m[0][:8], m[0])[:len(m[0].rstrip("…"))], command)


def match(shown: tuple[str, ...], printed: list[str]) -> list[tuple[str, str]] | str:
    """The (shown, printed) line pairs when the printed lines have the shown ones' shape, else why not."""
    if not shown:
        return [] if not printed else f"the README shows no output, the command printed {len(printed)} lines"
    segments: list[list[str]] = [[]]
    for line in shown:
        if line.strip() in ELISIONS:
            segments.append([])
        else:
            segments[-1].append(line)
    open_start, open_end = not segments[0], not segments[-1]
    segments = [s for s in segments if s]
    want = [[normalise(line) for line in s] for s in segments]
    got = [normalise(line) for line in printed]
    if not segments:
        return []  # the README shows only an elision
    pairs: list[tuple[str, str]] = []
    at = 0
    for index, (segment, normal) in enumerate(zip(segments, want)):
        last = index == len(segments) - 1
        if last and not open_end:
            starts = [len(got) - len(normal)] if len(got) - len(normal) >= at else []
        elif index == 0 and not open_start:
            starts = [0]
        else:
            starts = range(at, len(got) - len(normal) + 1)
        start = next((s for s in starts if got[s:s + len(normal)] == normal), None)
        if start is None or (index == 0 and not open_start and start != 0):
            return f"no run of printed lines has the shape of {segment[0]!r} (normalised: {normal[0]!r}…)"
        pairs += list(zip(segment, printed[start:start + len(normal)]))
        at = start + len(normal)
    return pairs
