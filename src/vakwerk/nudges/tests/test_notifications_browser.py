"""The notification centre, the email preferences and the unsubscribe pages in a real browser,
in Dutch and English, with axe on each page."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from vakwerk.nudges.email import unsubscribe_token
from vakwerk.nudges.models import Notification, NotificationKind, NotificationPreference
from vakwerk.organisations.models import Role
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WORDS = {
    "nl": {
        "read": "Markeer als gelezen",
        "save": "Mijn keuzes opslaan",
        "stop": "Stop alle e-mails",
    },
    "en": {"read": "Mark as read", "save": "Save my choices", "stop": "Stop all emails"},
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_centre_and_preferences(new_page, live_url, organisation, language):
    membership = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE])
    user = membership.user
    EmployeeFactory(organisation=organisation, user=user)
    for key, kind, params in [
        ("practice:1", NotificationKind.PRACTICE_DUE, {"count": 3}),
        (
            "plan_item:1:2026-12-03",
            NotificationKind.PLAN_ACTION,
            {"activity": {"nl": "Meeloopdag", "en": "Shadowing day"}, "date": "2026-12-03"},
        ),
        (
            "invitation:1",
            NotificationKind.FEEDBACK_REQUEST,
            {"name": "Ann de Vries", "self": False, "round": "Najaar", "date": "2026-12-09"},
        ),
    ]:
        Notification.objects.create(
            organisation=organisation,
            user=user,
            kind=kind,
            params=params,
            url=reverse("practice:today"),
            key=key,
        )
    words = WORDS[language]
    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, user.email, PASSWORD)

    page.goto(f"{live_url}/meldingen/")
    expect(page.locator(".vakwerk-notification--unread")).to_have_count(3)
    expect(page.locator("header .vakwerk-header__link")).to_contain_text("3")
    check_axe(page, f"notification centre ({language})")
    page.get_by_role("button", name=words["read"]).first.click()
    expect(page.locator(".vakwerk-notification--unread")).to_have_count(2)
    assert Notification.objects.filter(read_at__isnull=False).count() == 1
    check_axe(page, f"notification centre after marking one read ({language})")

    page.goto(f"{live_url}/meldingen/voorkeuren/")
    check_axe(page, f"email preferences ({language})")
    page.locator(f"input[name=language][value={language}]").check()
    page.locator("#id_weekly_digest").uncheck()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator(".utrecht-alert--ok")).to_be_visible()
    choice = NotificationPreference.objects.get(user=user)
    assert choice.weekly_digest is False
    assert choice.language == language
    check_axe(page, f"email preferences saved ({language})")

    Notification.objects.filter(user=user).delete()
    page.goto(f"{live_url}/meldingen/")
    expect(page.locator(".utrecht-alert--info")).to_be_visible()
    check_axe(page, f"empty notification centre ({language})")

    # The unsubscribe pages, as someone who is not logged in.
    anonymous = new_page(locale=language)
    set_language(anonymous, live_url, language)
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user.pk, "reminders")])
    anonymous.goto(f"{live_url}{path}")
    check_axe(anonymous, f"unsubscribe ({language})")
    anonymous.get_by_role("button", name=words["stop"]).click()
    expect(anonymous.locator(".utrecht-alert--ok")).to_be_visible()
    check_axe(anonymous, f"unsubscribed ({language})")
    choice.refresh_from_db()
    assert (choice.weekly_digest, choice.reminders) == (False, False)
    anonymous.goto(f"{live_url}/meldingen/afmelden/niet-echt/")
    check_axe(anonymous, f"bad unsubscribe link ({language})")
