"""core/lock/changes.py: what a re-lock changed."""

from envbuild.core.lock.changes import diff_locks, diff_pins
from envbuild.core.lock import Lock, Package


def pin(name: str, version: str, *hashes: str, manager: str = "pip") -> Package:
    return Package(name=name, version=version, hashes=hashes, manager=manager)


def test_diff_pins_reports_each_kind_of_change():
    old = [pin("a", "1.0", "sha256:1"), pin("b", "2.0", "sha256:2"), pin("c", "1.0", "sha256:3"),
           pin("d", "1.0", "sha256:4"), pin("f", "1.0", "sha256:6")]
    new = [pin("a", "1.1", "sha256:1"), pin("b", "1.9", "sha256:2"), pin("d", "1.0", "sha256:9"),
           pin("e", "0.1", "sha256:5"), pin("f", "1.0", "sha256:6", "sha256:7")]
    assert [(c.kind, c.name, c.old, c.new) for c in diff_pins(old, new)] == [
        ("upgraded", "a", "1.0", "1.1"), ("downgraded", "b", "2.0", "1.9"), ("removed", "c", "1.0", None),
        ("rehashed", "d", "1.0", "1.0"), ("added", "e", None, "0.1")]  # f only gained a wheel: no change


def test_a_conda_lock_names_its_pip_packages_apart():
    """numpy the conda package and numpy the wheel are two entries, not one that changed manager."""
    def lock(*packages: Package) -> Lock:
        return Lock(format="conda-lock", target="cpu", platform="linux/amd64", packages=packages)

    old = lock(pin("numpy", "1.26", "sha256:1", manager="conda"), pin("numpy", "1.26", "sha256:2"))
    new = lock(pin("numpy", "1.26", "sha256:3", manager="conda"), pin("numpy", "2.0", "sha256:4"))
    assert [(c.kind, c.name) for c in diff_locks(old, new)] == [("rehashed", "numpy"), ("upgraded", "numpy (pip)")]
    assert [(c.kind, c.name) for c in diff_locks(None, new)] == [("added", "numpy"), ("added", "numpy (pip)")]
