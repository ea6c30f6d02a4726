"""core/lock/conda_format.py: conda-lock's v1 format, as envbuild writes and reads it."""

import os
from dataclasses import replace
from pathlib import Path

import pytest
from conda_lock.lockfile import parse_conda_lock_file

from envbuild.core.lock import Lock, Package, conda_format, lock_file_name, read_lock, render_lock
from envbuild.errors import LockError, UserError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "lock_format.conda-lock.yml"
LIB = Package(name="libtiny", version="1.1", manager="conda", build="h1_1",
              url="https://conda.example.com/ch/linux-64/libtiny-1.1-h1_1.tar.bz2", hashes=("sha256:" + "a" * 64,),
              md5="b" * 32, size=12_000_000)  # a size: the layer plan's input, outside the package list
TOOL = Package(name="tinytool", version="2.0", manager="conda", build="h0_0", dependencies=(("libtiny", ">=1.1"),),
               url="https://conda.example.com/ch/noarch/tinytool-2.0-h0_0.conda", hashes=("sha256:" + "c" * 64,),
               md5="d" * 32)
REQ = Package(name="requests", version="2.34.2", manager="pip", hashes=("sha256:" + "e" * 64,),
              url="https://files.example.com/requests-2.34.2-py3-none-any.whl")
LOCK = Lock(format="conda-lock", target="cpu", platform="linux/amd64",
            channels=("https://${TOKEN}@conda.example.com/ch", "conda-forge"), resolver="rattler",
            sources=("../environment.yml",), packages=(REQ, TOOL, LIB), python="3.11",
            exclude_newer="2026-06-01T00:00:00Z", inputs_digest="sha256:" + "f" * 64,
            inputs=(("environment.yml", "sha256:1"), ("envbuild.yaml (target cpu)", "sha256:2")),
            command="envbuild lock images/x --target cpu", cuda_runtime="12.4 (cuda-version 12.4 (conda))")


def test_round_trip_keeps_every_field_and_orders_conda_before_pip():
    text = render_lock(LOCK)
    back = read_lock(text, "x.conda-lock.yml")
    assert back == replace(LOCK, packages=(LIB, TOOL, REQ))
    assert render_lock(back) == text  # byte-identical: same inputs, same file
    assert conda_format.looks_like("cpu.conda-lock.yml", text) and conda_format.looks_like("any.yml", text)
    assert not conda_format.looks_like("cpu.txt", "numpy==1 --hash=sha256:00\n")
    assert lock_file_name("cpu", "conda-lock") == "cpu.conda-lock.yml"


def test_the_format_is_stable_byte_for_byte():
    """Regenerate with ENVBUILD_UPDATE_GOLDEN=1, and say why in the change: every conda lock changes."""
    text = render_lock(LOCK)
    if os.environ.get("ENVBUILD_UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


@pytest.mark.parametrize("edit, where", [
    (lambda t: t.replace("envbuild-lock: '2'", "envbuild-lock: '7'"), "metadata.custom_metadata.envbuild-lock: envbuild conda lock format 7"),
    (lambda t: t.replace("inputs-digest: sha256:" + "f" * 64, "inputs-digest: ''"), "metadata.custom_metadata.inputs-digest: required key is missing"),
    (lambda t: t.replace("c" * 64, "0" * 64), "metadata.custom_metadata.packages-sha256: edited by hand"),
])
def test_an_envbuild_conda_lock_is_checked_with_a_key_path(edit, where):
    with pytest.raises(LockError, match=where):
        read_lock(edit(render_lock(LOCK)), "cpu.conda-lock.yml")


def test_a_package_without_sha256_is_refused_at_its_key_path():
    text = render_lock(LOCK).replace("envbuild-lock: '2'", "envbuild-lock-was: '2'").replace("sha256: " + "c" * 64, "sha256: ''")
    with pytest.raises(LockError, match=r"package\[1\]\.hash\.sha256: tinytool has no sha256"):
        read_lock(text, "cpu.conda-lock.yml")
    assert read_lock(text, "cpu.conda-lock.yml", check_body=False).packages[1].sha256 == ""  # a previous lock


def test_conda_lock_own_parser_accepts_it(tmp_path: Path):
    path = tmp_path / "cpu.conda-lock.yml"
    path.write_text(render_lock(LOCK))
    parsed = parse_conda_lock_file(path)
    assert {(p.name, p.manager, p.hash.sha256) for p in parsed.package} == {
        ("libtiny", "conda", "a" * 64), ("tinytool", "conda", "c" * 64), ("requests", "pip", "e" * 64)}
    assert parsed.metadata.channels[0].used_env_vars == ("TOKEN",)
    assert parsed.metadata.custom_metadata["inputs-digest"] == LOCK.inputs_digest
    assert parsed.metadata.custom_metadata["size: libtiny"] == "12000000"


def test_a_size_is_outside_the_package_digest():
    text = render_lock(LOCK)
    assert read_lock(text.replace("size: libtiny': '12000000'", "size: libtiny': '13000000'"), "x").packages[0].size == 13_000_000
    assert read_lock(text.replace("    'size: libtiny': '12000000'\n", ""), "x").packages[0].size is None


def test_a_lock_written_by_conda_lock_itself_reads_build_from_the_file_name():
    text = """version: 1
metadata: {content_hash: {linux-64: x}, channels: [{url: conda-forge, used_env_vars: []}], platforms: [linux-64, osx-arm64], sources: [environment.yml]}
package:
- {name: zlib, version: 1.3.1, manager: conda, platform: linux-64, dependencies: {}, url: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda, hash: {md5: '0', sha256: '1111111111111111111111111111111111111111111111111111111111111111'}, category: main, optional: false}
- {name: zlib, version: 1.3.1, manager: conda, platform: osx-arm64, dependencies: {}, url: https://conda.anaconda.org/conda-forge/osx-arm64/zlib-1.3.1-h8359307_2.conda, hash: {md5: '2', sha256: '3333333333333333333333333333333333333333333333333333333333333333'}, category: main, optional: false}
"""
    with pytest.raises(UserError, match="metadata.platforms: locks 2 platforms"):
        read_lock(text, "conda-lock.yml")
    lock = conda_format.parse(text, "conda-lock.yml", subdir="linux-64")
    assert [(p.name, p.build, p.sha256) for p in lock.packages] == [("zlib", "hb9d3cd8_2", "1" * 64)]
    assert lock.resolver == "conda-lock" and lock.inputs_digest == "" and lock.platform == "linux/amd64"


@pytest.mark.parametrize("text, message", [
    ("version: 2\npackage: []", "not a conda-lock v1 file"),
    ("[1, 2]", "not a conda-lock v1 file"),
    ("version: 1\n", "not a conda-lock v1 file"),
    ("{{{", "invalid YAML"),
    ("version: 1\npackage: [{name: x, platform: linux-64}]\nmetadata: {platforms: [linux-64]}", "package\\[0\\].version: required key is missing"),
])
def test_not_a_conda_lock_is_a_clear_user_error(text, message):
    with pytest.raises(UserError, match=message):
        read_lock(text, "bad.conda-lock.yml")
