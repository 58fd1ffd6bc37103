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
    # Pushed over the socket; its last state may come from the fetch the page makes when its files are
    # all sent (a race with the socket's own message), never from polling.
    assert root.get_attribute("data-channel") == "socket" and root.get_attribute("data-via") in (
        "socket",
        "fetch",
    )
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


def test_a_finished_batch_lists_every_refusal_plainly_and_refreshes_the_batch_list(
    browser, live_site, fake_worker, owner, tmp_path
) -> None:
    from tests.batches.helpers import truncated_jpeg

    paths = []
    for n in range(3):
        paths.append(tmp_path / f"bird-{n}.jpg")
        paths[-1].write_bytes(photo(20 + n, (160, 120)))
    paths.append(tmp_path / "copy.jpg")
    paths[-1].write_bytes(photo(20, (160, 120)))  # the same photo twice: a duplicate, not identified again
    (tmp_path / "notes.jpg").write_text("my field notes, not a photo")
    (tmp_path / "half.jpg").write_bytes(truncated_jpeg())
    paths += [tmp_path / "notes.jpg", tmp_path / "half.jpg"]
    log_in(browser, live_site, owner.username)
    browser.get(f"{live_site}/batches/")
    assert "None yet" in browser.find_element(By.CSS_SELECTOR, "[data-batch-list]").text
    mark_page(browser)
    browser.find_element(By.CSS_SELECTOR, "[data-batch-files]").send_keys("\n".join(str(p) for p in paths))
    finished = (By.CSS_SELECTOR, "[data-batch][data-status=finished][data-items-loaded=true]")
    root = WebDriverWait(browser, 90, poll_frequency=0.1).until(ec.presence_of_element_located(finished))
    status = browser.find_element(By.CSS_SELECTOR, "[data-upload-status]").text
    assert status.startswith("6 files sent") and "refused" in status and "All 6" not in status
    summary = root.find_element(By.CSS_SELECTOR, "[data-batch-summary]").text
    assert summary.startswith("6 files: ") and "1 already seen" in summary and "done" not in summary
    # Every file counted once: the parts add up to the files, with no second line that overlaps.
    assert sum(int(part.split()[0]) for part in summary.split(": ", 1)[1].split(" · ")) == 6, summary
    refusals = [li.text for li in root.find_elements(By.CSS_SELECTOR, "[data-refusal-list] li")]
    assert len(refusals) == 2, refusals
    assert sorted(r.split(": ")[0] for r in refusals) == ["half.jpg", "notes.jpg"]
    library_words = ("data stream", "truncated", "cannot identify", "PIL", "Errno")
    assert not [r for r in refusals if any(w.lower() in r.lower() for w in library_words)], refusals
    # The list beside it now shows this batch as finished, without a reload.
    listed = WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-batch-list][data-refreshed=true]")
    )
    assert "None yet" not in listed.text and "Finished" in listed.text
    assert_not_reloaded(browser)
    screenshot(browser, "batch-summary")
    broken = browser.execute_script(BROKEN_WORDS)
    assert broken == [], f"words broken across lines at 1280 px: {broken}"


# Cells of the file and outcome columns whose text takes more lines than it has words: a word was broken
# in two ("succeede d", "copy.j pg").
BROKEN_WORDS = r"""
const broken = [];
const cells = '[data-batch-items] td[data-label=File], [data-batch-items] td[data-label=Outcome]';
for (const td of document.querySelectorAll(cells)) {
  const range = document.createRange();
  range.selectNodeContents(td);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  if (lines > td.textContent.trim().split(/\s+/).length) broken.push(td.textContent.trim());
}
return broken;
"""
