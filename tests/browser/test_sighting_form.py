"""The sighting page keeps everything typed into it, whichever part is saved (issue 11's two-forms defect)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from birdsite.sightings.models import Sighting
from tests.browser.pages import log_in, screenshot
from tests.review.conftest import job_with

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def type_into(browser, name: str, text: str) -> None:
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(text)


def test_saving_the_sighting_keeps_the_notes_the_species_and_the_place_typed_together(
    browser, live_site, owner
) -> None:
    sighting = Sighting.objects.get(job=job_with(owner, top_confidence=0.9))
    log_in(browser, live_site, owner.username)
    browser.get(f"{live_site}/sightings/{sighting.pk}/")
    browser.find_element(By.CSS_SELECTOR, "input[name=species_key][value=houfin]").click()
    type_into(browser, "notes", "on the feeder, two of them")
    type_into(browser, "location_name", "Back garden")
    type_into(browser, "latitude", "52.5")
    type_into(browser, "longitude", "13.4")
    # Whichever button is pressed, nothing typed on the page may be lost.
    browser.find_element(By.CSS_SELECTOR, "[data-sighting-form] button[type=submit]").click()
    saved = ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Saved")
    WebDriverWait(browser, 30).until(saved)
    sighting.refresh_from_db()
    assert (sighting.species_key, sighting.notes, sighting.location_name) == (
        "houfin",
        "on the feeder, two of them",
        "Back garden",
    )
    assert (sighting.latitude, sighting.longitude) == (52.5, 13.4)
    assert browser.find_element(By.NAME, "location_name").get_attribute("value") == "Back garden"
    screenshot(browser, "sighting-saved")


def test_an_invalid_place_keeps_every_other_field_typed(browser, live_site, owner) -> None:
    sighting = Sighting.objects.get(job=job_with(owner, top_confidence=0.9))
    log_in(browser, live_site, owner.username)
    browser.get(f"{live_site}/sightings/{sighting.pk}/")
    type_into(browser, "notes", "not saved yet")
    type_into(browser, "latitude", "52.5")  # without a longitude: refused
    browser.find_element(By.CSS_SELECTOR, "[data-sighting-form] button[type=submit]").click()
    WebDriverWait(browser, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-form-error]")))
    assert browser.find_element(By.NAME, "notes").get_attribute("value") == "not saved yet"
    assert browser.find_element(By.NAME, "latitude").get_attribute("value") == "52.5"
    sighting.refresh_from_db()
    assert (sighting.notes, sighting.latitude) == ("", None)  # nothing half-saved


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_photo_without_gps_gets_its_place_from_a_town_picked_by_name(
    browser, live_site, owner, size
) -> None:
    from tests.browser.checks import SIZES

    browser.set_window_size(*SIZES[size])
    sighting = Sighting.objects.get(job=job_with(owner, top_confidence=0.9))
    log_in(browser, live_site, owner.username)
    browser.get(f"{live_site}/sightings/{sighting.pk}/")
    search = browser.find_element(By.CSS_SELECTOR, "[data-place-search]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", search)
    search.send_keys("Berl")
    first = WebDriverWait(browser, 10).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-place-results] li button"))
    )
    assert first.text == "Berlin, Germany"
    screenshot(browser, f"place-search-{size}")
    first.click()
    fields = [
        browser.find_element(By.NAME, n).get_attribute("value")
        for n in ("location_name", "latitude", "longitude")
    ]
    assert fields[0] == "Berlin, Germany" and fields[1].startswith("52.5") and fields[2].startswith("13.")
    browser.find_element(By.CSS_SELECTOR, "[data-sighting-form] button[type=submit]").click()
    WebDriverWait(browser, 30).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".messages"), "Saved")
    )
    sighting.refresh_from_db()
    assert sighting.location_name == "Berlin, Germany" and round(sighting.latitude) == 53
