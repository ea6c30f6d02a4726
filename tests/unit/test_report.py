"""core/report/outcomes.py: findings → the table, the JSON envelope, JUnit XML and the exit code."""

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from envbuild.core.findings import Finding
from envbuild.core.report.outcomes import Outcome, exit_code, to_json, to_junit, to_table

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
CLEAN = Outcome(label="python .venv/bin/python", packages=("numpy", "torch"))
DRIFT = Outcome(label="ssh gpu-prod-1", packages=("numpy", "torch"), notes=("no NVIDIA driver here: GPU checks skipped",),
                findings=(Finding(kind="version", name="numpy", expected="2.1.0", actual="2.2.0"),
                          Finding(kind="modified", name="torch", expected="files as in the locked wheel",
                                  actual="1 modified", detail="torch/__init__.py", paths=("/s/torch/__init__.py",)),
                          Finding(kind="unexpected", name="rich", actual="13.0", detail="in /s"),
                          Finding(kind="python", name="python", expected="3.11", actual="3.12.1")))
DOWN = Outcome(label="ssh gpu-prod-2", error="cannot connect (Connection refused)")


def golden(name: str, text: str) -> None:
    """Regenerate with ENVBUILD_UPDATE_GOLDEN=1; what CI systems and people read changes with it."""
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        (GOLDEN / name).write_text(text)
    assert text == (GOLDEN / name).read_text()


def test_the_table_is_stable():
    golden("verify.table.txt", to_table([CLEAN, DRIFT, DOWN]))


def test_junit_is_stable_and_counts_cases_failures_and_errors():
    text = to_junit([CLEAN, DRIFT, DOWN])
    golden("verify.junit.xml", text)
    suites = ET.fromstring(text.split("\n", 1)[1]).findall("testsuite")
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [
        ("6", "0", "0"), ("6", "4", "0"), ("1", "0", "1")]


@pytest.mark.parametrize("outcomes, code", [([CLEAN], 0), ([CLEAN, DRIFT], 1), ([DRIFT, DOWN], 5), ([], 0)])
def test_exit_code_precedence(outcomes, code):
    assert exit_code(outcomes) == code


def test_the_json_envelope_names_the_place_of_each_finding_when_there_are_several():
    envelope = to_json([CLEAN, DRIFT], lock="locks/cpu.txt")
    assert (envelope["schema"], envelope["ok"], envelope["exit_code"], envelope["lock"]) == (1, False, 1, "locks/cpu.txt")
    assert envelope["findings"][2] == {"kind": "version", "name": "numpy", "expected": "2.1.0", "actual": "2.2.0",
                                       "severity": "high", "target": "ssh gpu-prod-1"}
    assert [f["severity"] for f in envelope["findings"]] == ["critical", "critical", "high", "low"]  # most severe first
    assert envelope["targets"][1] == {"target": "ssh gpu-prod-1", "ok": False, "error": None, "findings": 4,
                                      "notes": ["no NVIDIA driver here: GPU checks skipped"]}
    assert "target" not in to_json([DRIFT], lock=None)["findings"][0]


def test_control_characters_from_a_place_never_reach_the_terminal_or_the_xml():
    hostile = Outcome(label="image x", findings=(Finding(kind="unexpected", name="evil\x1b[2J\x07", actual="1\x00"),))
    assert "\x1b" not in to_table([hostile])
    ET.fromstring(to_junit([hostile]).split("\n", 1)[1])  # parses: XML 1.0 has no control characters


@pytest.mark.parametrize("fail_on, code", [("low", 1), ("high", 1), ("critical", 1)])
def test_fail_on_sets_the_least_severe_finding_that_fails(fail_on, code):
    assert exit_code([DRIFT], fail_on) == code
    minor = Outcome(label="x", findings=(Finding(kind="version", name="rich", expected="13.0.0", actual="13.1.0"),))
    assert [exit_code([minor], level) for level in ("low", "medium", "high")] == [1, 1, 0]
    assert to_json([minor], lock=None, fail_on="high")["exit_code"] == 0
    assert exit_code([minor, DOWN], "critical") == 5  # an incomplete check is never a pass


def test_junit_fails_a_testcase_for_every_finding_whatever_its_kind():
    """A report that passes what the exit code fails would let CI go green on drift."""
    odd = Outcome(label="c", packages=("numpy",), findings=(
        Finding(kind="determinism", name="PYTHONHASHSEED", expected="0", actual="random"),
        Finding(kind="unowned", name="/opt/venv", actual="1 file"),
        Finding(kind="missing", name="tqdm", expected="4.67.1")))
    data = Outcome(label="data (/ws)", packages=("data/prepared",), subject="versioned output", findings=(
        Finding(kind="data", name="data/prepared", expected="as dvc.lock has it", actual="modified"),
        Finding(kind="data", name="data/raw.csv", expected="as dvc.lock has it", actual="deleted")))
    root = ET.fromstring(to_junit([odd, data]).split("\n", 1)[1])
    failed = {(s.get("name"), c.get("name")) for s in root for c in s if c.find("failure") is not None}
    assert failed == {("envbuild verify c", "determinism"), ("envbuild verify c", "unowned"),
                      ("envbuild verify c", "other packages"), ("envbuild verify data (/ws)", "data/prepared"),
                      ("envbuild verify data (/ws)", "data")}
    assert to_table([Outcome(label="data (/ws)", packages=("a", "b"), subject="versioned output")]) == \
        "data (/ws): ok (2 versioned outputs match)\n"
