"""Headless Chromium against daphne (HTTP + WebSocket) and a real Celery worker."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import assert_not_reloaded, log_in, mark_page, screenshot, upload, wait_for_result
from tests.fakes import jpeg_bytes
from tests.live import shared_photo

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.model
@pytest.mark.shared
def test_a_user_logs_in_uploads_a_photo_and_sees_the_species_without_a_reload(
    browser, live_site, real_worker, owner
) -> None:
    log_in(browser, live_site, owner.username)
    mark_page(browser)
    upload(browser, shared_photo("American_Goldfinch", 3))
    result = wait_for_result(browser)
    assert_not_reloaded(browser)
    assert result.get_attribute("data-status") == "succeeded"
    assert result.get_attribute("data-via") == "socket"  # pushed over Channels/Redis, not polled
    species = result.find_element(By.CSS_SELECTOR, "[data-species]").text
    screenshot(browser, "result-upload")
    if result.get_attribute("data-verdict") == "sure":
        assert species == "American Goldfinch"
        link = result.find_element(By.CSS_SELECTOR, "[data-wikipedia]")
        assert link.get_attribute("target") == "_blank" and "noopener" in link.get_attribute("rel")
    else:
        assert species == "Not sure — compare these"
    names = [e.text for e in result.find_elements(By.CSS_SELECTOR, "[data-top5] .name a")]
    assert len(names) == 5 and "American Goldfinch" in names


def test_the_result_is_pushed_to_the_open_page(browser, live_site, fake_worker, owner, tmp_path) -> None:
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(jpeg_bytes((320, 240)))
    log_in(browser, live_site, owner.username)
    mark_page(browser)
    upload(browser, photo)
    result = wait_for_result(browser, timeout=60)
    assert_not_reloaded(browser)
    assert result.get_attribute("data-via") == "socket"
    assert result.find_element(By.CSS_SELECTOR, "[data-species]").text == "American Goldfinch"
    screenshot(browser, "result-fake-model")
    browser.set_window_size(390, 844)  # a phone: one column, the result first
    screenshot(browser, "result-phone")
    browser.set_window_size(1280, 900)
    result.find_element(By.CSS_SELECTOR, "[data-sighting-link]").click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-sighting-name]").text == "American Goldfinch"
    screenshot(browser, "sighting")
    browser.get(f"{live_site}/sightings/")
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-gallery] img")) >= 1
    screenshot(browser, "sightings")


def test_without_a_socket_the_page_polls_for_the_result(
    browser, live_site, fake_worker, owner, tmp_path
) -> None:
    browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "delete window.WebSocket; window.WebSocket = undefined;"},
    )
    photo = tmp_path / "bird.png"
    photo.write_bytes(jpeg_bytes((200, 200)))
    log_in(browser, live_site, owner.username)
    mark_page(browser)
    upload(browser, photo)
    result = wait_for_result(browser, timeout=60)
    assert_not_reloaded(browser)
    assert result.get_attribute("data-channel") == "poll" and result.get_attribute("data-via") == "poll"
    assert result.get_attribute("data-status") == "succeeded"


RENDER_AS = """
const [verdict, done] = [arguments[0], arguments[arguments.length - 1]];
const root = document.querySelector('[data-result]');
const url = document.querySelector('[data-result]').dataset.statusUrl;
fetch(url, {headers: {Accept: 'application/json'}}).then(r => r.json()).then(job => {
  job.verdict = verdict;
  if (verdict === 'unsure') job.predictions[0].confidence = 0.34;
  if (verdict === 'no_bird') { job.is_bird = false; job.bird_score = 0.03; }
  BirdResult.render(root, job);
  done(root.querySelector('[data-species]').textContent);
});
"""


def test_the_page_says_plainly_when_it_is_not_sure_or_sees_no_bird(
    browser, live_site, fake_worker, owner, tmp_path
) -> None:
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(jpeg_bytes((320, 240)))
    log_in(browser, live_site, owner.username)
    upload(browser, photo)
    result = wait_for_result(browser, timeout=60)
    browser.get(f"{live_site}/jobs/{result.get_attribute('data-job-id')}/")
    wait_for_result(browser, timeout=30)
    assert browser.execute_async_script(RENDER_AS, "unsure") == "Not sure — compare these"
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-top5] li")) == 5
    screenshot(browser, "result-unsure")
    assert browser.execute_async_script(RENDER_AS, "no_bird") == "No bird found"
    screenshot(browser, "result-no-bird")
