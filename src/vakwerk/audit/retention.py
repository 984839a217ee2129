"""Retention: removing or anonymising personal data once the organisation's period has passed.

The periodic job ``retention`` (``nudges.jobs.JOBS``, daily at 03:30) calls ``retention_apply``.
Per organisation, with its settings (organisation settings page):

- results (``retention_results_months``, counted from the day the round closed): the measured
  levels (``Estimate``), the raw answers and situational judgement answers of the round, and the
  names and email addresses of external raters. Pulse checks (with their answers and level
  updates) older than the same period, counted from when they were planned;
- comments (``retention_comments_months``, from their last change): the text is blanked, the
  row stays, so counts and the round's structure do not change. Reports skip blank comments;
- practice (``retention_practice_months``): scenario attempts and exercise answers, and the
  private journal. The journal follows the practice period: it is reflection on practice, and a
  separate setting would add a knob without a different purpose;
- audit (``retention_audit_months``): audit lines, including the access log;
- leavers (``retention_after_leaving_months`` after ``end_date``): the employee record is
  anonymised (name "Oud-medewerker <id>", email replaced, employee number and job title cleared,
  consent withdrawn), the link to the login is removed, and their journal, practice schedule,
  notifications, email log and (when they use Vakwerk nowhere else) preferences are deleted.
  Their results stay, under the anonymised record, until the results period ends.

Idempotent: what was removed is gone, and anonymised leavers and blank comments are skipped, so
a second run changes nothing. Rows are deleted in batches of ids, never loaded as objects all at
once. Each organisation is handled in its own transaction with one audit line
``retention.apply`` holding the counts; a run that removes nothing writes no line.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from vakwerk.assessments.models import Answer, Comment, Invitation, RoundStatus, SjtAnswer
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor, audit_log
from vakwerk.measurement.models import Estimate, PulseCheck
from vakwerk.nudges.models import EmailSend, Notification, NotificationPreference
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import Attempt, Card, ExerciseAnswer, JournalEntry

ACTION = "retention.apply"
BATCH = 1000
LEAVER_NAME = "Oud-medewerker"
ANONYMOUS_DOMAIN = "@anoniem.invalid"


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` minus whole calendar months (31 March - 1 month = 28/29 February)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _delete(queryset: models.QuerySet[Any]) -> int:
    """Delete the rows of ``queryset`` in batches of ids; the number of its own rows deleted."""
    model = queryset.model
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        _total, per_model = model._default_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)


def retention_apply(*, now: dt.datetime) -> dict[str, int]:
    """Apply every active organisation's retention settings as of ``now``; totals per kind."""
    totals: dict[str, int] = {}
    for organisation in Organisation.objects.order_by("pk"):
        for key, n in organisation_retention_apply(organisation=organisation, now=now).items():
            totals[key] = totals.get(key, 0) + n
    return totals


@transaction.atomic
def organisation_retention_apply(*, organisation: Organisation, now: dt.datetime) -> dict[str, int]:
    counts = {
        **_results(organisation, months_before(now, organisation.retention_results_months)),
        "comments": _comments(
            organisation, months_before(now, organisation.retention_comments_months)
        ),
        **_practice(organisation, months_before(now, organisation.retention_practice_months)),
        "leavers": _leavers(
            organisation,
            timezone.localdate(months_before(now, organisation.retention_after_leaving_months)),
        ),
        "audit_events": _delete(
            AuditEvent.objects.filter(
                organisation=organisation,
                created_at__lt=months_before(now, organisation.retention_audit_months),
            )
        ),
    }
    if any(counts.values()):
        audit_log(organisation=organisation, actor=Actor(user=None), action=ACTION, details=counts)
    return counts


def _results(organisation: Organisation, before: dt.datetime) -> dict[str, int]:
    old_rounds = organisation.rounds.filter(status=RoundStatus.CLOSED, closed_at__lt=before)
    externals = Invitation.objects.filter(subject__round__in=old_rounds).exclude(
        external_name="", external_email=""
    )
    return {
        "estimates": _delete(
            Estimate.objects.filter(organisation=organisation, round__in=old_rounds)
        ),
        "answers": _delete(Answer.objects.filter(invitation__subject__round__in=old_rounds))
        + _delete(SjtAnswer.objects.filter(subject__round__in=old_rounds)),
        "external_raters": externals.update(external_name="", external_email=""),
        "pulse_checks": _delete(
            PulseCheck.objects.filter(organisation=organisation, created_at__lt=before)
        ),
    }


def _comments(organisation: Organisation, before: dt.datetime) -> int:
    return (
        Comment.objects.filter(
            invitation__subject__round__organisation=organisation, updated_at__lt=before
        )
        .exclude(text="")
        .update(text="")
    )


def _practice(organisation: Organisation, before: dt.datetime) -> dict[str, int]:
    return {
        "practice_attempts": _delete(
            Attempt.objects.filter(organisation=organisation, started_at__lt=before)
        ),
        "exercise_answers": _delete(
            ExerciseAnswer.objects.filter(organisation=organisation, answered_at__lt=before)
        ),
        "journal_entries": _delete(
            JournalEntry.objects.filter(organisation=organisation, created_at__lt=before)
        ),
    }


def _leavers(organisation: Organisation, left_before: dt.date) -> int:
    leavers = Employee.objects.filter(organisation=organisation, end_date__lt=left_before).exclude(
        email__endswith=ANONYMOUS_DOMAIN
    )
    if not leavers.exists():
        return 0
    users = leavers.filter(user__isnull=False).values("user_id")
    _delete(JournalEntry.objects.filter(organisation=organisation, employee__in=leavers))
    _delete(Card.objects.filter(organisation=organisation, employee__in=leavers))
    _delete(Notification.objects.filter(organisation=organisation, user_id__in=users))
    _delete(EmailSend.objects.filter(organisation=organisation, user_id__in=users))
    # Preferences belong to the login, not the organisation: kept while it is used elsewhere.
    elsewhere = Membership.objects.exclude(organisation=organisation).values("user_id")
    _delete(NotificationPreference.objects.filter(user_id__in=users).exclude(user_id__in=elsewhere))
    return leavers.update(
        first_name=LEAVER_NAME,
        last_name=Cast("pk", models.CharField()),
        email=Concat(
            Value("oud-medewerker-"),
            Cast("pk", models.CharField()),
            Value(ANONYMOUS_DOMAIN),
            output_field=models.CharField(),
        ),
        employee_number="",
        job_title="",
        user=None,
        shares_results_with_manager=False,
        shares_results_with_hr=False,
    )
