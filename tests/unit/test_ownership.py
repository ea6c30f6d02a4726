"""Files against the locked wheels' RECORD: verdicts, unowned files, shadowed modules. Pure."""

from __future__ import annotations

from envbuild.core.check.ownership import check_site_files, shadowed_findings, wheel_record
from tests.support.snapshots import snap

SITE = "/venv/lib/python3.11/site-packages"
RECORD = """\
pkg/__init__.py,sha256=AAA,10
pkg/data.txt,sha256=BBB,3
pkg-1.0.dist-info/METADATA,sha256=CCC,40
pkg-1.0.dist-info/RECORD,,
pkg-1.0.data/scripts/tool,sha256=DDD,20
pkg-1.0.data/purelib/extra.py,sha256=EEE,5
"""


def snapshot(files, **more):
    return snap({"distributions": [{"name": "pkg", "version": "1.0", "location": SITE, "metadata_dir": "pkg-1.0.dist-info",
                               "files": {"checked": 0, "modified": ["/venv/bin/tool"], "missing": [], "unreadable": []}},
                              {"name": "pip", "version": "24", "location": SITE, "metadata_dir": "pip-24.dist-info",
                               "top_level": ["pip", "pip-24.dist-info"]}],
            "site_files": {SITE: files}, **more})


def test_the_wheel_record_maps_data_files_and_skips_what_lands_outside():
    record = wheel_record("pkg", RECORD)
    assert record.files == {"pkg/__init__.py": "AAA", "pkg/data.txt": "BBB", "pkg-1.0.dist-info/METADATA": "CCC",
                            "extra.py": "EEE"}
    assert record.dist_info == "pkg-1.0.dist-info"


def test_verdicts_come_from_the_wheel_and_strays_are_unowned():
    files = {"pkg/__init__.py": "AAA", "pkg/data.txt": "XXX", "pkg-1.0.dist-info/METADATA": "CCC",
             "pkg-1.0.dist-info/RECORD": "R", "pkg-1.0.dist-info/INSTALLER": "I",
             "pkg/__pycache__/__init__.cpython-311.pyc": "P", "pkg/_added.py": "Z", "evil.pth": "Q",
             "pip/__init__.py": "PIP", "pip-24.dist-info/RECORD": "PR"}
    verdicts, unowned = check_site_files(snapshot(files, pth=[{"path": f"{SITE}/evil.pth", "exec": ["import x"]}]),
                                         {"pkg": wheel_record("pkg", RECORD)}, {"pkg": "1.0"})
    assert list(verdicts["pkg"].modified) == [f"{SITE}/pkg/data.txt", "/venv/bin/tool"]  # outside: the probe's verdict
    assert list(verdicts["pkg"].missing) == [f"{SITE}/extra.py"]
    assert [(f.name, f.paths) for f in unowned] == [("evil.pth", (f"{SITE}/evil.pth",)),
                                                    ("pkg", (f"{SITE}/pkg/_added.py",))]
    assert unowned[0].detail.startswith("runs code at start-up: import x")


def test_a_module_found_twice_and_a_stdlib_name_are_shadowed():
    found = shadowed_findings(snap({"pth": [{"path": f"{SITE}/x.pth", "added": ["/opt/x"]}], "shadowing": [
        {"name": "requests", "stdlib": False, "found": [{"location": SITE, "entry": "requests", "kind": "package"},
                                                        {"location": "/opt/x", "entry": "requests", "kind": "package"}]},
        {"name": "json", "stdlib": True, "found": [{"location": SITE, "entry": "json.py", "kind": "module"}]}]}))
    assert [(f.name, f.actual) for f in found] == [("requests", f"{SITE}/requests"), ("json", f"{SITE}/json.py")]
    assert "(on the path through x.pth)" in found[0].detail and found[1].expected == "the standard library's"


HASH = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"  # sha256 of "foo\n"
B64 = "tbudgBSg-bHWHiHnlteNzN8TUvI80ygS9IULh4rklEw"


def test_hex_and_padded_record_digests_read_as_the_probe_hashes():
    """ffmpy 0.6.1's RECORD gives hex sha256 digests; pip and uv accept them, so envbuild must."""
    record = wheel_record("pkg", f"pkg/a.py,sha256={HASH},4\npkg/b.py,sha256={B64}=,4\npkg/c.py,sha256={B64},4\n")
    assert record.files == {"pkg/a.py": B64, "pkg/b.py": B64, "pkg/c.py": B64}
    files = {"pkg/a.py": B64, "pkg/b.py": B64, "pkg/c.py": B64}
    verdicts, unowned = check_site_files(snapshot(files), {"pkg": record}, {"pkg": "1.0"})
    assert list(verdicts["pkg"].modified) == ["/venv/bin/tool"] and unowned == []  # only the probe's own outside verdict


