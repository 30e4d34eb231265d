"""The console in a real browser: Chromium, driven by Playwright, against a real server.

The server is uvicorn on 127.0.0.1 in a thread, owning its database connection as
`optledger serve` does, on a SQLite file of the test module's own (a module that
drains every due webhook delivery sees only its own registrations). Chromium is
Debian's (`chromium` from apt; `OPTLEDGER_CHROMIUM` names another binary). Without
one the tests skip, unless `OPTLEDGER_REQUIRE_BROWSER=1` (the test script sets it),
when they fail.

With `OPTLEDGER_CONSOLE_SCREENSHOTS=DIR` the tests also save screenshots of the
pages into DIR (`scripts/console-screenshots` writes the README's, in docs/console/).

The fixtures are exposed to the console's tests by `tests/console/conftest.py`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from optledger.app import create_app
from optledger.settings import Settings
from optledger.storage.database import Database
from optledger.storage.migrate import upgrade_database
from tests.conftest import TEST_SECRET, Tenant, make_tenant
from tests.support.operator_helpers import PASSWORD, make_operator_without_token
from tests.support.sink import ServerThread

CHROMIUM = os.environ.get("OPTLEDGER_CHROMIUM") or shutil.which("chromium")
SCREENSHOTS = os.environ.get("OPTLEDGER_CONSOLE_SCREENSHOTS")
# How long Playwright waits for a condition: generous, for a loaded 2-core machine.
WAITING_MS = 15_000
expect.set_options(timeout=WAITING_MS)


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Browser]:
    """One browser for the whole test module."""
    if CHROMIUM is None:
        if os.environ.get("OPTLEDGER_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required: apt-get install chromium")
        pytest.skip("no Chromium here (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
async def browser_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Database]:
    """A migrated SQLite database of the test module's own, the server's."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('browser') / 'optledger.db'}"
    await upgrade_database(url)
    database = Database(url)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
def server_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The server's settings: the test runs the worker's steps itself, when it means to."""
    return Settings(
        secret_key=TEST_SECRET,
        run_worker_in_process=False,
        import_dir=tmp_path_factory.mktemp("imports"),
        # The tests' webhook receiver listens on plain HTTP on loopback.
        allow_http_webhooks=True,
    )


@pytest.fixture(scope="module")
def server(browser_database: Database, server_settings: Settings) -> Iterator[str]:
    """The app on a port of 127.0.0.1, with a database connection of its own."""
    settings = server_settings.model_copy(update={"database_url": browser_database.url})
    running = ServerThread(create_app(settings), lifespan="on").start()
    yield f"http://127.0.0.1:{running.port}"
    running.stop()


@pytest.fixture
async def page(chromium: Browser, server: str) -> AsyncIterator[Page]:
    """A tab in a fresh context (no cookies), the console's policy in force."""
    context = await chromium.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAITING_MS)
    yield await context.new_page()
    await context.close()


@pytest.fixture
async def brand(browser_database: Database) -> Tenant:
    """A company of the test's own on the server's database."""
    return await make_tenant(browser_database, name="Browser Brand")


async def screenshot(page: Page, name: str) -> None:
    """Save the whole page as DIR/name.png when screenshots are asked for."""
    if SCREENSHOTS:
        # Playwright makes the folder if it is missing.
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


async def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    """Fill in and send the sign-in form the page shows."""
    await page.get_by_label("Username").fill(name)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def sign_in_to(page: Page, tenant: Tenant, path: str = "/console") -> str:
    """Sign a new operator of `tenant`'s company in on the way to `path`; their name."""
    name = await make_operator_without_token(tenant.database, [tenant.key])
    await page.goto(path)
    await sign_in(page, name)
    await page.wait_for_url(f"**{path}")
    return name
