"""The upload page at desktop and phone size (issue 24, item 9): what a refused file leaves behind, what a
phone is told, the camera's fallback, and the name with the photo of its boxes in one view."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.checks import SIZES
from tests.browser.pages import log_in, screenshot, upload, wait_for_result
from tests.fakes import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", list(SIZES))
def test_a_refused_upload_says_why_and_leaves_no_broken_photo_behind(
    browser, live_site, owner, tmp_path, size
) -> None:
    browser.set_window_size(*SIZES[size])
    fake = tmp_path / "bird.jpg"
    fake.write_text("definitely not a bird")
    log_in(browser, live_site, owner.username)
    upload(browser, fake)
    error = browser.find_element(By.CSS_SELECTOR, "[data-upload-error]")
    WebDriverWait(browser, 30).until(lambda d: error.is_displayed())
    screenshot(browser, f"upload-refused-{size}")
    preview = browser.find_element(By.CSS_SELECTOR, "[data-preview]")
    image = browser.find_element(By.CSS_SELECTOR, "[data-preview-img]")
    assert not preview.is_displayed() and image.get_attribute("src") in (None, "")
    assert "not an image" in error.text


def test_a_phone_is_told_to_choose_a_photo_not_to_drop_one(browser, live_site, owner) -> None:
    log_in(browser, live_site, owner.username)
    drop = browser.find_element(By.CSS_SELECTOR, "[data-dropzone]")
    browser.set_window_size(*SIZES["desktop"])
    assert drop.text.splitlines()[0] == "Drop a photo here"
    browser.set_window_size(*SIZES["phone"])
    screenshot(browser, "upload-phone")
    assert drop.text.splitlines()[0] == "Choose a photo" and "Drop" not in drop.text


REFUSE_CAMERA = """
navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
"""


@pytest.mark.parametrize("size", list(SIZES))
def test_when_camera_access_is_refused_the_take_a_photo_fallback_appears(browser, live_site, owner, size):
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, owner.username)
    fallback = browser.find_element(By.CSS_SELECTOR, ".capture-fallback")
    camera = browser.find_element(By.CSS_SELECTOR, "[data-camera-open]")
    if not camera.is_displayed():
        pytest.skip("this Chromium has no getUserMedia: the fallback shows from the start")
    assert not fallback.is_displayed()
    browser.execute_script(REFUSE_CAMERA)
    camera.click()
    WebDriverWait(browser, 10).until(lambda d: fallback.is_displayed())
    screenshot(browser, f"upload-camera-refused-{size}")
    status = browser.find_element(By.CSS_SELECTOR, "[data-camera-status]").text
    assert "NotAllowedError" in status and "Take a photo" in status
    assert not camera.is_displayed()


IN_VIEW = """
const header = document.querySelector('.topbar').getBoundingClientRect().bottom;
const name = document.querySelector('[data-result] [data-species]').getBoundingClientRect();
const photo = document.querySelector('[data-preview-img]').getBoundingClientRect();
return [header, Math.min(name.top, photo.top), Math.max(name.bottom, photo.bottom), window.innerHeight];
"""


def test_on_a_phone_the_name_and_the_photo_with_its_boxes_are_in_one_view(
    browser, live_site, fake_worker, owner, tmp_path
) -> None:
    browser.set_window_size(*SIZES["phone"])
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(jpeg_bytes((1200, 900)))
    log_in(browser, live_site, owner.username)
    upload(browser, photo)
    wait_for_result(browser, timeout=60)

    def settled(driver) -> bool:  # the photo and the name, top to bottom, between the header and the fold
        header, top, bottom, height = driver.execute_script(IN_VIEW)
        return top >= header - 1 and bottom <= height + 1

    try:
        WebDriverWait(browser, 10).until(settled)
    finally:
        screenshot(browser, "upload-result-phone")
    assert settled(browser), browser.execute_script(IN_VIEW)
