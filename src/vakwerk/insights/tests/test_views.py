"""The insight pages and exports over a really measured team: who sees what, thresholds,
exports that never show more than their page, the access log, and bounded queries."""

import io

import openpyxl
import pypdfium2 as pdfium
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from vakwerk.api.models import Scope
from vakwerk.api.services import api_token_create
from vakwerk.assessments.models import Comment, Invitation, InvitationStatus, Source, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.development import selectors as development_selectors
from vakwerk.development import services as development_services
from vakwerk.insights import charts, selectors
from vakwerk.measurement.models import Estimate
from vakwerk.organisations.models import Role
from vakwerk.people.models import Employee
from vakwerk.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def as_employee(member_client, organisation, team, closed_round):
    """A client for the first team member (who has results), and that member."""
    _, members = team
    client, user = member_client(organisation, Role.EMPLOYEE)
    members[0].user = user
    members[0].save()
    return client, members[0]


@pytest.fixture
def as_manager(member_client, organisation, team, closed_round):
    manager, _ = team
    client, user = member_client(organisation, Role.EMPLOYEE, Role.MANAGER)
    manager.user = user
    manager.save()
    return client


@pytest.fixture
def as_hr(member_client, organisation, closed_round):
    client, _ = member_client(organisation, Role.HR)
    return client


def _policy(organisation, **values):
    for name, value in values.items():
        setattr(organisation, name, value)
    organisation.save()


# --- the personal report ------------------------------------------------------------------


