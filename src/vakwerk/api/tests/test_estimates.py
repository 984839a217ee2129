"""``/estimates`` and the competency summary: never more than the most permissive page shows HR.

Over the really measured team of ``vakwerk.tests.measured``: six front-desk officers and
their manager, one of them with only two colleagues answering (below the threshold of 3).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vakwerk.api.models import Scope
from vakwerk.api.tests.results import close_with_run, estimate
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.insights import selectors as insights
from vakwerk.insights.access import hr_sees, hr_sees_filter
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.organisations.models import ManagerVisibility, Role
from vakwerk.people.models import Employee
from vakwerk.tests.factories import (
    CompetencyFactory,
    EmployeeFactory,
    RoundFactory,
    TeamFactory,
)

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = pytest.mark.django_db


def _all(client, url: str) -> list[dict]:
    """Every result of a list, page by page."""
    found: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        found += body["results"]
        url = body["next"]
    return found


def _api_values(client, round_id: int) -> set[tuple[int, str, float]]:
    return {
        (row["employeeId"], row["competencyCode"], round(row["level"], 6))
        for row in _all(client, f"/api/v1/estimates?round={round_id}&pageSize=100")
        if row["level"] is not None
    }


@pytest.mark.parametrize(
    ("policy", "consenting"),
    [(ManagerVisibility.YES, 0), (ManagerVisibility.CONSENT, 2), (ManagerVisibility.NO, 0)],
)
def test_an_api_token_never_reveals_more_than_the_most_permissive_page(
    api_client, member_client, organisation, team, closed_round, policy, consenting
):
    """The (employee, competency, level) values of the API are exactly those HR's pages show,
    under each HR policy."""
    _, members = team
    organisation.hr_visibility = policy
    organisation.save()
    for member in members[:consenting]:
        member.shares_results_with_hr = True
        member.save()
    client, _ = member_client(organisation, Role.HR)
    shown_by_pages = set()
    for employee in organisation.employees.all():
        response = client.get(
            reverse("insights:person", args=[employee.pk]), {"ronde": closed_round.pk}
        )
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            shown_by_pages |= {
                (employee.pk, r.competency.code, round(r.level, 6))
                for r in response.context["report"].results
                if r.level is not None
            }
    api = api_client(organisation, [Scope.ESTIMATES_READ])
    assert _api_values(api, closed_round.pk) == shown_by_pages
    if policy == ManagerVisibility.YES:
        assert {person for person, _, _ in shown_by_pages} >= {m.pk for m in members}
    elif policy == ManagerVisibility.CONSENT:
        assert {person for person, _, _ in shown_by_pages} == {m.pk for m in members[:2]}
    else:
        assert shown_by_pages == set()
        for member in members:
            response = api.get(f"/api/v1/employees/{member.pk}/estimates")
            assert response.status_code == 404
            assert response["Content-Type"].startswith("application/problem+json")


def test_one_person_and_the_access_line(api_client, organisation, team, closed_round):
    _, members = team
    person = members[0]
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    response = client.get(f"/api/v1/employees/{person.pk}/estimates")
    assert response.status_code == 200
    body = response.json()
    assert body["employeeId"] == person.pk
    assert body["roundId"] == closed_round.pk
    assert body["rounds"] == [closed_round.pk]
    row = body["results"][0]
    assert set(row) == {
        "employeeId",
        "roundId",
        "competencyCode",
        "competencyName",
        "level",
        "levelLower",
        "levelUpper",
        "measuredLevel",
        "selfLevel",
        "othersLevel",
        "agreement",
        "targetStatus",
        "isOutdated",
        "fromPulse",
        "evidenceAt",
    }
    stored = Estimate.objects.get(
        round=closed_round, employee=person, competency_code=row["competencyCode"]
    )
    assert row["measuredLevel"] == pytest.approx(stored.level)
    assert row["competencyName"]
    assert row["isOutdated"] is False
    # The page's view of the same estimate.
    report = insights.personal_report(
        organisation, person, actor=Actor(user=None), viewer_is_subject=True
    )
    result = next(r for r in report.results if r.competency.code == row["competencyCode"])
    assert row["level"] == pytest.approx(result.level)
    assert row["targetStatus"] == result.status
    assert row["selfLevel"] == pytest.approx(result.self_level)

    line = AuditEvent.objects.get(action="results.view", object_id=str(person.pk))
    assert line.actor is None
    assert line.organisation == organisation
    assert line.object_type == "people.employee"
    assert line.details["token_prefix"]
    assert line.details["page"] == "api"
    assert line in insights.access_events(organisation, person)


def test_the_list_logs_one_line_per_person_shown(api_client, organisation, team, closed_round):
    _, members = team
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    rows = _all(client, f"/api/v1/estimates?team={members[0].team_id}&pageSize=100")
    people = {row["employeeId"] for row in rows}
    logged = set(
        AuditEvent.objects.filter(action="results.view").values_list("object_id", flat=True)
    )
    assert logged == {str(pk) for pk in people}
    assert len(people) >= len(members)


def test_a_peer_group_of_two_contributes_nothing_visible(
    api_client, organisation, team, closed_round
):
    """The last member had two colleagues answering: no peer view stored, so the "others"
    level the API gives is the manager's alone, as on the report."""
    _, members = team
    small, large = members[5], members[0]
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    rows = client.get(f"/api/v1/employees/{small.pk}/estimates").json()["results"]
    assert rows
    for row in rows:
        stored = Estimate.objects.get(
            round=closed_round, employee=small, competency_code=row["competencyCode"]
        )
        assert "peer" not in stored.views
        assert "others" not in stored.views
        manager_view = stored.views.get("manager", {}).get("level")
        assert row["othersLevel"] == (None if manager_view is None else pytest.approx(manager_view))
    # A person with three colleagues does get the others' view with their answers in it.
    larger = Estimate.objects.filter(round=closed_round, employee=large)
    assert any("peer" in e.views or "others" in e.views for e in larger)


