"""The probe survives broken environments and says what it could not read."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from envbuild.adapters.places import probe_source


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def bare_venv(path):
    """A venv with nothing in it: (its python, its site-packages)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    return python, Path(site)


def run_probe(python, *args):
    done = subprocess.run([str(python), "-I", "-S", "-", *args], input=probe_source(),
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_broken_metadata_egg_info_and_bad_record_are_reported_not_fatal(tmp_path):
    python, site = bare_venv(tmp_path / "venv")
    (site / "nometa-1.0.dist-info").mkdir(parents=True)                       # no METADATA at all
    (site / "noname-1.0.dist-info").mkdir()
    (site / "noname-1.0.dist-info" / "METADATA").write_text("Version: 1.0\n")  # no Name
    (site / "legacy-2.0-py3.11.egg-info").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 2.0\n")
    good = site / "good-1.0.dist-info"
    good.mkdir()
    (good / "METADATA").write_text("Metadata-Version: 2.1\nName: Good_Pkg\nVersion: 1.0\n\nlong description\n")
    (site / "good").mkdir()
    (site / "good" / "__init__.py").write_bytes(b"x = 1\n")
    (site / "good" / "odd.py").write_bytes(b"")
    (good / "RECORD").write_text(
        "garbage line without commas\n"
        f"good/__init__.py,{record_hash(b'x = 1' + bytes([10]))},6\n"
        f"good/odd.py,{record_hash(b'')},\u00b2\n"                        # a size int() refuses: no crash
        f"good,{record_hash(b'')},0\n"                                          # a directory: unreadable
        "good-1.0.dist-info/RECORD,,\n")
    data = run_probe(python, "--files")
    ours = {d["name"]: d for d in data["distributions"] if d["location"] == str(site)}
    assert set(ours) == {"nometa", "legacy", "good-pkg"}
    assert ours["legacy"]["format"] == "egg-info" and ours["legacy"]["version"] == "2.0"
    assert ours["good-pkg"]["files"] == {"checked": 3, "modified": [], "missing": [], "unreadable": [str(site / "good")]}
    problems = {p["path"].rsplit("/", 1)[-1]: p["problem"] for p in data["problems"]}
    assert problems["nometa-1.0.dist-info"].startswith("cannot read metadata")
    assert problems["noname-1.0.dist-info"] == "metadata has no Name"


def test_gpu_stack_is_read_from_an_injectable_root(tmp_path):
    from envbuild import probe

    (tmp_path / "proc/driver/nvidia/gpus/0000:01:00.0").mkdir(parents=True)
    (tmp_path / "proc/driver/nvidia/version").write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n")
    (tmp_path / "proc/driver/nvidia/gpus/0000:01:00.0/information").write_text("Model: \t\t NVIDIA H100 80GB HBM3\n")
    torch_dir = tmp_path / "site" / "torch"
    torch_dir.mkdir(parents=True)
    (torch_dir / "version.py").write_text("__version__ = '2.9.1+cu128'\ncuda: Optional[str] = '12.8'\n")
    dists = [{"name": "nvidia-cuda-runtime-cu12", "version": "12.8.90", "location": "x"},
             {"name": "nvidia-cudnn-cu12", "version": "9.10.2.21", "location": "x"},
             {"name": "torch", "version": "2.9.1", "location": str(tmp_path / "site")}]
    assert probe.gpu(str(tmp_path), dists) == {
        "driver": "550.54.14", "gpus": [{"bus": "0000:01:00.0", "model": "NVIDIA H100 80GB HBM3"}],
        "cuda_runtime": "12.8.90", "cudnn": "9.10.2.21", "torch_cuda": "12.8"}
    assert probe.gpu(str(tmp_path / "nothing"), []) == {}


def test_conda_meta_records_are_read_and_a_broken_one_is_a_problem_not_a_crash(tmp_path):
    import json

    from envbuild import probe

    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.txt").write_text("a\n")
    good = {"name": "a", "version": "1", "build": "h0", "sha256": "0" * 64, "paths_data": {"paths": [
        {"_path": "lib/a.txt", "path_type": "hardlink",
         "sha256": "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"},  # sha256 of "a\n"
        {"_path": "lib/b.txt", "path_type": "hardlink", "sha256": "not-hex"},
        {"_path": "bin/a", "path_type": "softlink", "sha256": "00"}]}}
    (meta / "a-1-h0.json").write_text(json.dumps(good))
    (meta / "broken-1-0.json").write_text("{")
    problems = []
    [package] = probe.conda_packages(str(tmp_path), problems, files=True)
    assert (package["name"], package["version"], package["build"]) == ("a", "1", "h0")
    assert package["files"] == {"checked": 1, "modified": [], "missing": [], "unreadable": []}
    assert sorted(p["problem"].split(":")[0].split(" for")[0] for p in problems) == ["bad sha256", "cannot read"]
    (tmp_path / "lib" / "a.txt").write_text("b\n")
    [package] = probe.conda_packages(str(tmp_path), [], files=True)
    assert package["files"]["modified"] == [str(tmp_path / "lib" / "a.txt")]


def test_the_bundle_carries_every_probe_module_after_those_it_imports():
    import re

    from envbuild.adapters.places import PROBE_MODULES

    folder = Path(__file__).resolve().parents[2] / "envbuild" / "probe"
    assert set(PROBE_MODULES) == {p.stem for p in folder.glob("*.py")} - {"__init__", "__main__"}
    for i, name in enumerate(PROBE_MODULES):
        needs = set(re.findall(r"^from \.(\w+) import", (folder / f"{name}.py").read_text(), re.M))
        assert needs <= set(PROBE_MODULES[:i]), (name, needs)


def test_only_the_copy_an_import_finds_gets_file_verdicts(tmp_path):
    from envbuild.probe.hashing import active_records, check_files

    def dist(location, **more):
        info = tmp_path / location / "demo-1.0.dist-info"
        info.mkdir(parents=True)
        (tmp_path / location / "demo.py").write_bytes(b"x = 1\n")
        (info / "RECORD").write_text(f"demo.py,{record_hash(b'x = 1' + chr(10).encode())},6\n")
        return {"name": "demo", "location": str(tmp_path / location), "metadata_dir": info.name,
                "has_record": True, **more}

    first, shadowed = dist("a"), dist("b", shadowed_by=str(tmp_path / "a"))
    dists = [first, shadowed]
    check_files(dists, active_records(dists, []))
    assert first["files"] == {"checked": 1, "modified": [], "missing": [], "unreadable": []}
    assert first["top_level"] == ["demo.py"]
    assert "files" not in shadowed and "top_level" not in shadowed


def test_metadata_is_read_however_long_its_first_headers_and_direct_url_in_any_shape(tmp_path):
    """Name and Version are looked for in the first 2 KiB and, when not both there, in the whole
    header block; a direct_url.json that is not the object PEP 610 says is no URL, never a crash."""
    from envbuild.probe.dists import distributions

    shapes = {"alist": "[]", "astring": '"x"', "badfields": '{"url": 5, "dir_info": []}',
              "good": '{"url": "file:///src/good", "dir_info": {"editable": true}}'}
    for name, direct_url in shapes.items():
        info = tmp_path / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nSummary: {'s' * 3000}\nName: {name}\nVersion: 1.0\n\n"
                                       "Name: not-this\n")
        (info / "direct_url.json").write_text(direct_url)
    found = {d["name"]: d for d in distributions([], [str(tmp_path)])}
    assert {n: d["version"] for n, d in found.items()} == dict.fromkeys(shapes, "1.0")
    assert [(d.get("url"), d.get("editable")) for d in found.values()] == \
        [(None, None), (None, None), ("", False), ("file:///src/good", True)]