def test_a_pyc_the_wheel_ships_is_judged_by_its_record_hash_not_its_header():
    """numpy 2.3.3's wheel ships distutils/__pycache__/conv_template.cpython-311.pyc: the installer gives
    its source a new mtime, so its timestamp header reads as stale though its bytes are the wheel's."""
    shipped = "pkg/__pycache__/tpl.cpython-311.pyc"
    record = wheel_record("pkg", f"pkg/tpl.py,sha256=SRC,4\n{shipped},sha256=PYC,9\npkg/other.py,sha256=OTH,4\n")
    compiled = "pkg/__pycache__/other.cpython-311.pyc"  # written by the installer, not in the wheel
    files = {"pkg/tpl.py": "SRC", shipped: "PYC", "pkg/other.py": "OTH", compiled: "X"}
    stale = [f"{SITE}/{shipped}", f"{SITE}/{compiled}"]
    verdicts, _ = check_site_files(snapshot(files, stale_pyc=stale), {"pkg": record}, {"pkg": "1.0"})
    assert list(verdicts["pkg"].modified) == [f"{SITE}/{compiled}", "/venv/bin/tool"]  # the installer's stale pyc still is
    edited = dict(files, **{shipped: "EDITED"})
    verdicts, _ = check_site_files(snapshot(edited, stale_pyc=stale), {"pkg": record}, {"pkg": "1.0"})
    assert f"{SITE}/{shipped}" in list(verdicts["pkg"].modified)  # other bytes, and stale: modified
    # pip compiles the installed source again over the shipped pyc: other bytes, but fresh for its source
    verdicts, _ = check_site_files(snapshot(edited, stale_pyc=stale[1:]), {"pkg": record}, {"pkg": "1.0"})
    assert list(verdicts["pkg"].modified) == [f"{SITE}/{compiled}", "/venv/bin/tool"]


def test_a_compiled_file_of_a_dotted_module_name_is_its_source_s():
    """optuna's alembic revisions (v0.9.0.a.py → __pycache__/v0.9.0.a.cpython-311.pyc) were unowned
    in the zero-false-alarm corpus (bench/false_alarms.py)."""
    record = wheel_record("pkg", "pkg/__init__.py,sha256=AAA,1\npkg/v0.9.0.a.py,sha256=VVV,1\n")
    files = {"pkg/__init__.py": "AAA", "pkg/v0.9.0.a.py": "VVV", "pkg/__pycache__/v0.9.0.a.cpython-311.pyc": "P",
             "pkg/__pycache__/v0.9.0.a.cpython-311.opt-1.pyc": "O"}
    verdicts, unowned = check_site_files(snapshot(files), {"pkg": record}, {"pkg": "1.0"})
    assert unowned == [] and list(verdicts["pkg"].missing) == []


def test_a_path_two_locked_wheels_install_is_as_locked_whichever_the_installer_left():
    """nvidia-nccl-cu12 and nvidia-nccl-cu13 both ship nvidia/nccl/include/nccl.h (the corpus again)."""
    cu12 = wheel_record("nccl-cu12", "nvidia/nccl/include/nccl.h,sha256=TWELVE,1\n")
    cu13 = wheel_record("nccl-cu13", "nvidia/nccl/include/nccl.h,sha256=THIRTEEN,1\n")
    both = {"distributions": [{"name": n, "version": "1", "location": SITE, "metadata_dir": f"{n}-1.dist-info"}
                              for n in ("nccl-cu12", "nccl-cu13")],
            "site_files": {SITE: {"nvidia/nccl/include/nccl.h": "TWELVE"}}}
    verdicts, unowned = check_site_files(snap(both), {"nccl-cu12": cu12, "nccl-cu13": cu13},
                                         {"nccl-cu12": "1", "nccl-cu13": "1"})
    assert list(verdicts["nccl-cu13"].modified) == [] and unowned == []
    both["site_files"][SITE]["nvidia/nccl/include/nccl.h"] = "OTHER"  # neither wheel's: modified for both
    verdicts, _ = check_site_files(snap(both), {"nccl-cu12": cu12, "nccl-cu13": cu13}, {"nccl-cu12": "1", "nccl-cu13": "1"})
    assert all(list(v.modified) == [f"{SITE}/nvidia/nccl/include/nccl.h"] for v in verdicts.values())
