"""The shell in a real browser: every page of every role passes axe, keyboard-only login, MFA."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from vakwerk.accounts.services import oidc_login_save, totp_enrol
from vakwerk.audit.services import Actor
from vakwerk.conftest import TOTP_SECRET
from vakwerk.organisations.models import Role
from vakwerk.people.demo import OPERATOR_EMAIL, SHARED_EMAIL, seed_demo
from vakwerk.tests.browser import (
    LOGIN_PATH,
    MFA_PATH,
    axe_violations,
    is_logged_in,
    login,
    on_path,
    set_language,
    submit_password,
    submit_totp,
)
from vakwerk.tests.factories import MembershipFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV_LINKS = "nav.vakwerk-nav a"
LANGUAGES = ("nl", "en")


@dataclass(frozen=True)
class DemoLogin:
    email: str
    totp: bool = False
    first_language: str = "nl"


# The first language alternates, so the MFA code page is checked in Dutch and in English.
DEMO_LOGINS = [
    DemoLogin("hr@voorbeeld.demo", totp=True, first_language="nl"),
    DemoLogin("manager@voorbeeld.demo", first_language="en"),
    DemoLogin("medewerker@voorbeeld.demo", first_language="nl"),
    DemoLogin("hr@anders.demo", totp=True, first_language="en"),
    DemoLogin("manager@anders.demo", first_language="nl"),
    DemoLogin("medewerker@anders.demo", first_language="en"),
    DemoLogin(OPERATOR_EMAIL, totp=True, first_language="nl"),
    DemoLogin(SHARED_EMAIL, first_language="en"),
]


def other_language(language: str) -> str:
    return "en" if language == "nl" else "nl"


def page_language(page: Page) -> str:
    return str(page.locator("html").get_attribute("lang"))


def switch_language(page: Page, language: str) -> None:
    """Use the header's language button, as a person would."""
    button = page.locator(f"form.vakwerk-language-switch button[value='{language}']")
    with page.expect_navigation():
        button.click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


@pytest.mark.skipif(
    "postgresql" in settings.DATABASES["default"]["ENGINE"],
    reason=(
        "the accessibility sweep checks the HTML of every page, which does not depend on the "
        "database engine; it runs with SQLite (make test's default, and CI's SQLite run) and "
        "takes five minutes a run on two cores, so it runs once per CI run, not twice"
    ),
)
def test_every_navigation_page_passes_axe_for_every_role_in_nl_and_en(
    new_page: Callable[..., Page], live_url: str
) -> None:
    reports, _logins = seed_demo()
    # With an SSO login configured, the login page also shows the organisation's SSO button.
    oidc_login_save(
        organisation=reports[0].organisation,
        actor=Actor(user=None),
        button_label="Inloggen met het gemeenteaccount",
        issuer="https://login.voorbeeld.example",
        client_id="vakwerk",
        client_secret="not-used",
        uid_claim="sub",
        is_enabled=True,
    )
    violations: list[str] = []
    problems: list[str] = []
    checked: list[str] = []

    def check(page: Page, what: str) -> None:
        label = f"{what} [{page_language(page)}] {path_of(page)}"
        checked.append(label)
        violations.extend(axe_violations(page, label))

    # Pages anyone can open: the login page, the accessibility statement and privacy notice.
    page = new_page(locale="nl")
    set_language(page, live_url, "nl")
    for language in LANGUAGES:
        page.goto(f"{live_url}{LOGIN_PATH}")
        if page_language(page) != language:
            switch_language(page, language)
        expect(page.locator(".vakwerk-sso-list button")).to_have_count(1)
        check(page, "login page")
        for path in ("/toegankelijkheid", "/privacy"):
            response = page.goto(f"{live_url}{path}")
            assert response is not None
            if response.status != 200:
                problems.append(f"{path} [{language}] answered {response.status}")
            check(page, "anonymous")

    for demo in DEMO_LOGINS:
        page = new_page(locale=demo.first_language)
        set_language(page, live_url, demo.first_language)
        submit_password(page, live_url, demo.email, settings.DEMO_PASSWORD)
        if demo.totp:
            if not on_path(page, MFA_PATH):
                problems.append(f"{demo.email} was not asked for a code but went to {page.url}")
                continue
            check(page, f"MFA code page ({demo.email})")
            submit_totp(page, settings.DEMO_TOTP_SECRET)
        if not is_logged_in(page):
            problems.append(f"{demo.email} could not log in; ended on {page.url}")
            continue

        for language in (demo.first_language, other_language(demo.first_language)):
            page.goto(f"{live_url}/")
            if page_language(page) != language:
                switch_language(page, language)
            hrefs = [
                str(href)
                for href in page.locator(NAV_LINKS).evaluate_all(
                    "links => links.map(link => link.getAttribute('href'))"
                )
            ]
            if "/" not in hrefs or len(hrefs) < 2:
                problems.append(f"{demo.email} [{language}] has a short navigation: {hrefs}")
            for href in hrefs:
                response = page.goto(f"{live_url}{href}")
                assert response is not None
                if response.status != 200 or path_of(page) != href:
                    problems.append(
                        f"{demo.email} [{language}] {href} answered {response.status} "
                        f"and ended on {path_of(page)}"
                    )
                if page_language(page) != language:
                    problems.append(f"{demo.email} {href} is in {page_language(page)}")
                current = page.locator(f"{NAV_LINKS}[aria-current='page']")
                if current.count() != 1 or current.get_attribute("href") != href:
                    problems.append(f"{demo.email} [{language}] {href}: no single aria-current")
                check(page, demo.email)

            if demo.email == "hr@voorbeeld.demo":
                # A form that failed validation: errors next to fields, tied with ARIA.
                page.goto(f"{live_url}/organisatie/instellingen/")
                page.locator("#id_anonymity_threshold").fill("1")
                with page.expect_navigation():
                    page.locator("main form.vakwerk-form button[type=submit]").click()
                field = page.locator("#id_anonymity_threshold")
                if field.get_attribute("aria-invalid") != "true":
                    problems.append(f"the settings form [{language}] did not reject threshold 1")
                expect(page.locator("#id_anonymity_threshold_error")).to_be_visible()
                check(page, "settings form with errors")

        if demo.email == SHARED_EMAIL:
            # Someone in two organisations can switch between them.
            switcher = page.locator("#switch-organisation")
            before = switcher.locator("option[selected]").inner_text()
            switcher.select_option(index=1)
            with page.expect_navigation():
                page.locator("form.vakwerk-switcher button[type=submit]").click()
            after = page.locator("#switch-organisation option[selected]").inner_text()
            if after == before:
                problems.append(f"{SHARED_EMAIL} could not switch away from {before}")
            check(page, f"{SHARED_EMAIL} after switching organisation")

    # Six anonymous pages, three MFA pages, at least three pages per login and language.
    assert len(checked) >= 6 + 3 + 2 * 3 * len(DEMO_LOGINS), checked
    assert not [*problems, *violations], (
        f"{len(problems)} problems and {len(violations)} axe violations on {len(checked)} pages:\n"
        + "\n".join([*problems, *violations])
    )