def test_a_file_past_the_read_limit_is_unreadable_not_half_read(tmp_path, monkeypatch):
    import errno

    from envbuild.probe import common

    monkeypatch.setattr(common, "READ_LIMIT", 1000)
    (tmp_path / "big").write_bytes(b"x" * 1001)
    (tmp_path / "fits").write_bytes(b"x" * 1000)
    with pytest.raises(OSError) as caught:
        common.read_bytes(str(tmp_path / "big"))
    assert caught.value.errno == errno.EFBIG
    assert common.read_bytes(str(tmp_path / "fits")) == b"x" * 1000
    assert common.read_bytes(str(tmp_path / "big"), 10) == b"x" * 10


@pytest.mark.parametrize("text", ["[]", '{"name": ["x"], "version": "1"}', "[" * 100_000,
                                  '{"name": "a", "version": 1, "paths_data": {"paths": [1, {"_path": 5}]}}',
                                  '{"name": "a", "paths_data": []}'])
def test_a_conda_meta_record_of_any_shape_is_a_problem_or_a_package_never_a_crash(tmp_path, text):
    from envbuild import probe
    from envbuild.core.snapshot import read_snapshot

    (tmp_path / "conda-meta").mkdir()
    (tmp_path / "conda-meta" / "x.json").write_text(text)
    problems = []
    packages = probe.conda_packages(str(tmp_path), problems, files=True)
    assert packages or problems
    for package in packages:  # what comes back has the snapshot's shape: no field a list or a number
        assert package["name"] == "a" and package["version"] is None
    read_snapshot({"schema": 1, "probe": 2, "interpreter": {}, "distributions": [],
                   "conda": {"prefix": str(tmp_path), "packages": packages}})


