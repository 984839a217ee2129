"""Everything Vakwerk holds about one employee, for their right of access (AVG art. 15).

It lives in the audit app, next to the access log and retention (``audit.retention``): the app
that answers "what do we keep about people, and who looked". It reads every other app, so it is
a read-only selector here and never imported by ``audit.models`` or ``audit.services`` (an
import-linter contract keeps those free of other apps).

``personal_data`` collects one employee of one organisation into a JSON-serialisable dict. It
shows what the pages show the employee and no more about others:

- feedback from colleagues and external raters only as the report shows it (``subject_feedback``:
  groups at or above the anonymity threshold, comments without who wrote them);
- the answers and comments the employee gave about *themselves* (self-assessment, situational
  judgement test); of questionnaires about others only how many, never whom or what;
- no rater's, peer's or other employee's name, except their own manager and the people who
  looked at their results (the access log shows those to the employee already).

Every section is read with a fixed number of queries (feedback: a few per closed round).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from vakwerk.assessments.models import (
    Answer,
    Comment,
    Invitation,
    RoundStatus,
    SjtAnswer,
    Source,
    Subject,
)
from vakwerk.assessments.privacy import subject_feedback
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.badges.models import Badge
from vakwerk.development.models import Plan, PlanFocus, PlanItem
from vakwerk.insights.selectors import access_events
from vakwerk.measurement.models import Estimate, PulseCheck, PulseUpdate
from vakwerk.nudges.models import EmailSend, Notification, NotificationPreference
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import Attempt, Card, ExerciseAnswer, JournalEntry

FORMAT = "vakwerk-persoonsgegevens/1"

# The order of the sections in the export and on the printable page.
SECTIONS = (
    "personal_details",
    "rounds",
    "results",
    "feedback",
    "development_plans",
    "practice",
    "badges",
    "journal",
    "notifications",
    "access_log",
    "audit",
)


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(organisation: Organisation, employee: Employee) -> dict[str, Any]:
    """The export of ``employee`` (who must belong to ``organisation``), sections as in
    ``SECTIONS``. Values are strings, numbers, booleans, None, lists and dicts only."""
    if employee.organisation_id != organisation.pk:
        raise ValueError("The employee does not belong to this organisation.")
    sections = {
        "personal_details": _personal_details(organisation, employee),
        "rounds": _rounds(employee),
        "results": _results(organisation, employee),
        "feedback": _feedback(organisation, employee),
        "development_plans": _plans(organisation, employee),
        "practice": _practice(organisation, employee),
        "badges": _badges(organisation, employee),
        "journal": _journal(organisation, employee),
        "notifications": _notifications(organisation, employee),
        "access_log": _access_log(organisation, employee),
        "audit": _audit(organisation, employee),
    }
    return {
        "format": FORMAT,
        "generated_at": timezone.now().isoformat(),
        "organisation": organisation.name,
        "employee": employee.full_name,
        "sections": sections,
    }


def _personal_details(organisation: Organisation, employee: Employee) -> dict[str, Any]:
    person = Employee.objects.select_related("team", "manager", "role_profile", "user").get(
        pk=employee.pk
    )
    membership = (
        Membership.objects.filter(organisation=organisation, user_id=person.user_id).first()
        if person.user_id
        else None
    )
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "employee_number": person.employee_number,
        "job_title": person.job_title,
        "team": person.team.name if person.team else None,
        "manager": person.manager.full_name if person.manager else None,
        "role_profile": person.role_profile.name if person.role_profile else None,
        "start_date": _iso(person.start_date),
        "end_date": _iso(person.end_date),
        "shares_results_with_manager": person.shares_results_with_manager,
        "shares_results_with_hr": person.shares_results_with_hr,
        "login_email": person.user.email if person.user else None,
        "roles": [str(role) for role in membership.roles] if membership else [],
    }


def _rounds(employee: Employee) -> list[dict[str, Any]]:
    """The rounds the employee was measured in, with the answers they gave about themselves."""
    subjects = list(
        Subject.objects.filter(employee=employee)
        .select_related("round")
        .order_by("round__opens_on", "pk")
    )
    answers: dict[int, list[dict[str, Any]]] = {}
    for subject_id, code, text, value in Answer.objects.filter(
        invitation__subject__in=subjects,
        invitation__source=Source.SELF,
        invitation__rater=employee,
    ).values_list(
        "invitation__subject_id", "indicator__competency__code", "indicator__text", "value"
    ):
        answers.setdefault(subject_id, []).append(
            {"competency": code, "behaviour": text, "answer": value}
        )
    comments: dict[int, list[dict[str, Any]]] = {}
    for subject_id, code, text in Comment.objects.filter(
        invitation__subject__in=subjects,
        invitation__source=Source.SELF,
        invitation__rater=employee,
    ).values_list("invitation__subject_id", "competency_code", "text"):
        if text:
            comments.setdefault(subject_id, []).append({"competency": code, "comment": text})
    sjt: dict[int, list[dict[str, Any]]] = {}
    for subject_id, item, position, rating in SjtAnswer.objects.filter(
        subject__in=subjects
    ).values_list("subject_id", "option__item__code", "option__position", "rating"):
        sjt.setdefault(subject_id, []).append(
            {"situation": item, "response": position, "rating": rating}
        )
    rated_others = dict(
        Invitation.objects.filter(rater=employee)
        .exclude(source=Source.SELF)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return [
        {
            "round": subject.round.name,
            "opens_on": _iso(subject.round.opens_on),
            "closes_on": _iso(subject.round.closes_on),
            "status": subject.round.status,
            "competencies": subject.competency_codes,
            "self_assessment": answers.get(subject.pk, []),
            "self_comments": comments.get(subject.pk, []),
            "situational_judgement": sjt.get(subject.pk, []),
        }
        for subject in subjects
    ] + ([{"questionnaires_about_colleagues": rated_others}] if rated_others else [])


def _results(organisation: Organisation, employee: Employee) -> dict[str, Any]:
    estimates = (
        Estimate.objects.filter(organisation=organisation, employee=employee)
        .order_by("computed_at", "competency_code")
        .values(
            "round__name",
            "competency_code",
            "level",
            "level_lower",
            "level_upper",
            "agreement",
            "computed_at",
        )
    )
    pulses = PulseCheck.objects.filter(organisation=organisation, employee=employee).order_by(
        "created_at"
    )
    updates = (
        PulseUpdate.objects.filter(organisation=organisation, employee=employee)
        .order_by("computed_at", "competency_code")
        .values(
            "competency_code",
            "prior_level",
            "level",
            "level_lower",
            "level_upper",
            "n_items",
            "computed_at",
        )
    )
    return {
        "estimates": [
            {
                "round": row["round__name"],
                "competency": row["competency_code"],
                "level": row["level"],
                "level_lower": row["level_lower"],
                "level_upper": row["level_upper"],
                "agreement": row["agreement"],
                "computed_at": _iso(row["computed_at"]),
            }
            for row in estimates
        ],
        "pulse_checks": [
            {
                "competencies": pulse.competency_codes,
                "created_at": _iso(pulse.created_at),
                "due_at": _iso(pulse.due_at),
                "completed_at": _iso(pulse.completed_at),
            }
            for pulse in pulses
        ],
        "pulse_updates": [
            {
                "competency": row["competency_code"],
                "level_before": row["prior_level"],
                "level": row["level"],
                "level_lower": row["level_lower"],
                "level_upper": row["level_upper"],
                "situations": row["n_items"],
                "computed_at": _iso(row["computed_at"]),
            }
            for row in updates
        ],
    }


def _feedback(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    """Feedback as the employee's own report shows it: closed rounds, visible groups only,
    comments without their writers."""
    subjects = Subject.objects.filter(
        employee=employee, round__organisation=organisation, round__status=RoundStatus.CLOSED
    ).select_related("round", "round__organisation")
    found = []
    for subject in subjects.order_by("round__closed_at", "pk"):
        feedback = subject_feedback(subject, actor=Actor(user=None), viewer_is_subject=True)
        found.append(
            {
                "round": subject.round.name,
                "competencies": [
                    {
                        "competency": code,
                        "answers_per_source": {
                            source: {str(value): n for value, n in sorted(counts.items())}
                            for source, counts in item.distribution.items()
                        },
                        "comments_per_source": item.comments,
                    }
                    for code, item in sorted(feedback.items())
                ],
            }
        )
    return found


def _plans(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    plans = list(
        Plan.objects.filter(organisation=organisation, employee=employee)
        .select_related("round")
        .order_by("created_at", "pk")
    )
    focuses: dict[int, list[dict[str, Any]]] = {}
    for focus in PlanFocus.objects.filter(plan__in=plans).order_by("position", "pk"):
        focuses.setdefault(focus.plan_id, []).append(
            {
                "competency": focus.competency_code,
                "kind": focus.kind,
                "level": focus.level,
                "target": focus.target,
                "goal": focus.goal,
            }
        )
    items: dict[int, list[dict[str, Any]]] = {}
    for item in (
        PlanItem.objects.filter(plan__in=plans).select_related("activity").order_by("position")
    ):
        items.setdefault(item.plan_id, []).append(
            {
                "activity": item.activity.title,
                "due_date": _iso(item.due_date),
                "status": item.status,
                "reflection": item.reflection,
            }
        )
    return [
        {
            "round": plan.round.name if plan.round else None,
            "status": plan.status,
            "manager_comment": plan.manager_comment,
            "created_at": _iso(plan.created_at),
            "submitted_at": _iso(plan.submitted_at),
            "decided_at": _iso(plan.decided_at),
            "focuses": focuses.get(plan.pk, []),
            "activities": items.get(plan.pk, []),
        }
        for plan in plans
    ]


def _practice(organisation: Organisation, employee: Employee) -> dict[str, Any]:
    cards = Card.objects.filter(organisation=organisation, employee=employee).values(
        "family__title", "competency_code", "due", "reviews"
    )
    attempts = (
        Attempt.objects.filter(organisation=organisation, employee=employee)
        .order_by("started_at", "pk")
        .values("variant__title", "scores", "ending", "started_at", "finished_at")
    )
    answers = (
        ExerciseAnswer.objects.filter(organisation=organisation, employee=employee)
        .order_by("answered_at", "pk")
        .values("exercise__code", "exercise__competency_code", "choice", "correct", "answered_at")
    )
    return {
        "cards": [
            {
                "scenario": row["family__title"],
                "competency": row["competency_code"],
                "due": _iso(row["due"]),
                "reviews": row["reviews"],
            }
            for row in cards
        ],
        "attempts": [
            {
                "scenario": row["variant__title"],
                "scores": row["scores"],
                "ending": row["ending"],
                "started_at": _iso(row["started_at"]),
                "finished_at": _iso(row["finished_at"]),
            }
            for row in attempts
        ],
        "exercise_answers": [
            {
                "exercise": row["exercise__code"],
                "competency": row["exercise__competency_code"],
                "choice": row["choice"],
                "correct": row["correct"],
                "answered_at": _iso(row["answered_at"]),
            }
            for row in answers
        ],
    }


def _badges(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    """The Open Badges credentials issued to the employee, with the signed credential itself."""
    return [
        {
            "competency": badge.competency.name,
            "level": badge.target_level,
            "issued_at": _iso(badge.issued_at),
            "shared": badge.is_shared,
            "revoked_at": _iso(badge.revoked_at),
            "revocation_reason": badge.get_revocation_reason_display() if badge.revoked_at else "",
            "credential": badge.jwt,
        }
        for badge in Badge.objects.filter(organisation=organisation, employee=employee)
        .select_related("competency")
        .order_by("issued_at", "pk")
    ]


def _journal(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    return [
        {"text": text, "created_at": _iso(created_at)}
        for text, created_at in JournalEntry.objects.filter(
            organisation=organisation, employee=employee
        )
        .order_by("created_at", "pk")
        .values_list("text", "created_at")
    ]


def _notifications(organisation: Organisation, employee: Employee) -> dict[str, Any]:
    if employee.user_id is None:
        return {"preferences": None, "notifications": [], "emails": []}
    preference = NotificationPreference.objects.filter(user_id=employee.user_id).first()
    notifications = (
        Notification.objects.filter(organisation=organisation, user_id=employee.user_id)
        .order_by("created_at", "pk")
        .values("kind", "params", "created_at", "read_at")
    )
    emails = (
        EmailSend.objects.filter(organisation=organisation, user_id=employee.user_id)
        .order_by("created_at", "pk")
        .values("kind", "period", "status", "sent_at")
    )
    return {
        "preferences": {
            "language": preference.language,
            "weekly_digest": preference.weekly_digest,
            "reminders": preference.reminders,
        }
        if preference
        else None,
        "notifications": [
            {
                "kind": row["kind"],
                "details": row["params"],
                "created_at": _iso(row["created_at"]),
                "read_at": _iso(row["read_at"]),
            }
            for row in notifications
        ],
        "emails": [
            {
                "kind": row["kind"],
                "period": row["period"],
                "status": row["status"],
                "sent_at": _iso(row["sent_at"]),
            }
            for row in emails
        ],
    }


def _access_log(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    return [
        {"when": _iso(when), "who": who, "action": action}
        for when, who, action in access_events(organisation, employee).values_list(
            "created_at", "actor_label", "action"
        )
    ]


def _audit(organisation: Organisation, employee: Employee) -> list[dict[str, Any]]:
    """Audit lines about the employee's record and the employee's own actions. Details are
    left out: they may name other people (a nominated colleague, a rater)."""
    about = Q(object_type="people.employee", object_id=str(employee.pk))
    mine = Q(actor_id=employee.user_id) if employee.user_id else Q(pk__in=[])
    return [
        {
            "when": _iso(row["created_at"]),
            "action": row["action"],
            "by": row["actor_label"] if row["actor_id"] != employee.user_id else "",
            "object": row["object_type"],
            "result": row["result"],
        }
        for row in AuditEvent.objects.filter(about | mine, organisation=organisation)
        .order_by("created_at", "pk")
        .values("created_at", "action", "actor_label", "actor_id", "object_type", "result")
    ]
