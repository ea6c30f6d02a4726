"""The wheel ships the templates inside the package, and an installed envbuild finds them there."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_wheel_contains_templates_and_installed_package_loads_them(tmp_path):
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path), str(REPO)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("envbuild-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.split("/")[-1] for n in names if n.startswith("envbuild/templates/")}
    assert shipped == {p.name for p in (REPO / "templates").glob("*.j2")} and "conda.Dockerfile.j2" in shipped
    # what a conda build copies into its context, and the data the checks read
    assert {"envbuild/conda_installer.py", "envbuild/data/conda-installer.txt", "envbuild/data/cuda.json"} <= set(names)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    probe = ("from envbuild.adapters.templates import builtin_templates_dir, load_templates; "
             "print(builtin_templates_dir()); print(sorted(load_templates()))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}).stdout.splitlines()
    assert out[0] == str(target / "envbuild" / "templates")
    assert "cpu.Dockerfile.j2" in out[1]
