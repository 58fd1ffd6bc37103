"""The job page draws the boxes of the birds found and lets the user drag a box of their own and
"Identify this part": a new job on the same photo, whose page shows its answer (real worker, daphne)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions import interaction
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.actions.pointer_input import PointerInput
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.pages import log_in, screenshot, upload, wait_for_result
from tests.fakes import jpeg_bytes
from tests.live import shared_photo

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = (390, 844), (1280, 900)


def signed_in_with_a_photo(browser, live_site, owner, photo, size: tuple[int, int]):
    """A 1200×800 photo written to ``photo``, the window at ``size``, the owner logged in."""
    photo.write_bytes(jpeg_bytes((1200, 800)))
    browser.set_window_size(*size)
    log_in(browser, live_site, owner.username)
    return photo


def open_job_page(browser, live_site, photo) -> str:
    upload(browser, photo)
    job_id = wait_for_result(browser, timeout=300).get_attribute("data-job-id")
    browser.get(f"{live_site}/jobs/{job_id}/")
    wait_for_result(browser, timeout=60)
    return job_id


def drag_with_mouse(browser, img, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A real press, move and release of the mouse; points are fractions of the photo as shown."""
    w, h = img.size["width"], img.size["height"]
    to = [
        (round((fx - 0.5) * w), round((fy - 0.5) * h)) for fx, fy in (start, end)
    ]  # offsets from its centre
    ActionChains(browser).move_to_element_with_offset(img, *to[0]).click_and_hold().move_by_offset(
        (to[1][0] - to[0][0]) // 2, (to[1][1] - to[0][1]) // 2
    ).move_to_element_with_offset(img, *to[1]).release().perform()


def drag_with_finger(browser, img, start: tuple[float, float], end: tuple[float, float]) -> None:
    rect = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", img)
    points = [
        (round(rect["x"] + fx * rect["width"]), round(rect["y"] + fy * rect["height"]))
        for fx, fy in (start, end)
    ]
    finger = PointerInput(interaction.POINTER_TOUCH, "finger")
    actions = ActionBuilder(browser, mouse=finger)
    actions.pointer_action.move_to_location(*points[0]).pointer_down()
    actions.pointer_action.move_to_location(
        (points[0][0] + points[1][0]) // 2, (points[0][1] + points[1][1]) // 2
    )
    actions.pointer_action.move_to_location(*points[1]).pointer_up()
    actions.perform()


FETCH_JOB = """
const done = arguments[arguments.length - 1];
fetch(document.querySelector('[data-result]').dataset.statusUrl, {headers: {Accept: 'application/json'}})
  .then(r => r.json()).then(done);
"""


SHOW_PHOTO = "document.querySelector('[data-region-stage]').scrollIntoView({block: 'center'})"


def payload(browser) -> dict:
    """The job as the server has it now (the page's embedded JSON is from before the worker finished)."""
    return browser.execute_async_script(FETCH_JOB)


def identify_the_part(browser, old_job_id: str) -> dict:
    """Presses the button (by keyboard focus and Enter, as the page focuses it) and waits for the new job."""
    button = browser.find_element(By.CSS_SELECTOR, "[data-identify-region]")
    assert browser.switch_to.active_element == button  # the drag hands the focus to the button
    button.click()
    WebDriverWait(browser, 30).until(lambda d: f"/jobs/{old_job_id}/" not in d.current_url)
    result = wait_for_result(browser, timeout=300)
    assert result.get_attribute("data-status") == "succeeded"
    return payload(browser)


