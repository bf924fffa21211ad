"""The operator console in a real browser: Playwright (Python) driving Debian's Chromium at
/usr/bin/chromium (Playwright's own browser download cannot work here), against a real
`orderledger serve` with a store of its own, one server per test module.

Without /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) these tests are
skipped, saying so. Screenshots go to a temporary folder, or to the folder
ORDERLEDGER_CONSOLE_SCREENSHOTS names (the README's come from `docs/console`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from orderledger.bootstrap import Store
from orderledger.storage.credentials import Role
from orderledger.storage.settings import Settings
from tests.conftest import entry, open_account
from tests.integration.servers import running_server

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module", autouse=True)
def chromium_installed() -> None:
    """Skip, saying why, where the browser is missing (before any server starts)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"the console's browser tests need Debian's Chromium at {CHROMIUM} "
            "(apt-get install chromium)"
        )


@dataclass(frozen=True)
class Served:
    """A running server and the credentials the tests sign in and call it with."""

    base: str  # http://127.0.0.1:PORT
    store: Store
    key: str  # the account "network"'s API key
    operator: str  # alice's operator token
    auditor: str  # audrey's auditor token

    @property
    def api(self) -> str:
        return f"{self.base}/api/v2"

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = Settings(postgres=None, data_dir=tmp_path_factory.mktemp("console") / "var")
    store = Store.open(settings)
    try:
        store.ledger.sync_services([entry(1), entry(2, name="Likes")])
        _, key = open_account(store, deposit="100")
        operator = store.credentials.issue(Role.OPERATOR, "alice", "alice")
        auditor = store.credentials.issue(Role.AUDITOR, "audrey", "audrey")
        with running_server(settings, workers=2) as url:
            yield Served(url.removesuffix("/api/v2"), store, key, operator, auditor)
    finally:
        store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser of its own (no cookies), laptop-sized."""
    opened = browser.new_context(viewport={"width": 1200, "height": 820})
    try:
        yield opened
    finally:
        opened.close()


def sign_in(context: BrowserContext, served: Served, token: str) -> Page:
    page = context.new_page()
    page.goto(served.url("/console/sign-in"))
    page.fill("#token", token)
    page.click("button[type=submit]")
    return page


@pytest.fixture
def staff(context: BrowserContext, served: Served) -> Page:
    """A page signed in as the operator alice (staff)."""
    page = sign_in(context, served, served.operator)
    page.wait_for_url(served.url("/console/"))
    return page


@pytest.fixture
def auditor(context: BrowserContext, served: Served) -> Page:
    """A page signed in as the auditor audrey (read-only)."""
    page = sign_in(context, served, served.auditor)
    page.wait_for_url(served.url("/console/"))
    return page


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("ORDERLEDGER_CONSOLE_SCREENSHOTS")
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
