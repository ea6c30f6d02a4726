"""Files against the locked wheels' RECORD: verdicts, unowned files, shadowed modules. Pure."""

from __future__ import annotations

from envbuild.core.ownership import check_site_files, shadowed_findings, wheel_record

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
    return {"distributions": [{"name": "pkg", "version": "1.0", "location": SITE, "metadata_dir": "pkg-1.0.dist-info",
                               "files": {"checked": 0, "modified": ["/venv/bin/tool"], "missing": [], "unreadable": []}},
                              {"name": "pip", "version": "24", "location": SITE, "metadata_dir": "pip-24.dist-info",
                               "top_level": ["pip", "pip-24.dist-info"]}],
            "site_files": {SITE: files}, **more}


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
    assert verdicts["pkg"]["modified"] == [f"{SITE}/pkg/data.txt", "/venv/bin/tool"]  # outside: the probe's verdict
    assert verdicts["pkg"]["missing"] == [f"{SITE}/extra.py"]
    assert [(f.name, f.paths) for f in unowned] == [("evil.pth", (f"{SITE}/evil.pth",)),
                                                    ("pkg", (f"{SITE}/pkg/_added.py",))]
    assert unowned[0].detail.startswith("runs code at start-up: import x")


def test_a_module_found_twice_and_a_stdlib_name_are_shadowed():
    found = shadowed_findings({"pth": [{"path": f"{SITE}/x.pth", "added": ["/opt/x"]}], "shadowing": [
        {"name": "requests", "stdlib": False, "found": [{"location": SITE, "entry": "requests", "kind": "package"},
                                                        {"location": "/opt/x", "entry": "requests", "kind": "package"}]},
        {"name": "json", "stdlib": True, "found": [{"location": SITE, "entry": "json.py", "kind": "module"}]}]})
    assert [(f.name, f.actual) for f in found] == [("requests", f"{SITE}/requests"), ("json", f"{SITE}/json.py")]
    assert "(on the path through x.pth)" in found[0].detail and found[1].expected == "the standard library's"
