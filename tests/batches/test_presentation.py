"""A refused or failed file reads as one plain sentence, never a decoder's words."""

from __future__ import annotations

from birdsite.batches.presentation import plain_reason


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