def test_an_employee_sees_their_levels_against_the_band(as_employee, closed_round):
    client, member = as_employee
    response = client.get(reverse("insights:mine"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Levels against the desired band" in page
    assert 'role="img"' in page
    report = response.context["report"]
    assert report.round == closed_round
    measured = [r for r in report.results if r.estimate is not None]
    assert measured
    for result in measured:
        assert result.estimate.employee_id == member.pk
        assert result.band is not None  # the team's role profile sets a band
    # Priorities are the largest weighted shortfalls, strengths are never also priorities.
    shortfalls = [r.shortfall for r in report.priorities]
    assert shortfalls == sorted(shortfalls, reverse=True)
    assert not {r.competency.code for r in report.priorities} & {
        r.competency.code for r in report.strengths
    }
    # Looking at one's own results is not an access to someone else's data.
    assert not AuditEvent.objects.filter(action__startswith="results.").exists()


def test_a_person_without_results_gets_a_clear_empty_state(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=organisation, user=user)
    response = client.get(reverse("insights:mine"))
    assert response.status_code == 200
    assert "There are no results for you yet" in response.content.decode()


def test_a_member_without_an_employee_record_is_told_so(member_client, organisation):
    client, _ = member_client(organisation, Role.EMPLOYEE)
    response = client.get(reverse("insights:mine"))
    assert "not linked to an employee record" in response.content.decode()


def test_a_peer_group_of_two_contributes_nothing_visible(
    as_employee, member_client, organisation, team, closed_round
):
    """The last member's third colleague never answered: two peers stay below the threshold
    of three, so their answers, views and comments are nowhere to be seen."""
    large_client, large = as_employee
    _, members = team
    small = members[5]
    small_client, user = member_client(organisation, Role.EMPLOYEE)
    small.user = user
    small.save()
    code = selectors.competencies_of(closed_round)[0].code
    for member, text in ((small, "Geheim oordeel van twee"), (large, "Oordeel van drie")):
        subject = Subject.objects.get(round=closed_round, employee=member)
        for invitation in subject.invitations.filter(
            source=Source.PEER, status=InvitationStatus.COMPLETED
        ):
            Comment.objects.create(invitation=invitation, competency_code=code, text=text)
    small_estimates = Estimate.objects.filter(round=closed_round, employee=small)
    assert small_estimates.exists()
    for estimate in small_estimates:
        assert estimate.n_peer == 0
        assert set(estimate.views) <= {"self", "manager"}
    assert any("peer" in e.views for e in Estimate.objects.filter(employee=large))
    assert (
        "Geheim oordeel van twee" not in small_client.get(reverse("insights:mine")).content.decode()
    )
    assert "Oordeel van drie" in large_client.get(reverse("insights:mine")).content.decode()


def test_an_employee_never_sees_a_colleagues_results(as_employee, team):
    client, _ = as_employee
    _, members = team
    response = client.get(reverse("insights:person", args=[members[1].pk]))
    assert response.status_code == 403
    assert client.get(reverse("insights:person_pdf", args=[members[1].pk])).status_code == 403


def test_a_manager_without_rights_under_the_policy_sees_no_individual_results(
    as_manager, organisation, team
):
    _policy(organisation, manager_visibility="no")
    _, members = team
    assert as_manager.get(reverse("insights:person", args=[members[0].pk])).status_code == 404
    assert as_manager.get(reverse("insights:person_pdf", args=[members[0].pk])).status_code == 404
    response = as_manager.get(reverse("insights:team"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert response.context["overview"].hidden == len(members)
    assert "heatmap" not in response.context["charts"]
    for member in members:
        assert member.full_name not in response.content.decode()
    # The team figures over six people are still shown.
    assert response.context["overview"].distributions
    csv = as_manager.get(reverse("insights:team_export", args=["csv"])).content.decode()
    assert len(csv.strip().splitlines()) == 1  # the header only
    assert not AuditEvent.objects.filter(action__startswith="results.").exists()


@pytest.mark.parametrize("consenting", [5, 4, 3])
def test_team_figures_never_give_away_the_people_whose_rows_are_not_shown(
    as_manager, organisation, team, consenting
):
    """The team figures minus the rows shown are the figures of the people not shown: with one
    or two of them (threshold 3) that would be their results, so those figures stay out."""
    _policy(organisation, manager_visibility="consent")
    _, members = team
    for member in members[:consenting]:
        member.shares_results_with_manager = True
        member.save()
    hidden = len(members) - consenting
    response = as_manager.get(reverse("insights:team"))
    overview = response.context["overview"]
    assert overview.hidden == hidden
    assert len(response.context["rows"]) == consenting
    if hidden < organisation.anonymity_threshold:
        assert overview.distributions == {}
        assert "distribution" not in response.context["charts"]
        assert "Team figures are only shown over at least 3 people" in response.content.decode()
    else:
        # Three people not shown are a group of the threshold: the figures may show them.
        assert set(overview.distributions) == {c.code for c in overview.competencies}
        for d in overview.distributions.values():
            assert d.people == len(members)


def test_a_manager_sees_a_report_when_allowed_and_the_employee_sees_who_looked(
    as_manager, as_employee, organisation
):
    _policy(organisation, manager_visibility="yes")
    client, member = as_employee
    response = as_manager.get(reverse("insights:person", args=[member.pk]))
    assert response.status_code == 200
    line = AuditEvent.objects.get(action="results.view")
    assert (line.object_type, line.object_id) == ("people.employee", str(member.pk))
    log = client.get(reverse("insights:access_log"))
    assert line in log.context["page"].object_list
    assert "looked at your results" in log.content.decode()


def test_the_evidence_download_and_plan_views_reach_who_looked(
    member_client, as_employee, organisation, closed_round
):
    """HR's evidence download holds each person's answers, and a plan shows the levels it
    starts from: both are looks at someone's results, listed for that person."""
    client, member = as_employee
    hr, _ = member_client(organisation, Role.HR)
    csv = hr.get(reverse("evidence:round", args=[closed_round.pk])).content.decode()
    subjects = Employee.objects.filter(subjects__round=closed_round)
    in_file = {e for e in subjects if f"\n{e.employee_number}," in csv}
    assert member in in_file
    exported = AuditEvent.objects.filter(action="results.export", details__page="evidence")
    assert {int(line.object_id) for line in exported} == {m.pk for m in in_file}

    basis, proposal = development_selectors.proposal_for(organisation, member)
    plan = development_services.plan_create(
        employee=member, round_=basis.round, proposal=proposal, actor=Actor(user=None)
    )
    assert hr.get(reverse("development:plan", args=[plan.pk])).status_code == 200
    log = client.get(reverse("insights:access_log")).content.decode()
    assert "downloaded your results" in log
    assert "opened your development plan" in log
    assert {e.action for e in selectors.access_events(organisation, member)} == {
        "results.export",
        "plan.view",
    }


def test_consent_opens_the_report_to_the_manager_and_is_audited(
    as_manager, as_employee, organisation
):
    _policy(organisation, manager_visibility="consent")
    client, member = as_employee
    url = reverse("insights:person", args=[member.pk])
    assert as_manager.get(url).status_code == 404
    client.post(reverse("insights:consent"), {"shares_results_with_manager": "on"})
    member.refresh_from_db()
    assert member.shares_results_with_manager
    assert not member.shares_results_with_hr
    assert AuditEvent.objects.filter(action="results.consent", object_id=str(member.pk)).exists()
    assert as_manager.get(url).status_code == 200
    client.post(reverse("insights:consent"), {})
    assert as_manager.get(url).status_code == 404


def test_a_manager_no_longer_sees_a_report_who_has_left(as_manager, as_employee, organisation):
    _policy(organisation, manager_visibility="yes")
    _, member = as_employee
    url = reverse("insights:person", args=[member.pk])
    assert as_manager.get(url).status_code == 200
    member.end_date = timezone.localdate()
    member.save()
    assert as_manager.get(url).status_code == 404
    assert member not in as_manager.get(reverse("insights:team")).context["members"]


def test_a_manager_of_another_team_gets_404(member_client, organisation, as_employee):
    _policy(organisation, manager_visibility="yes")
    _, member = as_employee
    client, user = member_client(organisation, Role.MANAGER)
    EmployeeFactory(organisation=organisation, user=user)
    assert client.get(reverse("insights:person", args=[member.pk])).status_code == 404


def test_the_team_view_shows_visible_people_sorted_and_filtered(as_manager, organisation, team):
    _policy(organisation, manager_visibility="yes")
    _, members = team
    response = as_manager.get(reverse("insights:team"))
    overview = response.context["overview"]
    assert {row.employee for row in response.context["rows"]} == set(members)
    assert "heatmap" in response.context["charts"]
    code = overview.competencies[0].code
    rows = as_manager.get(reverse("insights:team"), {"sorteer": code}).context["rows"]
    gaps = [
        row.results[code].level - row.results[code].band.target
        for row in rows
        if row.results[code].level is not None
    ]
    assert gaps == sorted(gaps)
    below = as_manager.get(reverse("insights:team"), {"alleen": "onder"}).context["rows"]
    assert all(row.below_count for row in below)
    # Every person shown is an access line, in one insert.
    assert AuditEvent.objects.filter(action="results.view").count() == 3 * len(members)


def test_the_team_export_holds_what_the_page_shows(as_manager, organisation, team):
    _policy(organisation, manager_visibility="yes")
    _, members = team
    members[0].first_name = "=HYPERLINK(evil)"
    members[0].save()
    response = as_manager.get(reverse("insights:team_export", args=["csv"]))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    competencies = len(as_manager.get(reverse("insights:team")).context["overview"].competencies)
    assert len(lines) == 1 + len(members) * competencies
    assert any(line.startswith("'=HYPERLINK(evil)") for line in lines)
    assert AuditEvent.objects.filter(action="results.export").count() == len(members)
    assert AuditEvent.objects.filter(action="results.view").count() == len(members)
    xlsx = as_manager.get(reverse("insights:team_export", args=["xlsx"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(lines)
    assert as_manager.get(reverse("insights:team_export", args=["pdf"])).status_code == 404


def test_participation_counts_people_and_responses_per_source(answered_round, team):
    """People taking part, completed self and manager ratings, and the
    feedback (colleagues, external raters) invited and completed, as counted one by one."""
    _, members = team
    invitation = Invitation.objects.filter(subject__round=answered_round, source=Source.SELF)
    invitation.filter(subject__employee=members[0]).update(status=InvitationStatus.OPEN)
    for subjects in (
        Subject.objects.filter(round=answered_round),
        Subject.objects.filter(round=answered_round, employee__in=members[:3]),
        Subject.objects.none(),
    ):
        found = list(Invitation.objects.filter(subject__in=subjects))
        done = [i for i in found if i.status == InvitationStatus.COMPLETED]
        feedback = [i for i in found if i.source in (Source.PEER, Source.EXTERNAL)]
        assert selectors.participation(subjects) == selectors.Participation(
            people=subjects.count(),
            self_done=sum(1 for i in done if i.source == Source.SELF),
            manager_done=sum(1 for i in done if i.source == Source.MANAGER),
            feedback_invited=len(feedback),
            feedback_done=sum(1 for i in feedback if i in done),
        )
    everyone = selectors.participation(Subject.objects.filter(round=answered_round))
    assert everyone.people == len(members) + 1  # the manager is measured too
    assert everyone.self_done == len(members)  # one self-assessment reopened
    assert 0 < everyone.feedback_done < everyone.feedback_invited  # one peer never answered


@pytest.mark.parametrize(
    ("language", "level", "text"),
    [("en", 0.96, "1.0"), ("en", 0.94, "0.9"), ("nl", 2.25, "2,3"), ("nl", None, "\u2013")],
)
def test_heatmap_cells_round_levels_as_the_table_beside_them(language, level, text):
    # The table writes levels with floatformat:1 (rounded); the cells used to cut them off.
    with translation.override(language):
        assert charts.level_text(level) == text


# --- the organisation view ----------------------------------------------------------------


def _split_team(organisation, team, size):
    """Move ``size`` measured members into a new team of the same department."""
    _, members = team
    new = TeamFactory(organisation=organisation, department=members[0].team.department)
    for member in members[:size]:
        member.team = new
        member.save()
    return new


def test_a_team_of_two_is_not_shown_as_an_aggregate(as_hr, organisation, team):
    small = _split_team(organisation, team, 2)
    response = as_hr.get(reverse("insights:organisation"), {"groep": "team"})
    overview = response.context["overview"]
    units = {unit.key: unit for unit in overview.units}
    assert units[small.pk].people == 2
    assert units[small.pk].suppressed
    assert units[small.pk].distributions == {}
    # With one small team hidden, the next smallest is hidden too: otherwise the whole
    # organisation minus the rest would give the small team away.
    assert all(unit.suppressed for unit in overview.units)
    assert not overview.total.suppressed
    csv = as_hr.get(reverse("insights:organisation_export", args=["csv"]), {"groep": "team"})
    rows = csv.content.decode("utf-8-sig").strip().splitlines()[1:]
    assert rows
    assert all(row.startswith("Whole organisation;") for row in rows)


def test_a_drill_down_below_the_threshold_shows_nothing(as_hr, organisation, team):
    _, members = team
    department = members[0].team.department
    for member in members[1:]:  # the manager and one member stay: two people
        member.team = TeamFactory(organisation=organisation)  # another department
        member.save()
    response = as_hr.get(reverse("insights:organisation"), {"afdeling": department.pk})
    overview = response.context["overview"]
    assert overview.department == department
    assert overview.total.suppressed
    assert "Figures are only shown over at least 3 people" in response.content.decode()


def test_the_organisation_view_shows_shares_gaps_and_participation(as_hr, team):
    response = as_hr.get(reverse("insights:organisation"))
    assert response.status_code == 200
    overview = response.context["overview"]
    total = overview.total
    estimates = Estimate.objects.filter(round=overview.round, level__isnull=False)
    assert total.people == estimates.values("employee").distinct().count()
    for code, distribution in total.distributions.items():
        assert distribution.people == estimates.filter(competency_code=code).count()
    assert overview.participation.people == Subject.objects.filter(round=overview.round).count()
    assert "distribution" in response.context["charts"]
    assert AuditEvent.objects.filter(action="insights.export").count() == 0
    as_hr.get(reverse("insights:organisation_export", args=["xlsx"]))
    assert AuditEvent.objects.filter(action="insights.export").count() == 1


@pytest.mark.parametrize("url_name", ["insights:organisation", "insights:team"])
def test_pages_for_other_roles_are_forbidden(as_employee, url_name):
    client, _ = as_employee
    assert client.get(reverse(url_name)).status_code == 403


# --- queries and the PDF ------------------------------------------------------------------


def _add_measured_people(closed_round, team, count):
    """``count`` more reports of the manager with copies of a member's estimates."""
    manager, members = team
    template = list(Estimate.objects.filter(round=closed_round, employee=members[0]))
    for _ in range(count):
        person = EmployeeFactory(
            organisation=closed_round.organisation,
            team=members[0].team,
            manager=manager,
            role_profile=members[0].role_profile,
        )
        for estimate in template:
            estimate.pk = None
            estimate.employee = person
            estimate.save()


@pytest.mark.parametrize("url_name", ["insights:team", "insights:organisation"])
def test_overview_pages_do_a_bounded_number_of_queries(
    as_manager, as_hr, organisation, team, closed_round, url_name
):
    _policy(organisation, manager_visibility="yes")
    client = as_manager if url_name == "insights:team" else as_hr
    client.get(reverse("shell:home"))  # the session's idle-timeout note is written once
    cache.clear()
    with CaptureQueriesContext(connection) as before:
        assert client.get(reverse(url_name)).status_code == 200
    _add_measured_people(closed_round, team, 5)
    cache.clear()
    with CaptureQueriesContext(connection) as after:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(after.captured_queries) <= 25


def test_the_report_pdf_renders_with_its_charts(as_employee):
    client, member = as_employee
    response = client.get(reverse("insights:mine_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    document = pdfium.PdfDocument(response.content)
    assert len(document) >= 2
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert member.full_name in text
    assert "Levels against the desired band" in text
    # The page with the main chart is far from blank: the chart's band and dots are drawn.
    image = document[0].render(scale=1).to_pil().convert("L")
    dark = sum(image.histogram()[:200])  # pixels darker than light grey
    assert dark / (image.width * image.height) > 0.03


def test_hr_finds_a_report_from_the_employee_page_only_when_allowed(as_hr, organisation, team):
    _, members = team
    page = reverse("people:person", args=[members[0].pk])
    report = reverse("insights:person", args=[members[0].pk])
    _policy(organisation, hr_visibility="yes")
    assert report in as_hr.get(page).content.decode()
    assert as_hr.get(report).status_code == 200
    _policy(organisation, hr_visibility="no")
    assert report not in as_hr.get(page).content.decode()
    assert as_hr.get(report).status_code == 404


# Seven measured people (the manager and the team) spread over departments and teams: each
# layout once let two pages of the organisation view differ by one person.
LAYOUTS = {
    # A department of one, hidden on the department split; the whole organisation minus the
    # other department's drill-down was that one person.
    "department of one": [("Groot", "A")] * 6 + [("Klein", "B")],
    # Department D = teams Bbb (3) and Ccc (1): the team split hid Ccc (and Aaa along) but
    # showed Bbb, so D on the department split minus Bbb was Ccc's one person.
    "team of one": [("E", "Aaa")] * 3 + [("D", "Bbb")] * 3 + [("D", "Ccc")],
}


def _people_or_none(unit, code):
    found = None if unit.suppressed else unit.distributions.get(code)
    return None if found is None else found.people


def _small(people):
    return 0 < people < 3


@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_two_pages_of_the_organisation_view_differ_by_a_small_group(
    as_hr, organisation, team, closed_round, layout
):
    manager, members = team
    departments, teams = {}, {}
    for person, (department, name) in zip([*members, manager], LAYOUTS[layout], strict=True):
        if department not in departments:
            departments[department] = DepartmentFactory(organisation=organisation, name=department)
        if name not in teams:
            teams[name] = TeamFactory(
                organisation=organisation, department=departments[department], name=name
            )
        person.team = teams[name]
        person.save()
    url = reverse("insights:organisation")
    by_department = as_hr.get(url).context["overview"]
    by_team = as_hr.get(url, {"groep": "team"}).context["overview"]
    drills = {
        d.pk: as_hr.get(url, {"afdeling": d.pk}).context["overview"] for d in departments.values()
    }
    _, token = api_token_create(
        organisation=organisation, actor=Actor(user=None), name="test", scopes=list(Scope.values)
    )
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    summary = f"/api/v1/rounds/{closed_round.pk}/competency-summary"
    department_of = {t.pk: t.department_id for t in teams.values()}
    codes = [c.code for c in by_department.competencies]
    assert codes
    for code in codes:
        org = by_department.total.distributions[code].people
        shown_teams = [_people_or_none(u, code) for u in by_team.units]
        assert not _small(org - sum(p for p in shown_teams if p is not None))
        for unit in by_department.units:
            figure = _people_or_none(unit, code)
            drill = drills[unit.key]
            # A drill-down's total is the department's figure on the split, or nothing.
            assert _people_or_none(drill.total, code) == figure
            api_total = api.get(summary, {"department": unit.key}).json()["total"]
            in_api = [
                d["people"] for d in api_total["distributions"] if d["competencyCode"] == code
            ]
            assert in_api == ([figure] if figure is not None else [])
            if figure is None:
                assert all(_people_or_none(u, code) is None for u in drill.units)
                continue
            for units in (
                drill.units,
                [u for u in by_team.units if department_of.get(u.key) == unit.key],
            ):
                shown = [p for p in (_people_or_none(u, code) for u in units) if p is not None]
                assert not _small(figure - sum(shown))
