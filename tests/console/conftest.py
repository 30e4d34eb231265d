"""The browser fixtures (tests/support/browser.py), for the console's browser tests."""

from tests.support.browser import (  # noqa: F401
    brand,
    browser_database,
    chromium,
    page,
    server,
    server_settings,
)
