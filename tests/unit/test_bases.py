"""A base image against its target, before any build: the Python it runs and its platform (issue 33)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from envbuild.adapters.engine.bases import _unreachable_hint, base_fits
from envbuild.core.image.bases import base_python
from envbuild.errors import ToolUnavailable, UserError
from tests.support.fake_engine import FakeEngine


@pytest.mark.parametrize("ref, python", [
    ("python:3.12-slim", "3.12"), ("docker.io/library/python:3.10-slim-bookworm@sha256:" + "a" * 64, "3.10"),
    ("ubuntu:22.04", "3.10"), ("nvidia/cuda:12.8.1-runtime-ubuntu24.04", "3.12"),
    ("nvidia/cuda:12.4.1-cudnn-devel-ubuntu22.04", "3.10"), ("envbuild/base:bookworm-220632f3a12e", "3.11"),
    ("debian:trixie-slim", "3.13"), ("nvcr.io/nvidia/pytorch:24.05-py3", "3.10"),
    ("nvcr.io/nvidia/pytorch:25.03-py3", "3.12"), ("registry.corp/ml/base:7", None),
])
def test_the_python_of_a_base_is_read_from_its_name(ref, python):
    found = base_python(ref)
    assert (found[0] if found else None) == python


def test_labels_and_python_version_come_before_the_name():
    assert base_python("python:3.12-slim", {"io.envbuild.base.python": "3.9"})[0] == "3.9"
    assert base_python("registry.corp/ml/base:7", None, {"PATH": "/usr/bin", "PYTHON_VERSION": "3.11.9"})[0] == "3.11"


def test_a_base_running_another_python_is_refused_naming_both_before_anything_is_built():
    engine = FakeEngine()
    info = engine.add_image("python:3.12-slim")
    with pytest.raises(UserError) as raised:
        base_fits("python:3.12-slim", info, python="3.11", platform="linux/amd64", engine=engine,
                  progress=lambda _l: None, by_id=True)
    assert "python is 3.11, but base python:3.12-slim runs Python 3.12" in raised.value.message
    assert 'python: "3.12"' in raised.value.hint and "python:3.11-slim-bookworm" in raised.value.hint
    base_fits("python:3.11-slim", info, python="3.11", platform="linux/amd64", engine=engine,
              progress=lambda _l: None, by_id=True)


def test_an_unknown_base_is_asked_for_its_python3_version_when_the_engine_has_it():
    engine, said = FakeEngine(), []
    info = engine.add_image("registry.corp/ml/base:7")
    engine.pythons[info.id] = "3.10.12"
    with pytest.raises(UserError, match=r"runs Python 3\.10 \(its python3 --version: 3\.10\.12\)"):
        base_fits("registry.corp/ml/base:7", info, python="3.11", platform="linux/amd64", engine=engine,
                  progress=said.append, by_id=True)
    engine.pythons.clear()
    base_fits("registry.corp/ml/base:7", info, python="3.11", platform="linux/amd64", engine=engine,
              progress=said.append, by_id=True)
    assert said and "could not tell which Python base registry.corp/ml/base:7 runs" in said[0]


def test_a_local_base_of_another_platform_pinned_by_its_id_is_refused():
    engine = FakeEngine()
    info = engine.add_image("envbuild/base:bookworm")
    info = replace(info, raw=dict(info.raw, Architecture="amd64"))
    with pytest.raises(UserError) as raised:
        base_fits("envbuild/base:bookworm", info, python="3.11", platform="linux/arm64", engine=engine,
                  progress=lambda _l: None, by_id=True)
    assert "is linux/amd64, but the target is for linux/arm64" in raised.value.message
    assert "envbuild base --platform linux/arm64" in raised.value.hint
    # pinned by a registry digest, the builder takes the arm64 variant from the registry
    base_fits("envbuild/base:bookworm", info, python="3.11", platform="linux/arm64", engine=engine,
              progress=lambda _l: None, by_id=False)


def test_the_unreachable_base_hint_never_tags_debian_as_another_vendor_s_image():
    for ref in ("nvcr.io/nvidia/pytorch:24.05-py3", "python:3.10-slim-bookworm"):
        hint = _unreachable_hint(ref)
        assert "--tag" not in hint and "docker load" in hint and "envbuild/base:bookworm" in hint
    assert _unreachable_hint("envbuild/base:trixie") == "make it here: 'envbuild base --suite trixie'"


def test_a_base_for_a_platform_this_machine_cannot_run_is_refused_before_bootstrapping():
    from envbuild.services.base import make_base

    with pytest.raises(ToolUnavailable) as raised:
        make_base(FakeEngine(), platform="linux/arm64", environ={})
    assert "cannot run linux/arm64 programs" in raised.value.message and "qemu-user-static" in raised.value.hint
    with pytest.raises(UserError, match="unknown platform"):
        make_base(FakeEngine(), platform="linux/s390x", environ={})
