"""Shared fixtures of the end-to-end tests: one headless Chromium per test module.

Needs ``/usr/bin/chromium``, ``chromedriver`` on PATH and the ``selenium`` package (a test
dependency); a test that asks for ``driver`` is skipped with the reason otherwise.
Selenium Manager never runs: the driver is given explicitly, so nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def chromium_missing() -> list[str]:
    """Why a real browser cannot run here (empty: it can)."""
    return [
        reason
        for reason, absent in (
            ("/usr/bin/chromium is not installed", not CHROMIUM.exists()),
            ("chromedriver is not on PATH", shutil.which("chromedriver") is None),
            ("selenium is not importable", importlib.util.find_spec("selenium") is None),
        )
        if absent
    ]


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """Headless Chromium with a fresh profile and the browser console log kept."""
    missing = chromium_missing()
    if missing:
        pytest.skip("; ".join(missing))
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="callflow-chromium-")
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(argument)
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