def assert_box_drawn_at(
    browser, box: list[float], selector: str = "[data-bird-box]", photo: str = "[data-region-stage] img"
) -> None:
    """The drawn box sits on the photo where the job's box says (within 2 % of the photo)."""
    img = browser.find_element(By.CSS_SELECTOR, photo)
    drawn = browser.find_element(By.CSS_SELECTOR, selector)
    i, d = img.rect, drawn.rect
    seen = [
        (d["x"] - i["x"]) / i["width"],
        (d["y"] - i["y"]) / i["height"],
        d["width"] / i["width"],
        d["height"] / i["height"],
    ]
    assert all(abs(a - b) < 0.02 for a, b in zip(seen, box, strict=True)), (seen, box)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_user_drags_a_box_and_sees_the_answer_for_that_part(
    browser, live_site, fake_worker, owner, tmp_path, size
) -> None:
    photo = signed_in_with_a_photo(browser, live_site, owner, tmp_path / "wide.jpg", size)
    old = open_job_page(browser, live_site, photo)
    stage = browser.find_element(By.CSS_SELECTOR, "[data-region-stage]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", stage)
    img = stage.find_element(By.TAG_NAME, "img")
    name = "desktop" if size == DESKTOP else "phone"
    if size == DESKTOP:
        drag_with_mouse(browser, img, (0.2, 0.25), (0.6, 0.75))
    else:
        drag_with_finger(browser, img, (0.2, 0.25), (0.6, 0.75))
    drawn = [float(v) for v in stage.get_attribute("data-region").split(",")]
    assert all(abs(a - b) < 0.03 for a, b in zip(drawn, [0.2, 0.25, 0.4, 0.5], strict=True)), drawn
    assert browser.find_element(By.CSS_SELECTOR, "[data-user-box]").is_displayed()
    screenshot(browser, f"region-drawn-{name}")
    job = identify_the_part(browser, old)
    assert job["region"] == pytest.approx(drawn, abs=1e-3)
    assert browser.find_element(By.CSS_SELECTOR, "[data-species]").text == "American Goldfinch"
    assert_box_drawn_at(browser, job["region"], "[data-chosen-box]")
    assert "part you chose" in browser.find_element(By.CSS_SELECTOR, "[data-region-form]").text
    browser.execute_script(SHOW_PHOTO)
    screenshot(browser, f"region-new-answer-{name}")


def test_a_refused_region_says_why_on_the_page(browser, live_site, fake_worker, owner, tmp_path) -> None:
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(jpeg_bytes((1200, 800)))
    log_in(browser, live_site, owner.username)
    open_job_page(browser, live_site, photo)
    button = browser.find_element(By.CSS_SELECTOR, "[data-identify-region]")
    button.click()  # no box yet
    error = browser.find_element(By.CSS_SELECTOR, "[data-region-error]")
    assert "Drag a box" in error.text
    img = browser.find_element(By.CSS_SELECTOR, "[data-region-stage] img")
    drag_with_mouse(browser, img, (0.5, 0.5), (0.507, 0.507))  # under the server's 1 % of a side
    button.click()
    WebDriverWait(browser, 30).until(lambda d: "Drag a box" not in error.text and error.text)
    assert "/jobs/" in browser.current_url and error.is_displayed()
    screenshot(browser, "region-refused")


@pytest.mark.model
@pytest.mark.shared
def test_the_real_model_names_the_part_the_user_drew(browser, live_site, real_worker, owner) -> None:
    log_in(browser, live_site, owner.username)
    old = open_job_page(browser, live_site, shared_photo("American_Goldfinch", 3))
    first = payload(browser)
    framed = [b for b in first["birds"] if b["box"] and b["box"][2] * b["box"][3] < 0.95]
    # a bird filling the photo gets no frame round the whole picture
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-bird-box]")) == len(framed)
    screenshot(browser, "region-real-first")
    img = browser.find_element(By.CSS_SELECTOR, "[data-region-stage] img")
    drag_with_mouse(browser, img, (0.1, 0.1), (0.9, 0.9))
    job = identify_the_part(browser, old)
    assert job["id"] != int(old) and job["region"]
    assert browser.find_element(By.CSS_SELECTOR, "[data-species]").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-top5] li")) == 5 or job["verdict"] == "no_bird"
    assert_box_drawn_at(browser, job["birds"][0]["box"])
    screenshot(browser, "region-real-answer-desktop")
    browser.set_window_size(*PHONE)
    browser.execute_script(SHOW_PHOTO)
    screenshot(browser, "region-real-answer-phone")


