"""Reading photos out of an uploaded ZIP without trusting it (zipfile; Pillow reads image headers only).

The archive is checked as a whole before anything is stored: too many members, too much
uncompressed data, a compression ratio no photo reaches (zip bombs), path traversal or absolute
names, symlinks, nested archives, encrypted members, and photos that add up to more pixels than
``BATCH_ZIP_MAX_PIXELS`` (read from their headers) refuse the whole archive, listing every problem.
Members are never extracted by name: their bytes are read (bounded by the declared size, which the CRC
check then holds the data to) and stored under their SHA-256 like any upload.
"""

from __future__ import annotations

import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO

from birdsite.errors import Refused
from birdsite.photos.images import UploadRejected, pixels_to_decode

NESTED_SUFFIXES = {
    ".zip", ".jar", ".tar", ".tgz", ".gz", ".bz2", ".tbz2", ".xz", ".txz", ".zst", ".7z", ".rar", ".cab",
    ".iso", ".lz", ".lzma", ".z",
}  # fmt: skip
NESTED_MAGIC = (
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!",
    b"BZh",
    b"\xfd7zXZ",
    b"\x28\xb5\x2f\xfd",
)
# Ratios are only meaningful for members big enough to matter.
RATIO_FLOOR_BYTES = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Problem:
    name: str
    code: str
    message: str


class ArchiveRefused(Refused):
    """The whole archive is refused; ``problems`` lists why (per member where it applies)."""

    default_code = "archive_refused"

    def __init__(self, code: str | None, message: str, *, problems: list[Problem] | None = None) -> None:
        self.problems = problems or []
        super().__init__(code, message)


def _setting(name: str) -> Callable[[], int]:
    def read() -> int:
        from django.conf import settings

        return getattr(settings, name)

    return read


@dataclass(frozen=True)
class Limits:
    max_members: int
    max_total_bytes: int
    max_ratio: int
    max_file_bytes: int
    # The archive's own size, checked before it is opened.
    max_archive_bytes: int = field(default_factory=_setting("BATCH_ZIP_MAX_ARCHIVE_BYTES"))
    # Pixels the members add up to as checking them decodes them (photos.images.pixels_to_decode), read
    # from their headers: a few MB of flat PNGs can declare gigapixels, each under the per-photo limit.
    max_total_pixels: int = field(default_factory=_setting("BATCH_ZIP_MAX_PIXELS"))
    max_pixels: int = field(default_factory=_setting("UPLOAD_MAX_PIXELS"))
    thumbnail_size: int = field(default_factory=_setting("THUMBNAIL_SIZE"))


def _is_ignorable(name: str) -> bool:
    """Directories and the files operating systems add on their own (macOS resource forks)."""
    parts = PurePosixPath(name).parts
    return name.endswith("/") or not parts or parts[0] == "__MACOSX" or parts[-1].startswith(".")


def _member_problem(info: zipfile.ZipInfo, max_ratio: int) -> Problem | None:
    name = info.filename
    normalized = name.replace("\\", "/")
    if "\x00" in name or normalized.startswith("/") or _DRIVE.match(normalized):
        return Problem(name, "absolute_path", "An absolute path is not allowed in the archive.")
    if ".." in PurePosixPath(normalized).parts:
        return Problem(name, "path_traversal", "A name that climbs out of the archive ('..') is not allowed.")
    if stat.S_ISLNK(info.external_attr >> 16):
        return Problem(name, "symlink", "Symbolic links are not allowed in the archive.")
    if info.flag_bits & 0x1:
        return Problem(name, "encrypted", "Encrypted members cannot be read.")
    if PurePosixPath(normalized).suffix.lower() in NESTED_SUFFIXES:
        return Problem(name, "nested_archive", "Archives inside the archive are not opened.")
    if info.file_size >= RATIO_FLOOR_BYTES and info.file_size > info.compress_size * max_ratio:
        return Problem(name, "zip_bomb", "This member expands far more than any photo does (zip bomb).")
    return None


