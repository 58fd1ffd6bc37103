"""``manage.py import_photos``: files, folders and ZIPs from disk into one batch."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from birdsite.batches.models import Batch
from tests.batches.helpers import HOSTILE, photo, zip_bytes

pytestmark = pytest.mark.django_db


def test_it_imports_files_folders_and_zips_as_one_batch(owner, tmp_path) -> None:
    folder = tmp_path / "day"
    (folder / "sub").mkdir(parents=True)
    (folder / "1.jpg").write_bytes(photo(1))
    (folder / "sub" / "2.jpg").write_bytes(photo(2))
    (folder / ".hidden.jpg").write_bytes(photo(3))
    (folder / "notes.txt").write_text("not a photo")
    (tmp_path / "more.zip").write_bytes(zip_bytes([("3.jpg", photo(3)), ("1-copy.jpg", photo(1))]))
    out = io.StringIO()
    call_command(
        "import_photos",
        "--user",
        owner.username,
        "--no-wait",
        "--no-progress",
        folder,
        tmp_path / "more.zip",
        stdout=out,
    )
    batch = Batch.objects.get()
    assert batch.source == Batch.Source.COMMAND and batch.owner == owner
    kinds = sorted(batch.items.values_list("name", "kind"))
    assert kinds == [
        ("1-copy.jpg", "duplicate"),
        ("1.jpg", "job"),
        ("2.jpg", "job"),
        ("3.jpg", "job"),
        ("notes.txt", "refused"),
    ]
    assert f"Batch {batch.pk}" in out.getvalue() and "notes.txt" in out.getvalue()


def test_a_hostile_zip_is_reported_and_nothing_of_it_is_imported(owner, tmp_path) -> None:
    (tmp_path / "evil.zip").write_bytes(HOSTILE["traversal"]())
    err = io.StringIO()
    call_command(
        "import_photos",
        "--user",
        owner.username,
        "--no-wait",
        "--no-progress",
        tmp_path / "evil.zip",
        stderr=err,
    )
    assert "path_traversal" in err.getvalue() or "climbs out" in err.getvalue()
    assert not Batch.objects.get().items.exists()


def test_an_unknown_user_or_path_is_an_error(owner, tmp_path) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("import_photos", "--user", "nobody", tmp_path)
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_photos", "--user", owner.username, tmp_path / "missing")