TWO_BIRDS = """
const done = arguments[arguments.length - 1];
const root = document.querySelector('[data-result]');
// the upload page's result card knows only its job's id
const url = root.dataset.statusUrl || `/jobs/${root.dataset.jobId}/status.json`;
fetch(url, {headers: {Accept: 'application/json'}}).then(r => r.json()).then(job => {
  const bird = (n, box) => Object.assign(JSON.parse(JSON.stringify(job.birds[0])), {bird: n, box: box});
  job.birds = [bird(0, [0.05, 0.1, 0.3, 0.4]), bird(1, [0.55, 0.45, 0.35, 0.45])];
  job.birds[1].predictions[0].common_name = 'House Finch';
  job.sighting_urls = {'0': '/sightings/101/', '1': '/sightings/102/'};  // each bird's own sighting
  root.dispatchEvent(new CustomEvent('job:finished', {detail: job, bubbles: true}));
  done();
});
"""


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_two_birds_get_numbered_boxes_and_an_answer_each(
    browser, live_site, fake_worker, owner, tmp_path, size
):
    photo = signed_in_with_a_photo(browser, live_site, owner, tmp_path / "two.jpg", size)
    open_job_page(browser, live_site, photo)
    browser.execute_async_script(TWO_BIRDS)  # the worker's fake model finds one bird; the page is given two
    boxes = browser.find_elements(By.CSS_SELECTOR, "[data-bird-box]")
    assert [b.text for b in boxes] == ["1", "2"]
    assert_box_drawn_at(browser, [0.05, 0.1, 0.3, 0.4])
    items = browser.find_elements(By.CSS_SELECTOR, "[data-birds] li")
    names = [i.find_element(By.CSS_SELECTOR, "[data-bird-name]").text for i in items]
    assert names == ["American Goldfinch", "House Finch"]
    assert items[0].find_element(By.CSS_SELECTOR, "[data-bird-confidence]").text == "91 %, very likely"
    links = [i.find_element(By.CSS_SELECTOR, "[data-bird-sighting]") for i in items]  # not only bird 1
    assert [link.get_attribute("href").split(live_site)[1] for link in links] == [
        "/sightings/101/",
        "/sightings/102/",
    ]
    assert all(link.text.startswith("Confirm or rename") for link in links)
    name = "desktop" if size == DESKTOP else "phone"
    screenshot(browser, f"region-two-birds-{name}")
    browser.execute_script(SHOW_PHOTO)
    screenshot(browser, f"region-two-birds-photo-{name}")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_keyboard_user_draws_a_box_with_the_arrow_keys_and_sends_it_with_enter(
    browser, live_site, fake_worker, owner, tmp_path, size
) -> None:
    photo = signed_in_with_a_photo(browser, live_site, owner, tmp_path / "wide.jpg", size)
    old = open_job_page(browser, live_site, photo)
    stage = browser.find_element(By.CSS_SELECTOR, "[data-region-stage]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", stage)
    assert browser.switch_to.active_element == stage
    keys = ActionChains(browser)
    keys.send_keys(Keys.ARROW_RIGHT)  # the first press puts a box in the middle
    keys.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)  # two steps right
    for _ in range(5):  # five steps taller
        keys.key_down(Keys.SHIFT).send_keys(Keys.ARROW_DOWN).key_up(Keys.SHIFT)
    keys.perform()
    drawn = [float(v) for v in stage.get_attribute("data-region").split(",")]
    assert drawn == pytest.approx([0.34, 0.3, 0.4, 0.5], abs=1e-3)
    assert browser.find_element(By.CSS_SELECTOR, "[data-user-box]").is_displayed()
    name = "desktop" if size == DESKTOP else "phone"
    screenshot(browser, f"region-keyboard-{name}")
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    WebDriverWait(browser, 30).until(lambda d: f"/jobs/{old}/" not in d.current_url)
    assert wait_for_result(browser, timeout=300).get_attribute("data-status") == "succeeded"
    assert payload(browser)["region"] == pytest.approx(drawn, abs=1e-3)


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_upload_page_draws_the_birds_found_on_the_photo_just_sent(
    browser, live_site, fake_worker, owner, tmp_path, size
) -> None:
    photo = signed_in_with_a_photo(browser, live_site, owner, tmp_path / "two.jpg", size)
    upload(browser, photo)
    wait_for_result(browser, timeout=300)
    browser.execute_async_script(TWO_BIRDS)
    boxes = browser.find_elements(By.CSS_SELECTOR, "[data-preview-layer] [data-bird-box]")
    assert [b.text for b in boxes] == ["1", "2"]
    assert_box_drawn_at(browser, [0.55, 0.45, 0.35, 0.45], "[data-bird-box='1']", "[data-preview-img]")
    items = browser.find_elements(By.CSS_SELECTOR, "[data-preview-birds] [data-birds] li")
    assert [i.find_element(By.CSS_SELECTOR, "[data-bird-name]").text for i in items] == [
        "American Goldfinch",
        "House Finch",
    ]
    browser.execute_script("document.querySelector('[data-preview]').scrollIntoView({block: 'center'})")
    screenshot(browser, f"upload-two-birds-{'desktop' if size == DESKTOP else 'phone'}")
