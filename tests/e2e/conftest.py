"""Browser fixtures: headless Debian Chromium through Playwright, axe-core on every page.

axe is injected as an init script, which the browser runs outside the page's CSP, so the
policy under test stays exactly as served. Any CSP violation the browser reports fails the test.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are ordinary synchronous calls, so Django's async guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class CheckedPage:
    """A page that checks accessibility and CSP each time the test asks it to."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.csp_violations: list[str] = []
        self.checked: list[str] = []
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def check(self) -> None:
        """Fail on serious or critical accessibility problems, or any CSP violation, here."""
        self.page.wait_for_load_state("load")
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert serious == [], f"{self.page.url}: {serious}"
        assert self.csp_violations == [], self.csp_violations
        self.checked.append(self.page.url)


@pytest.fixture
def checked_page(browser: Browser, live_server: Any) -> Iterator[CheckedPage]:
    context = browser.new_context()
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    yield CheckedPage(page, live_server.url)
    context.close()


@pytest.fixture(autouse=True)
def chain_at_once(settings: Any) -> None:
    """A browser journey reads the trail through the pages, as an auditor would: chain after every commit."""
    settings.AUDIT_CHAIN_INTERVAL_SECONDS = 0