def test_hr_not_allowed_means_no_individual_estimates(api_client, organisation):
    organisation.hr_visibility = ManagerVisibility.NO
    organisation.save()
    person = EmployeeFactory(organisation=organisation)
    round_ = RoundFactory(organisation=organisation)
    CompetencyFactory(version=round_.version, code="K1")
    estimate(close_with_run(round_), person, "K1")
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    body = client.get("/api/v1/estimates").json()
    assert body["results"] == []
    assert body["count"] == 0
    assert client.get(f"/api/v1/employees/{person.pk}/estimates").status_code == 404
    assert not AuditEvent.objects.filter(action="results.view").exists()


def test_consent_decides_under_a_consent_policy(api_client, organisation):
    organisation.hr_visibility = ManagerVisibility.CONSENT
    organisation.save()
    yes = EmployeeFactory(organisation=organisation, shares_results_with_hr=True)
    no = EmployeeFactory(organisation=organisation)
    round_ = RoundFactory(organisation=organisation)
    CompetencyFactory(version=round_.version, code="K1")
    run = close_with_run(round_)
    estimate(run, yes, "K1")
    estimate(run, no, "K1")
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    rows = client.get("/api/v1/estimates").json()["results"]
    assert {row["employeeId"] for row in rows} == {yes.pk}
    assert client.get(f"/api/v1/employees/{yes.pk}/estimates").status_code == 200
    assert client.get(f"/api/v1/employees/{no.pk}/estimates").status_code == 404


def test_open_rounds_and_filters(api_client, organisation):
    person, other = EmployeeFactory.create_batch(2, organisation=organisation)
    round_ = RoundFactory(organisation=organisation)
    CompetencyFactory(version=round_.version, code="K1")
    CompetencyFactory(version=round_.version, code="K2")
    run = close_with_run(round_)
    estimate(run, person, "K1")
    estimate(run, person, "K2")
    estimate(run, other, "K1")
    still_open = RoundFactory(organisation=organisation)
    CompetencyFactory(version=still_open.version, code="K1")
    open_run = EstimateRun.objects.create(
        organisation=organisation, round=still_open, status=RunStatus.DONE
    )
    estimate(open_run, person, "K1")  # a round that is not closed shows nothing
    client = api_client(organisation, [Scope.ESTIMATES_READ])

    def keys(query: str) -> set[tuple[int, str]]:
        rows = client.get(f"/api/v1/estimates?{query}").json()["results"]
        return {(row["employeeId"], row["competencyCode"]) for row in rows}

    assert keys("") == {(person.pk, "K1"), (person.pk, "K2"), (other.pk, "K1")}
    assert keys(f"employee={person.pk}") == {(person.pk, "K1"), (person.pk, "K2")}
    assert keys("competency=K2") == {(person.pk, "K2")}
    assert keys(f"round={still_open.pk}") == set()
    assert keys(f"team={other.team_id}") == {(other.pk, "K1")}


def test_the_list_takes_a_bounded_number_of_queries(api_client, organisation):
    round_ = RoundFactory(organisation=organisation)
    for code in ("K1", "K2"):
        CompetencyFactory(version=round_.version, code=code)
    run = close_with_run(round_)
    client = api_client(organisation, [Scope.ESTIMATES_READ])

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.get("/api/v1/estimates?pageSize=100")
        assert response.status_code == 200
        return len(context.captured_queries)

    estimate(run, EmployeeFactory(organisation=organisation), "K1")
    queries()  # the token's first use is recorded once
    few = queries()
    for person in EmployeeFactory.create_batch(6, organisation=organisation):
        estimate(run, person, "K1")
        estimate(run, person, "K2")
    assert queries() == few


