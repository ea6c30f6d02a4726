"""An arm64 target on an amd64 engine whose base is a local amd64 image pinned by its ID: refused
before anything is built, naming both platforms and how to get an arm64 base (issue 33). The engine
that can neither build nor emulate arm64 is exit 5 (tests/integration/test_build_plan.py)."""

from __future__ import annotations

import pytest

from tests.conftest import assert_no_traceback, run_cli

pytestmark = pytest.mark.docker


def test_a_target_the_engine_cannot_run_is_exit_5_with_a_hint(make_image, index, base_image):
    directory = make_image(f"name: envbuild-test/arm\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: {base_image}\n"
                           f"index: {index.url}\nrequirements: r.in\ntargets:\n  arm:\n    platform: linux/arm64\n",
                           {"r.in": "alpha\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    for command in ("render", "build"):
        result = run_cli(command, str(directory), "--target", "arm")
        assert_no_traceback(result)
        assert result.returncode == 2, result.stderr
        assert f"base {base_image} here is linux/amd64, but the target is for linux/arm64" in result.stderr
        assert "envbuild base --platform linux/arm64" in result.stderr
