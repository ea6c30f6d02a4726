"""--find-links pages (a requirements file's -f line, or index.find-links in the spec): files found
there are hash-pinned like any index file, and build fetches them with their hash checked.
Hermetic: a directory of wheels as a file:// find-links location, the local index for the rest."""

from __future__ import annotations

import pytest

from envbuild.adapters.index.wheelhouse import Wheelhouse
from envbuild.core.lock import read_lock
from envbuild.services import images
from tests.conftest import hermetic_env, run_cli
from tests.support.fake_engine import FakeEngine
from tests.support.wheels import WheelSpec, build_wheel

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("offline_installer")]


@pytest.fixture
def links(tmp_path):
    """A directory holding zeta 1.0, which the index does not serve."""
    folder = tmp_path / "vendor-wheels"
    folder.mkdir()
    wheel = build_wheel(WheelSpec(name="zeta", version="1.0"), folder)
    return folder, wheel


@pytest.mark.parametrize("where", ["requirements", "spec"])
def test_a_find_links_file_is_locked_by_hash_and_built_from(make_image, index, links, tmp_path, where):
    folder, wheel = links
    url = f"file://{folder}"
    requirements = f"-f {url}\nzeta\nalpha\n" if where == "requirements" else "zeta\nalpha\n"
    find_links = f"  find-links: [{url}]\n" if where == "spec" else ""
    directory = make_image(f"name: team/model\npython: \"3.11\"\nexclude-newer: 2026-05-01\nbase: envbuild/base:bookworm\n"
                           f"index:\n  url: {index.url}\n{find_links}requirements: requirements.in\ntargets:\n  cpu: {{}}\n",
                           {"requirements.in": requirements})
    locked = run_cli("lock", str(directory))
    assert locked.returncode == 0, locked.stderr
    text = (directory / "locks" / "cpu.txt").read_text()
    lock = read_lock(text, "cpu.txt")
    import hashlib

    assert lock.package("zeta").hashes == ("sha256:" + hashlib.sha256(wheel.read_bytes()).hexdigest(),)
    assert lock.find_links == (url,) and f"# find-links: {url}\n" in text
    assert f"--find-links {url} -r <this file>" in text  # how to install it with pip alone
    assert "--find-links" not in text.split("\n\n", 1)[1]  # the body stays what envbuild checks
    engine = FakeEngine()
    engine.add_image("envbuild/base:bookworm")
    images.build(directory, "cpu", engine=engine, wheels=Wheelhouse(tmp_path / "cache" / "wheels", hermetic_env()),
                 environ=hermetic_env(), manifests=False)
    assert any(name.startswith("layers/01/zeta-1.0") for name in engine.builds[0].files)


def test_a_find_links_path_is_refused_with_the_url_form(make_image, index):
    directory = make_image(f"name: t/x\npython: \"3.11\"\nindex: {index.url}\nrequirements: r.in\ntargets:\n  cpu: {{}}\n",
                           {"r.in": "-f ./wheels\nalpha\n"})
    result = run_cli("lock", str(directory))
    assert result.returncode == 2 and "as URLs" in result.stderr and "file:///abs/path/wheels" in result.stderr
