"""Chromium's fake camera plays a Y4M made here from a bird photo; the page snaps and uploads it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import make_driver
from tests.browser.pages import assert_not_reloaded, log_in, mark_page, screenshot, wait_for_result
from tests.live import shared_photo

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def write_y4m(photo: Path, out: Path, size: tuple[int, int] = (640, 480), frames: int = 3) -> Path:
    """YUV4MPEG2, 4:2:0 (JPEG full-range BT.601), the photo letterboxed onto ``size``."""
    width, height = size
    canvas = Image.new("RGB", size, (0, 0, 0))
    image = ImageOps.contain(Image.open(photo).convert("RGB"), size)  # scaled up or down to fit
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    rgb = np.asarray(canvas, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
    v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128

    def plane(x: np.ndarray) -> bytes:
        return np.clip(np.rint(x), 0, 255).astype(np.uint8).tobytes()

    def half(x: np.ndarray) -> np.ndarray:
        return x.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    frame = b"FRAME\n" + plane(y) + plane(half(u)) + plane(half(v))
    out.write_bytes(f"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n".encode() + frame * frames)
    return out


def test_the_y4m_writer_produces_a_valid_header_and_frame_sizes(tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    Image.new("RGB", (100, 50), (255, 0, 0)).save(photo)
    data = write_y4m(photo, tmp_path / "v.y4m", size=(64, 48), frames=2).read_bytes()
    header, _, rest = data.partition(b"\n")
    assert header == b"YUV4MPEG2 W64 H48 F15:1 Ip A1:1 C420jpeg"
    assert len(rest) == 2 * (len(b"FRAME\n") + 64 * 48 * 3 // 2)


@pytest.mark.model
@pytest.mark.shared
def test_the_camera_takes_a_picture_in_the_browser_and_gets_a_result(
    live_site, real_worker, owner, tmp_path
) -> None:
    video = write_y4m(shared_photo("Blue_Jay", 1), tmp_path / "bird.y4m")
    driver = make_driver(
        [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
    )
    try:
        log_in(driver, live_site, owner.username)
        mark_page(driver)
        driver.find_element(By.CSS_SELECTOR, "[data-camera-open]").click()
        camera = driver.find_element(By.CSS_SELECTOR, "[data-camera]")
        WebDriverWait(driver, 30).until(lambda d: camera.get_attribute("data-ready") == "true")
        screenshot(driver, "camera-live")
        driver.find_element(By.CSS_SELECTOR, "[data-camera-shoot]").click()
        result = wait_for_result(driver)
        assert_not_reloaded(driver)
        assert result.get_attribute("data-status") == "succeeded"
        names = [e.text for e in result.find_elements(By.CSS_SELECTOR, "[data-top5] .name a")]
        verdict = result.get_attribute("data-verdict")
        screenshot(driver, "result-camera")
        assert verdict in {"sure", "unsure"}, verdict
        assert "Blue Jay" in names
    finally:
        driver.quit()
