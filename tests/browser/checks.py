"""What every page must pass in the real browser: it fits the window, has one h1, axe-core finds no serious
or critical violation, and every control shows where the keyboard focus is."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.browser.pages import screenshot
from tests.live import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = (390, 844)
DESKTOP = (1280, 900)
SIZES = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING = ("serious", "critical")


@cache
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip(f"axe-core is not installed ({AXE} missing): run `make install-dev` (npm ci)")
    return AXE.read_text()


def overflow(driver) -> tuple[int, int]:
    """(scrollWidth, innerWidth): the page scrolls sideways when the first is larger."""
    return tuple(driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]"))


def h1_count(driver) -> int:
    return driver.execute_script("return document.querySelectorAll('h1').length")


def axe_violations(driver) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now, one line each."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(axe_source())
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))), e => done([{id: 'axe-error',
            impact: 'critical', help: String(e), nodes: []}]));
        """
    )
    blocking = [v for v in result if v["impact"] in BLOCKING]
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in blocking]


FOCUS_RING = """
const el = document.activeElement;
if (!el || el === document.body) return null;
function ring(node) {
  const s = getComputedStyle(node);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
}
// A control hidden for looks (a file input in its drop zone or button label) shows focus on its label.
const holder = el.closest('label, .dropzone');
const shown = ring(el) || (holder && ring(holder));
const r = el.getBoundingClientRect();
return {shown: !!shown, what: el.tagName.toLowerCase() + (el.name ? '[name=' + el.name + ']' : '') +
        (el.textContent ? ' "' + el.textContent.trim().slice(0, 30) + '"' : ''), top: r.top};
"""


def focus_problems(driver, tabs: int = 30) -> list[str]:
    """Tab through the page: every control the keyboard reaches must show a focus ring."""
    driver.execute_script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur();")
    missing, seen = [], 0
    for _ in range(tabs):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUS_RING)
        if focused is None:
            continue
        seen += 1
        if not focused["shown"]:
            missing.append(focused["what"])
    assert seen, "the keyboard reached no control"
    return missing


def check_page(driver, name: str, size: str, *, axe: bool = True, one_h1: bool = True) -> list[str]:
    """Every problem of the page as it is now (empty when it passes); saves its screenshot."""
    problems = []
    width, inner = overflow(driver)
    if width > inner:
        problems.append(f"{name} at {size}: scrolls sideways ({width} px > {inner} px)")
    if one_h1 and h1_count(driver) != 1:
        problems.append(f"{name} at {size}: {h1_count(driver)} h1 elements")
    if axe:
        problems += [f"{name} at {size}: {v}" for v in axe_violations(driver)]
    full_page_screenshot(driver, f"page-{name}-{size}")
    return problems


def full_page_screenshot(driver, name: str) -> Path:
    """The whole page, not only the window: the window grows to the page's height for the shot."""
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    total = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, total + 140), 4000))
    try:
        return screenshot(driver, name)
    finally:
        driver.set_window_size(width, height)
