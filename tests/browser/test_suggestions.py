"""A reviewer's suggestion reaches its owner where they look first, at desktop and phone size (issue 24,
item 8): the Identify page says so, the nav (or, on a phone, the menu button) counts it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.checks import SIZES
from tests.browser.pages import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_the_owner_sees_a_waiting_suggestion_on_the_first_page(browser, live_site, owner, staff, size):
    from birdsite.review import services as review
    from tests.helpers import finished_job

    job = finished_job(owner)
    review.review_decide(job=job, reviewer=staff, verdict="corrected", label="norcar")
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, owner.username)
    banner = browser.find_element(By.CSS_SELECTOR, "[data-suggestions-waiting]")
    assert banner.is_displayed() and "one of your sightings" in banner.text
    counter = "[data-nav-suggestions]" if size == "desktop" else "[data-menu-suggestions]"
    assert browser.find_element(By.CSS_SELECTOR, counter).is_displayed()
    screenshot(browser, f"suggestion-waiting-{size}")
    browser.find_element(By.CSS_SELECTOR, "[data-suggestions-link]").click()
    assert "Reviewer suggests Northern Cardinal" in browser.find_element(By.CSS_SELECTOR, "main").text
    screenshot(browser, f"suggestion-list-{size}")
