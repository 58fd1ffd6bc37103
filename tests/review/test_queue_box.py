"""The review queue shows the part of the photo the model judged: bird 0's box of the current predictions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from birdsite.photos.models import Prediction
from tests.review.conftest import job_with

pytestmark = pytest.mark.django_db


def test_the_queue_draws_the_box_the_model_judged(staff_client, owner) -> None:
    job = job_with(owner, top_confidence=0.4)
    Prediction.objects.filter(job=job, bird=0).update(box_x=0.2, box_y=0.25, box_w=0.4, box_h=0.5)
    page = staff_client.get(reverse("review:queue")).content.decode()
    assert "data-judged-box-note" in page
    assert "left: 20.00%; top: 25.00%; width: 40.00%; height: 50.00%" in page


def test_a_whole_photo_answer_draws_no_box(staff_client, owner) -> None:
    job_with(owner, top_confidence=0.4)  # rows from before boxes: the whole photo
    page = staff_client.get(reverse("review:queue")).content.decode()
    assert "data-review-photo" in page and "data-judged-box" not in page
