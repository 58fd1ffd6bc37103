"""Building files and archives for the batch tests (Pillow + zipfile, nothing from disk)."""

from __future__ import annotations

import io
import stat
import zipfile

from PIL import Image

from tests.fakes import jpeg_bytes


def photo(n: int, size: tuple[int, int] = (48, 36)) -> bytes:
    """A distinct small JPEG per ``n`` (different colour, so a different SHA-256)."""
    return jpeg_bytes(size, ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))


def truncated_jpeg() -> bytes:
    data = photo(999, (160, 120))
    return data[: len(data) // 2]


def oversized_png(width: int = 9000, height: int = 5000) -> bytes:
    """45 MP, over the default 40 MP limit, but tiny: one bit per pixel, all white."""
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, "PNG")
    return out.getvalue()


def zip_bytes(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


HOSTILE = {
    "traversal": lambda: zip_bytes([("ok.jpg", photo(1)), ("../../evil.jpg", photo(2))]),
    "absolute": lambda: zip_bytes([("/tmp/evil.jpg", photo(3))]),
    "symlink": lambda: zip_bytes([("ok.jpg", photo(4)), symlink_member("link.jpg", "/etc/passwd")]),
    "bomb_by_ratio": lambda: zip_bytes([("bomb.jpg", b"\0" * (8 * 1024 * 1024))]),
    "nested_archive": lambda: zip_bytes(
        [("ok.jpg", photo(5)), ("inner.zip", zip_bytes([("a.jpg", photo(6))]))]
    ),
}
