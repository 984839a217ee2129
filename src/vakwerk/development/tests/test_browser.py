"""A development plan in a real browser: the employee opens the proposal, sees focus
competencies that match their gaps and a balanced mix, edits and submits; the manager
approves; HR sees the learning needs. axe on every page, in Dutch and English."""

import pytest
from django.utils.translation import override
from playwright.sync_api import expect

from vakwerk.accounts.services import totp_enrol
from vakwerk.conftest import TOTP_SECRET
from vakwerk.development import selectors
from vakwerk.development.models import Plan, PlanStatus
from vakwerk.organisations.models import Role
from vakwerk.tests.browser import check_axe, login, set_language
from vakwerk.tests.factories import MembershipFactory

pytest_plugins = ["vakwerk.tests.browser", "vakwerk.tests.measured"]
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
WORDS = {
    "nl": {"propose": "Toon het voorstel van Vakwerk", "send": "Naar mijn leidinggevende sturen"},
    "en": {"propose": "Show Vakwerk's proposal", "send": "Send to my manager"},
}


def _user_for(organisation, employee, *roles):
    membership = MembershipFactory(organisation=organisation, roles=list(roles))
    employee.user = membership.user
    employee.save()
    return membership.user


@pytest.mark.parametrize("language", ["nl", "en"])
def test_plan_from_proposal_to_approval(
    new_page, live_url, organisation, team, closed_round, language
):
    from vakwerk.audit.services import Actor
    from vakwerk.development.catalogue import catalogue_load_pack
    from vakwerk.frameworks.content import shipped_pack

    pack = shipped_pack("leeraanbod-ambtelijk-vakmanschap-3.0")
    assert pack is not None
    catalogue_load_pack(organisation=organisation, actor=Actor(user=None), pack=pack)
    boss, members = team
    member = members[0]
    employee_user = _user_for(organisation, member, Role.EMPLOYEE)
    manager_user = _user_for(organisation, boss, Role.EMPLOYEE, Role.MANAGER)
    hr_user = MembershipFactory(organisation=organisation, roles=[Role.HR]).user
    totp_enrol(user=hr_user, secret=TOTP_SECRET)
    with override(language):  # competency names in the page's language
        _basis, expected = selectors.proposal_for(organisation, member)
    words = WORDS[language]

    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, employee_user.email, PASSWORD)
    page.goto(f"{live_url}/ontwikkeling/")
    check_axe(page, f"my development ({language})")
    page.get_by_role("button", name=words["propose"]).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for choice in expected.focuses:
        expect(page.locator(".vakwerk-plan-focus").filter(has_text=choice.label)).to_have_count(1)
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(len(expected.items))
    check_axe(page, f"the proposal ({language})")
    for textarea in page.locator("textarea").all():
        textarea.fill("Ik vraag vaker door bij burgers aan de balie.")
    page.locator("form[action$='/opslaan/'] button[type=submit]").click()
    page.get_by_role("button", name=words["send"]).click()
    plan = Plan.objects.get(employee=member)
    assert plan.status == PlanStatus.SUBMITTED
    assert all(f.goal for f in plan.focuses.all())
    page.context.close()

    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, manager_user.email, PASSWORD)
    page.goto(f"{live_url}/ontwikkeling/team/")
    check_axe(page, f"team plans ({language})")
    page.get_by_role("link", name=member.full_name).first.click()
    page.locator("input[type=radio][value=approve]").check()
    check_axe(page, f"the manager's decision ({language})")
    page.locator("form[action$='/besluit/'] button[type=submit]").click()
    expect(page.locator(".utrecht-alert").first).to_be_visible()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    page.goto(f"{live_url}/ontwikkeling/plan/{plan.pk}/gesprekskaart/")
    check_axe(page, f"conversation guide ({language})")
    page.context.close()

    page = new_page(locale=language)
    set_language(page, live_url, language)
    login(page, live_url, hr_user.email, PASSWORD, totp_secret=TOTP_SECRET)
    page.goto(f"{live_url}/ontwikkeling/leerbehoeften/")
    expect(page.locator("table").first).to_be_visible()
    check_axe(page, f"learning needs ({language})")
    page.context.close()
