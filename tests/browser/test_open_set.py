"""Issue 17 in the browser at phone and desktop size: a bird the model answers "a species the model may
not know" reads so on its result page (with the closest known taxa and a link to name it), on its
sighting page, and a photo its owner named with a species outside the model is flagged in the review
queue; every page still fits, has one h1 and passes axe-core."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from birdsite.sightings.models import Sighting
from tests.answers import result_with
from tests.browser.checks import SIZES, check_page
from tests.browser.pages import log_in, visit
from tests.fakes import FakeClassifier
from tests.helpers import finished_job

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_an_unknown_species_reads_so_on_its_result_and_sighting_pages(
    browser, live_site, owner, size
) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    sighting = Sighting.objects.get(job=job)
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, owner.username)
    problems: list[str] = []
    visit(browser, f"{live_site}/jobs/{job.pk}/", "[data-result][data-status=succeeded]")
    card = browser.find_element(By.CSS_SELECTOR, "[data-result]")
    assert card.get_attribute("data-answer") == "unknown"
    heading = card.find_element(By.CSS_SELECTOR, "[data-species]")
    assert heading.text == "A species the model may not know"
    assert card.find_element(By.CSS_SELECTOR, "[data-unknown-species]").is_displayed()
    closest = [e.text for e in card.find_elements(By.CSS_SELECTOR, "[data-top5] li .name a")]
    assert closest == ["American Goldfinch", "House Finch", "Pine Grosbeak"]
    link = card.find_element(By.CSS_SELECTOR, "[data-sighting-link]")
    assert link.text == "Name it from every species →"
    problems += check_page(browser, "result-unknown-species", size)
    link.click()
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-sighting-form]"))
    )
    assert (
        browser.find_element(By.CSS_SELECTOR, "[data-sighting-name]").text
        == "A species the model may not know"
    )
    notice = browser.find_element(By.CSS_SELECTOR, '[data-answer-kind="unknown"]').text
    assert "American Goldfinch" in notice and "Pine Grosbeak" in notice
    assert browser.current_url.endswith(f"/sightings/{sighting.pk}/")
    problems += check_page(browser, "sighting-unknown-species", size)
    assert problems == []


@pytest.mark.parametrize("size", list(SIZES))
def test_a_new_species_is_flagged_in_the_review_queue(browser, live_site, owner, staff, size) -> None:
    job = finished_job(owner, FakeClassifier(result=result_with("unknown")))
    # A key no model class has (the live site reads the served model's real catalog).
    Sighting.objects.filter(job=job).update(
        species_key="newsp1", common_name="Long-tailed Rosy-throated Mountain Wren-Babbler", confirmed=True
    )
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, staff.username)
    visit(browser, f"{live_site}/staff/review/?new_species=1", "[data-review-item]")
    item = browser.find_element(By.CSS_SELECTOR, "[data-review-item]")
    assert item.get_attribute("data-job-id") == str(job.pk)
    assert item.find_element(By.CSS_SELECTOR, "[data-new-species]").text == "new species"
    assert browser.find_element(By.CSS_SELECTOR, "[data-filter-new-species]").is_selected()
    assert check_page(browser, "review-new-species", size) == []
    visit(browser, f"{live_site}/staff/models/", "[data-new-species]")
    row = browser.find_element(By.CSS_SELECTOR, '[data-new-species-key="newsp1"]')
    assert row.find_element(By.CSS_SELECTOR, "[data-photos]").text == "1"
    assert check_page(browser, "models-new-species", size) == []
