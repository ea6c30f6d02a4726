"""Lock time, a pin with no wheel for the target: its sdist is fetched by the URL and hash uv found,
and built the way pip and uv build one - build dependencies from wheels, as of the lock's date - once
per lock; a build that needs a compiler is refused before it starts, naming the package."""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import hermetic_env, run_cli
from tests.support.index import LocalIndex



PY = f"{sys.version_info.major}.{sys.version_info.minor}"

# A PEP 517 backend published as a package of its own: it builds any sdist whose PKG-INFO names it.
_BACKEND = '''\
import os, zipfile

def _meta():
    fields = dict(line.split(": ", 1) for line in open("PKG-INFO").read().splitlines() if ": " in line)
    return fields["Name"], fields["Version"]

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version = _meta()
    module = name.replace("-", "_")
    info = "%s-%s.dist-info" % (module, version)
    files = {module + "/__init__.py": "", info + "/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (name, version),
             info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: tinyback\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"}
    files[info + "/RECORD"] = "".join(path + ",,\\n" for path in [*files, info + "/RECORD"])
    filename = "%s-%s-py3-none-any.whl" % (module, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for path, text in files.items():
            info_ = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info_, text)
    return filename
'''


def _tar(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return path


def _sdist(folder: Path, name: str, requires: list[str], backend: str = "tinyback", extra: dict | None = None) -> Path:
    root = f"{name}-1.0"
    listed = ", ".join(f'"{r}"' for r in requires)
    return _tar(folder / f"{root}.tar.gz", {
        # Metadata 2.2 with nothing dynamic: uv reads it without building (as it does on PyPI)
        f"{root}/PKG-INFO": f"Metadata-Version: 2.2\nName: {name}\nVersion: 1.0\n",
        f"{root}/pyproject.toml": f'[build-system]\nrequires = [{listed}]\nbuild-backend = "{backend}"\n',
        f"{root}/{name}/__init__.py": "", **(extra or {})})


def _backend_wheel(folder: Path) -> Path:
    path = folder / "tinyback-1.0-py3-none-any.whl"
    files = {"tinyback.py": _BACKEND, "tinyback-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinyback\nVersion: 1.0\n",
             "tinyback-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files["tinyback-1.0.dist-info/RECORD"] = "".join(f"{p},,\n" for p in [*files, "tinyback-1.0.dist-info/RECORD"])
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return path


def _publish(index: LocalIndex, path: Path, name: str) -> None:
    entry = {"filename": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
             "upload-time": "2026-01-15T00:00:00Z", "requires-python": None}
    index.files.setdefault(name, []).append(entry)
    index.paths[path.name] = path


@pytest.fixture
def sdist_index(tmp_path):
    """tinyback (the backend) as a wheel and as an sdist that cannot build; three packages built with
    it, sdists only; one whose build needs cmake; one whose backend fails."""
    files = tmp_path / "files"
    files.mkdir()
    index = LocalIndex(files, ())
    _publish(index, _backend_wheel(files), "tinyback")
    _publish(index, _tar(files / "tinyback-1.0.tar.gz", {"tinyback-1.0/PKG-INFO": "broken"}), "tinyback")
    for name in ("sone", "stwo", "sthree"):
        _publish(index, _sdist(files, name, ["tinyback"]), name)
    _publish(index, _sdist(files, "needsnative", ["setuptools", "cmake>=3.18"]), "needsnative")
    _publish(index, _sdist(files, "breaks", ["tinyback"], backend="nosuchbackend"), "breaks")
    index.start()
    yield index
    index.stop()


def _image(make_image, index, requirements: str, targets: str = "  cpu: {}\n  also: {}\n"):
    return make_image(f'name: a/b\npython: "{PY}"\nexclude-newer: 2026-05-01\nindex: {index.url}\n'
                      f"requirements: requirements.in\ntargets:\n{targets}", {"requirements.in": requirements})


def test_sdists_build_with_their_backend_from_its_wheel_once_per_lock(make_image, sdist_index, tmp_path):
    image = _image(make_image, sdist_index, "sone\nstwo\nsthree\n")
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    done = run_cli("lock", str(image), env=env)
    assert done.returncode == 0, done.stderr
    assert sdist_index.requests["/files/tinyback-1.0-py3-none-any.whl"] >= 1  # the backend came as a wheel
    assert sdist_index.requests["/files/tinyback-1.0.tar.gz"] == 0  # its sdist (which cannot build) never fetched
    for name in ("sone", "stwo", "sthree"):  # each built once, though two targets lock it
        assert done.stderr.count(f"{name} 1.0 has no wheel for linux/amd64: building one from its sdist") == 1
    assert "its resolution is used" in done.stderr  # the second target's inputs and platform are the first's
    cpu, also = ((image / "locks" / f"{t}.txt").read_text() for t in ("cpu", "also"))
    assert cpu.split("\n\n", 1)[1] == also.split("\n\n", 1)[1]
    from envbuild.core.lock import read_lock

    pins = {p.name: p for p in read_lock(cpu, "cpu.txt").packages}
    sdist = hashlib.sha256(sdist_index.paths["sone-1.0.tar.gz"].read_bytes()).hexdigest()
    assert len(pins["sone"].hashes) == 2 and f"sha256:{sdist}" in pins["sone"].hashes  # and the built wheel's


def test_a_native_build_is_refused_before_it_starts_naming_the_package(make_image, sdist_index, tmp_path):
    image = _image(make_image, sdist_index, "needsnative\n", targets="  cpu: {}\n")
    env = hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache"))
    done = run_cli("lock", str(image), env=env)
    assert done.returncode == 4, done.stderr
    first = next(line for line in done.stderr.splitlines() if line.startswith("envbuild: error"))
    assert "needsnative 1.0" in first and "native build" in first and "cmake" in first, done.stderr
    assert "find-links" in done.stderr and "pin a version of needsnative that publishes wheels" in done.stderr
    assert not (image / "locks" / "cpu.txt").exists()
    # The refusal itself, once the sdist is here, takes well under a second: nothing is installed.
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.lock import Package
    from envbuild.core.lock.pylock_files import LockedFile
    from envbuild.errors import BuildError

    path = sdist_index.paths["needsnative-1.0.tar.gz"]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    pin = Package(name="needsnative", version="1.0", hashes=(f"sha256:{digest}",))
    house = Wheelhouse(cache=tmp_path / "wheels", environ=env)
    started = time.monotonic()
    with pytest.raises(BuildError, match="needs a native build"):
        house._build_sdist(pin, LockedFile(filename=path.name, url=f"{sdist_index.url.rsplit('/simple', 1)[0]}/files/{path.name}",
                                           size=None, sha256=digest),
                           PY, "linux/amd64", (sdist_index.url, (), ()), lambda _line: None, locked=False)
    assert time.monotonic() - started < 1.0


def test_a_failed_build_names_the_package_on_its_first_line(make_image, sdist_index, tmp_path):
    image = _image(make_image, sdist_index, "breaks\n", targets="  cpu: {}\n")
    done = run_cli("lock", str(image), env=hermetic_env(ENVBUILD_CACHE=str(tmp_path / "cache")))
    assert done.returncode == 4, done.stderr
    error = next(line for line in done.stderr.splitlines() if line.startswith("envbuild: error"))
    assert "breaks 1.0: its sdist did not build into a wheel" in error, done.stderr
    assert "pin a version of breaks that publishes wheels" in done.stderr
