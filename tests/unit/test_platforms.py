"""core/platforms.py: the platform facts every other module derives its tables from."""

import pytest
from packaging.tags import Tag

from envbuild.core import platforms
from envbuild.errors import UserError


def test_each_platform_s_spellings_agree():
    amd, arm = platforms.platform("linux/amd64"), platforms.platform("linux/arm64")
    assert (amd.uv_platform, amd.conda_subdir, arm.uv_platform, arm.conda_subdir) == (
        "x86_64-manylinux_2_28", "linux-64", "aarch64-manylinux_2_28", "linux-aarch64")
    assert [platforms.of_machine(m) for m in ("x86_64", "AMD64", "aarch64", "arm64", "riscv64")] == [
        "linux/amd64", "linux/amd64", "linux/arm64", "linux/arm64", None]
    assert platforms.of_conda_subdir("linux-aarch64") == "linux/arm64" and platforms.of_conda_subdir("osx-64") is None


def test_wheel_platforms_run_from_the_oldest_glibc_down_newest_first():
    tags = platforms.platform("linux/amd64").wheel_platforms
    assert tags[0] == "manylinux_2_28_x86_64" and "manylinux_2_29_x86_64" not in tags
    assert tags[-4:] == ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"]
    assert "manylinux1_aarch64" not in platforms.platform("linux/arm64").wheel_platforms


def test_supported_tags_take_abi3_from_older_pythons_and_pure_wheels():
    tags = platforms.supported_tags("3.11", "linux/arm64")
    assert Tag("cp311", "cp311", "manylinux_2_28_aarch64") in tags
    assert Tag("cp38", "abi3", "manylinux2014_aarch64") in tags
    assert Tag("py3", "none", "any") in tags
    assert Tag("cp312", "cp312", "manylinux_2_28_aarch64") not in tags
    assert Tag("cp311", "cp311", "manylinux_2_28_x86_64") not in tags


def test_the_marker_environment_and_conda_virtual_packages_follow_the_platform():
    env = platforms.marker_environment("3.11", "linux/arm64")
    assert (env["platform_machine"], env["python_version"], env["python_full_version"]) == ("aarch64", "3.11", "3.11.0")
    assert platforms.marker_environment("3.11.7", "linux/amd64")["python_full_version"] == "3.11.7"
    virtual = platforms.conda_virtual_packages("linux/arm64", "12.4")
    assert ("__glibc", "2.28", "0") in virtual and ("__archspec", "1", "aarch64") in virtual
    assert ("__cuda", "12.4", "0") in virtual and not any(v[0] == "__cuda" for v in
                                                            platforms.conda_virtual_packages("linux/amd64", None))


def test_an_unknown_platform_is_a_user_error():
    with pytest.raises(UserError, match="unknown platform 'windows/amd64'"):
        platforms.platform("windows/amd64")
