"""The media disk fills up under uploads: each later upload is refused with a clear reason and leaves no
file behind; every one accepted before still finishes. A real full disk: a 1 MiB tmpfs at MEDIA_ROOT (root
can mount one; elsewhere ``UPLOAD_MIN_FREE_BYTES`` reserves all but 1 MiB of the real disk instead)."""

from __future__ import annotations

import io
import random
import shutil
import subprocess

import pytest
from django.conf import settings
from PIL import Image

from tests.faults import ledger
from tests.faults.stack import Uploader, fault_env, stack

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def noisy_jpeg(seed: int) -> bytes:
    """About 40 kB: random pixels do not compress."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (120, 110), bytes(rng.getrandbits(8) for _ in range(120 * 110 * 3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def small_disk(path) -> tuple[bool, dict[str, str]]:
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode == 0:
        return True, {"UPLOAD_MIN_FREE_BYTES": "0"}
    free = shutil.disk_usage(path).free
    return False, {"UPLOAD_MIN_FREE_BYTES": str(free - 1024 * 1024)}


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_full_disk_refuses_new_uploads_cleanly_and_finishes_the_accepted_ones(
    fault_user, password, test_db_url, tmp_path
) -> None:
    media = tmp_path / "media"
    mounted, limits = small_disk(media)
    env = fault_env(
        "disk", database_url=test_db_url, redis_url=settings.REDIS_URL, media_root=media, **limits
    )
    accepted: list[int] = []
    codes: dict[str, int] = {}
    try:
        with stack("disk", env) as site:
            site.web()
            site.worker("worker", seconds_per_image=0.02)
            user = Uploader(site.url, fault_user.username, password)
            for n in range(40):
                response = user.upload(noisy_jpeg(n), f"disk-{n}.jpg")
                assert response.status_code in (201, 507), response.text  # 507: storage_full (errors.py)
                if response.status_code == 201:
                    accepted.append(response.json()["id"])
                else:
                    codes[response.json()["code"]] = codes.get(response.json()["code"], 0) + 1
            result = ledger.figures(
                "disk-full", test_db_url, accepted, refused=40 - len(accepted), timeout=60
            )
            files = stored_files(media)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(media)], check=False)
    print(f"disk: {'tmpfs 1 MiB' if mounted else 'reserve'}; refusals by code: {codes}")
    ledger.assert_nothing_lost(result)
    assert 0 < len(accepted) < 40
    assert codes == {"storage_full": 40 - len(accepted)}
    assert len(files) == 2 * len(accepted)  # an image and a thumbnail per accepted upload, nothing partial
