"""The phantom-bird count: photos of one bird answered with more than one, per collection."""

from __future__ import annotations

from pathlib import Path

from classifier.evaluation.birds_per_photo import count
from tests.fakes import fake_result, fake_two_birds


def test_it_counts_the_photos_answered_with_more_than_one_bird_per_collection() -> None:
    photos = {"cub100": [Path("a.jpg"), Path("b.jpg")], "vbet": [Path("c.jpg"), Path("d.jpg"), Path("e.jpg")]}
    two = {Path("b.jpg"), Path("e.jpg")}

    def predict(paths):
        return [fake_two_birds() if p in two else fake_result() for p in paths]

    report = count(predict, photos)
    assert report["cub100"] == {"photos": 2, "more_than_one_bird": 1, "share": 0.5}
    assert report["all"]["more_than_one_bird"] == 2 and report["all"]["photos"] == 5
