"""The operators' page of periodic jobs in a real browser, in Dutch and English, with axe."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.nudges.jobs import JOBS
from vakwerk.nudges.models import JobRun, JobStatus
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import UserFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
HEADING = {"nl": "Periodieke taken", "en": "Periodic jobs"}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_operators_follow_and_start_the_periodic_jobs(new_page, live_url, language):
    operator = UserFactory(operator=True)
    totp_enrol(user=operator, secret=SECRET)
    JobRun.objects.create(
        job="reminders",
        period="2026-11-27",
        status=JobStatus.FAILED,
        started_at=dt.datetime(2026, 11, 27, 6, tzinfo=dt.UTC),
        error="SMTPServerDisconnected: mail server down",
    )
    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, operator.email, "correct-horse-battery", totp_secret=SECRET)
    page.goto(f"{live_url}/taken/")
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADING[language])
    expect(page.locator("tbody tr")).to_have_count(len(JOBS))
    expect(page.locator("tbody")).to_contain_text("mail server down")
    check_axe(page, f"periodic jobs ({language})")
    # Keyboard: the first start button is reachable and starts the job.
    page.locator("tbody tr").first.get_by_role("button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".utrecht-alert--ok")).to_be_visible()
    assert JobRun.objects.filter(job=next(iter(JOBS))).exists()
    check_axe(page, f"periodic jobs after a start ({language})")
