"""A refusal says what to do about its cause: a version no configured index has (removed, yanked, a
vendor's), a name no index has, a local-version build only a vendor index serves (issue 33)."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import hermetic_env, run_cli

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def lock(make_image, index, requirements: str, resolver: str = "uv"):
    image = make_image(f'name: a/b\npython: "{PY}"\nindex: {index.url}\nrequirements: requirements.in\n'
                       "targets:\n  cpu: {}\n", {"requirements.in": requirements})
    return run_cli("lock", str(image), "--resolver", resolver, env=hermetic_env())


@pytest.mark.parametrize("resolver", ["uv", "pip-tools"])
def test_a_version_no_index_has_is_said_with_the_versions_there(make_image, index, resolver):
    done = lock(make_image, index, "alpha==9.9\n", resolver)
    assert done.returncode == 3, done.stderr
    hint = next(line for line in done.stderr.splitlines() if line.startswith("hint:"))
    assert "alpha 9.9 is on none of the configured indexes" in hint and "1.0, 2.0" in hint, done.stderr
    assert "relax the version bounds" not in done.stderr


def test_a_name_no_index_has_is_said_so(make_image, index):
    done = lock(make_image, index, "nosuchpackage\n")
    assert done.returncode == 3 and "has a package named nosuchpackage" in done.stderr, done.stderr
    assert "index.extra" in done.stderr


def test_a_local_version_build_names_the_vendor_index(make_image, index):
    done = lock(make_image, index, "torch==2.6.0+cpu ; platform_machine == 'x86_64'\n")
    assert done.returncode == 3 and "download.pytorch.org/whl/cpu" in done.stderr, done.stderr
