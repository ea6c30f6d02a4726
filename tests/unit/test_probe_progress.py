"""The hashing progress a probe tells on stderr, as envbuild reads it: only the exact shape counts
(the lines come from the environment inspected), a meter on a terminal, lines when piped, a
closing line with the rate; what is left of stderr still says why a probe failed."""

from __future__ import annotations

import io

from envbuild.adapters.probe_progress import HashProgress, without_progress
from envbuild.probe.hashing import Tally


class Log:
    def __init__(self, meter: bool) -> None:
        self.lines: list[str] = []
        self.drawn: list[tuple[int, int, str, bool]] = []
        if meter:
            self.meter = lambda done, total, text, done_flag=False: self.drawn.append((done, total, text, done_flag))

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def test_the_probe_s_lines_become_a_meter_on_a_terminal_and_a_closing_line():
    log = Log(meter=True)
    hashing = HashProgress("venv", log)
    hashing.line("envbuild-probe: hashed 1000000 of 4000000 bytes, 10 of 40 files")
    hashing.line("envbuild-probe: hashed 4000000 of 4000000 bytes, 40 of 40 files")
    hashing.close()
    assert [d[:2] for d in log.drawn] == [(1000000, 4000000), (4000000, 4000000), (4000000, 4000000)]
    assert "venv: hashed 1.0 MB of 4.0 MB (25 %), 10/40 files" in log.drawn[0][2]
    assert log.drawn[-1][3] is True  # the meter cleared before the closing line
    [closing] = log.lines
    assert closing.startswith("venv: hashed 40 files, 4.0 MB in ") and closing.endswith("/s)")


def test_piped_it_says_a_line_every_interval_and_a_fleet_never_draws(monkeypatch):
    monkeypatch.setenv("ENVBUILD_PROGRESS_INTERVAL", "0.1")
    log = Log(meter=True)
    hashing = HashProgress("host-a", log, alone=False)  # one of several places: lines, not a meter
    assert hashing.every == 0.1
    hashing.last -= 1  # the interval has passed
    hashing.line("envbuild-probe: hashed 5 of 10 bytes, 1 of 2 files")
    hashing.line("envbuild-probe: hashed 6 of 10 bytes, 1 of 2 files")  # within the interval: not said
    hashing.close()
    assert log.drawn == []
    assert log.lines[0].startswith("  host-a: hashed 5 B of 10 B (50 %), 1/2 files")
    assert len(log.lines) == 2 and log.lines[1].startswith("host-a: hashed 1 files, 6 B in ")


def test_lines_of_another_shape_are_not_progress_and_stay_for_the_error():
    log = Log(meter=False)
    hashing = HashProgress("box", log)
    hostile = ["envbuild-probe: hashed 1 of 2 bytes, 1 of 2 files; rm -rf /",
               "envbuild-probe: hashed 99999999999999999999999 of 1 bytes, 1 of 2 files",
               "envbuild-probe: hashed \u0663 of 9 bytes, 1 of 2 files",
               "Traceback (most recent call last):"]
    for line in hostile:
        hashing.line(line)
    hashing.close()
    assert log.lines == [] and hashing.seen is None
    stderr = "envbuild-probe: hashed 1 of 2 bytes, 1 of 2 files\n" + "\n".join(hostile) + "\n"
    assert without_progress(stderr) == "\n".join(hostile) + "\n"


def test_the_probe_s_tally_tells_at_most_every_interval_and_what_it_read():
    stream = io.StringIO()
    tally = Tally(stream, every=3600)
    tally.expect(3, 300)
    tally.add(1, 100)
    tally.add(1, 100)
    assert stream.getvalue() == ""  # within the interval
    tally.add(1, 150)  # a file grew since it was listed: the total follows what was read
    tally.tell()
    assert stream.getvalue() == "envbuild-probe: hashed 350 of 350 bytes, 3 of 3 files\n"
    told = Tally(io.StringIO(), every=0)
    told.add(1, 1)
    assert told.stream.getvalue() == "envbuild-probe: hashed 1 of 1 bytes, 1 of 1 files\n"
