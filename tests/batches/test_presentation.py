"""How a batch's files read: one plain sentence per refusal (never a decoder's words), one row per bird,
and a photo without a bird said so (issue 24, items 1 and 6)."""

from __future__ import annotations

import pytest

from birdsite.batches.presentation import NO_BIRD, items_for_page, plain_reason
from tests.fakes import FakeClassifier, fake_result, fake_two_birds
from tests.helpers import finished_job


def test_a_corrupt_file_reads_as_damaged_without_the_decoders_words() -> None:
    reason = "The image is damaged and cannot be read (broken data stream when reading image file)."
    assert plain_reason("corrupt", reason) == "The image is damaged and cannot be read."


def test_a_worker_failure_in_a_decoders_words_reads_as_damaged() -> None:
    assert plain_reason("", "not a readable image: image file is truncated (3 bytes not processed)") == (
        "The image is damaged and cannot be read."
    )


def test_a_plain_reason_and_a_too_large_file_keep_their_own_words() -> None:
    assert plain_reason("", "This batch was cancelled.") == "This batch was cancelled."
    assert plain_reason("too_large", "The file is 31.2 MB; the limit is 20 MB.") == (
        "The file is 31.2 MB; the limit is 20 MB."
    )


def page_rows(owner, result, name: str = "IMG_0001.jpg") -> list[dict]:
    job = finished_job(owner, FakeClassifier(result=result))
    item = {"name": name, "outcome": "succeeded", "code": "", "reason": "", "job_id": job.pk}
    return items_for_page([dict(item, species=job.sighting.common_name if job.sighting else "")])


@pytest.mark.django_db
def test_a_photo_with_two_birds_is_two_rows_each_with_its_own_name_sighting_and_confidence(owner) -> None:
    result = fake_two_birds()
    rows = page_rows(owner, result)
    assert [(r["bird_text"], r["outcome_text"]) for r in rows] == [
        ("bird 1 of 2", "identified"),
        ("bird 2 of 2", "identified"),
    ]
    first, second = rows
    assert first["species"] != second["species"] and first["sighting_url"] != second["sighting_url"]
    own = tuple(pytest.approx(bird.predictions[0].confidence) for bird in result.birds)
    assert (first["confidence"], second["confidence"]) == own  # bird 2's own top-1, not bird 1's


@pytest.mark.django_db
def test_a_second_look_that_is_no_bird_adds_no_row(owner) -> None:
    rows = page_rows(owner, fake_two_birds(second_is_bird=False))
    assert len(rows) == 1 and "bird_text" not in rows[0] and rows[0]["outcome_text"] == "identified"


@pytest.mark.django_db
def test_a_photo_without_a_bird_says_no_bird_not_succeeded(owner) -> None:
    (row,) = page_rows(owner, fake_result(is_bird=False), name="coffee.jpg")
    assert (row["outcome"], row["outcome_text"], row["reason"]) == ("no_bird", "no bird", NO_BIRD)
    assert row["species"] == "" and "confidence" not in row