def check_archive(archive: IO[bytes], limits: Limits) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """Open and check ``archive``; the members worth reading, in archive order, or ``ArchiveRefused``."""
    archive.seek(0, 2)
    archive_size = archive.tell()
    archive.seek(0)
    if archive_size > limits.max_archive_bytes:
        limit = limits.max_archive_bytes
        message = f"The archive is {archive_size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB."
        raise ArchiveRefused(
            "archive_too_large", message, problems=[Problem("", "archive_too_large", message)]
        )
    try:
        zf = zipfile.ZipFile(archive)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ArchiveRefused("archive_refused", f"This is not a ZIP archive we can read ({exc}).") from exc
    if len(infos) > limits.max_members:
        raise ArchiveRefused(
            "archive_too_large",
            f"The archive has {len(infos)} members; the limit is {limits.max_members}.",
            problems=[Problem("", "too_many_members", f"{len(infos)} members > {limits.max_members}")],
        )
    problems = [p for p in (_member_problem(info, limits.max_ratio) for info in infos) if p is not None]
    total = sum(info.file_size for info in infos)
    if total > limits.max_total_bytes:
        problems.append(
            Problem("", "too_large", f"{total / 1e6:.0f} MB uncompressed; the limit is "
                    f"{limits.max_total_bytes / 1e6:.0f} MB.")
        )  # fmt: skip
    problems.extend(_ratio_problems(infos, limits.max_ratio))
    if problems:
        zf.close()
        raise ArchiveRefused("archive_refused", _summary(problems), problems=problems)
    members = [info for info in infos if not _is_ignorable(info.filename)]
    # Only once the archive is otherwise sound: it reads a little of every member.
    pixels = _pixel_problem(zf, members, limits)
    if pixels is not None:
        zf.close()
        raise ArchiveRefused("archive_too_large", _summary([pixels]), problems=[pixels])
    return zf, members


def _pixel_problem(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], limits: Limits) -> Problem | None:
    """The members' pixels past ``max_total_pixels``, counted from their headers (stopping once over)."""
    total = 0
    for info in infos:
        if info.file_size > limits.max_file_bytes:
            continue  # refused on its own, unread
        try:
            with zf.open(info) as fh:
                total += pixels_to_decode(
                    fh, max_pixels=limits.max_pixels, thumbnail_size=limits.thumbnail_size
                )
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            continue  # a damaged member fails alone when it is read
        if total > limits.max_total_pixels:
            return Problem(
                "",
                "too_many_pixels",
                f"its photos add up to over {total / 1e6:.0f} MP; the limit is "
                f"{limits.max_total_pixels / 1e6:.0f} MP per archive (send them in several)",
            )
    return None


def _ratio_problems(infos: list[zipfile.ZipInfo], max_ratio: int) -> list[Problem]:
    """Zip bombs, measured on the members' own compressed bytes: junk padding (bytes before the first
    member, or an incompressible member) adds to the archive's size but cannot dilute these ratios."""
    problems = []
    total = sum(info.file_size for info in infos)
    compressed = max(1, sum(info.compress_size for info in infos))
    if total >= RATIO_FLOOR_BYTES and total > compressed * max_ratio:
        problems.append(Problem("", "zip_bomb", f"The archive's members expand {total / compressed:.0f}×."))
    # No photo compresses this well; many small members that do add up like one big one.
    inflating = [i for i in infos if i.file_size > max(1, i.compress_size) * max_ratio]
    inflated = sum(info.file_size for info in inflating)
    if inflated >= RATIO_FLOOR_BYTES:
        problems.append(
            Problem("", "zip_bomb", f"{len(inflating)} member(s) expanding over {max_ratio}× add up to "
                    f"{inflated / 1e6:.0f} MB.")
        )  # fmt: skip
    return problems


def _summary(problems: list[Problem]) -> str:
    first = problems[0]
    where = f" ({first.name})" if first.name else ""
    more = f" and {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    return f"The archive was refused: {first.message}{where}{more}."


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, max_file_bytes: int) -> bytes:
    """The member's bytes, or ``UploadRejected`` for this member only."""
    if info.file_size > max_file_bytes:
        raise UploadRejected(
            "too_large",
            f"The file is {info.file_size / 1e6:.1f} MB; the limit is {max_file_bytes / 1e6:.0f} MB.",
        )
    try:
        with zf.open(info) as fh:
            data = fh.read(max_file_bytes + 1)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise UploadRejected("corrupt", f"This member of the archive is damaged ({exc}).") from exc
    if data.startswith(NESTED_MAGIC):
        raise UploadRejected("nested_archive", "Archives inside the archive are not opened.")
    return data


def iter_members(
    zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], *, max_file_bytes: int
) -> Iterator[tuple[str, bytes | None, UploadRejected | None]]:
    """``(name, data, None)`` for each readable member, ``(name, None, refusal)`` for the others."""
    for info in infos:
        try:
            yield info.filename, read_member(zf, info, max_file_bytes=max_file_bytes), None
        except UploadRejected as exc:
            yield info.filename, None, exc
