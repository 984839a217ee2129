"""Today's practice on a phone-size screen: a branching scenario with feedback on each choice,
a debrief, and the next review date set by FSRS. axe in Dutch and English."""

from pathlib import Path

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import override
from playwright.sync_api import expect

from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import Pack
from vakwerk.organisations.models import Role
from vakwerk.practice.bank import exercises_load_pack
from vakwerk.practice.models import Card, ExerciseAnswer, ScenarioFamily
from vakwerk.practice.tests.test_bank import PACK
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
    exercises_load_pack(
        organisation=organisation, actor=Actor(user=None), pack=Pack(Path("x.yaml"), PACK)
    )
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
    page.wait_for_url("**/oefenen/scenario/**")
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

    # Then a judgement exercise from today's page, with immediate feedback.
    page.goto(f"{live_url}/oefenen/")
    page.locator("a[href*='/oefenen/oordeel/']").click()
    page.wait_for_url("**/oefenen/oordeel/**")
    check_axe(page, f"judgement exercise ({language})")
    page.locator("button.vakwerk-choice").nth(1).click()
    expect(page.locator("main")).to_contain_text("Feedback bij matig.")
    expect(page.locator("main")).to_contain_text("Feedback bij goed.")
    check_axe(page, f"judgement feedback ({language})")
    assert ExerciseAnswer.objects.get(employee=employee).correct is False


@pytest.mark.parametrize("language", ["nl", "en"])
def test_hr_checks_a_scenario_in_the_editor(
    new_page, live_url, organisation, framework_version, language
):
    from vakwerk.accounts.services import totp_enrol
    from vakwerk.audit.services import Actor
    from vakwerk.conftest import TOTP_SECRET
    from vakwerk.frameworks.content import shipped_pack
    from vakwerk.practice.services import scenarios_load_pack

    pack = shipped_pack("oefenscenarios-av-emp")
    assert pack is not None
    scenarios_load_pack(organisation=organisation, actor=Actor(user=None), pack=pack)
    family = ScenarioFamily.objects.get(organisation=organisation, code="emp-balie")
    variant = family.variants.first()
    assert variant is not None
    user = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=user, secret=TOTP_SECRET)
    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, user.email, PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"{live_url}/oefenscenarios/")
    check_axe(page, f"scenario families ({language})")
    page.goto(f"{live_url}/oefenscenarios/{family.pk}/variant/{variant.pk}/")
    page.locator("button[value=check]").click()
    expect(page.locator(".vakwerk-preview > li")).to_have_count(len(variant.graph["nodes"]))
    check_axe(page, f"scenario editor with preview ({language})")
    text = page.locator("#scenario-text")
    text.fill(text.input_value().replace("next: ", "next: nergens-", 1))
    page.locator("button[value=check]").click()
    expect(page.locator("#problems")).to_contain_text("nergens")
    check_axe(page, f"scenario editor with problems ({language})")
