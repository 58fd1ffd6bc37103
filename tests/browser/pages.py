"""Steps the browser tests share: log in, upload, wait for the result, save a screenshot."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD
from tests.live import ARTIFACTS


def log_in(driver, base_url: str, username: str) -> None:
    driver.get(f"{base_url}/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-uploader]")))


def mark_page(driver) -> None:
    """A flag on window survives only as long as the document: a reload would lose it."""
    driver.execute_script("window.__noReload = 'still here';")


def assert_not_reloaded(driver) -> None:
    assert driver.execute_script("return window.__noReload") == "still here"


def upload(driver, path: Path) -> None:
    driver.find_element(By.CSS_SELECTOR, "[data-file-input]").send_keys(str(path))


def wait_for_result(driver, timeout: float = 300):
    """The result element once its job has finished (status succeeded or failed)."""
    locator = (By.CSS_SELECTOR, "[data-result][data-status=succeeded], [data-result][data-status=failed]")
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(ec.presence_of_element_located(locator))


def screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def visit(driver, url: str, ready: str = "h1") -> None:
    """Open ``url`` and wait until an element matching ``ready`` is there."""
    driver.get(url)
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ready)))
