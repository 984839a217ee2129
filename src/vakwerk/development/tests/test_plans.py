"""Development plans over a really measured team: the proposal, editing, submitting, the
manager's decision, progress, emails, the conversation guide, learning needs, permissions."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from vakwerk.audit.models import AuditEvent
from vakwerk.development import notices, selectors
from vakwerk.development.models import (
    Activity,
    ActivityFormat,
    FocusKind,
    ItemStatus,
    LearningCategory,
    Plan,
    PlanStatus,
)
from vakwerk.frameworks.models import RoleTarget
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FORMATS = {
    ActivityFormat.PRACTICE: LearningCategory.EXPERIENCE,
    ActivityFormat.ON_THE_JOB: LearningCategory.EXPERIENCE,
    ActivityFormat.PEER: LearningCategory.SOCIAL,
    ActivityFormat.MICROLESSON: LearningCategory.FORMAL,
}


@pytest.fixture
def catalogue(organisation, team):
    """For every competency of the team's role: each format, for levels 1-2 and 3-4."""
    _, members = team
    codes = RoleTarget.objects.filter(profile=members[0].role_profile).values_list(
        "competency_code", flat=True
    )
    Activity.objects.bulk_create(
        Activity(
            organisation=organisation,
            code=f"{code.lower()}-{fmt}-{low}",
            title=f"{fmt} {code} {low}",
            description="Doe het.",
            format=fmt,
            category=category,
            competency_codes=[code],
            level_min=low,
            level_max=low + 1,
            minutes=30,
            why_daily="Omdat het helpt.",
            why_career="Omdat het groeit.",
        )
        for code in codes
        for fmt, category in FORMATS.items()
        for low in (1, 3)
    )


@pytest.fixture
def employee(member_client, organisation, team, closed_round, catalogue):
    _, members = team
    client, user = member_client(organisation, Role.EMPLOYEE)
    members[0].user = user
    members[0].email = "medewerker@example.nl"
    members[0].save()
    return client, members[0]


@pytest.fixture
def manager(member_client, organisation, team):
    boss, _ = team
    client, user = member_client(organisation, Role.EMPLOYEE, Role.MANAGER)
    boss.user = user
    boss.email = "leidinggevende@example.nl"
    boss.save()
    return client


def _propose(client) -> Plan:
    response = client.post(reverse("development:propose"))
    assert response.status_code == 302
    return Plan.objects.get()


def _goals(plan: Plan) -> dict[str, str]:
    return {f"goal_{f.pk}": f"Doel voor {f.competency_code}" for f in plan.focuses.all()}


def test_the_proposal_matches_the_gaps_and_is_balanced(employee, organisation):
    client, member = employee
    basis, expected = selectors.proposal_for(organisation, member)
    assert basis.round is not None
    plan = _propose(client)
    focus = list(plan.focuses.filter(kind=FocusKind.FOCUS).order_by("position"))
    assert [f.competency_code for f in focus] == [c.code for c in expected.focuses]
    assert 2 <= len(focus) <= 3
    # The focus competencies are the ones furthest under their target.
    standings = {s.code: s for s in basis.standings}
    shortfalls = {
        code: max(0.0, s.band.target - s.level)
        for code, s in standings.items()
        if s.level is not None
    }
    worst = sorted(shortfalls, key=lambda code: -shortfalls[code])[:1]
    assert worst[0] in {f.competency_code for f in focus}
    formats = set(plan.items.values_list("activity__format", flat=True))
    assert {ActivityFormat.PRACTICE, ActivityFormat.ON_THE_JOB} <= formats
    assert plan.items.filter(activity__category=LearningCategory.SOCIAL).exists()
    activities = list(plan.items.values_list("activity_id", flat=True))
    assert len(activities) == len(set(activities))
    assert AuditEvent.objects.filter(action="plan.create").count() == 1
    # Asking again opens the same plan.
    client.post(reverse("development:propose"))
    assert Plan.objects.count() == 1


