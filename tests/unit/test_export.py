"""core/lock/export.py: the lock in other tools' formats, with what cannot be exported refused."""

from __future__ import annotations

import pytest

from envbuild.core.lock.export import IndexFile, export
from envbuild.core.lock import Lock, Package
from envbuild.core.lock.foreign import read_any, settle
from envbuild.errors import UserError

WHEEL = IndexFile(filename="alpha-1.0-py3-none-any.whl", url="https://files.example/alpha-1.0-py3-none-any.whl",
                  sha256="a" * 64, size=10, upload_time="2026-01-10T00:00:00Z")
SDIST = IndexFile(filename="alpha-1.0.tar.gz", url="https://files.example/alpha-1.0.tar.gz", sha256="b" * 64)
LOCK = Lock(format="requirements", target="cpu", platform="linux/amd64", python="3.11",
            index_url="https://user:secret@mirror.example/simple",
            packages=(Package(name="alpha", version="1.0", hashes=("sha256:" + "a" * 64, "sha256:" + "b" * 64)),))


def test_pylock_names_every_locked_file_reads_back_and_is_the_same_bytes_every_time():
    text = export(LOCK, "pylock.toml", source="locks/cpu.txt", tool_version="9", files={"alpha": [SDIST, WHEEL]})
    assert text == export(LOCK, "pylock.toml", source="locks/cpu.txt", tool_version="9", files={"alpha": [WHEEL, SDIST]})
    assert "secret" not in text and 'index = "https://mirror.example/simple"' in text
    back = settle(read_any(text, "pylock.toml"), python="3.11.7", platform="linux/amd64")
    assert [(p.name, p.version, p.hashes) for p in back.packages] == [("alpha", "1.0", LOCK.packages[0].hashes)]
    assert settle(read_any(text, "pylock.toml"), python="3.12.0", platform="linux/amd64").packages  # markers: per package


def test_a_file_the_index_does_not_list_or_a_git_pin_cannot_be_exported():
    with pytest.raises(UserError, match="the index lists no file with the locked hash bbbbbbbbbbbb"):
        export(LOCK, "pylock.toml", source="s", tool_version="9", files={"alpha": [WHEEL]})
    from dataclasses import replace

    git = replace(LOCK, vcs=(("alpha", "git+https://g/a@abc", "git+https://g/a@main"),))
    with pytest.raises(UserError, match="alpha: built from a git commit"):
        export(git, "requirements", source="s", tool_version="9")


def test_requirements_keep_the_lock_s_body_and_conda_lock_picks_the_file_the_target_installs():
    text = export(LOCK, "requirements", source="locks/cpu.txt", tool_version="9")
    assert "--index-url https://mirror.example/simple" in text and "envbuild-lock" not in text
    assert "alpha==1.0 \\\n    --hash=sha256:" + "a" * 64 in text
    conda = export(LOCK, "conda-lock", source="locks/cpu.txt", tool_version="9", files={"alpha": [SDIST, WHEEL]})
    assert WHEEL.url in conda and SDIST.url not in conda and "platforms:\n  - linux-64\n" in conda
