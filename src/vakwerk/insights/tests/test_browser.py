"""The insight pages in a real browser over the demo data, per role, in Dutch and English:
what each role sees, and axe on every page."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from vakwerk.people.demo import seed_demo
from vakwerk.tests.browser import check_axe, login, set_language

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason=(
            "the insight pages over the demo data run with PostgreSQL only (CI's PostgreSQL "
            "run; DATABASE_URL=postgres://... make test locally): seeding the demo takes about "
            "a minute and a half on two cores, and CI's SQLite run seeds it already for the "
            "demo's own tests and the accessibility sweep, so each engine seeds it once"
        ),
    ),
]

LANGUAGES = ("nl", "en")
HEADINGS = {
    "nl": {
        "mine": "Mijn resultaten",
        "team": "Teamresultaten",
        "organisation": "Resultaten van de organisatie",
    },
    "en": {"mine": "My results", "team": "Team results", "organisation": "Organisation results"},
}


@pytest.fixture
def demo(db):
    seed_demo()


def test_each_role_sees_its_insight_pages(demo, new_page, live_url):
    """Each role logs in once (the demo is seeded once) and sees its pages in both languages."""
    password, secret = settings.DEMO_PASSWORD, settings.DEMO_TOTP_SECRET

    # The employee: their own report with the chart, the table and the privacy section.
    page = new_page(locale="nl")
    login(page, live_url, "medewerker@voorbeeld.demo", password)
    for language in LANGUAGES:
        set_language(page, live_url, language)
        page.goto(f"{live_url}/inzicht/")
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language]["mine"])
        expect(page.locator("figure svg[role=img]").first).to_be_visible()
        expect(page.locator("table").first).to_be_visible()
        check_axe(page, f"my results ({language})")
        page.goto(f"{live_url}/inzicht/wie-keek/")
        check_axe(page, f"access log ({language})")
    page.context.close()

    # The manager: the team heatmap, then one person's report from it.
    page = new_page(locale="nl")
    login(page, live_url, "manager@voorbeeld.demo", password)
    for language in LANGUAGES:
        set_language(page, live_url, language)
        page.goto(f"{live_url}/inzicht/team/")
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[language]["team"])
        expect(page.locator("svg.vakwerk-chart--heatmap")).to_be_visible()
        check_axe(page, f"team ({language})")
        page.locator(".vakwerk-columns a.utrecht-link").first.click()
        expect(page.locator("figure svg[role=img]").first).to_be_visible()
        check_axe(page, f"a report seen by the manager ({language})")
    page.context.close()

    # HR: the organisation view and a drill-down into a department.
    page = new_page(locale="nl")
    login(page, live_url, "hr@voorbeeld.demo", password, totp_secret=secret)
    for language in LANGUAGES:
        set_language(page, live_url, language)
        page.goto(f"{live_url}/inzicht/organisatie/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            HEADINGS[language]["organisation"]
        )
        check_axe(page, f"organisation ({language})")
        page.locator("table a.utrecht-link").first.click()
        expect(page.locator("table").first).to_be_visible()
        check_axe(page, f"department ({language})")
    page.context.close()