def test_the_employee_edits_submits_and_the_manager_approves(
    employee, manager, django_capture_on_commit_callbacks
):
    client, _member = employee
    plan = _propose(client)
    item, *_, removed = plan.items.all()
    # Submitting without goals is refused with a reason.
    response = client.post(reverse("development:plan_submit", args=[plan.pk]), follow=True)
    assert "Write a goal in your own words" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT

    data = _goals(plan) | {f"due_{item.pk}": "2027-03-01", f"remove_{removed.pk}": "on"}
    client.post(reverse("development:plan_update", args=[plan.pk]), data)
    item.refresh_from_db()
    assert item.due_date == dt.date(2027, 3, 1)
    assert not plan.items.filter(pk=removed.pk).exists()
    assert all(f.goal for f in plan.focuses.filter(kind=FocusKind.FOCUS))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("development:plan_submit", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    assert [m.to for m in mail.outbox] == [["leidinggevende@example.nl"]]

    # The manager sees it waiting, cannot edit it, and returns it with a comment.
    assert plan in manager.get(reverse("development:team")).context["waiting"]
    assert manager.post(reverse("development:plan_update", args=[plan.pk]), {}).status_code == 404
    response = manager.post(
        reverse("development:plan_decide", args=[plan.pk]), {"decision": "return"}, follow=True
    )
    assert "Say what should change" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(
            reverse("development:plan_decide", args=[plan.pk]),
            {"decision": "return", "comment": "Maak het tweede doel concreter."},
        )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETURNED
    assert mail.outbox[-1].to == ["medewerker@example.nl"]
    assert "Maak het tweede doel concreter." in mail.outbox[-1].body

    client.post(reverse("development:plan_update", args=[plan.pk]), _goals(plan) | {"submit": "1"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    manager.post(reverse("development:plan_decide", args=[plan.pk]), {"decision": "approve"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by is not None
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    for action in ("plan.submit", "plan.return", "plan.approve", "plan.update"):
        assert action in actions

    # An approved plan is no longer edited, but progress is tracked.
    client.post(reverse("development:plan_update", args=[plan.pk]), _goals(plan))
    prefix = f"item{item.pk}"
    client.post(
        reverse("development:item_progress", args=[plan.pk, item.pk]),
        {f"{prefix}-status": "done", f"{prefix}-reflection": "Ging goed."},
    )
    item.refresh_from_db()
    assert (item.status, item.reflection) == (ItemStatus.DONE, "Ging goed.")


def test_a_colleague_never_opens_someone_elses_plan(employee, member_client, organisation, team):
    client, _ = employee
    plan = _propose(client)
    _, members = team
    other, user = member_client(organisation, Role.EMPLOYEE)
    members[1].user = user
    members[1].save()
    assert other.get(reverse("development:plan", args=[plan.pk])).status_code == 404
    assert other.get(reverse("development:guide", args=[plan.pk])).status_code == 404


def test_the_manager_sees_levels_only_when_the_policy_allows(employee, manager, organisation):
    client, _ = employee
    plan = _propose(client)
    organisation.manager_visibility = "no"
    organisation.save()
    response = manager.get(reverse("development:plan", args=[plan.pk]))
    assert response.status_code == 200
    assert response.context["show_levels"] is False
    assert "Level " not in response.content.decode()
    guide = manager.get(reverse("development:guide", args=[plan.pk]))
    assert "report" not in guide.context
    assert AuditEvent.objects.filter(action="plan.view").count() == 1
    organisation.manager_visibility = "yes"
    organisation.save()
    guide = manager.get(reverse("development:guide", args=[plan.pk]))
    assert guide.context["report"].results


def test_the_conversation_guide_renders_as_a_page_and_a_pdf(employee):
    client, _ = employee
    plan = _propose(client)
    page = client.get(reverse("development:guide", args=[plan.pk]))
    assert "Good questions to ask" in page.content.decode()
    pdf = client.get(reverse("development:guide_pdf", args=[plan.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_without_results_the_plan_rests_on_the_role_and_says_so(
    member_client, organisation, team, catalogue
):
    _, members = team
    client, user = member_client(organisation, Role.EMPLOYEE)
    newcomer = EmployeeFactory(
        organisation=organisation, user=user, role_profile=members[0].role_profile
    )
    page = client.get(reverse("development:mine"))
    assert "There are no results for you yet" in page.content.decode()
    plan = _propose(client)
    assert plan.employee == newcomer
    assert plan.round is None
    assert plan.focuses.filter(kind=FocusKind.FOCUS).count() == 3
    assert (
        "Based on the role profile alone"
        in client.get(reverse("development:plan", args=[plan.pk])).content.decode()
    )


def test_a_missing_format_in_the_catalogue_is_reported_not_a_crash(employee):
    client, _ = employee
    Activity.objects.filter(format=ActivityFormat.ON_THE_JOB).update(is_active=False)
    response = client.post(reverse("development:propose"), follow=True)
    assert response.status_code == 200
    assert "no on-the-job assignment" in response.content.decode()
    assert not Plan.objects.get().items.filter(activity__format=ActivityFormat.ON_THE_JOB).exists()


def test_due_activities_are_reminded_once_per_date(employee, manager):
    client, _ = employee
    plan = _propose(client)
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED)
    today = timezone.localdate()
    item = plan.items.all()[0]
    plan.items.exclude(pk=item.pk).update(due_date=today + dt.timedelta(days=60))
    item.due_date = today + dt.timedelta(days=3)
    item.save()
    mail.outbox.clear()
    assert notices.due_reminders_send(today) == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "leidinggevende@example.nl",
        "medewerker@example.nl",
    ]
    assert item.activity.label in mail.outbox[0].body
    assert notices.due_reminders_send(today) == 0
    item.due_date = today + dt.timedelta(days=5)
    item.save()
    assert notices.due_reminders_send(today) == 2


def test_hr_sees_learning_needs_and_exports_them(member_client, organisation, employee):
    hr, _ = member_client(organisation, Role.HR)
    response = hr.get(reverse("development:needs"))
    assert response.status_code == 200
    needs = response.context["needs"]
    assert needs.competencies
    shortfalls = [n.shortfall for n in needs.competencies]
    assert shortfalls == sorted(shortfalls, reverse=True)
    assert all(n.people >= organisation.anonymity_threshold for n in needs.competencies)
    assert needs.activities
    csv = hr.get(reverse("development:needs_export", args=["csv"]))
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(needs.competencies) + len(needs.activities)
    assert AuditEvent.objects.filter(action="insights.export").exists()
    assert (
        member_client(organisation, Role.EMPLOYEE)[0].get(reverse("development:needs")).status_code
        == 403
    )


def test_the_plan_marks_its_levels_outdated_once_the_round_is_old(employee, organisation):
    import time_machine

    client, _ = employee
    plan = _propose(client)
    page = client.get(reverse("development:plan", args=[plan.pk])).content.decode()
    assert "Level " in page
    assert "Outdated" not in page
    assert plan.round is not None
    closed = plan.round.closed_at
    assert closed is not None
    later = closed + dt.timedelta(days=31 * organisation.results_outdated_months)
    with time_machine.travel(later, tick=False):
        client.force_login(plan.employee.user)  # the session of a year ago has expired
        page = client.get(reverse("development:plan", args=[plan.pk])).content.decode()
    assert "Outdated" in page
    assert "a pulse check or a new round gives a current one" in page


def test_the_employee_and_the_manager_set_the_day_of_the_talk(
    employee, manager, member_client, organisation, team
):
    client, _ = employee
    plan = _propose(client)
    url = reverse("development:plan_talk", args=[plan.pk])
    past = client.post(url, {"talk_on": "2020-01-01"})
    assert past.status_code == 400
    assert "Choose today or a day to come." in past.content.decode()
    day = dt.date.today() + dt.timedelta(days=5)
    assert client.post(url, {"talk_on": day.isoformat()}).status_code == 302
    plan.refresh_from_db()
    assert plan.talk_on == day
    assert manager.post(url, {"talk_on": ""}).status_code == 302
    plan.refresh_from_db()
    assert plan.talk_on is None
    assert AuditEvent.objects.filter(action="plan.talk").count() == 2
    # A colleague cannot.
    _, members = team
    other, user = member_client(organisation, Role.EMPLOYEE)
    members[1].user = user
    members[1].save()
    assert other.post(url, {"talk_on": day.isoformat()}).status_code == 404


def test_a_departments_learning_needs_never_give_away_a_small_one(
    member_client, organisation, team, closed_round
):
    """With one person in a department of their own, the organisation's needs minus the other
    department's were that person's shortfall, so their level. The other department is hidden
    along on the organisation view's department split, and so it is here."""
    manager, members = team
    alone = DepartmentFactory.create(organisation=organisation, name="Klein")
    manager.team = TeamFactory(organisation=organisation, department=alone)
    manager.save()
    rest = members[0].team.department
    hr, _ = member_client(organisation, Role.HR)
    url = reverse("development:needs")
    whole = hr.get(url).context["needs"]
    assert whole.competencies  # everyone is below target in this round
    for department in (alone, rest):
        assert hr.get(url, {"afdeling": department.pk}).context["needs"].competencies == []
    overview = hr.get(reverse("insights:organisation")).context["overview"]
    assert all(unit.suppressed for unit in overview.units)
