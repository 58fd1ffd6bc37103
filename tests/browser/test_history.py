"""Issue 14's history pages in headless Chromium at phone and desktop size: the account page (time zone
from the browser, places), a reviewer's suggestion accepted on the sighting page, naming a bird in a
photo with no bird found, the filtered history with badges, and the staff pages as text. Each page fits
without sideways scrolling, has one h1 and no serious axe-core violation."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from birdsite.photos.models import Prediction
from birdsite.registry.models import ModelVersion
from birdsite.review import services as review
from birdsite.sightings import observers
from birdsite.sightings.models import Sighting
from tests.browser.checks import SIZES, check_page
from tests.browser.pages import log_in, visit
from tests.review.conftest import job_with

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_history_pages_of_issue_14_work_and_pass_the_page_checks(
    browser, live_site, owner, staff, size
) -> None:
    browser.set_window_size(*SIZES[size])
    seen = job_with(owner, top_confidence=0.95).sighting
    review.review_decide(job=seen.job, reviewer=staff, verdict="corrected", label="norcar")
    no_bird = job_with(owner, is_bird=False)
    observers.place_remember(
        user=owner, name="Mill pond by the old water tower", latitude=52.0, longitude=13.0
    )
    log_in(browser, live_site, owner.username)
    problems: list[str] = []

    visit(browser, f"{live_site}/accounts/account/", "[data-time-zone-form]")
    zone = browser.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    field = browser.find_element(By.ID, "id_time_zone")
    assert zone and field.get_attribute("value") == zone  # filled from the browser, not yet saved
    problems += check_page(browser, "account-settings", size)
    field.submit()
    WebDriverWait(browser, 10).until(lambda d: observers.observer_zone_name(owner) == zone)

    visit(browser, f"{live_site}/sightings/{seen.pk}/", "[data-review-suggestion]")
    problems += check_page(browser, "sighting-suggestion", size)
    browser.find_element(By.CSS_SELECTOR, "[data-accept-suggestion]").click()
    # The accept reloads the page: the old page's element goes stale between finding it and reading it.
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-sighting-name]").text == "Northern Cardinal"
    )
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-review-suggestion]")

    visit(browser, f"{live_site}/jobs/{no_bird.pk}/", "[data-name-link]")
    browser.find_element(By.CSS_SELECTOR, "[data-name-link]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-name-form]")))
    problems += check_page(browser, "name-a-bird", size)
    browser.find_element(By.CSS_SELECTOR, "input[name=species_key]").click()
    browser.find_element(By.CSS_SELECTOR, "[data-name-form] button[type=submit]").click()
    WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-sighting-form]"))
    )
    assert Sighting.objects.filter(job=no_bird, confirmed=True).exists()

    visit(browser, f"{live_site}/sightings/?status=reviewed", "[data-gallery]")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-badge-reviewed]")
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-sighting]")) == 1
    problems += check_page(browser, "sightings-reviewed", size)
    assert problems == []


@pytest.mark.parametrize("size", list(SIZES))
def test_the_staff_dashboard_and_model_page_read_as_text(browser, live_site, owner, staff, size) -> None:
    job = job_with(owner, top_confidence=0.4)
    Prediction.objects.filter(job=job, bird=0, rank=1).update(label="genus-zanda", common_name="")
    review.review_decide(job=job, reviewer=staff, verdict="corrected", label="norcar")
    version = ModelVersion.objects.create(
        version="rt9",
        status=ModelVersion.Status.CANDIDATE,
        directory="/models/rt9",
        metrics={"held_out": {"cub100": {"n": 100, "top1": 0.81, "top5": 0.95}}},
        provenance={"datasets": ["/data/a"], "options": {"learning_rate": 0.001}},
    )
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, staff.username)
    visit(browser, f"{live_site}/staff/review/dashboard/")
    text = browser.find_element(By.TAG_NAME, "main").text
    # Named from the catalog (the real one here: "White- and yellow-tailed black-cockatoos"), never the code.
    assert "genus-zanda" not in text and "Northern Cardinal" in text
    problems = check_page(browser, "dashboard-names", size)
    visit(browser, f"{live_site}/staff/models/{version.pk}/", "[data-metrics]")
    metrics = browser.find_element(By.CSS_SELECTOR, "[data-metrics]")
    assert metrics.find_elements(By.TAG_NAME, "table") and "{" not in metrics.text
    problems += check_page(browser, "model-detail", size)
    assert problems == []
