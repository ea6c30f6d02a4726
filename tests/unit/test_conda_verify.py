from envbuild.core.check.conda_verify import verify_conda, view_of_conda_lock, view_of_conda_snapshot
from envbuild.core.lock import Lock, Package
from envbuild.core.check.verify import diff_views
from tests.support.snapshots import snap as typed


def conda(name, version, build, sha="0" * 64):
    return Package(name=name, version=version, manager="conda", build=build, hashes=(f"sha256:{sha}",), md5="1" * 32,
                        url=f"file:///ch/linux-64/{name}-{version}-{build}.tar.bz2")


LOCK = Lock(format="conda-lock", target="cpu", platform="linux/amd64", channels=("file:///ch",), sources=(), python="3.11",
                 packages=(conda("python", "3.11.2", "h0"), conda("libtiny", "1.1", "h1_1"), conda("tinytool", "2.0", "h0_0"),
                           Package(name="requests", version="2.34.2", manager="pip", hashes=("sha256:" + "2" * 64,),
                                   url="https://f/requests-2.34.2-py3-none-any.whl")))


def snapshot(records=None, dists=None, version="3.11.2"):
    records = records if records is not None else [
        {"name": "python", "version": "3.11.2", "build": "h0", "sha256": "0" * 64, "meta": "python-3.11.2-h0.json"},
        {"name": "libtiny", "version": "1.1", "build": "h1_1", "sha256": "0" * 64, "meta": "libtiny-1.1-h1_1.json"},
        {"name": "tinytool", "version": "2.0", "build": "h0_0", "sha256": "0" * 64, "meta": "tinytool-2.0-h0_0.json"}]
    dists = dists if dists is not None else [{"name": "requests", "version": "2.34.2", "location": "/opt/conda/lib"},
                                             {"name": "pip", "version": "24", "location": "/opt/conda/lib"}]
    return {"interpreter": {"version": version, "implementation": "cpython", "machine": "x86_64", "system": "linux",
                            "libc": "glibc", "libc_version": "2.36"},
            "distributions": dists, "conda": {"prefix": "/opt/conda", "packages": records}}


def found(findings):
    return [(f.kind, f.name, f.expected, f.actual) for f in findings]


def test_a_matching_prefix_is_clean():
    assert verify_conda(LOCK, typed(snapshot())) == []


def test_missing_unexpected_version_build_and_archive_drift():
    snap = snapshot(records=[
        {"name": "python", "version": "3.11.2", "build": "h0", "sha256": "0" * 64, "meta": "p.json"},
        {"name": "libtiny", "version": "1.1", "build": "h0_0", "sha256": "0" * 64, "meta": "l.json"},
        {"name": "extra", "version": "1", "build": "x", "meta": "e.json"}])
    assert found(verify_conda(LOCK, typed(snap))) == [
        ("build", "libtiny", "1.1 h1_1", "1.1 h0_0"),
        ("missing", "tinytool", "2.0 h0_0", None),
        ("unexpected", "extra", None, "1 x")]
    snap = snapshot()
    snap["conda"]["packages"][2].update(version="2.1", sha256="9" * 64)
    snap["conda"]["packages"][1]["sha256"] = "8" * 64  # same version and build, another archive
    assert found(verify_conda(LOCK, typed(snap))) == [("build", "libtiny", "0" * 64, "8" * 64),
                                               ("version", "tinytool", "2.0 h0_0", "2.1 h0_0")]


def test_modified_files_are_reported_relative_to_the_prefix():
    snap = snapshot()
    snap["conda"]["packages"][1]["files"] = {"checked": 1, "modified": ["/opt/conda/lib/libtiny.txt"], "missing": []}
    [finding] = verify_conda(LOCK, typed(snap))
    assert (finding.kind, finding.name, finding.actual, finding.detail) == ("modified", "libtiny", "1 modified",
                                                                            "lib/libtiny.txt")


def test_pip_part_and_conda_owned_python_packages():
    dists = [{"name": "requests", "version": "2.0", "location": "/l"},
             {"name": "numpy", "version": "2.1", "location": "/l", "installer": "conda"},  # conda's: not drift
             {"name": "tinytool", "version": "2.0", "location": "/l"},  # named like a conda package
             {"name": "rich", "version": "13", "location": "/l"}]
    assert found(verify_conda(LOCK, typed(snapshot(dists=dists)))) == [("version", "requests", "2.34.2", "2.0"),
                                                                 ("unexpected", "rich", None, "13")]
    assert found(verify_conda(LOCK, typed(snapshot(version="3.12.1"))))[0] == ("python", "python", "3.11", "3.12.1")


def test_no_conda_environment_is_one_clear_finding():
    snap = snapshot()
    snap["conda"] = {"prefix": "/nowhere", "packages": None}
    [finding] = [f for f in verify_conda(LOCK, typed(snap)) if f.name == "conda environment"]
    assert finding.actual == "no conda-meta in /nowhere" and "--conda-prefix" in finding.detail
    del snap["conda"]
    assert "no conda environment found" in found(verify_conda(LOCK, typed(snap)))[0][3]


def test_diff_of_lock_and_snapshot_views():
    snap = snapshot()
    snap["conda"]["packages"][1]["build"] = "h0_0"
    diff = diff_views(view_of_conda_lock(LOCK, "lock"), view_of_conda_snapshot(typed(snap), "prod"))
    assert found(diff) == [("version", "libtiny (conda)", "1.1 h1_1", "1.1 h0_0")]


def test_a_conda_snapshot_s_view_keeps_what_it_ran_with_and_its_data():
    """diff of two conda snapshots compares determinism variables and DVC outputs too, as of pip ones."""
    data = snapshot()
    data.update(environment={"PYTHONHASHSEED": "0"},
                data={"outputs": [{"stage": "s", "path": "p", "hash": "md5", "value": "aa"}]})
    view = view_of_conda_snapshot(typed(data), "a")
    assert view.determinism == {"PYTHONHASHSEED": "0"} and view.data[0]["value"] == "aa"
    other = dict(data, environment={"PYTHONHASHSEED": "random"},
                 data={"outputs": [{"stage": "s", "path": "p", "hash": "md5", "value": "bb"}]})
    assert sorted(f.kind for f in diff_views(view, view_of_conda_snapshot(typed(other), "b"))) == ["data", "determinism"]
