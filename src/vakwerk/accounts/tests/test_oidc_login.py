"""Logging in with an organisation's own identity provider, end to end in a real browser.

Chromium opens Vakwerk's login page, clicks the organisation's SSO button, signs in at the
loopback OpenID Connect provider (a real ``oidc-provider`` process) and comes back logged in.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from vakwerk.accounts.models import User
from vakwerk.accounts.services import oidc_login_save
from vakwerk.accounts.tests.oidc_provider import (
    PASSWORD,
    OIDCProvider,
    default_claims,
    start_oidc_provider,
)
from vakwerk.audit.models import AuditEvent, Result
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee
from vakwerk.tests.browser import LOGIN_PATH, is_logged_in
from vakwerk.tests.factories import OrganisationFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLUG = "testgemeente"
CLIENT_ID = "vakwerk-testgemeente"
CLIENT_SECRET = "testgemeente-secret"
BUTTON_LABEL = "Inloggen met Testgemeente"
LOGIN = "jan.jansen@testgemeente.nl"


@pytest.fixture
def sso_organisation(db: None) -> Organisation:
    return OrganisationFactory(slug=SLUG, name="Gemeente Testgemeente")


@pytest.fixture
def provider(live_server: Any) -> Iterator[OIDCProvider]:
    callback = f"{live_server.url}/account/oidc/org-{SLUG}/login/callback/"
    with start_oidc_provider(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[callback]
    ) as running:
        yield running


def configure_sso(organisation: Organisation, provider: OIDCProvider, uid_claim: str) -> None:
    oidc_login_save(
        organisation=organisation,
        actor=Actor(user=None),
        button_label=BUTTON_LABEL,
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        uid_claim=uid_claim,
        is_enabled=True,
    )


def log_in_through_sso(page: Page, live_url: str, provider: OIDCProvider, login: str) -> None:
    page.goto(f"{live_url}{LOGIN_PATH}")
    page.get_by_role("button", name=re.compile(f"^{BUTTON_LABEL}")).click()
    page.wait_for_url(f"{provider.issuer}/**")
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Allow").click()
    try:
        page.wait_for_url(f"{live_url}/")
    except Exception as error:
        raise AssertionError(
            f"not back on Vakwerk's home page but on {page.url}:\n"
            f"{page.locator('body').inner_text()}\nprovider log:\n{provider.log()}"
        ) from error


def test_sso_sign_up_lands_on_the_home_page_as_an_employee(
    page: Page, live_url: str, provider: OIDCProvider, sso_organisation: Organisation
) -> None:
    configure_sso(sso_organisation, provider, uid_claim="sub")

    log_in_through_sso(page, live_url, provider, LOGIN)

    assert is_logged_in(page)
    expect(page.locator(".vakwerk-header__name")).to_have_text("Gemeente Testgemeente")
    user = User.objects.get(email=LOGIN)
    assert (user.first_name, user.last_name) == ("Jan", "Jansen")
    membership = Membership.objects.get(user=user)
    assert membership.organisation == sso_organisation
    assert membership.is_employee
    assert (membership.is_manager, membership.is_hr, membership.is_admin) == (False, False, False)
    assert Employee.objects.filter(organisation=sso_organisation, user=user, email=LOGIN).exists()
    account = SocialAccount.objects.get(user=user)
    assert (account.provider, account.uid) == (f"org-{SLUG}", LOGIN)
    events = AuditEvent.objects.filter(organisation=sso_organisation, actor=user)
    assert events.filter(action="account.sso_signup", result=Result.SUCCESS).count() == 1
    assert events.filter(action="login", result=Result.SUCCESS).count() == 1


def test_sso_uses_the_configured_claim_as_the_uid(
    page: Page, live_url: str, provider: OIDCProvider, sso_organisation: Organisation
) -> None:
    configure_sso(sso_organisation, provider, uid_claim="employee_number")
    employee_number = default_claims(LOGIN)["employee_number"]
    assert isinstance(employee_number, str)
    assert employee_number != LOGIN

    log_in_through_sso(page, live_url, provider, LOGIN)

    assert is_logged_in(page)
    account = SocialAccount.objects.get(user__email=LOGIN)
    assert account.provider == f"org-{SLUG}"
    assert account.uid == employee_number
