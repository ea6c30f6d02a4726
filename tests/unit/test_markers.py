"""core/markers.py: one rule for every marker envbuild evaluates (settling a lock, uv's pylock,
other tools' locks, the project's requirements): a marker that cannot be told applies."""

import pytest

from envbuild.core.image.project import ProjectWheel, uncovered
from envbuild.core.lock import Lock, Package
from envbuild.core.lock.pip_format import settle_markers
from envbuild.core.markers import applies, evaluate
from envbuild.core.platforms import marker_environment

X_Y = marker_environment("3.11", "linux/amd64")
FULL = marker_environment("3.11.7", "linux/amd64")


@pytest.mark.parametrize("marker, env, told", [
    ('sys_platform == "linux"', X_Y, True),
    ('sys_platform == "win32"', X_Y, False),
    ('python_full_version >= "3.11.5"', X_Y, None),  # an X.Y target: 3.11.0 is a guess
    ('python_full_version >= "3.11.5"', FULL, True),
    ('python_version >= "3.11" and (', X_Y, None),  # unreadable
    ('python_version ~= "3"', X_Y, None),  # no comparison packaging can make
])
def test_a_marker_is_true_false_or_cannot_be_told(marker, env, told):
    assert evaluate(marker, env) is told
    assert applies(marker, env) is (told is not False)


def test_every_reader_keeps_what_cannot_be_told():
    kept = Package(name="a", version="1", marker='python_full_version >= "3.11.5"')
    gone = Package(name="b", version="1", marker='sys_platform == "win32"')
    assert settle_markers([kept, gone], "3.11", "linux/amd64") == (kept,)
    lock = Lock(format="requirements", target="cpu", platform="linux/amd64", python="3.11",
                packages=(Package(name="x", version="1"),))
    project = ProjectWheel(name="p", version="1", file_name="p-1-py3-none-any.whl", sha256="0" * 64,
                           requires=('y>=1; python_version ~= "3"', "x>=1"))
    assert uncovered(project, lock, X_Y) == ['y>=1; python_version ~= "3"']  # was an internal error
