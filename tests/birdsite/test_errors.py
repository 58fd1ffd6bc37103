"""The one refusal type: every family is made ``(code, message)``, and its body says each thing once."""

from __future__ import annotations

import json

import pytest

from birdsite.batches.archives import ArchiveRefused
from birdsite.batches.services import BatchRefused
from birdsite.classification.services import RegionRefused
from birdsite.errors import Refused, refusal_body, refusal_response
from birdsite.photos.images import UploadRejected
from birdsite.ratelimits import Throttled
from birdsite.registry.services import RegistryError
from birdsite.review.services import ReviewRejected
from birdsite.sightings.services import UnknownSpecies

FAMILIES = [Refused, UploadRejected, BatchRefused, ReviewRejected, RegistryError, ArchiveRefused]
FAMILIES += [UnknownSpecies, RegionRefused]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_every_refusal_family_takes_its_code_first_and_its_message_second(family):
    refusal = family("some_code", "What went wrong, for people.")
    assert (refusal.code, refusal.message, str(refusal)) == (
        "some_code",
        "What went wrong, for people.",
        "What went wrong, for people.",
    )


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__)
def test_a_refusal_without_a_code_gets_its_familys_own(family):
    assert family(None, "Why.").code == family.default_code


def test_a_message_passed_where_the_code_goes_is_refused_loudly():
    with pytest.raises(ValueError, match="not a stable code"):
        RegionRefused("The region is too small to look at; draw a larger box.")


def test_an_archives_problems_are_a_keyword():
    refusal = ArchiveRefused("archive_refused", "Nothing in it is a photo.", problems=[])
    assert refusal.problems == [] and refusal.code == "archive_refused"


def test_a_throttled_refusal_says_when_to_come_back_once():
    response = refusal_response(Throttled("Try again in 40 seconds.", retry_after=40))
    body = json.loads(response.content)
    assert body == {"code": "throttled", "message": "Try again in 40 seconds.", "retry_after": 40}
    assert response.status_code == 429 and response["Retry-After"] == "40"


def test_the_body_carries_details_only_when_there_are_some():
    assert refusal_body("not_an_image", "No.") == {"code": "not_an_image", "message": "No."}
