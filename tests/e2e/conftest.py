"""End-to-end tests: the real pages in headless Chromium (Debian's package, driven by the
playwright Python package through its executable path), against the app served as deployed
(gunicorn with ``deploy/gunicorn.conf.py`` on a loopback port), on the test database and
search backend.

Screenshots of every page visited are saved per viewport (phone 360 px, desktop) under
``build/e2e-screenshots/`` (``CREDIT_TEST_ARTIFACTS`` to change), for people to look at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CREDIT_TEST_ARTIFACTS", ROOT / "build" / "e2e-screenshots"))
VIEWPORTS = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 900}}
#: Flags Debian's Chromium needs here: no sandbox as root, and no background connections
#: (this machine's closed network refuses them, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CREDIT_TEST_CHROMIUM") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        unavailable(f"Chromium not found at {path} (`scripts/services.sh up` installs it)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(clean_app, gunicorn_server) -> str:
    """The app as deployed, for the browser: gunicorn with ``deploy/gunicorn.conf.py`` on a
    loopback port (its public URL is its own address), on this test's fresh tables."""
    return gunicorn_server.url


#: Tries at one full-page screenshot before the test fails (see ``Shots.take``).
_SCREENSHOT_ATTEMPTS = 3


class Shots:
    """Saves a screenshot of the current page for a journey, step by step."""

    def __init__(self, journey: str) -> None:
        self.dir = ARTIFACTS / journey
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def take(self, page, name: str, viewport: str) -> Path:
        from playwright.sync_api import Error as PlaywrightError

        self.n += 1
        slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
        path = self.dir / f"{self.n:02d}-{slug}-{viewport}.png"
        for attempt in range(_SCREENSHOT_ATTEMPTS):
            try:
                page.screenshot(path=str(path), full_page=True)
                return path
            except PlaywrightError as exc:
                # Headless Chromium now and then refuses a full-page capture while the
                # compositor is busy ("Unable to capture screenshot"); the page itself is
                # fine, and the next frame captures. Any other error, or a third refusal,
                # fails the test.
                if "Unable to capture screenshot" not in str(exc) or (
                    attempt == _SCREENSHOT_ATTEMPTS - 1
                ):
                    raise
                page.wait_for_timeout(250)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name.replace("[", "-").replace("]", ""))


def new_page(browser, viewport: str, base_url: str):
    context = browser.new_context(
        viewport=VIEWPORTS[viewport],
        base_url=base_url,
        locale="zh-CN",
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A page answered 400 (a form to correct) is expected; a stylesheet, script or image
    # that fails to load is not. Console errors include CSP violations.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.js_errors = errors  # type: ignore[attr-defined]
    return context, page
