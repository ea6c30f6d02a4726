"""A training project on disk for tests: pyproject.toml with [project] metadata (a lock input) and a
PEP 517 backend in the tree itself (standard library only), so pip builds its wheel with no index,
the same bytes every time."""

from __future__ import annotations

from pathlib import Path

_BACKEND = '''\
import base64, hashlib, os, tomllib, zipfile


def _project():
    with open("pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    name, version = project["name"], project["version"]
    module = name.replace("-", "_")
    dist_info = "%s-%s.dist-info" % (module, version)
    metadata = ["Metadata-Version: 2.4", "Name: " + name, "Version: " + version,
                "Summary: " + project.get("description", ""), "License-Expression: " + project.get("license", "")]
    metadata += ["Requires-Dist: " + r for r in project.get("dependencies", [])]
    files = {dist_info + "/METADATA": "\\n".join(metadata) + "\\n",
             dist_info + "/WHEEL": "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
             dist_info + "/entry_points.txt": "[console_scripts]\\ntrain = %s:main\\n" % module}
    for root, _dirs, names in os.walk(module):
        for item in sorted(names):
            if item.endswith(".py"):
                path = os.path.join(root, item)
                files[path] = open(path).read()
    record = []
    for path, text in sorted(files.items()):
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (path, digest, len(text.encode())))
    files[dist_info + "/RECORD"] = "\\n".join(record + [dist_info + "/RECORD,,"]) + "\\n"
    wheel = "%s-%s-py3-none-any.whl" % (module, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for path, text in sorted(files.items()):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, text)
    return wheel
'''

_MODULE = '''\
"""Trains nothing much: writes metrics.json into the working directory."""
import json, os, sys


def main():
    json.dump({"loss": 0.125, "args": sys.argv[1:], "seed": os.environ.get("SEED")}, open("metrics.json", "w"))
    print("trained", sys.argv[1:])
'''


def make_project(directory: Path, *, name: str = "tinytrain", version: str = "0.3.0",
                 dependencies: tuple[str, ...] = ("alpha>=1.0",)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "A tiny training project"\n'
        f'license = "MIT"\ndependencies = [{deps}]\n\n'
        '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["."]\n')
    (directory / "tiny_backend.py").write_text(_BACKEND)
    module = directory / name.replace("-", "_")
    module.mkdir(exist_ok=True)
    (module / "__init__.py").write_text(_MODULE)
    return directory
