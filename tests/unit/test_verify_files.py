"""verify --files in the pip ecosystem, against a fake wheel source: what it fetches and what the
fetched RECORDs decide. (tests/integration/test_verify.py runs the same against real wheels.)"""

from __future__ import annotations

from envbuild.core.lock import Lock, Package
from envbuild.core.progress import silent
from envbuild.core.snapshot import Snapshot
from envbuild.ecosystems.pip import PipEcosystem
from tests.support.fake_wheels import FakeWheels
from tests.support.snapshots import snap as typed

SITE = "/venv/lib/python3.11/site-packages"
HASH = "sha256:" + "0" * 64
PKG_RECORD = "pkg/__init__.py,sha256=AAA,10\npkg-1.0.dist-info/METADATA,sha256=CCC,40\npkg-1.0.dist-info/RECORD,,\n"


def lock(*packages: Package) -> Lock:
    return Lock(format="requirements", target="cpu", platform="linux/amd64", python="3.11", packages=packages)


def snapshot(files: dict[str, str], *dists: tuple[str, str]) -> Snapshot:
    interpreter = {"version": "3.11.7", "machine": "x86_64", "system": "linux", "libc": "glibc", "libc_version": "2.36"}
    return typed({"interpreter": interpreter, "site_dirs": [SITE], "site_files": {SITE: files},
                  "distributions": [{"name": name, "version": version, "location": SITE,
                                     "metadata_dir": f"{name}-{version}.dist-info",
                                     "top_level": [name, f"{name}-{version}.dist-info"]} for name, version in dists]})


def test_only_pins_installed_at_their_locked_version_are_fetched():
    wheels = FakeWheels({"pkg": PKG_RECORD})
    pinned = lock(Package(name="pkg", version="1.0", hashes=(HASH,)), Package(name="other", version="2.0", hashes=(HASH,)))
    env = snapshot({"pkg/__init__.py": "AAA", "pkg-1.0.dist-info/METADATA": "CCC", "pkg-1.0.dist-info/RECORD": "R",
                    "other/__init__.py": "O", "other-2.1.dist-info/RECORD": "R"}, ("pkg", "1.0"), ("other", "2.1"))
    checked, findings = PipEcosystem().check(pinned, env, allow_extra=(), files=True, wheels=wheels, progress=silent)
    assert wheels.asked == [("pkg",)]  # other is 2.1 where 2.0 is locked: a version finding, no download
    assert sorted((f.kind, f.name) for f in findings) == [("version", "other")]
    assert next(d for d in checked.distributions if d.name == "pkg").files.modified == ()


def test_a_file_the_locked_wheel_does_not_have_as_installed_is_modified_by_its_record():
    wheels = FakeWheels({"pkg": PKG_RECORD})
    env = snapshot({"pkg/__init__.py": "EDITED", "pkg-1.0.dist-info/METADATA": "CCC", "pkg-1.0.dist-info/RECORD": "R",
                    "pkg/_added.py": "Z"}, ("pkg", "1.0"))
    _, findings = PipEcosystem().check(lock(Package(name="pkg", version="1.0", hashes=(HASH,))), env, allow_extra=(),
                                       files=True, wheels=wheels, progress=silent)
    by_kind = {f.kind: f for f in findings}
    assert by_kind["modified"].name == "pkg" and f"{SITE}/pkg/__init__.py" in by_kind["modified"].paths
    assert by_kind["unowned"].paths == (f"{SITE}/pkg/_added.py",)
