"""adapters/engine/registry.py: which registry and repository an image reference names (no network here)."""

import pytest

from envbuild.adapters.engine.registry import registry_and_repository


@pytest.mark.parametrize(("ref", "parts"), [
    ("127.0.0.1:5000/team/model:cpu-1a2b", ("127.0.0.1:5000", "team/model")),
    ("ghcr.io/org/img@sha256:" + "a" * 64, ("ghcr.io", "org/img")),
    ("localhost/x:1", ("localhost", "x")),
    ("team/model:cpu", ("registry-1.docker.io", "team/model")),
    ("python:3.11", ("registry-1.docker.io", "library/python")),
])
def test_a_reference_names_its_registry_and_repository(ref, parts):
    assert registry_and_repository(ref) == parts
