"""The probe's manifest of a tree: every entry said for what it is, the same on one core or many, and
a place that hides or swaps files cannot make the walk read through a link, block or skip silently."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import py_compile
import sys

import pytest

from envbuild.probe import manifest


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def plant(root):
    """A site directory with packages, nested folders, links of both kinds, a FIFO and big files."""
    expected = {}
    for package in range(12):
        for depth in range(3):
            folder = root / f"pkg{package}" / "/".join(f"sub{d}" for d in range(depth))
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(4):
                data = f"{package}-{depth}-{n}\n".encode() * (n + 1)
                (folder / f"m{n}.py").write_bytes(data)
                expected[str((folder / f"m{n}.py").relative_to(root))] = b64(data)
    big = os.urandom(3 << 20)  # more than one read of the probe's buffer
    (root / "pkg0" / "lib.so").write_bytes(big)
    expected["pkg0/lib.so"] = b64(big)
    (root / "top.py").write_bytes(b"x = 1\n")
    expected["top.py"] = b64(b"x = 1\n")
    (root / "empty.txt").write_bytes(b"")
    expected["empty.txt"] = b64(b"")
    os.symlink("/etc/passwd", root / "pkg1" / "passwd")
    expected["pkg1/passwd"] = "link:/etc/passwd"
    os.symlink("/etc", root / "etc-link")
    expected["etc-link"] = "link:/etc"
    os.mkfifo(root / "pkg2" / "pipe")
    expected["pkg2/pipe"] = "special"
    return expected


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_entry_is_said_for_what_it_is_on_any_number_of_cores(tmp_path, workers):
    expected = plant(tmp_path)
    problems = []
    listed, hashed, stale = manifest.file_manifest([str(tmp_path)], problems, workers=workers)
    assert listed == {str(tmp_path): expected}
    assert problems == [] and stale == []
    assert hashed[str(tmp_path / "pkg0" / "lib.so")] == expected["pkg0/lib.so"]
    assert not any(path.endswith(("passwd", "pipe", "etc-link")) for path in hashed)  # never read, never followed


def test_known_hashes_are_used_not_recomputed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.py").write_bytes(b"real\n")
    known = {str(tmp_path / "a" / "f.py"): "from-the-tree-walk"}
    listed, hashed, _ = manifest.file_manifest([str(tmp_path)], [], known=known, workers=2)
    assert listed[str(tmp_path)] == {"a/f.py": "from-the-tree-walk"}


def test_a_folder_that_cannot_be_listed_is_unreadable_not_left_out(tmp_path, monkeypatch):
    # root lists a mode-000 folder anyway: the refusal is made where the walk lists folders
    (tmp_path / "pkg" / "hidden").mkdir(parents=True)
    (tmp_path / "pkg" / "hidden" / "payload.py").write_bytes(b"evil\n")
    (tmp_path / "pkg" / "ok.py").write_bytes(b"ok\n")
    real = os.scandir

    def scandir(path):
        if str(path).endswith("hidden"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(manifest.os, "scandir", scandir)
    listed, _, _ = manifest.file_manifest([str(tmp_path)], [], workers=1)
    assert listed[str(tmp_path)] == {"pkg/hidden": "unreadable", "pkg/ok.py": b64(b"ok\n")}


def test_a_file_swapped_after_the_listing_is_never_read_through_a_link_or_a_fifo(tmp_path):
    counts = [0, 0]
    buffer = bytearray(1 << 16)
    os.symlink("/etc/passwd", tmp_path / "link")
    os.mkfifo(tmp_path / "fifo")  # opened for reading, a FIFO without a writer would block forever
    assert manifest._file(str(tmp_path / "link"), buffer, counts) == "link:/etc/passwd"
    assert manifest._file(str(tmp_path / "fifo"), buffer, counts) == "special"
    assert manifest._file(str(tmp_path / "gone"), buffer, counts) == "missing"
    assert counts == [0, 0]


def test_stale_bytecode_is_found_on_the_walk(tmp_path):
    folder = tmp_path / "pkg" / "inner"
    folder.mkdir(parents=True)
    source = folder / "mod.py"
    source.write_text("x = 1\n")
    pyc = importlib.util.cache_from_source(str(source))
    py_compile.compile(str(source), cfile=pyc)
    fresh = tmp_path / "pkg" / "fresh.py"
    fresh.write_text("y = 2\n")
    py_compile.compile(str(fresh), cfile=importlib.util.cache_from_source(str(fresh)))
    source.write_text("x = 2  # edited after compiling: another size\n")
    other = folder / "__pycache__" / f"mod.{'cpython-27'}.pyc"  # another interpreter's: never read by this one
    other.write_bytes(b"junk")
    _, _, stale = manifest.file_manifest([str(tmp_path)], [], pycs=True, workers=2)
    assert stale == [pyc]
    assert sys.implementation.cache_tag in pyc


def test_a_tree_past_the_limit_is_a_problem_and_the_answer_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest, "_MANIFEST_LIMIT", 10)
    for package in range(4):
        (tmp_path / f"p{package}").mkdir()
        for n in range(8):
            (tmp_path / f"p{package}" / f"f{n}").write_bytes(b"x")
    problems = []
    listed, _, _ = manifest.file_manifest([str(tmp_path)], problems, workers=1)
    assert len(listed[str(tmp_path)]) == 11
    assert problems == [{"path": str(tmp_path), "problem": "more than 10 files: not all listed"}]


def test_a_worker_whose_probe_is_gone_stops_instead_of_walking_on(tmp_path):
    # --deadline ends the probe with SIGALRM; its workers would hash the rest of their subtree for
    # nobody. One that finds its parent is no longer the probe leaves at the next folder.
    import subprocess

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "f.py").write_text("x\n")
    code = ("from envbuild.probe import hashing, manifest as m; hashing._OWNER[0] = -1; "
            f"m._walk((0, {str(tmp_path / 'pkg')!r}, 'pkg/', (), False)); print('walked on')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.getcwd())
    assert (done.returncode, done.stdout) == (1, "")
    code = code.replace("hashing._OWNER[0] = -1", "import os; hashing._OWNER[0] = os.getpid()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.getcwd())
    assert (done.returncode, done.stdout) == (0, "walked on\n")


def test_a_batch_worker_whose_probe_is_gone_stops_within_64_files(tmp_path):
    # hash_all's workers (conda prefixes, files outside the site directories) get 512 files a task.
    import subprocess

    code = ("from envbuild.probe import hashing; hashing._OWNER[0] = -1; "
            "hashing._hash = lambda path, buffer: print(path) or ('x', 0); "
            "hashing._hash_batch([str(n) for n in range(512)]); print('hashed on')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=os.getcwd())
    assert done.returncode == 1 and done.stdout.split() == [str(n) for n in range(63)]


def test_what_is_not_a_regular_file_is_unreadable_and_never_waited_on(tmp_path):
    from envbuild.probe.hashing import hash_all

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    found = hash_all([str(tmp_path / n) for n in ("fifo", "real", "link", "gone")])
    assert found[str(tmp_path / "fifo")] == "unreadable" and found[str(tmp_path / "gone")] == "missing"
    assert found[str(tmp_path / "link")] == found[str(tmp_path / "real")] not in ("unreadable", "missing")


def test_a_fifo_named_like_bytecode_is_stale_and_never_waited_on(tmp_path):
    source = tmp_path / "pkg" / "mod.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    pyc = importlib.util.cache_from_source(str(source))
    os.makedirs(os.path.dirname(pyc))
    os.mkfifo(pyc)
    listing, _, stale = manifest.file_manifest([str(tmp_path)], [], pycs=True, workers=1)
    assert stale == [pyc]
    assert listing[str(tmp_path)][os.path.relpath(pyc, tmp_path)] == "special"
