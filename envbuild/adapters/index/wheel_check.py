"""A wheel's structure checked before its RECORD is trusted or it goes into an image: the rules uv
hardened its ZIP reading with in 2025, and the shapes of 2026's installer CVEs (a member that
escapes the install directory, a tar/ZIP polyglot, an entry-point script written outside bin/).

A wheel that breaks one is refused (BuildError, exit 4) naming the wheel and the rule: at fetch,
when the cache hands it out (so at build and at verify), whatever its hash - a hash pins a file,
not its sanity. The verdict is kept beside the cached wheel (a marker named for this module's
rules), so each wheel is read once.
"""

from __future__ import annotations

import configparser
import posixpath
import struct
import zipfile
from pathlib import Path

from envbuild.errors import BuildError

RULES_VERSION = 1
_END = b"PK\x05\x06"
_LOCAL = struct.Struct("<4s2xHH4x4x4x4xHH")  # signature, flags, method, (times, CRC, sizes), name and extra lengths
_SCHEMES = {"purelib", "platlib", "headers", "scripts", "data"}


def marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.checked-{RULES_VERSION}")


def check_wheel(path: Path, shown: str | None = None) -> None:
    """Raise BuildError when the wheel at ``path`` breaks a rule (``shown``: the name to give it)."""
    if marker(path).exists():
        return
    problem = wheel_problem(path)
    if problem is not None:
        raise BuildError(f"{shown or path.name}: a malformed wheel: {problem}",
                         hint="installers disagree on such a file; refuse it, and tell whoever publishes it")
    try:
        marker(path).touch()
    except OSError:
        pass  # a read-only cache: checked again next time


def wheel_problem(path: Path) -> str | None:
    """The first rule the file breaks, in words; None: none."""
    try:
        with open(path, "rb") as handle:
            data_start = handle.read(4)
            size = handle.seek(0, 2)
            handle.seek(max(0, size - 22 - 0xFFFF))
            tail = handle.read()
            if data_start != b"PK\x03\x04":
                return "data before its first member (a file that is also another archive: a polyglot)"
            if tail.rfind(_END) < 0:
                return "not a readable ZIP archive (no end of its central directory)"
            if not _ends_cleanly(tail):
                return "data after the end of its central directory"
            with zipfile.ZipFile(handle) as archive:
                infos = archive.infolist()
                problem = _names(infos) or _local_headers(handle, infos)
                return problem or _metadata(archive, infos)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return f"not a readable ZIP archive ({exc})"


def _ends_cleanly(tail: bytes) -> bool:
    """The end-of-central-directory record, with its comment, is the last thing in the file."""
    at = tail.rfind(_END)
    while at >= 0:
        if len(tail) - at >= 22:
            (comment,) = struct.unpack_from("<H", tail, at + 20)
            if at + 22 + comment == len(tail):
                return True
        at = tail.rfind(_END, 0, at)
    return False


def _names(infos: list[zipfile.ZipInfo]) -> str | None:
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name in seen:
            return f"the member {name!r} twice (installers would take different copies)"
        seen.add(name)
        if _escapes(name) or "\\" in name:
            return f"the member {name!r} lies outside the install directory"
        top, _, rest = name.partition("/")
        if top.endswith(".data") and rest:
            scheme = rest.partition("/")[0]
            if scheme not in _SCHEMES:
                return f"the member {name!r} names no install scheme of a wheel ({scheme!r})"
    return None


def _escapes(name: str) -> bool:
    """Absolute, a drive, or through `..` out of where it is unpacked."""
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    normal = posixpath.normpath(name)
    return normal == ".." or normal.startswith("../")


def _local_headers(handle, infos: list[zipfile.ZipInfo]) -> str | None:
    """Each member's local header agrees with its central-directory entry (name, method): where
    they differ, one installer unpacks one file and another a different one."""
    for info in infos:
        handle.seek(info.header_offset)
        header = handle.read(30)
        if len(header) != 30:
            return f"the member {info.filename!r} has no local header"
        signature, flags, method, name_len, _extra = _LOCAL.unpack(header)
        if signature != b"PK\x03\x04":
            return f"the member {info.filename!r} has no local header"
        local = handle.read(name_len)
        central = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", "surrogateescape")
        if local != central or method != info.compress_type:
            return f"the member {info.filename!r}'s local header disagrees with the central directory"
    return None


def _metadata(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """RECORD rows and entry-point names that would land outside the install directory."""
    import csv

    dist_info = [i.filename for i in infos if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/RECORD")]
    for record in dist_info[:1]:
        text = archive.read(record).decode("utf-8", "replace")
        for row in csv.reader(text.splitlines()):
            if row and row[0] and (_escapes(row[0]) or "\\" in row[0]):
                return f"its RECORD lists {row[0]!r}, outside the install directory"
        points = record.rsplit("/", 1)[0] + "/entry_points.txt"
        if points in archive.NameToInfo:
            parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            try:
                parser.read_string(archive.read(points).decode("utf-8", "replace"))
            except configparser.Error:
                return None  # installers skip what they cannot read; not this module's rule
            for section in ("console_scripts", "gui_scripts"):
                for name in parser[section] if parser.has_section(section) else ():
                    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("-"):
                        return f"the entry point {name!r} would write a script outside the scripts directory"
    return None
