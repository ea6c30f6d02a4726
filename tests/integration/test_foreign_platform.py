"""An arm64 target on an amd64 engine: exit 5 naming what is missing, unless QEMU emulation is registered."""

from __future__ import annotations

import os

import pytest

from tests.conftest import assert_no_traceback, run_cli

pytestmark = pytest.mark.docker


def test_a_target_the_engine_cannot_run_is_exit_5_with_a_hint(make_image, index, base_image):
    directory = make_image(f"name: envbuild-test/arm\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: {base_image}\n"
                           f"index: {index.url}\nrequirements: r.in\ntargets:\n  arm:\n    platform: linux/arm64\n",
                           {"r.in": "alpha\n"})
    assert run_cli("lock", str(directory)).returncode == 0
    assert 'dev.envbuild.platform="linux/arm64"' in run_cli("render", str(directory), "--target", "arm").stdout
    result = run_cli("build", str(directory), "--target", "arm")
    assert_no_traceback(result)
    if os.path.exists("/proc/sys/fs/binfmt_misc/qemu-aarch64"):
        assert "neither build natively nor emulate" not in result.stderr
    else:
        assert result.returncode == 5 and "no QEMU binfmt handler registered" in result.stderr
        assert "tonistiigi/binfmt --install arm64" in result.stderr
