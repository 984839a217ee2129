"""Plan emails: to the manager when a plan waits for review, to the employee when it is
approved or returned, and to both when planned activities are due within a week.

Sent from tasks (``development.tasks``), in the language the recipient chose for emails
(``nudges``: Dutch by default), with links to the pages in Vakwerk. The due-date reminders
are sent by ``nudges.email`` (preferences, unsubscribe link, notification centre,
throttling); this module says which activities are due.
"""

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vakwerk.development.models import ItemStatus, Plan, PlanItem, PlanStatus
from vakwerk.people.models import Employee

DUE_WITHIN_DAYS = 7


def _link(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def _send(to: str, subject: str, template: str, context: dict[str, object]) -> None:
    text = render_to_string(f"development/email/{template}.txt", context)
    html = render_to_string(f"development/email/{template}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def _language_of(person: Employee) -> str:
    """The language ``person`` chose for emails; the installation's default without a login."""
    if person.user_id is None:
        return str(settings.LANGUAGE_CODE)
    from vakwerk.nudges.notifications import preference_of  # nudges builds on this app

    assert person.user is not None
    return preference_of(person.user).language


def plan_notice_send(*, plan_id: int, kind: str) -> int:
    """One email about a plan that was submitted, approved or returned; 0 when it is no
    longer in that state (a task run late or twice) or nobody can be reached."""
    plan = (
        Plan.objects.select_related("employee", "employee__manager", "organisation")
        .filter(pk=plan_id)
        .first()
    )
    expected = {
        "submitted": PlanStatus.SUBMITTED,
        "approved": PlanStatus.APPROVED,
        "returned": PlanStatus.RETURNED,
    }
    if plan is None or expected.get(kind) != plan.status:
        return 0
    to = plan.employee.manager if kind == "submitted" else plan.employee
    if to is None or not to.email:
        return 0
    with translation.override(_language_of(to)):
        context = {
            "name": to.first_name,
            "employee": plan.employee.full_name,
            "organisation": plan.organisation,
            "kind": kind,
            "comment": plan.manager_comment,
            "link": _link(reverse("development:plan", args=[plan.pk])),
        }
        subjects = {
            "submitted": _("Development plan of %(name)s waits for you"),
            "approved": _("Your development plan has been approved"),
            "returned": _("Your development plan has been returned"),
        }
        _send(to.email, subjects[kind] % {"name": plan.employee.full_name}, "plan_notice", context)
    return 1


def items_to_remind(today: dt.date) -> list[PlanItem]:
    """Activities of approved plans due within a week from ``today``, not done and not yet
    reminded for their current due date; soonest first."""
    return list(
        PlanItem.objects.filter(
            plan__status=PlanStatus.APPROVED,
            plan__organisation__is_active=True,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS),
        )
        .exclude(status=ItemStatus.DONE)
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("due_date")))
        .select_related("activity", "plan__employee__manager", "plan__organisation")
        .order_by("due_date", "pk")
    )


def due_reminders_send(today: dt.date | None = None) -> int:
    """The daily job: one email per person listing their activities due within a week (not
    done, not yet reminded for that date) and, for a manager, their reports' ones.

    The work is done by ``nudges.email.reminders_send``, which also respects each person's
    choice to get reminders (and the unsubscribe link in the email), puts the reminder in
    their notification centre and sends through the throttled email task. Returns the number
    of emails queued.
    """
    from vakwerk.nudges.email import reminders_send  # nudges builds on this app

    if today is None:
        now = timezone.now()
    else:
        now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    return reminders_send(now=now)["queued"]
