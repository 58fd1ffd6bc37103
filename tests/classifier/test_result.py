"""The typed result contract: what every engine's answer is made of, and its JSON shape."""

from __future__ import annotations

import json

import pytest

from classifier.result import UNKNOWN_NAME, Answer, AnswerKind, PhotoResult
from tests.answers import result_with
from tests.fakes import fake_two_birds


def test_an_answer_of_a_kind_outside_the_contract_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        Answer(kind="maybe", confidence=0.5, known_score=1.0)  # type: ignore[arg-type]


def test_a_result_with_no_look_at_all_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        PhotoResult(model_version="v", birds=())


@pytest.mark.parametrize("made", [result_with("unknown"), result_with("higher_taxon"), fake_two_birds()])
def test_the_json_shape_reads_back_as_the_same_result(made: PhotoResult) -> None:
    assert PhotoResult.from_dict(json.loads(json.dumps(made.to_dict()))) == made


def test_the_json_shape_keeps_the_best_birds_answer_at_the_top_for_one_bird_readers() -> None:
    two = fake_two_birds(second_is_bird=True, first_is_bird=False)
    data = two.to_dict()
    assert data["is_bird"] is True  # some look passed its gate
    assert data["predictions"] == data["birds"][0]["predictions"] and data["bird_score"] == 0.95
    assert data["birds"][1]["answer"]["kind"] == "species"


def test_an_unknown_answer_is_worded_by_the_contract() -> None:
    answer = result_with("unknown").best.answer
    assert answer.kind is AnswerKind.UNKNOWN and answer.common_name == UNKNOWN_NAME and answer.label is None
    assert len(answer.closest) == 3
