"""Malformed wheels are refused before their RECORD is trusted or they reach an image (issue 32,
item 10): uv's 2025 ZIP rules and the shapes of 2026's installer CVEs (pip CVE-2026-1703's wheel
traversal, CVE-2026-3219's tar/ZIP polyglot, CVE-2026-8643's entry-point scripts outside the install
directory, rattler's entry-point traversal). Each wheel is made here, byte by byte where it must be;
each is put into a real wheel cache under its own sha256, where a lock pins it, and fetched."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from envbuild.adapters.files import entry_folder
from envbuild.adapters.index.wheel_check import wheel_problem
from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import Package
from envbuild.errors import BuildError
from tests.conftest import hermetic_env

pytestmark = pytest.mark.security
NAME = "evil-1.0-py3-none-any.whl"
RECORD = "evil-1.0.dist-info/RECORD"
CLEAN = {"evil/__init__.py": b"x = 1\n", "evil-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
         "evil-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}


def wheel(members: dict[str, bytes], record_rows: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        rows = [f"{name},," for name in members] + list(record_rows) + [f"{RECORD},,"]
        archive.writestr(RECORD, "\n".join(rows) + "\n")
    return buffer.getvalue()


def renamed_local_header(data: bytes) -> bytes:
    """The first member's local header names another file than the central directory does."""
    at = data.index(b"evil/__init__.py")  # the first occurrence: the local header's copy
    return data[:at] + b"evil/__init__.pz" + data[at + len(b"evil/__init__.py"):]


def other_method_local(data: bytes) -> bytes:
    return data[:8] + b"\x00\x00" + data[10:]  # the first local header says 'stored', the directory 'deflated'


def twice() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in CLEAN.items():
            archive.writestr(name, data)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: that is the point
            archive.writestr("evil/__init__.py", b"import os; os.system('id')\n")
        archive.writestr(RECORD, "")
    return buffer.getvalue()


def polyglot() -> bytes:
    """A tar archive with the wheel after it: a tar reader and a ZIP reader see different files."""
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as archive:
        info = tarfile.TarInfo("evil/__init__.py")
        body = b"import os\n"
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return payload.getvalue() + wheel(CLEAN)


ENTRY_POINTS = "evil-1.0.dist-info/entry_points.txt"
CASES = {
    "local header name": (renamed_local_header(wheel(CLEAN)), "local header disagrees with the central directory"),
    "local header method": (other_method_local(wheel(CLEAN)), "local header disagrees with the central directory"),
    "member twice": (twice(), "the member 'evil/__init__.py' twice"),
    "trailing data": (wheel(CLEAN) + b"#!/bin/sh\nid\n", "data after the end of its central directory"),
    "tar/ZIP polyglot (CVE-2026-3219)": (polyglot(), "data before its first member"),
    "absolute member": (wheel({**CLEAN, "/etc/cron.d/evil": b"* * * * * root id\n"}), "outside the install directory"),
    "dot-dot member (CVE-2026-1703)": (wheel({**CLEAN, "../../../etc/profile.d/evil.sh": b"id\n"}),
                                       "outside the install directory"),
    "dot-dot through .data": (wheel({**CLEAN, "evil-1.0.data/purelib/../../../evil.pth": b"import os\n"}),
                              "outside the install directory"),
    "unknown .data scheme": (wheel({**CLEAN, "evil-1.0.data/root/etc/evil": b"x\n"}), "names no install scheme"),
    "backslash member": (wheel({**CLEAN, "evil\\..\\..\\evil.pth": b"import os\n"}), "outside the install directory"),
    "RECORD row outside": (wheel(CLEAN, ("../../bin/evil,,",)), "its RECORD lists '../../bin/evil'"),
    "RECORD row absolute": (wheel(CLEAN, ("/usr/lib/python3/dist-packages/evil.pth,,",)),
                            "its RECORD lists '/usr/lib/python3/dist-packages/evil.pth'"),
    "entry point with a slash (CVE-2026-8643)": (
        wheel({**CLEAN, ENTRY_POINTS: b"[console_scripts]\n../../../usr/local/bin/python3 = evil:main\n"}),
        "would write a script outside the scripts directory"),
    "entry point '..' (rattler)": (wheel({**CLEAN, ENTRY_POINTS: b"[gui_scripts]\n.. = evil:main\n"}),
                                   "would write a script outside the scripts directory"),
    "not a zip at all": (b"PK\x03\x04" + b"\x00" * 64, "not a readable ZIP archive"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_wheel_is_refused_naming_the_rule(case, tmp_path):
    data, rule = CASES[case]
    path = tmp_path / NAME
    path.write_bytes(data)
    problem = wheel_problem(path)
    assert problem is not None and rule in problem, problem


@pytest.mark.parametrize("case", ["member twice", "dot-dot member (CVE-2026-1703)",
                                  "entry point with a slash (CVE-2026-8643)", "tar/ZIP polyglot (CVE-2026-3219)"])
def test_a_pinned_malformed_wheel_never_leaves_the_cache(case, tmp_path):
    """The lock pins this very file by sha256, so the hash check passes: the structure check does not."""
    data, rule = CASES[case]
    digest = hashlib.sha256(data).hexdigest()
    cache = tmp_path / "wheels"
    folder = entry_folder(cache, digest)
    folder.mkdir(parents=True)
    (folder / NAME).write_bytes(data)
    house = Wheelhouse(cache, hermetic_env())
    pin = Package(name="evil", version="1.0", hashes=(f"sha256:{digest}",))
    with pytest.raises(BuildError) as refused:
        house.fetch([pin], python="3.11", platform="linux/amd64", index_url="http://127.0.0.1:9/simple",
                    extra_index_urls=[], progress=lambda _line: None)
    assert refused.value.exit_code == 4
    assert refused.value.message.startswith(f"evil 1.0 ({NAME}): a malformed wheel: ") and rule in refused.value.message


def test_a_sound_wheel_passes_once_and_is_remembered(tmp_path):
    from envbuild.adapters.index.wheel_check import check_wheel, marker

    path = tmp_path / NAME
    path.write_bytes(wheel({**CLEAN, ENTRY_POINTS: b"[console_scripts]\nevil = evil:main\n"}))
    assert wheel_problem(path) is None
    check_wheel(path)
    assert marker(path).exists()


def test_real_wheels_of_every_shape_pass():
    """The wheels this machine's environments were installed from (pip's, envbuild's cache)."""
    import glob

    found = sorted(glob.glob(str(Path.home() / ".cache" / "envbuild" / "wheels" / "sha256" / "*" / "*" / "*.whl")))
    assert found, "no cached wheels to read"
    assert [(p, wheel_problem(Path(p))) for p in found if wheel_problem(Path(p))] == []
