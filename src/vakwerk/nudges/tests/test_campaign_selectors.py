"""Reading campaigns: who is in a campaign, the list's order, and the campaign page's figures
with the anonymity threshold."""

import datetime as dt

import pytest
from django.utils import timezone

from vakwerk.nudges import campaign_selectors as selectors
from vakwerk.nudges.tests.campaigns import (
    answer,
    at,
    make_campaign,
    publish_framework,
    run,
)
from vakwerk.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def structure(organisation):
    """Two departments; department A has teams A1 and A2, department B has team B1."""
    department_a = DepartmentFactory(organisation=organisation, name="A")
    department_b = DepartmentFactory(organisation=organisation, name="B")
    teams = {
        "A1": TeamFactory(organisation=organisation, department=department_a, name="A1"),
        "A2": TeamFactory(organisation=organisation, department=department_a, name="A2"),
        "B1": TeamFactory(organisation=organisation, department=department_b, name="B1"),
    }
    people = {name: EmployeeFactory(organisation=organisation, team=t) for name, t in teams.items()}
    people["none"] = EmployeeFactory(organisation=organisation, team=None)
    return department_a, department_b, teams, people


def titles(employee, on=None):
    return [c.title for c in selectors.active_campaigns_for(employee, on or TODAY())]


def test_a_campaign_without_departments_or_teams_is_for_everyone(organisation, structure):
    _a, _b, _teams, people = structure
    make_campaign(organisation, title="Iedereen")
    for person in people.values():
        assert titles(person) == ["Iedereen"]


def test_a_chosen_team_or_the_department_of_ones_team_puts_one_in(organisation, structure):
    department_a, _b, teams, people = structure
    make_campaign(organisation, title="Team A2", teams=[teams["A2"]])
    make_campaign(organisation, title="Afdeling A", departments=[department_a])
    make_campaign(organisation, title="Team B1 of afdeling A", teams=[teams["B1"]])
    assert titles(people["A1"]) == ["Afdeling A"]
    assert sorted(titles(people["A2"])) == ["Afdeling A", "Team A2"]
    assert titles(people["B1"]) == ["Team B1 of afdeling A"]
    assert titles(people["none"]) == []


def test_only_campaigns_running_on_the_day_of_ones_own_organisation(
    organisation, other_organisation, structure
):
    _a, _b, _teams, people = structure
    today = TODAY()
    make_campaign(organisation, title="Komt nog", starts_on=today + dt.timedelta(1))
    make_campaign(
        organisation,
        title="Voorbij",
        starts_on=today - dt.timedelta(9),
        ends_on=today - dt.timedelta(1),
    )
    make_campaign(organisation, title="Laatste dag", ends_on=today)
    make_campaign(other_organisation, title="Van een ander")
    assert titles(people["A1"]) == ["Laatste dag"]
    assert titles(people["A1"], today + dt.timedelta(1)) == ["Komt nog"]


def test_the_population_counts_people_of_the_chosen_groups_who_worked_in_the_period(
    organisation, structure
):
    department_a, _b, teams, people = structure
    campaign = make_campaign(organisation, departments=[department_a], teams=[teams["B1"]])
    assert set(selectors.population(campaign)) == {people["A1"], people["A2"], people["B1"]}
    people["A1"].end_date = campaign.starts_on  # left the day it started
    people["A1"].save()
    people["A2"].start_date = campaign.ends_on + dt.timedelta(1)  # starts after it
    people["A2"].save()
    assert set(selectors.population(campaign)) == {people["B1"]}
    whole = make_campaign(organisation)
    assert set(selectors.population(whole)) == {people["B1"], people["none"]}


def test_the_list_puts_running_then_upcoming_then_past_and_filters(organisation):
    today = TODAY()
    past_old = make_campaign(
        organisation,
        title="Oud",
        starts_on=today - dt.timedelta(60),
        ends_on=today - dt.timedelta(40),
    )
    past_recent = make_campaign(
        organisation,
        title="Recent",
        starts_on=today - dt.timedelta(20),
        ends_on=today - dt.timedelta(2),
    )
    later = make_campaign(
        organisation,
        title="Later",
        starts_on=today + dt.timedelta(30),
        ends_on=today + dt.timedelta(40),
    )
    soon = make_campaign(
        organisation,
        title="Straks",
        starts_on=today + dt.timedelta(3),
        ends_on=today + dt.timedelta(10),
    )
    running = make_campaign(organisation, title="Nu")
    found = list(selectors.campaigns(organisation, today=today))
    assert found == [running, soon, later, past_recent, past_old]
    assert list(selectors.campaigns(organisation, today=today, status=selectors.RUNNING)) == [
        running
    ]
    assert list(selectors.campaigns(organisation, today=today, status=selectors.UPCOMING)) == [
        soon,
        later,
    ]
    assert list(selectors.campaigns(organisation, today=today, status=selectors.PAST)) == [
        past_recent,
        past_old,
    ]
    assert selectors.phase(soon, today) == selectors.UPCOMING


