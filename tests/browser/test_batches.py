"""Headless Chromium: several files chosen at once, the batch progress bar pushed to 100%."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.batches.helpers import photo
from tests.browser.pages import assert_not_reloaded, log_in, mark_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_user_selects_several_files_and_watches_the_progress_bar_reach_100(
    browser, live_site, fake_worker, owner, tmp_path
) -> None:
    paths = []
    for n in range(6):
        path = tmp_path / f"bird-{n}.jpg"
        path.write_bytes(photo(n, (160, 120)))
        paths.append(path)
    (tmp_path / "notes.jpg").write_bytes(b"not a photo")
    paths.append(tmp_path / "notes.jpg")
    log_in(browser, live_site, owner.username)
    browser.get(f"{live_site}/batches/")
    mark_page(browser)
    browser.find_element(By.CSS_SELECTOR, "[data-batch-files]").send_keys("\n".join(str(p) for p in paths))
    finished = (By.CSS_SELECTOR, "[data-batch][data-status=finished][data-percent='100']")
    root = WebDriverWait(browser, 90, poll_frequency=0.1).until(ec.presence_of_element_located(finished))
    assert_not_reloaded(browser)
    assert (
        root.get_attribute("data-done"),
        root.get_attribute("data-failed"),
        root.get_attribute("data-total"),
    ) == (
        "6",
        "1",
        "7",
    )
    assert root.get_attribute("data-via") == "socket"
    bar = root.find_element(By.CSS_SELECTOR, "[data-batch-bar]")
    assert bar.get_attribute("style").replace(" ", "") == "width:100%;"
    WebDriverWait(browser, 10).until(lambda d: root.get_attribute("data-items-loaded") == "true")
    outcomes = [
        row.get_attribute("data-outcome") for row in root.find_elements(By.CSS_SELECTOR, "[data-outcome]")
    ]
    assert sorted(outcomes) == ["refused"] + ["succeeded"] * 6
    screenshot(browser, "batch-finished")
    root.find_element(By.CSS_SELECTOR, "[data-batch-link]").click()  # leave and come back: the batch page
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.CSS_SELECTOR, "#batch-payload")))
    assert browser.find_element(By.CSS_SELECTOR, "[data-batch]").get_attribute("data-percent") == "100"
