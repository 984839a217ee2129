"""``/practice-figures``: aggregates only, every group under the anonymity threshold hidden."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vakwerk.api.models import Scope
from vakwerk.nudges import campaign_selectors
from vakwerk.nudges.tests.campaigns import answer, at, make_campaign, publish_framework, run
from vakwerk.tests.factories import EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def practised(organisation):
    """A team of four who all practised AV-TRA this week, and a team of two who practised
    AV-EMP; nobody practised KW-ONP."""
    publish_framework(organisation)
    big = TeamFactory(organisation=organisation, name="Groot")
    small = TeamFactory(organisation=organisation, name="Klein")
    today = timezone.localdate()
    four = EmployeeFactory.create_batch(4, organisation=organisation, team=big)
    two = EmployeeFactory.create_batch(2, organisation=organisation, team=small)
    for person in four:
        run(person, {"AV-TRA": 0.8}, at(today, 9))
        answer(person, "AV-TRA", at(today, 10))
    for person in two:
        answer(person, "AV-EMP", at(today, 11))
    return big, small, four, two


def _by_code(body: dict) -> dict[str, dict]:
    return {row["competencyCode"]: row for row in body["competencies"]}


def test_per_competency_and_week_with_small_groups_hidden(api_client, organisation, practised):
    client = api_client(organisation, [Scope.PRACTICE_READ])
    response = client.get("/api/v1/practice-figures")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["population"] == 6
    assert body["participationShown"] is True
    assert body["practised"] == 6
    assert body["anonymityThreshold"] == organisation.anonymity_threshold
    codes = _by_code(body)
    assert codes["AV-TRA"] == {
        "competencyCode": "AV-TRA",
        "competencyName": "Transparant",
        "shown": True,
        "people": 4,
        "scenarioRuns": 4,
        "bankAnswers": 4,
    }
    # Two people practised AV-EMP: nothing about them is shown.
    assert codes["AV-EMP"]["shown"] is False
    assert codes["AV-EMP"]["people"] is None
    assert codes["AV-EMP"]["scenarioRuns"] is None
    assert codes["AV-EMP"]["bankAnswers"] is None
    this_week = body["weeks"][-1]
    assert this_week["shown"] is True
    assert this_week["people"] == 6
    assert this_week["practice"] == 4 + 4 + 2
    assert len(body["weeks"]) == 12


def test_a_team_of_two_shows_no_practice(api_client, organisation, practised):
    _big, small, _four, _two = practised
    client = api_client(organisation, [Scope.PRACTICE_READ])
    body = client.get(f"/api/v1/practice-figures?team={small.pk}").json()
    assert body["population"] == 2
    assert body["participationShown"] is False
    assert body["practised"] is None
    assert all(not row["shown"] and row["people"] is None for row in body["competencies"])
    assert all(week["people"] is None and week["practice"] is None for week in body["weeks"])
    assert not {"employeeId", "employee", "employees"} & _keys(body)


def _keys(body: dict) -> set[str]:
    """Every key anywhere in the answer."""
    keys: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            keys.update(value)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(body)
    return keys


def test_the_same_figures_as_the_campaign_page(api_client, organisation, practised):
    big, _small, _four, _two = practised
    campaign = make_campaign(organisation, teams=[big], competency_codes=["AV-TRA", "AV-EMP"])
    client = api_client(organisation, [Scope.PRACTICE_READ])
    listed = client.get("/api/v1/practice-figures/campaigns").json()["results"]
    assert listed == [
        {
            "id": campaign.pk,
            "title": campaign.title,
            "startsOn": campaign.starts_on.isoformat(),
            "endsOn": campaign.ends_on.isoformat(),
            "competencyCodes": ["AV-TRA", "AV-EMP"],
            "departmentIds": [],
            "teamIds": [big.pk],
        }
    ]
    body = client.get(f"/api/v1/practice-figures/campaigns/{campaign.pk}").json()
    page = campaign_selectors.campaign_figures(campaign, today=timezone.localdate())
    assert body["campaign"]["id"] == campaign.pk
    assert body["population"] == page.population == 4
    assert body["practised"] == page.practised
    for figure in page.competencies:
        row = _by_code(body)[figure.code]
        assert row["shown"] == figure.shown
        assert row["people"] == (figure.people if figure.shown else None)
    assert [w["people"] for w in body["weeks"]] == [
        w.people if w.shown else None for w in page.weeks
    ]


def test_invalid_periods_are_400_problems(api_client, organisation):
    client = api_client(organisation, [Scope.PRACTICE_READ])
    today = timezone.localdate()
    backwards = client.get(
        f"/api/v1/practice-figures?startsOn={today}&endsOn={today - dt.timedelta(days=1)}"
    )
    assert backwards.status_code == 400
    assert backwards.json()["invalidParams"][0]["name"] == "endsOn"
    too_long = client.get(
        f"/api/v1/practice-figures?startsOn={today - dt.timedelta(days=400)}&endsOn={today}"
    )
    assert too_long.status_code == 400


def test_bounded_queries_scope_and_other_organisation(
    api_client, organisation, other_organisation, practised
):
    client = api_client(organisation, [Scope.PRACTICE_READ])
    client.get("/api/v1/practice-figures")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/practice-figures")
    for person in EmployeeFactory.create_batch(5, organisation=organisation):
        run(person, {"AV-TRA": 0.5}, at(timezone.localdate(), 9))
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/practice-figures")
    assert len(more.captured_queries) == len(few.captured_queries)

    theirs = make_campaign(other_organisation)
    assert client.get(f"/api/v1/practice-figures/campaigns/{theirs.pk}").status_code == 404
    assert client.get("/api/v1/practice-figures/campaigns").json()["results"] == []
    denied = api_client(organisation, [Scope.PLANS_READ]).get("/api/v1/practice-figures")
    assert denied.status_code == 403
