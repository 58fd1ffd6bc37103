"""The one confidence formatter: ends never read 100 % or 0 %, words follow the "Not sure" threshold."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from birdsite import confidence as fmt

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, f">{NB}99{NB}%"),
        (0.997, f">{NB}99{NB}%"),
        (0.994, f"99{NB}%"),
        (0.5, f"50{NB}%"),
        (0.185, f"19{NB}%"),
        (0.005, f"1{NB}%"),  # half up, where Python's round() would say 0
        (0.0049, f"<{NB}1{NB}%"),
        (0.0, f"<{NB}1{NB}%"),
    ],
)
def test_it_never_says_100_or_0_percent(value: float, text: str) -> None:
    assert fmt.confidence_text(value) == text


def test_it_says_nothing_without_a_value() -> None:
    assert fmt.confidence_text(None) == "" and fmt.confidence_words(None) == ""


def test_its_words_follow_the_not_sure_threshold(settings) -> None:
    settings.CONFIDENCE_THRESHOLD = 0.6
    assert [fmt.confidence_words(v) for v in (0.99, 0.85, 0.61, 0.59, 0.1)] == [
        "almost certain",
        "very likely",
        "likely",
        "possible",
        "unlikely",
    ]
    settings.CONFIDENCE_THRESHOLD = 0.9
    assert fmt.confidence_words(0.85) == "possible" and fmt.is_low(0.85)


@pytest.mark.parametrize(
    ("label", "rank"),
    [("amegfi", "species"), ("genus-zanda", "genus"), ("family-corvidae", "family"), ("", "species")],
)
def test_it_names_the_rank_from_the_catalog_key(label: str, rank: str) -> None:
    assert fmt.taxon_rank(label) == rank


def test_the_template_badge_shows_words_numbers_a_low_badge_and_a_higher_rank(settings) -> None:
    settings.CONFIDENCE_THRESHOLD = 0.6
    html = Template("{% load confidence %}{% confidence_badge c label %}").render(
        Context({"c": 0.18, "label": "genus-zanda"})
    )
    assert f"18{NB}% · unlikely" in html and "Low confidence" in html and ">genus<" in html
    source = "{% load confidence %}{% confidence_badge 0.999 'blujay' %}|{{ 0.002|confidence }}"
    sure = Template(source).render(Context())
    assert f">{NB}99{NB}% · almost certain" in sure.replace("&gt;", ">")
    assert "Low confidence" not in sure and "badge rank" not in sure
    assert sure.endswith(f"&lt;{NB}1{NB}%")
