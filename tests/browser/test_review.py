"""A reviewer works through the queue with the keyboard only (headless Chromium against daphne)."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from birdsite.registry.models import ModelVersion
from birdsite.review.models import ReviewDecision
from tests.browser.pages import log_in, screenshot
from tests.review.conftest import job_with

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def current_job(browser) -> int:
    item = WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-review-item]"))
    )
    return int(item.get_attribute("data-job-id"))


def press(browser, keys: str) -> None:
    browser.find_element(By.TAG_NAME, "body").send_keys(keys)


def wait_past(browser, job_id: int) -> None:
    def moved_on(driver) -> bool:
        items = driver.find_elements(By.CSS_SELECTOR, "[data-review-item], [data-review-empty]")
        return bool(items) and items[0].get_attribute("data-job-id") != str(job_id)

    # The queue swaps its item in place: an element found can go stale before its id is read.
    WebDriverWait(browser, 30, ignored_exceptions=[StaleElementReferenceException]).until(moved_on)


def test_a_reviewer_reviews_three_predictions_with_the_keyboard(browser, live_site, owner, staff) -> None:
    jobs = [job_with(owner, top_confidence=c) for c in (0.7, 0.3, 0.5)]
    log_in(browser, live_site, staff.username)
    browser.get(f"{live_site}/staff/review/")

    first = current_job(browser)
    assert first == jobs[1].pk  # least confident first
    assert "American Goldfinch" in browser.find_element(By.CSS_SELECTOR, "[data-top5]").text
    assert "User's choice" in browser.find_element(By.CSS_SELECTOR, "[data-user-choice]").text
    screenshot(browser, "review-queue")
    press(browser, "a")  # accept the top-1
    wait_past(browser, first)

    second = current_job(browser)
    assert second == jobs[2].pk
    press(browser, "2")  # the second of the top-5 is right
    wait_past(browser, second)

    third = current_job(browser)
    assert third == jobs[0].pk
    press(browser, "c")  # search the catalog, Enter takes the first hit
    browser.switch_to.active_element.send_keys("blue jay")
    WebDriverWait(browser, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "[data-correct-hits] button[data-label=blujay]"))
    )
    screenshot(browser, "review-correct-search")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-review-empty]")))

    decisions = {d.job_id: (d.verdict, d.label, d.reviewer_id) for d in ReviewDecision.objects.all()}
    assert decisions == {
        first: ("accepted", "amegfi", staff.pk),
        second: ("corrected", "houfin", staff.pk),
        third: ("corrected", "blujay", staff.pk),
    }
    browser.get(f"{live_site}/staff/review/dashboard/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-charts] svg")) == 3
    screenshot(browser, "review-dashboard")


def test_the_models_page_shows_versions_and_the_promotion_check(browser, live_site, staff) -> None:
    held_out = {"cub100": {"n": 769, "top1": 0.861, "top5": 0.977}}
    active = ModelVersion.objects.create(
        version="2026.11.29-mnv1-cos", status=ModelVersion.Status.ACTIVE, metrics={"held_out": held_out}
    )
    better = {"cub100": {"n": 769, "top1": 0.87, "top5": 0.977}}
    ModelVersion.objects.create(
        version="rt2-20261129-0300",
        status=ModelVersion.Status.CANDIDATE,
        parent=active,
        species_count=604,
        metrics={"held_out": better, "base_held_out": held_out, "corrections": {"used": 400}},
    )
    log_in(browser, live_site, staff.username)
    browser.get(f"{live_site}/staff/models/")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-model-versions] tbody tr")
    assert len(rows) == 2 and "Not worse than 2026.11.29-mnv1-cos" in rows[0].text
    screenshot(browser, "review-models")
    rows[0].find_element(By.CSS_SELECTOR, "[data-promote]").click()
    WebDriverWait(browser, 30).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, "[data-active-version]"), "rt2-20261129-0300")
    )
    assert browser.find_element(By.CSS_SELECTOR, "[data-rollback]").is_displayed()
    screenshot(browser, "review-models-promoted")
