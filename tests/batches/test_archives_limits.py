"""ZIP limits that padding cannot dodge: the archive's own size, and ratios over the members' own bytes."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from birdsite.batches.archives import ArchiveRefused, Limits, check_archive
from tests.batches.helpers import photo, zip_bytes

MB = 1_000_000  # under the 1 MiB floor of the per-member ratio check, as a bomb would choose
LIMITS = dict(max_members=2000, max_total_bytes=4 * 1024**3, max_ratio=50, max_file_bytes=20 * 1024 * 1024)


def limits(**overrides: int) -> Limits:
    return Limits(**{**LIMITS, "max_archive_bytes": 4 * 1024**3, **overrides})


def zero_members(count: int, size: int = MB) -> list[tuple[str, bytes]]:
    zeros = bytes(size)
    return [(f"birds/{n:04}.jpg", zeros) for n in range(count)]


def codes(archive: bytes, lim: Limits) -> list[str]:
    with pytest.raises(ArchiveRefused) as refused:
        check_archive(io.BytesIO(archive), lim)
    return [p.code for p in refused.value.problems]


@pytest.fixture(scope="module")
def inflating_gigabyte() -> bytes:
    """1,000 zero-filled 1 MB members: 1 GB once inflated, about 1 MB compressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in zero_members(1000):
            zf.writestr(name, data)
    return out.getvalue()


def test_twenty_mb_of_junk_before_the_members_does_not_dilute_the_ratio(inflating_gigabyte) -> None:
    padded = os.urandom(20 * MB) + inflating_gigabyte  # bytes before the first member: zipfile allows them
    assert len(padded) * 50 > 1000 * MB  # the whole file's ratio is under 50: padding alone would pass
    assert "zip_bomb" in codes(padded, limits())


def test_a_twenty_mb_junk_member_does_not_dilute_the_ratio(inflating_gigabyte) -> None:
    out = io.BytesIO(inflating_gigabyte)
    with zipfile.ZipFile(out, "a") as zf:
        zf.writestr(zipfile.ZipInfo("junk.jpg"), os.urandom(20 * MB))  # stored: it does not shrink
    assert "zip_bomb" in codes(out.getvalue(), limits())


def test_many_small_members_that_inflate_add_up_like_one_big_one() -> None:
    archive = zip_bytes(zero_members(40, size=100_000) + [("real.jpg", photo(1))])
    assert "zip_bomb" in codes(archive, limits(max_archive_bytes=10 * MB))


def test_an_archive_over_its_own_size_limit_is_refused_before_it_is_opened() -> None:
    archive = os.urandom(2 * MB)  # not even a ZIP: the size is checked first
    with pytest.raises(ArchiveRefused) as refused:
        check_archive(io.BytesIO(archive), limits(max_archive_bytes=MB))
    assert refused.value.code == "archive_too_large"
    assert [p.code for p in refused.value.problems] == ["archive_too_large"]


def test_photos_that_barely_compress_still_pass() -> None:
    archive = zip_bytes([(f"{n}.jpg", photo(n, (640, 480))) for n in range(20)])
    zf, infos = check_archive(io.BytesIO(archive), limits(max_archive_bytes=10 * MB))
    assert len(infos) == 20
    zf.close()


def test_the_archive_size_limit_comes_from_settings(settings) -> None:
    settings.BATCH_ZIP_MAX_ARCHIVE_BYTES = 1234
    assert Limits(**LIMITS).max_archive_bytes == 1234
