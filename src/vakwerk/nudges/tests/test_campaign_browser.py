"""Campaigns in a real browser: HR starts from the empty list, makes a mistake in the dates,
fixes it, sees the campaign page and the list; an employee of the team sees the theme on the
practice page. axe on every page, in Dutch and English."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.conftest import TOTP_SECRET
from vakwerk.nudges.models import Campaign
from vakwerk.nudges.tests.campaigns import publish_framework
from vakwerk.organisations.models import Role
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, TeamFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_hr_starts_a_campaign_and_an_employee_sees_it(new_page, live_url, organisation, language):
    publish_framework(organisation)
    team = TeamFactory(organisation=organisation, name="Burgerzaken")
    hr_user = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=hr_user, secret=TOTP_SECRET)
    today = timezone.localdate()

    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, hr_user.email, PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"{live_url}/campagnes/")
    check_axe(page, f"empty campaign list ({language})")
    page.locator("main a[href='/campagnes/nieuw/']").click()
    page.locator("#id_title").fill("Maand van de transparantie")
    page.locator("#id_description").fill("Uitleggen wat we doen en waarom.")
    page.locator("input[name=competency_codes][value=AV-TRA]").check()
    page.locator("input[name=teams]").first.check()
    page.locator("#id_starts_on").fill(today.isoformat())
    page.locator("#id_ends_on").fill((today - dt.timedelta(days=1)).isoformat())
    check_axe(page, f"campaign form ({language})")
    page.locator("form.vakwerk-form button[type=submit]").click()
    expect(page.locator("#id_ends_on_error")).to_be_visible()
    expect(page.locator("#id_ends_on")).to_have_attribute("aria-invalid", "true")
    check_axe(page, f"campaign form with an error ({language})")
    page.locator("#id_ends_on").fill((today + dt.timedelta(days=27)).isoformat())
    page.locator("form.vakwerk-form button[type=submit]").click()
    campaign = Campaign.objects.get()
    expect(page).to_have_url(f"{live_url}/campagnes/{campaign.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Maand van de transparantie")
    expect(page.locator("main table").first).to_be_visible()
    check_axe(page, f"campaign page ({language})")
    assert list(campaign.teams.all()) == [team]
    page.goto(f"{live_url}/campagnes/")
    expect(page.locator("main table tbody tr")).to_have_count(1)
    check_axe(page, f"campaign list ({language})")
    page.goto(f"{live_url}/campagnes/{campaign.pk}/verwijderen/")
    check_axe(page, f"delete confirmation ({language})")
    page.context.close()

    employee_user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    EmployeeFactory(organisation=organisation, user=employee_user, team=team)
    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, employee_user.email, PASSWORD)
    page.goto(f"{live_url}/oefenen/")
    expect(page.locator(".vakwerk-campaign")).to_contain_text("Maand van de transparantie")
    expect(page.locator(".vakwerk-campaign")).to_contain_text("Uitleggen wat we doen en waarom.")
    check_axe(page, f"practice page with a campaign ({language})")
