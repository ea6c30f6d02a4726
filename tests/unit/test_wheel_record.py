"""A wheel's RECORD read from the central directory is the one zipfile reads, and whatever that
reader does not expect goes to zipfile: never a wrong RECORD, never a traceback."""

from __future__ import annotations

import zipfile

import pytest

from envbuild.adapters.index import wheel_record
from envbuild.adapters.index.wheel_record import wheel_record_text
from envbuild.errors import BuildError

RECORD = "demo/__init__.py,sha256=abc,3\ndemo-1.0.dist-info/METADATA,sha256=def,10\ndemo-1.0.dist-info/RECORD,,\n"


def wheel(path, *, compression=zipfile.ZIP_DEFLATED, comment=b"", records=("demo-1.0.dist-info/RECORD",),
          padding=200):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for n in range(padding):  # many entries before it, as in a real wheel
            archive.writestr(f"demo/m{n}.py", f"x = {n}\n")
        archive.writestr("demo/sub/RECORD", "not the metadata one")  # a RECORD deeper down is not it
        for name in records:
            archive.writestr(name, RECORD)
        archive.comment = comment
    return path


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("comment", [b"", b"an archive comment after the end record"])
def test_the_central_directory_reader_finds_what_zipfile_finds(tmp_path, compression, comment):
    path = wheel(tmp_path / "demo-1.0-py3-none-any.whl", compression=compression, comment=comment)
    assert wheel_record_text(path) == RECORD
    assert wheel_record._fast(path) == RECORD.encode()  # read by the fast path, not the fallback


def test_a_damaged_entry_falls_back_to_zipfile_which_refuses_it(tmp_path):
    path = wheel(tmp_path / "demo-1.0-py3-none-any.whl", compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.rfind(RECORD.encode())
    data[at] ^= 0x20  # the stored RECORD no longer matches its CRC
    path.write_bytes(bytes(data))
    with pytest.raises(wheel_record._Unusual):
        wheel_record._fast(path)
    with pytest.raises(BuildError, match="cannot read its RECORD"):
        wheel_record_text(path)


def test_two_records_or_none_is_an_error_that_says_so(tmp_path):
    two = wheel(tmp_path / "two.whl", records=("demo-1.0.dist-info/RECORD", "other-2.0.dist-info/RECORD"))
    with pytest.raises(BuildError, match="expected one .dist-info/RECORD, found 2"):
        wheel_record_text(two)
    none = wheel(tmp_path / "none.whl", records=())
    with pytest.raises(BuildError, match="found 0"):
        wheel_record_text(none)


def test_not_a_zip_is_an_error_not_a_traceback(tmp_path):
    path = tmp_path / "junk.whl"
    path.write_bytes(b"PK\x05\x06" + b"\xff" * 40)
    with pytest.raises(BuildError, match="junk.whl: cannot read its RECORD"):
        wheel_record_text(path)
    with pytest.raises(BuildError, match="cannot read its RECORD"):
        wheel_record_text(tmp_path / "absent.whl")


def test_the_cache_is_checked_once_a_process_and_a_bad_entry_is_left_for_fetch_to_refuse(tmp_path):
    import hashlib

    from envbuild.adapters.files import entry_folder
    from envbuild.adapters.index.wheelhouse import Wheelhouse
    from envbuild.core.lock import Package
    from envbuild.core.progress import silent

    good = wheel(tmp_path / "demo-1.0-py3-none-any.whl")
    digest = hashlib.sha256(good.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    entry_folder(cache, digest).mkdir(parents=True)
    cached = entry_folder(cache, digest) / good.name
    cached.write_bytes(good.read_bytes())
    pin = Package(name="demo", version="1.0", hashes=(f"sha256:{digest}",))
    house = Wheelhouse(cache, environ={})
    [found] = house.cached([pin], python="3.11", platform="linux/amd64")
    assert found.path == cached and found.sha256 == digest
    cached.write_bytes(b"tampered after this process checked it")
    [again] = house.fetch([pin], python="3.11", platform="linux/amd64", index_url="", extra_index_urls=[], progress=silent)
    assert again.path == cached  # not hashed twice by one process
    fresh = Wheelhouse(cache, environ={})  # the next process checks again
    assert fresh.cached([pin], python="3.11", platform="linux/amd64") == []
    with pytest.raises(BuildError, match="does not match its sha256"):
        fresh.fetch([pin], python="3.11", platform="linux/amd64", index_url="", extra_index_urls=[], progress=silent)
