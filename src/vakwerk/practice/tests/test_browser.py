"""Today's practice on a phone-size screen: a branching scenario with feedback on each choice,
a debrief, and the next review date set by FSRS. axe in Dutch and English."""

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from vakwerk.organisations.models import Role
from vakwerk.practice.models import Card
from vakwerk.practice.tests.test_practice import _family
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory

pytest_plugins = ["vakwerk.tests.browser"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
PHONE = {"width": 360, "height": 740}
WORDS = {
    "nl": {"start": "Start", "chose": "Je koos", "back": "Terugblik"},
    "en": {"start": "Start", "chose": "You chose", "back": "Looking back"},
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_scenario_on_a_phone(new_page, live_url, organisation, language):
    family = _family(organisation, "balie")
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    employee = EmployeeFactory(organisation=organisation, user=user)
    words = WORDS[language]
    page = new_page(locale=language, viewport=PHONE, is_mobile=True, has_touch=True)
    set_language(page, live_url, language)
    login(page, live_url, user.email, PASSWORD)
    page.goto(f"{live_url}/oefenen/")
    check_axe(page, f"today ({language})")
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name=words["start"]).first.click()
    check_axe(page, f"scenario, first moment ({language})")
    step = 0
    while page.locator("button.vakwerk-choice").count():
        page.locator("button.vakwerk-choice").first.focus()
        page.keyboard.press("Enter")  # the keyboard alone
        expect(page.locator(".vakwerk-feedback")).to_contain_text(words["chose"])
        step += 1
        assert step < 20
    expect(page.get_by_role("heading", name=words["back"])).to_be_visible()
    check_axe(page, f"scenario, debrief ({language})")
    card = Card.objects.get(employee=employee, family=family)
    assert card.reviews == 1
    assert card.state["stability"] is not None
    with override(language):
        expected = date_format(timezone.localtime(card.due), "DATE_FORMAT")
    expect(page.locator("main")).to_contain_text(expected)
