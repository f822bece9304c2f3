"""Headless Chromium for the browser tests: Debian's /usr/bin/chromium, never a download.

Playwright's sync API runs an event loop in the test thread, so Django's
async-safety guard would refuse the fixtures' database queries; the tests are
synchronous code, so that guard is switched off for this folder only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import skip_or_fail

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def browser(transactional_db) -> Iterator[object]:
    # Started per test, after the database fixtures: while Playwright's loop runs,
    # Django's connections live in a different context, which would not see the
    # serialized copy of the database that `serialized_rollback` restores from.
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a broken environment
        skip_or_fail("playwright is not installed in this environment")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Connections the test opened while Playwright's loop ran belong to this
        # context; closed here, or the test database cannot be dropped at the end.
        connections.close_all()


@pytest.fixture
def new_page(browser):
    """Open pages at a given viewport; every context is closed after the test."""
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP):
        context = browser.new_context(viewport=viewport, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
