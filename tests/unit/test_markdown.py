"""core/report/markdown.py: verify/diff findings and lock changes as GitHub-flavoured Markdown tables."""

from __future__ import annotations

from envbuild.core.findings import Finding
from envbuild.core.lock.changes import Change, summary
from envbuild.core.report.markdown import lock_markdown, verify_markdown
from envbuild.core.report.outcomes import Outcome


def tables(text: str) -> list[list[list[str]]]:
    """Every table in the text, as rows of cells (the delimiter row checked and dropped); a pipe
    escaped as \\| stays inside its cell."""
    found, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").replace("\\|", "\0").split("|")]
            cells = [c.replace("\0", "\\|") for c in cells]
            if current is None:
                current = [cells]
                found.append(current)
            elif all(set(c) == {"-"} for c in cells):
                assert len(current) == 1, "the delimiter row follows the header"
                assert len(cells) == len(current[0])
            else:
                assert len(cells) == len(current[0]), line
                current.append(cells)
        else:
            current = None
    return found


def test_verify_markdown_groups_findings_by_kind_most_severe_first_with_a_summary_line():
    outcome = Outcome(label="ssh gpu-1", packages=("torch", "numpy"), findings=(
        Finding(kind="unexpected", name="left|pad", actual="1.0"),
        Finding(kind="version", name="numpy", expected="2.0", actual="1.26"),
        Finding(kind="version", name="torch", expected="2.4", actual="2.3"),
    ))
    clean = Outcome(label="ssh gpu-2", packages=("torch", "numpy"))
    text = verify_markdown([outcome, clean], lock="locks/cpu.txt")
    assert "**1 of 2 environments clean** against locks/cpu.txt" in text
    assert "#### ssh gpu-1: 3 findings (1 critical, 1 high, 1 low)" in text
    assert "#### ssh gpu-2: ok (2 locked packages match)" in text
    version, unexpected = tables(text)
    assert version[0] == ["severity", "name", "expected", "actual", "detail"]
    assert [row[1] for row in version[1:]] == ["numpy", "torch"] and version[1][2:4] == ["2.0", "1.26"]
    assert unexpected[1][1] == "left\\|pad"  # a pipe in a name cannot split the row
    assert text.index("**version**") < text.index("**unexpected**")


def test_cells_cannot_inject_markup_or_html():
    outcome = Outcome(label="x", findings=(Finding(kind="unexpected", name="<img src=x>[a](http://e)", actual="`1`\n#"),))
    text = verify_markdown([outcome])
    bare = text.replace("\\<", "").replace("\\]", "").replace("\\`", "")
    assert "<img" not in bare and "](" not in bare and "`" not in bare
    assert "\\<img src=x\\>\\[a\\](http://e)" in text


def test_lock_markdown_and_summary():
    changes = [Change(kind="added", name="numpy", new="2.1"), Change(kind="upgraded", name="tqdm", old="4.6", new="4.7"),
               Change(kind="added", name="pandas", new="2.2")]
    assert summary(changes) == "2 added, 1 upgraded" and summary([]) == "no version changes"
    text = lock_markdown([("cpu", "locks/cpu.txt", changes), ("gpu", "locks/gpu.txt", [])])
    assert "#### cpu (locks/cpu.txt): 2 added, 1 upgraded" in text and "#### gpu (locks/gpu.txt): no version changes" in text
    added, upgraded = tables(text)
    assert added == [["name", "before", "after"], ["numpy", "-", "2.1"], ["pandas", "-", "2.2"]]
    assert upgraded == [["name", "before", "after"], ["tqdm", "4.6", "4.7"]]
