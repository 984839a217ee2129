"""Daily practice favours a running campaign, for the people it is meant for only."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vakwerk.development.models import FocusKind, Plan, PlanFocus
from vakwerk.frameworks.models import RoleProfile, RoleTarget
from vakwerk.nudges.tests.campaigns import make_campaign
from vakwerk.organisations.models import Role
from vakwerk.practice import selectors, services
from vakwerk.practice.models import Card
from vakwerk.practice.tests.test_practice import _family
from vakwerk.tests.factories import EmployeeFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CODES = {"AV-EMP", "AV-INV", "AV-TRA"}


@pytest.fixture
def setting(organisation):
    """Three scenario families; a campaign on AV-TRA for team "In"; a person in it and one in
    team "Uit", each with a card per family, AV-TRA due last."""
    for code, competency in [("a", "AV-EMP"), ("b", "AV-INV"), ("c", "AV-TRA")]:
        _family(organisation, code, competency)
    inside, outside = (TeamFactory(organisation=organisation, name=n) for n in ("In", "Uit"))
    make_campaign(organisation, title="Maand van de transparantie", teams=[inside])
    now = timezone.now()
    people = []
    for team in (inside, outside):
        person = EmployeeFactory(organisation=organisation, team=team)
        services.cards_ensure(employee=person, codes=CODES, now=now)
        for hours, code in [(3, "AV-EMP"), (2, "AV-INV"), (1, "AV-TRA")]:
            Card.objects.filter(employee=person, competency_code=code).update(
                due=now - dt.timedelta(hours=hours)
            )
        people.append(person)
    return people[0], people[1], now


def test_a_due_card_of_the_campaign_comes_first_for_someone_in_its_population(
    organisation, setting
):
    inside, _outside, now = setting
    found = selectors.today(organisation, inside, now, codes=CODES)
    assert found.due[0].competency_code == "AV-TRA"
    assert [c.title for c in found.campaigns] == ["Maand van de transparantie"]


def test_someone_outside_the_population_keeps_the_usual_order(organisation, setting):
    _inside, outside, now = setting
    found = selectors.today(organisation, outside, now, codes=CODES)
    assert [c.competency_code for c in found.due] == ["AV-EMP", "AV-INV"]
    assert found.campaigns == []


def test_plan_focus_and_campaign_take_the_session_in_turn(organisation, setting):
    inside, _outside, now = setting
    plan = Plan.objects.create(organisation=organisation, employee=inside)
    PlanFocus.objects.create(plan=plan, competency_code="AV-INV", kind=FocusKind.FOCUS, position=0)
    PlanFocus.objects.create(plan=plan, competency_code="AV-EMP", kind=FocusKind.FOCUS, position=1)
    found = selectors.today(organisation, inside, now, codes=CODES)
    # AV-EMP is due longest and is a focus too, but the campaign takes the second place.
    assert [c.competency_code for c in found.due] == ["AV-INV", "AV-TRA"]


def test_a_campaign_theme_is_practised_also_where_the_role_lacks_it(organisation):
    team = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.create(organisation=organisation, code="balie", name="Balie")
    RoleTarget.objects.create(profile=profile, competency_code="AV-EMP", minimum=2, target=3)
    inside = EmployeeFactory(organisation=organisation, team=team, role_profile=profile)
    outside = EmployeeFactory(organisation=organisation, role_profile=profile)
    make_campaign(organisation, teams=[team], competency_codes=["AV-TRA"])
    assert selectors.practice_codes(organisation, inside) == {"AV-EMP", "AV-TRA"}
    assert selectors.practice_codes(organisation, outside) == {"AV-EMP"}


def test_the_practice_page_shows_the_running_campaign_to_its_population(
    member_client, organisation
):
    team = TeamFactory(organisation=organisation)
    make_campaign(
        organisation,
        title="Maand van de transparantie",
        description="Uitleggen wat we doen en waarom.",
        teams=[team],
    )
    client_in, user_in = member_client(organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=organisation, user=user_in, team=team)
    client_out, user_out = member_client(organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=organisation, user=user_out)
    shown = client_in.get(reverse("practice:today")).content.decode()
    assert "Theme: Maand van de transparantie" in shown
    assert "Uitleggen wat we doen en waarom." in shown
    hidden = client_out.get(reverse("practice:today")).content.decode()
    assert "Maand van de transparantie" not in hidden


def test_todays_page_asks_for_the_running_campaigns_once_also_on_a_role_profile(
    member_client, organisation
):
    """Someone on a role profile: the campaigns give both the codes practised (a campaign's
    theme beyond the role) and today's order, from one reading."""
    team = TeamFactory(organisation=organisation)
    profile = RoleProfile.objects.create(organisation=organisation, code="balie", name="Balie")
    RoleTarget.objects.create(profile=profile, competency_code="AV-EMP", minimum=2, target=3)
    _family(organisation, "a", "AV-EMP")
    _family(organisation, "c", "AV-TRA")
    make_campaign(organisation, teams=[team], competency_codes=["AV-TRA"])
    client, user = member_client(organisation, Role.EMPLOYEE)
    employee = EmployeeFactory(
        organisation=organisation, user=user, team=team, role_profile=profile
    )
    client.get(reverse("practice:today"))  # the first visit makes the cards
    with CaptureQueriesContext(connection) as visit:
        page = client.get(reverse("practice:today"))
    campaign_reads = [q for q in visit.captured_queries if 'FROM "nudges_campaign"' in q["sql"]]
    assert len(campaign_reads) == 2  # whether one runs today, then the person's
    codes = {card.competency_code for card in Card.objects.filter(employee=employee)}
    assert codes == {"AV-EMP", "AV-TRA"}  # the theme's card too
    assert page.context["today"].due[0].competency_code == "AV-TRA"
