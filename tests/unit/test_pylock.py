import pytest

from envbuild.core.platforms import marker_environment, supported_tags
from envbuild.core.lock.pylock_files import choose_files, conda_constraints
from envbuild.errors import UserError

PYLOCK = '''
lock-version = "1.0"
[[packages]]
name = "Charset_Normalizer"
version = "3.5.2"
sdist = { url = "https://f/charset_normalizer-3.5.2.tar.gz", hashes = { sha256 = "00" } }
wheels = [
    { url = "https://f/charset_normalizer-3.5.2-py3-none-any.whl", hashes = { sha256 = "01" } },
    { url = "https://f/charset_normalizer-3.5.2-cp37-abi3-manylinux_2_17_x86_64.whl", hashes = { sha256 = "02" } },
    { url = "https://f/charset_normalizer-3.5.2-cp311-cp311-manylinux_2_28_x86_64.whl", hashes = { sha256 = "03" } },
    { url = "https://f/charset_normalizer-3.5.2-cp311-cp311-manylinux_2_34_x86_64.whl", hashes = { sha256 = "04" } },
    { url = "https://f/charset_normalizer-3.5.2-cp312-cp312-manylinux_2_28_x86_64.whl", hashes = { sha256 = "05" } },
]
[[packages]]
name = "numpy"
version = "2.1.0"
wheels = [{ url = "https://f/numpy-2.1.0-cp311-cp311-manylinux_2_28_x86_64.whl", hashes = { sha256 = "06" } }]
[[packages]]
name = "onlysdist"
version = "1.0"
sdist = { url = "https://f/onlysdist-1.0.tar.gz", hashes = { sha256 = "07" } }
[[packages]]
name = "winonly"
version = "1.0"
marker = "sys_platform == 'win32'"
wheels = [{ url = "https://f/winonly-1.0-py3-none-win_amd64.whl", hashes = { sha256 = "08" } }]
'''


def test_the_most_specific_fitting_wheel_wins_and_conda_packages_are_left_to_conda():
    files = choose_files(PYLOCK, supported_tags("3.11", "linux/amd64"), {"numpy"},
                         marker_environment("3.11", "linux/amd64"))
    assert [(f.name, f.sha256) for f in files] == [("charset-normalizer", "03"), ("onlysdist", "07")]


def test_no_fitting_file_is_an_error():
    text = PYLOCK.split('[[packages]]\nname = "numpy"')[0] + '[[packages]]\nname = "winonly"\nversion = "1.0"\n' \
        'wheels = [{ url = "https://f/winonly-1.0-py3-none-win_amd64.whl", hashes = { sha256 = "08" } }]\n'
    with pytest.raises(UserError, match="no file of winonly 1.0"):
        choose_files(text, supported_tags("3.11", "linux/amd64"), set())


def test_conda_versions_become_pip_constraints_when_they_are_pep440():
    assert conda_constraints([("python", "3.11.2"), ("NumPy", "2.1.0"), ("openssl", "1.0.0.1_g1"), ("scipy", "1.14.1")]) == [
        "numpy==2.1.0", "scipy==1.14.1"]
