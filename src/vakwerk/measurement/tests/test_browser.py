"""The estimates section of the round dashboard in a real browser: htmx follows a pending run
until it ends, and the section passes axe in each state."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.assessments.models import RoundStatus
from vakwerk.conftest import TOTP_SECRET
from vakwerk.measurement import services
from vakwerk.measurement.models import EstimateRun, RunStatus
from vakwerk.organisations.models import Role
from vakwerk.tests.browser import check_axe, login
from vakwerk.tests.factories import MembershipFactory, RoundFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


def test_the_dashboard_follows_a_run_until_it_ends(
    new_page, live_url, organisation, framework_version
):
    round_ = RoundFactory(
        organisation=organisation,
        version=framework_version,
        status=RoundStatus.CLOSED,
        closed_at=timezone.now(),
    )
    # Queued, as if its task were waiting for a worker.
    run = EstimateRun.objects.create(organisation=organisation, round=round_)
    hr = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=hr, secret=TOTP_SECRET)
    page = new_page(locale="en")
    login(page, live_url, hr.email, PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"{live_url}/rondes/{round_.pk}/")
    section = page.locator("#estimates")
    expect(section).to_contain_text("Waiting to start")
    expect(section.locator("progress")).to_have_attribute("value", "0")
    expect(section.get_by_role("button", name="Compute estimates")).to_have_count(0)
    check_axe(page, "dashboard, run pending")

    # The run ends (here: this round has no answers) and the page shows it without a reload.
    services.estimates_compute(run_id=run.pk)
    assert EstimateRun.objects.get(pk=run.pk).status == RunStatus.FAILED
    expect(section).to_contain_text("Computing the estimates failed", timeout=6000)
    expect(section).to_contain_text("no completed questionnaires or tests")
    expect(section.get_by_role("button", name="Compute estimates")).to_be_visible()
    check_axe(page, "dashboard, run failed")
