"""Browser test support: Debian's Chromium through Playwright, logging in, axe checks.

Register the fixtures in a test module with ``pytest_plugins = ["vakwerk.tests.browser"]``.
No browser is ever downloaded: Playwright drives ``/usr/bin/chromium``.

Fixtures:

``browser``
    One headless Chromium for the whole session.
``new_page``
    Makes pages, each in its own browser context (cookies, storage): ``new_page(locale="en")``.
    The contexts are closed when the test ends.
``page``
    One such page; its locale is ``"nl"`` unless the test parametrizes ``page`` indirectly.
``live_url``
    ``live_server.url`` with Django's cache emptied first, so neither used TOTP codes nor login
    throttling leak from an earlier test (the database cache table is not flushed between
    tests, and SQLite hands out the same user ids again).

The helpers report with ``pytest.fail``, not ``assert``: test modules import this module before
pytest could register it for assertion rewriting. PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from vakwerk.accounts.totp import current_code

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from it (SynchronousOnlyOperation) although they are plain synchronous calls.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# Navigation and actions; assertions (``expect``) wait up to EXPECT_TIMEOUT_MS. Generous: on a slow
# shared two-core machine, with CI's SQLite and PostgreSQL suites side by side, a first page
# has taken more than 10 s (a hang still fails, only later).
DEFAULT_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 15_000
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOGIN_PATH = "/account/login/"
MFA_PATH = "/account/2fa/authenticate/"

_axe = Axe()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(locale: str = "nl", **context_options: Any) -> Page:
        context_options.setdefault("viewport", VIEWPORT)
        context = browser.new_context(locale=locale, **context_options)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page], request: pytest.FixtureRequest) -> Page:
    return new_page(locale=getattr(request, "param", "nl"))


@pytest.fixture
def live_url(live_server: Any) -> str:
    cache.clear()
    return str(live_server.url)


def set_language(page: Page, live_server_url: str, language: str) -> None:
    """Make Django answer in ``language`` from the next request on (its language cookie)."""
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server_url}]
    )


def submit_password(page: Page, live_server_url: str, email: str, password: str) -> None:
    """Open the login page and submit email and password; stays on whatever page follows."""
    page.goto(f"{live_server_url}{LOGIN_PATH}")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form").filter(has=page.locator("#id_login")).locator(
            "button[type=submit]"
        ).click()


def submit_totp(page: Page, secret: str) -> None:
    """On the MFA page, submit the current code for ``secret``."""
    from allauth.mfa import app_settings as mfa_settings

    # A code is only valid within its period: do not type one that is about to expire.
    period = mfa_settings.TOTP_PERIOD
    remaining = period - time.time() % period
    if remaining < 2:
        time.sleep(remaining + 0.2)
    page.locator("#id_code").fill(current_code(secret))
    with page.expect_navigation():
        page.locator("main form").filter(has=page.locator("#id_code")).locator(
            "button[type=submit]"
        ).first.click()


def on_path(page: Page, path: str) -> bool:
    return page.evaluate("location.pathname") == path


def is_logged_in(page: Page) -> bool:
    return page.locator("header form[action='/account/logout/']").count() > 0


def login(
    page: Page,
    live_server_url: str,
    email: str,
    password: str,
    totp_secret: str | None = None,
) -> None:
    """Log in through allauth's form, and through the MFA code page when it asks for a code."""
    submit_password(page, live_server_url, email, password)
    if on_path(page, MFA_PATH):
        if totp_secret is None:
            pytest.fail(f"{email} was asked for an MFA code, but the test gave no TOTP secret")
        submit_totp(page, totp_secret)
    if not is_logged_in(page):
        errors = page.locator(".utrecht-alert, .utrecht-form-field-error-message").all_inner_texts()
        pytest.fail(f"logging in as {email} failed on {page.url}: {errors}")


def axe_violations(page: Page, label: str = "") -> list[str]:
    """Run axe (WCAG 2.1 A and AA rules) on the page; one readable line per violation. A page
    still being replaced by the next (a click's navigation) is waited for and checked once
    more: axe cannot run in a document that is going away."""
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    page.wait_for_load_state("load")
    try:
        results = _axe.run(page, options=options)
    except PlaywrightError:
        page.wait_for_load_state("load")
        results = _axe.run(page, options=options)
    where = label or page.url
    lines = []
    for violation in results.response["violations"]:
        nodes = violation["nodes"]
        targets = ", ".join(" ".join(map(str, node["target"])) for node in nodes[:3])
        more = f" (+{len(nodes) - 3} more)" if len(nodes) > 3 else ""
        checks = [*nodes[0]["any"], *nodes[0]["all"], *nodes[0]["none"]] if nodes else []
        detail = f" ({checks[0]['message']})" if checks and checks[0].get("message") else ""
        lines.append(
            f"{where}: {violation['id']} [{violation['impact']}] {violation['help']}"
            f" -> {targets}{more}{detail}"
        )
    return lines


def check_axe(page: Page, label: str = "") -> None:
    """Fail the test, listing every violation, unless axe finds none on the page."""
    violations = axe_violations(page, label)
    if violations:
        pytest.fail("axe found accessibility violations:\n" + "\n".join(violations))
