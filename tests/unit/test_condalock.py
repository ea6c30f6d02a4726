from pathlib import Path

import pytest
from conda_lock.lockfile import parse_conda_lock_file

from envbuild.core.condalock import CondaLock, CondaPackage, looks_like_conda_lock, parse_conda_lock, render_conda_lock
from envbuild.errors import UserError

LIB = CondaPackage(name="libtiny", version="1.1", manager="conda", build="h1_1",
                   url="https://conda.example.com/ch/linux-64/libtiny-1.1-h1_1.tar.bz2", sha256="a" * 64, md5="b" * 32)
TOOL = CondaPackage(name="tinytool", version="2.0", manager="conda", build="h0_0", dependencies=(("libtiny", ">=1.1"),),
                    url="https://conda.example.com/ch/noarch/tinytool-2.0-h0_0.conda", sha256="c" * 64, md5="d" * 32)
REQ = CondaPackage(name="requests", version="2.34.2", manager="pip", sha256="e" * 64,
                   url="https://files.example.com/requests-2.34.2-py3-none-any.whl")
LOCK = CondaLock(target="cpu", platform="linux-64", channels=("https://${TOKEN}@conda.example.com/ch", "conda-forge"),
                 sources=("../environment.yml",), packages=(REQ, TOOL, LIB), python="3.11",
                 exclude_newer="2026-06-01T00:00:00Z", inputs_digest="sha256:" + "f" * 64,
                 inputs=(("environment.yml", "sha256:1"), ("envbuild.yaml (target cpu)", "sha256:2")),
                 command="envbuild lock images/x --target cpu", cuda_runtime="12.4 (cuda-version 12.4 (conda))")


def test_round_trip_keeps_every_field_and_orders_conda_before_pip():
    text = render_conda_lock(LOCK)
    back = parse_conda_lock(text, "x.conda-lock.yml")
    assert back.packages == (LIB, TOOL, REQ)
    assert (back.target, back.python, back.inputs_digest, back.inputs, back.command, back.cuda_runtime,
            back.exclude_newer, back.channels) == (LOCK.target, "3.11", LOCK.inputs_digest, LOCK.inputs, LOCK.command,
                                                   LOCK.cuda_runtime, LOCK.exclude_newer, LOCK.channels)
    assert render_conda_lock(back) == text  # byte-identical: same inputs, same file
    assert looks_like_conda_lock("cpu.conda-lock.yml", text) and looks_like_conda_lock("any.yml", text)
    assert not looks_like_conda_lock("cpu.txt", "numpy==1 --hash=sha256:00\n")


def test_conda_lock_own_parser_accepts_it(tmp_path: Path):
    path = tmp_path / "cpu.conda-lock.yml"
    path.write_text(render_conda_lock(LOCK))
    parsed = parse_conda_lock_file(path)
    assert {(p.name, p.manager, p.hash.sha256) for p in parsed.package} == {
        ("libtiny", "conda", "a" * 64), ("tinytool", "conda", "c" * 64), ("requests", "pip", "e" * 64)}
    assert parsed.metadata.channels[0].used_env_vars == ("TOKEN",)
    assert parsed.metadata.custom_metadata["inputs-digest"] == LOCK.inputs_digest


def test_a_lock_written_by_conda_lock_itself_reads_build_from_the_file_name():
    text = """version: 1
metadata: {content_hash: {linux-64: x}, channels: [{url: conda-forge, used_env_vars: []}], platforms: [linux-64, osx-arm64], sources: [environment.yml]}
package:
- {name: zlib, version: 1.3.1, manager: conda, platform: linux-64, dependencies: {}, url: https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda, hash: {md5: '0', sha256: '1111111111111111111111111111111111111111111111111111111111111111'}, category: main, optional: false}
- {name: zlib, version: 1.3.1, manager: conda, platform: osx-arm64, dependencies: {}, url: https://conda.anaconda.org/conda-forge/osx-arm64/zlib-1.3.1-h8359307_2.conda, hash: {md5: '2', sha256: '3333333333333333333333333333333333333333333333333333333333333333'}, category: main, optional: false}
"""
    with pytest.raises(UserError, match="locks 2 platforms"):
        parse_conda_lock(text, "conda-lock.yml")
    lock = parse_conda_lock(text, "conda-lock.yml", platform="linux-64")
    assert [(p.name, p.build, p.sha256) for p in lock.packages] == [("zlib", "hb9d3cd8_2", "1" * 64)]
    assert lock.solver == "conda-lock" and lock.inputs_digest == ""


@pytest.mark.parametrize("text, message", [
    ("version: 2\npackage: []", "not a conda-lock v1 file"),
    ("[1, 2]", "not a conda-lock v1 file"),
    ("version: 1\n", "not a conda-lock v1 file"),
    ("{{{", "invalid YAML"),
    ("version: 1\npackage: [{name: x, platform: linux-64}]\nmetadata: {platforms: [linux-64]}", "package\\[0\\] has no 'version'"),
])
def test_not_a_conda_lock_is_a_clear_user_error(text, message):
    with pytest.raises(UserError, match=message):
        parse_conda_lock(text, "bad.yml")
