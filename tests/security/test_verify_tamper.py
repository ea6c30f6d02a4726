"""verify against an environment that hides its drift: code planted to run at start-up, files edited
together with their RECORD, added modules, stale compiled files. Real venvs installed from a lock
served by the local index."""

from __future__ import annotations

import base64
import hashlib
import json
import sys

import pytest

from tests.conftest import assert_no_traceback, kinds
from tests.security.conftest import HIDE

pytestmark = pytest.mark.security

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"

def verify(cli, locked, venv, *extra):
    result = cli("verify", str(locked), "--target", "cpu", "--python", str(venv / "bin" / "python"), "--json", *extra)
    assert_no_traceback(result)
    return result, json.loads(result.stdout)


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def test_a_pth_file_that_runs_code_cannot_hide_a_modified_file(cli, locked, venv):
    site = venv / SITE
    (site / "_h.py").write_text(HIDE)
    (site / "zz-hide.pth").write_text("import _h\n")
    (site / "gamma" / "data.txt").write_text("tampered\n")
    result, report = verify(cli, locked, venv, "--files")
    assert result.returncode == 1
    assert kinds(report) == [("modified", "gamma"), ("unowned", "_h.py"), ("unowned", "zz-hide.pth")]
    pth = next(f for f in report["findings"] if f["name"] == "zz-hide.pth")
    assert pth["detail"].startswith("runs code at start-up: import _h")


def test_a_pth_file_that_runs_code_is_reported_without_files_too(cli, locked, venv):
    (venv / SITE / "zz-hide.pth").write_text("import os\n")
    result, report = verify(cli, locked, venv)
    assert result.returncode == 1 and kinds(report) == [("unowned", "zz-hide.pth")]


def test_a_file_edited_together_with_its_record_line_is_still_modified(cli, locked, venv):
    site = venv / SITE
    new = b"tampered\n"
    (site / "gamma" / "data.txt").write_bytes(new)
    record = site / "gamma-1.0.dist-info" / "RECORD"
    lines = [record_line("gamma/data.txt", new) if line.startswith("gamma/data.txt,") else line
             for line in record.read_text().splitlines()]
    record.write_text("\n".join(lines) + "\n")
    result, report = verify(cli, locked, venv, "--files")
    assert result.returncode == 1 and kinds(report) == [("modified", "gamma")]
    assert report["findings"][0]["paths"] == [str(site / "gamma" / "data.txt")]


def test_a_file_added_to_a_package_and_to_its_record_is_unowned(cli, locked, venv):
    site = venv / SITE
    (site / "alpha" / "_evil.py").write_bytes(b"import os\n")
    with open(site / "alpha-2.0.dist-info" / "RECORD", "a") as handle:
        handle.write(record_line("alpha/_evil.py", b"import os\n") + "\n")
    (site / "planted.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    result, report = verify(cli, locked, venv, "--files")
    assert result.returncode == 1
    assert kinds(report) == [("unowned", "alpha"), ("unowned", "planted.cpython-311-x86_64-linux-gnu.so")]
    alpha = next(f for f in report["findings"] if f["name"] == "alpha")
    assert alpha["paths"] == [str(site / "alpha" / "_evil.py")]


def test_a_module_named_like_the_standard_library_is_shadowed(cli, locked, venv):
    (venv / SITE / "json.py").write_text("raise SystemExit\n")
    result, report = verify(cli, locked, venv)
    assert result.returncode == 1 and kinds(report) == [("shadowed", "json")]
    assert report["findings"][0]["expected"] == "the standard library's"


def test_a_compiled_file_that_does_not_match_its_source_is_modified(cli, locked, venv):
    pycs = sorted((venv / SITE / "alpha" / "__pycache__").glob("__init__.*.pyc"))
    assert pycs, "pip compiles the installed sources"
    data = bytearray(pycs[0].read_bytes())
    data[8:12] = (int.from_bytes(data[8:12], "little") ^ 1).to_bytes(4, "little")  # another source mtime
    pycs[0].write_bytes(bytes(data))
    result, report = verify(cli, locked, venv, "--files")
    assert result.returncode == 1 and kinds(report) == [("modified", "alpha")]
    assert report["findings"][0]["paths"] == [str(pycs[0])]
