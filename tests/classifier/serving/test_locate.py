"""Box math of locating and the choice between the whole photo and its regions (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.serving import locate
from classifier.serving.choose import Look, choose
from classifier.serving.images import WHOLE


def test_iou_of_a_box_with_itself_is_one_and_with_a_disjoint_box_zero():
    box = (0.1, 0.2, 0.3, 0.4)
    assert locate.iou(box, box) == pytest.approx(1.0)
    assert locate.iou(box, (0.5, 0.7, 0.1, 0.1)) == 0.0


def test_iou_of_half_overlapping_boxes_is_a_third():
    assert locate.iou((0.0, 0.0, 0.2, 0.2), (0.1, 0.0, 0.2, 0.2)) == pytest.approx(1 / 3)


def test_clip_keeps_a_box_inside_the_photo():
    assert locate.clip((-0.1, 0.5, 0.3, 0.8)) == pytest.approx((0.0, 0.5, 0.2, 0.5))


def test_a_crop_box_is_square_in_pixels_and_moved_inside_the_photo():
    x, y, w, h = locate.crop_box((0.9, 0.0, 0.1, 0.1), (1600, 1200), context=0.0)
    assert w * 1600 == pytest.approx(h * 1200)  # square: the 120 px height is the longer side
    assert x + w == pytest.approx(1.0) and y == 0.0
    assert w * 1600 == pytest.approx(160)


def test_a_crop_box_adds_context_on_every_side():
    x, y, w, h = locate.crop_box((0.4, 0.4, 0.2, 0.2), (1000, 1000), context=0.25)
    assert (x, y, w, h) == pytest.approx((0.35, 0.35, 0.3, 0.3))


def test_the_heat_map_input_follows_the_photo_and_is_made_of_whole_cells():
    assert locate.input_size(4000, 3000) == (448, 320)
    assert locate.input_size(3000, 4000) == (320, 448)
    assert locate.input_size(227, 227) == (224, 224)  # never larger than the photo's own pixels
    for size in (locate.input_size(1600, 1200), locate.input_size(640, 200)):
        assert all(side % 32 == 0 and side >= 224 for side in size)


def test_two_separate_hot_spots_give_two_candidates_most_bird_mass_first():
    single = np.zeros((10, 14))
    single[2:4, 2:4] = 0.9
    single[6:9, 10:13] = 0.8
    found = locate.candidates(single, single)
    assert len(found) == 2
    assert found[0].mass == pytest.approx(9 * 0.8)
    x, y, w, h = found[0].box
    assert 10 / 14 <= x + w / 2 <= 13 / 14 and 6 / 10 <= y + h / 2 <= 9 / 10


def test_a_uniform_hot_block_gives_its_own_box():
    single = np.zeros((10, 14))
    single[2:6, 4:8] = 1.0
    [found] = locate.candidates(single, single)
    shift = locate.CELL_SHIFT
    expected = ((4 + shift) / 14, (2 + shift) / 10, 4 / 14, 4 / 10)
    assert found.box == pytest.approx(expected, abs=0.02)


def test_no_cell_above_the_threshold_gives_no_candidate():
    assert locate.candidates(np.full((7, 7), 0.1), np.full((7, 7), 0.2)) == []


def test_the_pooled_map_finds_a_bird_no_single_cell_is_sure_of():
    single = np.full((7, 7), 0.3)
    pooled = single.copy()
    pooled[3, 3] = 0.8
    assert len(locate.candidates(single, pooled)) == 1


@pytest.mark.parametrize(
    "box", [[0, 0, 0, 0.5], [0.5, 0.5, 0.6, 0.2], [-0.1, 0, 0.5, 0.5], [0, 0, 1], [0, 0, float("nan"), 1]]
)
def test_a_user_region_that_is_empty_or_outside_the_photo_is_refused(box):
    with pytest.raises(ValueError):
        locate.valid_region(box)


def test_a_user_region_inside_the_photo_is_accepted():
    assert locate.valid_region([0.25, 0.5, 0.5, 0.5]) == (0.25, 0.5, 0.5, 0.5)


def look(box, confidence: float, bird_score: float, gate: float = 0.2) -> Look:
    probs = np.array([confidence] + [(1 - confidence) / 9] * 9)  # confidence is the top-1
    return Look(tuple(box), probs, bird_score, gate)


def test_the_whole_photo_wins_when_it_is_surer_than_every_region():
    whole = look(WHOLE, 0.9, 0.9)
    assert choose(whole, [look((0.1, 0.1, 0.5, 0.5), 0.7, 0.9)]) == [whole]


def test_regions_that_pass_the_gate_each_become_an_answer_surest_first():
    whole = look(WHOLE, 0.3, 0.9)
    a, b = look((0.0, 0.0, 0.3, 0.3), 0.8, 0.9), look((0.6, 0.6, 0.3, 0.3), 0.95, 0.9)
    assert choose(whole, [a, b]) == [b, a]


def test_a_region_overlapping_a_kept_one_is_the_same_bird():
    whole = look(WHOLE, 0.3, 0.9)
    a, b = look((0.0, 0.0, 0.4, 0.4), 0.8, 0.9), look((0.05, 0.05, 0.4, 0.4), 0.7, 0.9)
    assert choose(whole, [a, b]) == [a]


def test_a_region_mostly_inside_a_kept_one_is_a_part_of_the_same_bird():
    whole = look(WHOLE, 0.3, 0.9)
    bird, head = look((0.2, 0.2, 0.6, 0.6), 0.9, 0.9), look((0.3, 0.3, 0.1, 0.1), 0.8, 0.9)
    assert choose(whole, [bird, head]) == [bird]


def test_a_region_below_its_gate_is_never_an_answer():
    whole = look(WHOLE, 0.3, 0.9)
    weak = look((0.0, 0.0, 0.3, 0.3), 0.99, 0.1)
    assert choose(whole, [weak]) == [whole]


def test_with_no_bird_anywhere_the_best_bird_score_answers_and_says_no_bird():
    whole = look(WHOLE, 0.3, 0.01)
    weak = look((0.0, 0.0, 0.3, 0.3), 0.5, 0.1)
    [answer] = choose(whole, [weak])
    assert answer is weak and not answer.passes


def test_a_second_bird_that_is_only_faintly_a_bird_is_no_second_bird():
    # The phantom on the rail: it passes the region gate, but neither its bird score nor its species is sure.
    whole = look(WHOLE, 0.3, 0.9)
    sparrow, rail = look((0.1, 0.1, 0.3, 0.3), 0.9, 0.95), look((0.6, 0.6, 0.3, 0.3), 0.61, 0.45)
    assert choose(whole, [sparrow, rail]) == [sparrow]


def test_a_second_bird_is_kept_when_it_is_plainly_a_bird_or_a_surely_named_one():
    whole = look(WHOLE, 0.3, 0.9)
    first = look((0.1, 0.1, 0.3, 0.3), 0.9, 0.95)
    plain = look((0.6, 0.6, 0.3, 0.3), 0.3, 0.85)
    named = look((0.6, 0.1, 0.3, 0.3), 0.8, 0.55)
    assert choose(whole, [first, plain]) == [first, plain]
    assert choose(whole, [first, named]) == [first, named]


def test_a_faint_first_bird_still_answers_alone():
    whole = look(WHOLE, 0.3, 0.9)
    faint = look((0.1, 0.1, 0.3, 0.3), 0.9, 0.3)
    assert choose(whole, [faint]) == [faint]


def test_at_most_max_birds_answers():
    whole = look(WHOLE, 0.1, 0.9)
    regions = [look((i / 10, 0.0, 0.05, 0.05), 0.9, 0.9) for i in range(8)]
    assert len(choose(whole, regions, limit=4)) == 4
