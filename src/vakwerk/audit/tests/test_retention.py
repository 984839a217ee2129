"""Retention: data older than the organisation's settings is removed or anonymised, newer data
stays, a second run changes nothing, leavers are anonymised only after their period."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from vakwerk.assessments.models import Answer, Comment, Invitation, Round, Source, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.retention import months_before, retention_apply
from vakwerk.audit.services import Actor, audit_log
from vakwerk.measurement.models import Estimate, PulseCheck
from vakwerk.nudges.jobs import JOBS, job_run
from vakwerk.nudges.models import Notification, NotificationKind, NotificationPreference
from vakwerk.people.models import Employee
from vakwerk.practice.models import JournalEntry
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, UserFactory

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 6, 15, 3, 30, tzinfo=AMSTERDAM)


def at(months_ago: int, days: int = 0) -> dt.datetime:
    return months_before(NOW, months_ago) - dt.timedelta(days=days)


def test_months_before_counts_calendar_months():
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=AMSTERDAM)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=AMSTERDAM)
    assert months_before(moment, 15) == dt.datetime(2024, 12, 31, 12, tzinfo=AMSTERDAM)


def test_the_job_is_scheduled_at_night_and_points_at_retention():
    assert JOBS["retention"].schedule == "30 3 * * *"
    assert JOBS["retention"].function == "vakwerk.audit.retention.retention_apply"


def _journal(organisation, employee, text, when):
    with time_machine.travel(when, tick=False):
        return JournalEntry.objects.create(organisation=organisation, employee=employee, text=text)


def _counts() -> dict[str, int]:
    return {
        "journal": JournalEntry.objects.count(),
        "audit": AuditEvent.objects.exclude(action="retention.apply").count(),
        "estimates": Estimate.objects.count(),
        "answers": Answer.objects.count(),
        "blank_comments": Comment.objects.filter(text="").count(),
        "pulses": PulseCheck.objects.count(),
    }


def test_old_practice_journal_and_audit_go_newer_stay_and_a_second_run_changes_nothing(
    organisation, other_organisation
):
    organisation.retention_practice_months = 12
    organisation.retention_audit_months = 24
    organisation.save()
    me = EmployeeFactory(organisation=organisation)
    _journal(organisation, me, "oud", at(12, days=1))
    _journal(organisation, me, "nieuw", at(12) + dt.timedelta(days=1))
    stranger = EmployeeFactory(organisation=other_organisation)
    # The other organisation keeps practice for 24 months (the default): this one stays.
    _journal(other_organisation, stranger, "van B", at(12, days=30))
    with time_machine.travel(at(24, days=1), tick=False):
        audit_log(organisation=organisation, actor=Actor(user=None), action="old.line")
    with time_machine.travel(at(24) + dt.timedelta(days=1), tick=False):
        audit_log(organisation=organisation, actor=Actor(user=None), action="new.line")

    with time_machine.travel(NOW, tick=False):
        totals = retention_apply(now=NOW)
    assert totals["journal_entries"] == 1
    assert totals["audit_events"] == 1
    assert set(JournalEntry.objects.values_list("text", flat=True)) == {"nieuw", "van B"}
    assert AuditEvent.objects.filter(action="old.line").count() == 0
    assert AuditEvent.objects.filter(action="new.line").count() == 1
    line = AuditEvent.objects.get(action="retention.apply")
    assert line.organisation == organisation
    assert line.details["journal_entries"] == 1

    before = _counts()
    with time_machine.travel(NOW, tick=False):
        again = retention_apply(now=NOW)
    assert not any(again.values())
    assert _counts() == before
    assert AuditEvent.objects.filter(action="retention.apply").count() == 1, "no empty lines"


def test_results_and_comments_of_old_rounds_go_those_of_recent_rounds_stay(
    organisation, closed_round, team
):
    organisation.retention_results_months = 36
    organisation.retention_comments_months = 24
    organisation.save()
    _manager, members = team
    subject = Subject.objects.get(round=closed_round, employee=members[0])
    invitation = Invitation.objects.filter(subject=subject, source=Source.PEER).first()
    comment = Comment.objects.create(
        invitation=invitation, competency_code=subject.competency_codes[0], text="Goed gedaan"
    )
    assert Estimate.objects.filter(round=closed_round).exists()
    answers = Answer.objects.filter(invitation__subject__round=closed_round).count()
    assert answers

    # Closed 30 months ago, commented 30 months ago: comments go, results stay (36 months).
    Round.objects.filter(pk=closed_round.pk).update(closed_at=at(30))
    Comment.objects.filter(pk=comment.pk).update(updated_at=at(30))
    with time_machine.travel(NOW, tick=False):
        retention_apply(now=NOW)
    comment.refresh_from_db()
    assert comment.text == ""
    assert Comment.objects.filter(pk=comment.pk).exists(), "the structure stays"
    assert Estimate.objects.filter(round=closed_round).exists()
    assert Answer.objects.filter(invitation__subject__round=closed_round).count() == answers

    # Closed 37 months ago: the results go too.
    Round.objects.filter(pk=closed_round.pk).update(closed_at=at(37))
    with time_machine.travel(NOW, tick=False):
        totals = retention_apply(now=NOW)
    assert totals["estimates"] > 0
    assert not Estimate.objects.filter(round=closed_round).exists()
    assert not Answer.objects.filter(invitation__subject__round=closed_round).exists()
    assert Subject.objects.filter(round=closed_round).exists(), "who took part stays"
    before = _counts()
    with time_machine.travel(NOW, tick=False):
        assert not any(retention_apply(now=NOW).values())
    assert _counts() == before


def test_old_pulse_checks_go(organisation):
    organisation.retention_results_months = 12
    organisation.save()
    me = EmployeeFactory(organisation=organisation)
    for created in (at(13), at(11)):
        PulseCheck.objects.create(
            organisation=organisation,
            employee=me,
            created_at=created,
            due_at=created,
            completed_at=created,
        )
    with time_machine.travel(NOW, tick=False):
        assert retention_apply(now=NOW)["pulse_checks"] == 1
    assert list(PulseCheck.objects.values_list("created_at", flat=True)) == [at(11)]


def _leaver(organisation, left: dt.date, **kwargs):
    user = UserFactory()
    MembershipFactory(organisation=organisation, user=user)
    employee = EmployeeFactory(
        organisation=organisation, user=user, end_date=left, last_name="Vertrokken", **kwargs
    )
    _journal(organisation, employee, "privé", at(1))
    Notification.objects.create(
        organisation=organisation, user=user, kind=NotificationKind.PRACTICE_DUE, key="p:1"
    )
    NotificationPreference.objects.create(user=user)
    return employee


def test_leavers_are_anonymised_only_after_their_period(organisation):
    organisation.retention_after_leaving_months = 24
    organisation.save()
    old = _leaver(organisation, at(24, days=2).date())
    recent = _leaver(organisation, at(24).date() + dt.timedelta(days=2))
    stays = EmployeeFactory(organisation=organisation, last_name="Blijver")

    with time_machine.travel(NOW, tick=False):
        totals = retention_apply(now=NOW)
    assert totals["leavers"] == 1
    old.refresh_from_db()
    assert old.full_name == f"Oud-medewerker {old.pk}"
    assert old.email == f"oud-medewerker-{old.pk}@anoniem.invalid"
    assert old.employee_number == ""
    assert old.job_title == ""
    assert old.user is None
    assert not JournalEntry.objects.filter(employee=old).exists()
    assert Notification.objects.filter(organisation=organisation).count() == 1
    assert NotificationPreference.objects.count() == 1

    recent.refresh_from_db()
    assert recent.last_name == "Vertrokken"
    assert recent.user is not None
    assert JournalEntry.objects.filter(employee=recent).exists()
    assert Employee.objects.get(pk=stays.pk).last_name == "Blijver"

    with time_machine.travel(NOW, tick=False):
        assert retention_apply(now=NOW)["leavers"] == 0


def test_a_leavers_preferences_stay_while_the_login_is_used_elsewhere(
    organisation, other_organisation
):
    organisation.retention_after_leaving_months = 1
    organisation.save()
    leaver = _leaver(organisation, at(3).date())
    MembershipFactory(organisation=other_organisation, user=leaver.user)
    with time_machine.travel(NOW, tick=False):
        retention_apply(now=NOW)
    assert NotificationPreference.objects.count() == 1


def test_the_periodic_job_runs_retention_once_per_day(organisation):
    me = EmployeeFactory(organisation=organisation)
    _journal(organisation, me, "heel oud", at(48))
    with time_machine.travel(NOW, tick=False):
        run = job_run("retention", now=NOW)
        assert run is not None
        assert run.details["journal_entries"] == 1
        assert job_run("retention", now=NOW) is None
    assert not JournalEntry.objects.exists()
