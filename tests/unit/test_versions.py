"""core/versions.py."""

from envbuild.core.versions import major_minor, same_version, sort_key, version_tuple


def test_pep440_versions_compare_as_versions_and_others_as_text():
    assert same_version("1.0", "1.0.0") and not same_version("1.0", "1.0.1")
    assert same_version("weird-1", "weird-1") and not same_version("weird-1", "weird-2")
    assert sorted(["2.0", "10.0", "1.9.1", "not-a-version"], key=sort_key) == ["not-a-version", "1.9.1", "2.0", "10.0"]


def test_driver_and_libc_versions_are_number_tuples():
    assert version_tuple("550.54.14") == (550, 54, 14) and version_tuple("2.36") < version_tuple("2.281")
    assert major_minor("12.8.90") == "12.8" and major_minor("12") == "12"