def test_scopes(api_client, organisation):
    person = EmployeeFactory(organisation=organisation)
    round_ = RoundFactory(organisation=organisation)
    close_with_run(round_)
    client = api_client(organisation, [Scope.EMPLOYEES_READ])
    for url in (
        "/api/v1/estimates",
        f"/api/v1/employees/{person.pk}/estimates",
        f"/api/v1/rounds/{round_.pk}/competency-summary",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "estimates:read" in response.json()["detail"]


def test_another_organisations_people_and_rounds_are_404(
    api_client, organisation, other_organisation
):
    person = EmployeeFactory(organisation=other_organisation)
    round_ = RoundFactory(organisation=other_organisation)
    CompetencyFactory(version=round_.version, code="K1")
    estimate(close_with_run(round_), person, "K1")
    client = api_client(organisation)
    assert client.get(f"/api/v1/employees/{person.pk}/estimates").status_code == 404
    assert client.get(f"/api/v1/rounds/{round_.pk}/competency-summary").status_code == 404
    assert client.get(f"/api/v1/estimates?employee={person.pk}").json()["results"] == []


# --- the competency summary ---------------------------------------------------------------


def test_a_team_of_two_is_not_shown_as_an_aggregate(api_client, organisation, team, closed_round):
    manager, members = team
    small_team = TeamFactory(organisation=organisation, department=members[0].team.department)
    run = EstimateRun.objects.get(round=closed_round, status=RunStatus.DONE)
    code = Estimate.objects.filter(round=closed_round).values_list("competency_code", flat=True)[0]
    pair = EmployeeFactory.create_batch(
        2, organisation=organisation, team=small_team, role_profile=members[0].role_profile
    )
    for person in pair:
        estimate(run, person, code)
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    response = client.get(f"/api/v1/rounds/{closed_round.pk}/competency-summary?groupBy=team")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["groupBy"] == "team"
    assert body["anonymityThreshold"] == organisation.anonymity_threshold
    assert body["competencies"]
    assert {"code", "name"} == set(body["competencies"][0])
    groups = {group["id"]: group for group in body["groups"]}
    small = groups[small_team.pk]
    assert small == {
        "id": small_team.pk,
        "name": small_team.name,
        "suppressed": True,
        "people": None,
        "distributions": [],
    }
    # The total is shown, so the two may not be worked out from it: the big team's figure of
    # that competency is hidden too (secondary suppression, as on the page).
    big = groups[members[0].team_id]
    assert code not in {d["competencyCode"] for d in big["distributions"]}
    assert body["total"]["suppressed"] is False
    assert body["total"]["people"] == len(members) + 1 + 2
    # Exactly what the organisation page computes.
    overview = insights.organisation_overview(
        organisation, round_id=closed_round.pk, group_by=insights.GROUP_TEAM
    )
    page_figures = {
        (unit.key, c, d.below, d.within, d.at_target)
        for unit in overview.units
        if not unit.suppressed
        for c, d in unit.distributions.items()
    }
    api_figures = {
        (group["id"], d["competencyCode"], d["below"], d["within"], d["atTarget"])
        for group in body["groups"]
        for d in group["distributions"]
    }
    assert api_figures == page_figures
    assert manager.team_id == members[0].team_id


def test_a_summary_over_too_few_people_shows_nothing(api_client, organisation):
    pair = EmployeeFactory.create_batch(2, organisation=organisation)
    round_ = RoundFactory(organisation=organisation)
    CompetencyFactory(version=round_.version, code="K1")
    run = close_with_run(round_)
    for person in pair:
        estimate(run, person, "K1")
    client = api_client(organisation, [Scope.ESTIMATES_READ])
    body = client.get(f"/api/v1/rounds/{round_.pk}/competency-summary").json()
    assert body["total"]["suppressed"] is True
    assert body["total"]["people"] is None
    assert body["total"]["distributions"] == []
    assert all(group["suppressed"] for group in body["groups"])
    # Reading aggregates is not a look at anyone's results.
    assert not AuditEvent.objects.filter(action="results.view").exists()
    unknown = client.get(f"/api/v1/rounds/{round_.pk}/competency-summary?department=999999")
    assert unknown.status_code == 404


@pytest.mark.parametrize("policy", list(ManagerVisibility))
def test_the_query_condition_agrees_with_hr_sees(organisation, policy):
    """``hr_sees_filter`` (the API's lists) and ``hr_sees`` (the pages) decide alike."""
    organisation.hr_visibility = policy
    organisation.save()
    EmployeeFactory(organisation=organisation, shares_results_with_hr=True)
    EmployeeFactory(organisation=organisation, shares_results_with_hr=False)
    people = Employee.objects.filter(organisation=organisation).select_related("organisation")
    by_page = {person.pk for person in people if hr_sees(person)}
    by_query = set(people.filter(hr_sees_filter(organisation)).values_list("pk", flat=True))
    assert by_query == by_page
