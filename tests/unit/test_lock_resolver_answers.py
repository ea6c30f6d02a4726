"""How `lock` takes a resolver's answer, with a fake resolver: what it asks for, and an answer it
cannot read (a real resolver never gives one; a broken or hostile wrapper could)."""

from __future__ import annotations

import pytest

from envbuild.errors import ResolutionError
from envbuild.services.locking import lock
from tests.support.fake_resolver import FakeResolver, installed

SPEC = """\
name: fixture
python: "3.11"
exclude-newer: 2026-05-01
index: http://127.0.0.1:9/simple
requirements: requirements.in
targets:
  cpu: {}
  gpu:
    platform: linux/arm64
"""


def test_an_answer_that_is_not_a_lock_is_a_resolution_error_naming_the_resolver(monkeypatch, make_image):
    directory = make_image(SPEC, {"requirements.in": "alpha>=1\n"})
    fake = installed(monkeypatch, FakeResolver("alpha==1.0 --hash=sha256:nothex\n"))
    with pytest.raises(ResolutionError) as error:
        lock(directory, targets=["cpu"], resolver="fake", environ={})
    assert error.value.message.startswith("fake produced a lock envbuild cannot read")
    assert not (directory / "locks" / "cpu.txt").exists()  # nothing written
    (request,) = fake.requests
    assert request.python == "3.11" and request.platform == "linux/amd64"
    assert request.index_url == "http://127.0.0.1:9/simple" and request.exclude_newer == "2026-05-01T00:00:00Z"
    assert fake.inputs == ["alpha>=1\n"]


def test_a_target_s_platform_is_what_the_resolver_is_asked_for(monkeypatch, make_image):
    directory = make_image(SPEC, {"requirements.in": "alpha>=1\n"})
    fake = installed(monkeypatch, FakeResolver("not a pin\n"))
    with pytest.raises(ResolutionError):
        lock(directory, targets=["gpu"], resolver="fake", environ={})
    assert [r.platform for r in fake.requests] == ["linux/arm64"]