PASSWORD = "correct-horse-battery"


def login_user(email: str, *roles: Role) -> None:
    """One member with a password (and TOTP when the roles need MFA): what a login test needs,
    without the cost of the whole demo."""
    membership = MembershipFactory(
        user__email=email, user__password=PASSWORD, roles=roles or [Role.EMPLOYEE]
    )
    if membership.needs_mfa:
        totp_enrol(user=membership.user, secret=TOTP_SECRET)


def test_login_with_the_keyboard_only(page: Page, live_url: str) -> None:
    login_user("medewerker@example.nl")
    page.goto(f"{live_url}{LOGIN_PATH}")
    skip_link = page.locator("a.vakwerk-skip-link")
    with translation.override(page_language(page)):
        skip_text = translation.gettext("Skip to main content")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert page.evaluate("document.activeElement.textContent.trim()") == skip_text, focused
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main", focused
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()

    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "id_login":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#id_login")).to_be_focused()
    page.keyboard.type("medewerker@example.nl")
    # The password's help text holds the "forgot password" link, which comes first in tab order.
    stops = []
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_password":
            break
        stops.append(page.evaluate("document.activeElement.outerHTML"))
    expect(page.locator("#id_password")).to_be_focused()
    assert all("/account/password/reset/" in stop for stop in stops), stops
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert path_of(page) == "/"
    assert is_logged_in(page)
    with translation.override(page_language(page)):
        nav_label = translation.gettext("Main navigation")
    expect(page.get_by_role("navigation", name=nav_label)).to_be_visible()


def test_hr_login_with_totp_in_the_browser(page: Page, live_url: str) -> None:
    login_user("hr@example.nl", Role.HR)
    submit_password(page, live_url, "hr@example.nl", PASSWORD)
    assert on_path(page, MFA_PATH)
    assert not is_logged_in(page)

    submit_totp(page, TOTP_SECRET)

    assert path_of(page) == "/"
    assert is_logged_in(page)
    expect(page.locator(f"{NAV_LINKS}[href='/audit/']")).to_have_count(1)


def test_login_helper_logs_in(page: Page, live_url: str) -> None:
    login_user("hr@example.nl", Role.HR)
    login(page, live_url, "hr@example.nl", PASSWORD, TOTP_SECRET)
    assert path_of(page) == "/"
    assert is_logged_in(page)
