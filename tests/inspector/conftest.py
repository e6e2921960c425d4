"""The inspector page in headless Chromium (Debian's ``chromium``, driven by Python Playwright).

- ``chromium_path``: the browser; ``CHROMIUM_PATH`` or ``/usr/bin/chromium``. A missing one
  skips the browser tests outside CI and fails them under CI (``CI=true``), where
  ``.ci/run`` installs it.
- ``inspector_server``: a mockgpt server of this module's own, reset before each test.
- ``admin``: plain HTTP to it (the admin API); ``client``: the official client on it.
- ``page``: a fresh browser page; ``page_errors`` collects its console errors (Chromium logs
  each failed or non-2xx load there) and uncaught exceptions, and the page fails its test if
  any happened.
- ``shoot(page, name)``: with ``MOCKGPT_INSPECTOR_SCREENSHOTS=DIR`` set, saves
  ``DIR/<name>.png`` (``docs/inspector/`` holds the ones committed); otherwise does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openai
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from playwright.sync_api import expect as page_expect

from mockgpt import ServerConfig
from mockgpt.server import MockServer

page_expect.set_options(timeout=15_000)

CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
"""Chromium offline: no background lookups of Google's hosts (the machine's network is closed)."""


def missing_browser(reason: str) -> None:
    """Skip a browser test, except under CI (``CI=true``), where a missing browser fails it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; .ci/run installs it (apt-get install chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.access(path, os.X_OK):
        missing_browser(f"no Chromium at {path} (set CHROMIUM_PATH, or apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright's sync API, for one module's tests at a time.

    While it runs, its event loop is the thread's running loop, so it must not outlive the
    module: anyio's tests, run next by the same (xdist) worker, start loops of their own.
    """
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def inspector_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0)) as server:
        yield server


@pytest.fixture
def admin(inspector_server: MockServer) -> Iterator[httpx.Client]:
    """HTTP to the server's root; the server is reset first, and must record no bug."""
    with httpx.Client(base_url=inspector_server.url, timeout=30) as http:
        http.post("/_mockgpt/reset").raise_for_status()
        yield http
    errors = list(inspector_server.engine.errors)
    inspector_server.engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"


@pytest.fixture
def client(inspector_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=inspector_server.base_url, api_key="x", max_retries=0) as client:
        yield client


@pytest.fixture
def page_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, page_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 860})
    page = context.new_page()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_errors.append(f"console: {message.text} ({message.location})")

    page.on("console", console)
    page.on("pageerror", lambda error: page_errors.append(f"uncaught: {error}"))
    yield page
    context.close()
    assert not page_errors, "the inspector page reported errors:\n" + "\n".join(page_errors)


@pytest.fixture
def shoot() -> Callable[[Page, str], None]:
    folder = os.environ.get("MOCKGPT_INSPECTOR_SCREENSHOTS")

    def save(page: Page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"))

    return save