def test_a_direct_url_nested_past_the_recursion_limit_is_no_url(tmp_path):
    from envbuild.probe.dists import distributions

    info = tmp_path / "deep-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: deep\nVersion: 1.0\n")
    (info / "direct_url.json").write_text("[" * 100_000)
    [found] = distributions([], [str(tmp_path)])
    assert (found["name"], found.get("url")) == ("deep", None)


def test_a_malformed_in_process_snapshot_is_that_place_unreachable_not_an_internal_error(monkeypatch):
    from envbuild.adapters import places
    from envbuild.errors import ToolUnavailable

    monkeypatch.setattr(places, "local_snapshot", lambda place, timeout: {"schema": 1, "interpreter": []})
    with pytest.raises(ToolUnavailable, match="the probe answered with a malformed snapshot"):
        places.take_snapshot(places.Place(kind="local"))


def test_a_record_past_csvs_field_limit_is_a_problem_and_owns_nothing(tmp_path):
    from envbuild.probe.dists import distributions, pth_owners, record_rows

    info = tmp_path / "evil-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Name: evil\nVersion: 1.0\n")
    (info / "RECORD").write_text('"' + "x" * 200_000 + '",sha256=abc,1\nevil.pth,,\n')
    (tmp_path / "evil.pth").write_text("# nothing\n")
    problems = []
    [dist] = distributions(problems, [str(tmp_path)])
    assert record_rows(dist, problems) == []
    assert problems == [{"path": str(info / "RECORD"), "problem": "cannot read RECORD: field larger than field "
                                                                  "limit (131072)"}]
    report = {"path": str(tmp_path / "evil.pth")}
    pth_owners([report], [dist])
    assert report["owner"] is None


def test_the_installed_record_s_hex_and_padded_digests_read_as_the_probe_hashes(tmp_path):
    """ffmpy 0.6.1's RECORD gives hex digests (pip and uv accept them): the probe's own check of the
    installed RECORD must compare them with what it hashes, not call the files modified."""
    from envbuild.probe.common import record_digest
    from envbuild.probe.dists import record_rows

    hex_digest = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
    b64 = "tbudgBSg-bHWHiHnlteNzN8TUvI80ygS9IULh4rklEw"
    assert record_digest(f"sha256={hex_digest}") == record_digest(f"sha256={b64}=") == record_digest(f"sha256={b64}") == b64
    (tmp_path / "pkg-1.0.dist-info").mkdir()
    (tmp_path / "pkg-1.0.dist-info" / "RECORD").write_text(f"pkg/a.py,sha256={hex_digest},4\npkg/b.py,sha256={b64},4\n")
    rows = record_rows({"location": str(tmp_path), "metadata_dir": "pkg-1.0.dist-info"}, [])
    assert [(path[len(str(tmp_path)) + 1:], digest) for path, digest, _size in rows] == [("pkg/a.py", b64),
                                                                                        ("pkg/b.py", b64)]


def test_the_probe_names_the_customize_modules_site_would_import(tmp_path):
    from envbuild.probe.paths import customize

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    (second / "sitecustomize.py").write_text("import os\n")
    (first / "usercustomize").mkdir()  # a package counts too
    (second / "usercustomize.py").write_text("")
    assert customize([str(first), str(second)]) == [
        {"module": "sitecustomize", "path": str(second / "sitecustomize.py")},
        {"module": "usercustomize", "path": str(first / "usercustomize")}]


def test_without_files_every_listed_file_must_be_there_compiled_ones_aside(tmp_path):
    """Issue 32, item 6, in the probe: one listing per folder, nothing read."""
    from envbuild.probe.hashing import check_presence

    site = tmp_path / "site"
    (site / "pkg" / "__pycache__").mkdir(parents=True)
    (site / "pkg-1.0.dist-info").mkdir()
    (site / "pkg" / "a.py").write_text("")
    (site / "pkg-1.0.dist-info" / "RECORD").write_text(
        'pkg/a.py,sha256=x,0\npkg/gone.py,sha256=y,0\n"pkg/with,comma.py",sha256=z,0\n'
        "pkg/__pycache__/a.cpython-311.pyc,,\npkg-1.0.dist-info/RECORD,,\n../../bin/pkg-tool,sha256=t,1\n")
    dist = {"name": "pkg", "version": "1.0", "location": str(site), "metadata_dir": "pkg-1.0.dist-info",
            "has_record": True}
    check_presence([dist], [])
    assert dist["files"]["checked"] == 5
    assert dist["files"]["missing"] == sorted([str(site / "pkg" / "gone.py"), str(site / "pkg" / "with,comma.py"),
                                               str(tmp_path.parent / "bin" / "pkg-tool")])
