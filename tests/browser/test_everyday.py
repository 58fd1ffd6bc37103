"""A birder's everyday use at phone (390×844) and desktop size, in headless Chromium against daphne and a
real Celery worker: every page fits without sideways scrolling, has one h1 and no serious axe-core
violation; the result comes into view under the header; several files dropped offer a batch."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from birdsite.batches.models import Batch
from birdsite.sightings.models import Sighting
from tests.batches.helpers import photo, truncated_jpeg
from tests.browser.checks import SIZES, check_page, focus_problems
from tests.browser.pages import log_in, screenshot, upload, visit, wait_for_result
from tests.review.conftest import job_with

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
LONG_NAME = "a-photo-with-a-very-long-file-name-that-a-phone-camera-app-wrote-IMG_20261201_101010123.jpg"


def species_in_view(driver) -> bool:
    return driver.execute_script(
        """
        const s = document.querySelector('[data-species]');
        if (!s) return false;
        const r = s.getBoundingClientRect(), bar = document.querySelector('.topbar').getBoundingClientRect();
        return r.top >= bar.bottom - 1 && r.bottom <= window.innerHeight && r.width > 0;
        """
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_a_birder_reaches_fits_the_screen_and_passes_axe(
    browser, live_site, fake_worker, owner, tmp_path, size
) -> None:
    browser.set_window_size(*SIZES[size])
    problems: list[str] = []
    visit(browser, f"{live_site}/accounts/login/")
    problems += check_page(browser, "login", size)
    visit(browser, f"{live_site}/accounts/signup/")
    problems += check_page(browser, "signup", size)
    visit(browser, f"{live_site}/no-such-page/")
    problems += check_page(browser, "404-anonymous", size)

    log_in(browser, live_site, owner.username)
    problems += check_page(browser, "upload", size)
    image = tmp_path / LONG_NAME
    image.write_bytes(photo(1, (640, 480)))
    upload(browser, image)
    result = wait_for_result(browser, timeout=90)
    # The species name is on screen below the sticky header, without the user scrolling to find it.
    WebDriverWait(browser, 10).until(species_in_view)
    screenshot(browser, f"result-in-view-{size}")
    assert "%" in result.find_element(By.CSS_SELECTOR, "[data-confidence]").text
    problems += check_page(browser, "upload-with-result", size)

    job_id = result.get_attribute("data-job-id")
    visit(browser, f"{live_site}/jobs/{job_id}/", "[data-result][data-status=succeeded]")
    problems += check_page(browser, "result", size)
    sighting = Sighting.objects.get(job_id=job_id)
    visit(browser, f"{live_site}/sightings/{sighting.pk}/")
    problems += check_page(browser, "sighting", size)
    visit(browser, f"{live_site}/sightings/")
    problems += check_page(browser, "sightings", size)
    visit(browser, f"{live_site}/species/{sighting.species_key}/")
    problems += check_page(browser, "species", size)
    visit(browser, f"{live_site}/lifelist/")
    problems += check_page(browser, "lifelist", size)
    visit(browser, f"{live_site}/accounts/password/")
    problems += check_page(browser, "account", size)
    visit(browser, f"{live_site}/staff/review/")
    problems += check_page(browser, "403", size)
    visit(browser, f"{live_site}/sightings/999999/")
    problems += check_page(browser, "404", size)

    visit(browser, f"{live_site}/batches/")
    paths = []
    for n, name in enumerate([LONG_NAME, "b.jpg", "c.jpg"]):
        paths.append(tmp_path / f"{n}-{name}")
        paths[-1].write_bytes(photo(10 + n, (160, 120)))
    (tmp_path / "notes.jpg").write_text("my field notes, not a photo")
    (tmp_path / "half.jpg").write_bytes(truncated_jpeg())
    paths += [tmp_path / "notes.jpg", tmp_path / "half.jpg"]
    browser.find_element(By.CSS_SELECTOR, "[data-batch-files]").send_keys("\n".join(str(p) for p in paths))
    finished = (By.CSS_SELECTOR, "[data-batch][data-status=finished][data-items-loaded=true]")
    WebDriverWait(browser, 90, poll_frequency=0.2).until(ec.presence_of_element_located(finished))
    problems += check_page(browser, "batches", size)
    batch = Batch.objects.get(owner=owner)
    visit(browser, f"{live_site}/batches/{batch.pk}/", "[data-batch][data-items-loaded=true]")
    problems += check_page(browser, "batch", size)

    visit(browser, f"{live_site}/api/v1/docs/", "#swagger-ui .info")
    problems += check_page(browser, "api-docs", size, axe=False, one_h1=False)  # Swagger UI's own markup
    assert problems == []


@pytest.mark.parametrize("size", list(SIZES))
def test_every_staff_page_fits_the_screen_and_passes_axe(browser, live_site, owner, staff, size) -> None:
    job = job_with(owner, top_confidence=0.4)
    job_with(owner, top_confidence=0.97)
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, staff.username)
    problems: list[str] = []
    visit(browser, f"{live_site}/staff/review/", "[data-review-item]")
    problems += check_page(browser, "review-queue", size)
    visit(browser, f"{live_site}/staff/review/jobs/{job.pk}/history/")
    problems += check_page(browser, "review-history", size)
    visit(browser, f"{live_site}/staff/review/dashboard/")
    problems += check_page(browser, "review-dashboard", size)
    visit(browser, f"{live_site}/staff/models/")
    problems += check_page(browser, "models", size)
    assert problems == []


def test_the_header_collapses_into_a_menu_on_a_phone(browser, live_site, owner) -> None:
    browser.set_window_size(*SIZES["phone"])
    log_in(browser, live_site, owner.username)
    toggle = browser.find_element(By.CSS_SELECTOR, "[data-nav-toggle]")
    many = browser.find_element(By.CSS_SELECTOR, "[data-nav] a[href='/batches/']")
    assert toggle.is_displayed() and not many.is_displayed()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and many.is_displayed()
    screenshot(browser, "menu-open-phone")
    many.click()
    WebDriverWait(browser, 10).until(ec.url_contains("/batches/"))
    browser.set_window_size(*SIZES["desktop"])
    assert not browser.find_element(By.CSS_SELECTOR, "[data-nav-toggle]").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, "[data-nav] a[href='/batches/']").is_displayed()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_control_shows_keyboard_focus(browser, live_site, owner, size) -> None:
    sighting = Sighting.objects.get(job=job_with(owner, top_confidence=0.9))
    browser.set_window_size(*SIZES[size])
    log_in(browser, live_site, owner.username)
    missing = focus_problems(browser)
    # The drop zone's file input is invisible; its zone shows the ring instead.
    browser.execute_script("document.querySelector('[data-file-input]').focus()")
    zone = browser.find_element(By.CSS_SELECTOR, "[data-dropzone]")
    assert zone.value_of_css_property("outline-style") != "none"
    screenshot(browser, f"dropzone-focus-{size}")
    for path in (f"/sightings/{sighting.pk}/", "/batches/", "/sightings/"):
        visit(browser, live_site + path)
        missing += [f"{path} {what}" for what in focus_problems(browser)]
    assert missing == []


DROP_TWO = """
const done = arguments[arguments.length - 1];
function png(color) {
  const c = document.createElement('canvas'); c.width = 64; c.height = 48;
  const g = c.getContext('2d'); g.fillStyle = color; g.fillRect(0, 0, 64, 48);
  return new Promise(ok => c.toBlob(b => ok(new File([b], color.slice(1) + '.png', {type: 'image/png'}))));
}
Promise.all([png('#336699'), png('#996633')]).then(files => {
  const data = new DataTransfer();
  files.forEach(f => data.items.add(f));
  const drop = new DragEvent('drop', {dataTransfer: data, bubbles: true});
  document.querySelector('[data-dropzone]').dispatchEvent(drop);
  done(true);
});
"""


def test_several_photos_dropped_on_the_one_photo_page_become_a_batch(
    browser, live_site, fake_worker, owner
) -> None:
    log_in(browser, live_site, owner.username)
    browser.execute_async_script(DROP_TWO)
    offer = browser.find_element(By.CSS_SELECTOR, "[data-batch-offer]")
    assert offer.is_displayed() and "2 photos" in offer.text
    # Not one of them taken silently:
    assert browser.find_elements(By.CSS_SELECTOR, "[data-result-slot] [data-result]") == []
    screenshot(browser, "drop-two-offer")
    offer.find_element(By.CSS_SELECTOR, "[data-offer-batch]").click()
    finished = (By.CSS_SELECTOR, "[data-batch][data-status=finished][data-items-loaded=true]")
    root = WebDriverWait(browser, 120, poll_frequency=0.2).until(ec.presence_of_element_located(finished))
    assert (root.get_attribute("data-done"), root.get_attribute("data-total")) == ("2", "2")


def test_a_low_confidence_genus_answer_says_so_in_words_numbers_and_badges(browser, live_site, owner) -> None:
    from dataclasses import replace

    from tests.fakes import FakeClassifier, fake_result, with_predictions
    from tests.helpers import finished_job

    result = fake_result(top_confidence=0.31)
    genus = {"label": "genus-spinus", "common_name": "Siskins and goldfinches", "scientific_name": "Spinus"}
    top, *middle, last = result.predictions
    ranked = (replace(top, rank="genus", **genus), *middle, replace(last, confidence=0.001))
    result = with_predictions(result, ranked)
    job = finished_job(owner, FakeClassifier(model_version="test-1", result=result))
    log_in(browser, live_site, owner.username)
    visit(browser, f"{live_site}/jobs/{job.pk}/", "[data-result][data-status=succeeded]")
    card = browser.find_element(By.CSS_SELECTOR, "[data-result]")
    assert card.get_attribute("data-verdict") == "unsure"
    assert card.find_element(By.CSS_SELECTOR, "[data-low-confidence]").text == "Low confidence"
    assert "Siskins and goldfinches, is only 31 % likely (possible)" in card.text
    first = card.find_elements(By.CSS_SELECTOR, "[data-top5] li")[0]
    assert first.get_attribute("data-rank") == "genus"
    assert first.find_element(By.CSS_SELECTOR, "[data-rank-badge]").text == "genus"
    numbers = [e.text for e in card.find_elements(By.CSS_SELECTOR, "[data-top5] [data-conf]")]
    assert numbers[0] == "31 %" and numbers[-1] == "< 1 %" and "0 %" not in numbers
    screenshot(browser, "result-genus-low-confidence")
    visit(browser, f"{live_site}/sightings/")
    tile = browser.find_element(By.CSS_SELECTOR, "[data-gallery] li").text
    assert "Not confirmed" in tile and "31 % · possible" in tile
    assert "Low confidence" in tile and "genus" in tile
