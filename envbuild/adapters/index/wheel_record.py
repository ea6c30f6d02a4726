"""The RECORD inside a wheel, read straight from the zip's central directory.

`verify --files` reads the RECORD of every locked wheel (185 in the bench venv): zipfile builds a
ZipInfo for each of a wheel's entries (32,000 there, 0.34 s), where only one is wanted. This walks
the central directory's fixed-size headers instead (0.03 s) and inflates that one entry, its CRC
checked. Anything it does not expect (zip64, encryption, another compression, a size or offset
out of bounds) goes to zipfile, which knows every corner of the format; what zipfile refuses is a
BuildError. The wheel has been checked against the lock's sha256 before it gets here.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from envbuild.errors import BuildError

_END = b"PK\x05\x06"
# A central directory header (46 bytes): signature, flags, method, CRC, packed and unpacked sizes,
# name, extra and comment lengths, disk, internal attributes, the local header's offset.
_CENTRAL = struct.Struct("<4s4xHH4xIII5H4xI")
_LOCAL = struct.Struct("<4s22xHH")
_TAIL = 22 + 0xFFFF  # the end record and the longest comment


class _Unusual(Exception):
    """Not the plain zip this reader handles: zipfile decides."""


def wheel_record_text(path: Path) -> str:
    """The RECORD inside a wheel (``<name>.dist-info/RECORD``), as text."""
    try:
        try:
            data = _fast(path)
        except _Unusual:
            data = _with_zipfile(path)
        return data.decode("utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        raise BuildError(f"{path.name}: cannot read its RECORD ({exc})") from None


def _fast(path: Path) -> bytes:
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        flags, method, crc, packed, unpacked, offset = _record_entry(handle, size)
        if flags & 1 or method not in (0, 8) or offset + 30 + packed > size:
            raise _Unusual  # encrypted, or compressed another way
        handle.seek(offset)
        header = handle.read(30)
        sig, name_len, extra_len = _LOCAL.unpack(header) if len(header) == 30 else (b"", 0, 0)
        if sig != b"PK\x03\x04":
            raise _Unusual
        handle.seek(offset + 30 + name_len + extra_len)
        raw = handle.read(packed)
    try:
        data = raw if method == 0 else zlib.decompressobj(-15).decompress(raw, unpacked + 1)
    except zlib.error:
        raise _Unusual from None
    if len(data) != unpacked or zlib.crc32(data) != crc:
        raise _Unusual
    return data


def _record_entry(handle, size: int) -> tuple[int, int, int, int, int, int]:
    """(flags, method, CRC, packed size, unpacked size, local header offset) of the one
    ``*.dist-info/RECORD`` at the top of the archive, from its central directory."""
    handle.seek(max(0, size - _TAIL))
    tail = handle.read()
    at = tail.rfind(_END)
    if at < 0 or len(tail) - at < 22:
        raise _Unusual
    entries, central_size, central_at = struct.unpack_from("<10xHII", tail, at)
    if entries == 0xFFFF or 0xFFFFFFFF in (central_size, central_at) or central_at + central_size > size:
        raise _Unusual  # zip64
    handle.seek(central_at)
    central = handle.read(central_size)
    found = []
    position = 0
    for _ in range(entries):
        if position + 46 > len(central):
            raise _Unusual
        sig, flags, method, crc, packed, unpacked, name_len, extra_len, comment_len, _disk, _internal, offset = \
            _CENTRAL.unpack_from(central, position)
        if sig != b"PK\x01\x02":
            raise _Unusual
        name = central[position + 46:position + 46 + name_len]
        if name.endswith(b".dist-info/RECORD") and name.count(b"/") == 1:
            found.append((flags, method, crc, packed, unpacked, offset))
        position += 46 + name_len + extra_len + comment_len
    if len(found) != 1:
        raise _Unusual  # zipfile says how many there are
    return found[0]


def _with_zipfile(path: Path) -> bytes:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/RECORD")]
            if len(names) != 1:
                raise BuildError(f"{path.name}: expected one .dist-info/RECORD, found {len(names)}")
            return archive.read(names[0])
    except zipfile.BadZipFile as exc:  # (an OSError is the caller's to say)
        raise BuildError(f"{path.name}: cannot read its RECORD ({exc})") from None