def test_favoured_codes_take_plan_focus_and_campaign_in_turn():
    assert selectors.favoured_codes(["F1", "F2", "F3"], ["C1", "F2"]) == ["F1", "C1", "F2", "F3"]
    assert selectors.favoured_codes([], ["C1"]) == ["C1"]
    assert selectors.favoured_codes(["F1"], []) == ["F1"]


@pytest.fixture
def practised(organisation):
    """A campaign on AV-TRA and KW-ONP for team T (four people), two weeks in; practice by three
    of them, by someone outside the team, and outside the period."""
    publish_framework(organisation)
    organisation.anonymity_threshold = 3
    organisation.save()
    team = TeamFactory(organisation=organisation)
    people = EmployeeFactory.create_batch(4, organisation=organisation, team=team)
    outsider = EmployeeFactory(organisation=organisation)
    monday = TODAY() - dt.timedelta(days=TODAY().weekday() + 7)  # Monday of last week
    campaign = make_campaign(
        organisation,
        competency_codes=["AV-TRA", "KW-ONP"],
        starts_on=monday,
        ends_on=monday + dt.timedelta(days=27),
        teams=[team],
    )
    first, second, third, _idle = people
    # Week 1: three people practise the theme (two runs, one answer) and one also AV-EMP only.
    run(first, {"AV-TRA": 0.8, "AV-EMP": 0.5}, at(monday))
    run(second, {"AV-TRA": 0.4}, at(monday + dt.timedelta(2)))
    answer(third, "AV-TRA", at(monday + dt.timedelta(6), hour=22))
    run(third, {"AV-EMP": 0.9}, at(monday + dt.timedelta(3)))
    # Week 2 (this week, up to today): one person, one run on the theme.
    run(first, {"AV-TRA": 0.9, "KW-ONP": 0.7}, at(TODAY(), hour=0))
    # Not counted: unfinished, before the period, someone outside the population.
    run(second, {"AV-TRA": 0.1}, None)
    run(second, {"AV-TRA": 0.1}, at(monday - dt.timedelta(1), hour=23))
    run(outsider, {"AV-TRA": 0.5}, at(monday + dt.timedelta(1)))
    answer(outsider, "AV-TRA", at(monday + dt.timedelta(1)))
    return campaign, monday


def test_figures_count_the_population_and_their_practice_in_the_period(practised):
    campaign, monday = practised
    figures = selectors.campaign_figures(campaign, today=TODAY())
    assert figures.population == 4
    assert figures.practised == 3
    assert figures.participation_shown
    assert figures.percentage == 75
    transparent, impartial = figures.competencies
    assert (transparent.code, transparent.label) == ("AV-TRA", "Transparant")
    assert (transparent.people, transparent.runs, transparent.answers) == (3, 3, 1)
    assert transparent.shown
    assert (impartial.people, impartial.runs, impartial.answers) == (1, 1, 0)
    assert not impartial.shown
    first_week, this_week = figures.weeks
    assert first_week.starts_on == monday
    assert first_week.number == monday.isocalendar().week
    assert (first_week.people, first_week.theme_people, first_week.practice) == (3, 3, 3)
    assert first_week.shown
    assert first_week.theme_shown
    assert (this_week.people, this_week.theme_people, this_week.practice) == (1, 1, 1)
    assert not this_week.shown
    assert not this_week.theme_shown
    assert figures.anything_hidden


def test_participation_is_hidden_when_the_population_is_below_the_threshold(
    practised, organisation
):
    campaign, _monday = practised
    organisation.anonymity_threshold = 5
    organisation.save()
    campaign.refresh_from_db()
    figures = selectors.campaign_figures(campaign, today=TODAY())
    assert figures.population == 4
    assert not figures.participation_shown
    assert figures.share is None
    assert figures.percentage is None
    assert not any(c.shown for c in figures.competencies)
    assert not any(w.shown or w.theme_shown for w in figures.weeks)


def test_an_upcoming_campaign_has_no_weeks_yet(organisation):
    publish_framework(organisation)
    start = TODAY() + dt.timedelta(days=3)
    campaign = make_campaign(organisation, starts_on=start, ends_on=start + dt.timedelta(9))
    figures = selectors.campaign_figures(campaign, today=TODAY())
    assert figures.weeks == []
    assert figures.practised == 0
