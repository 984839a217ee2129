"""Plan emails: to the manager when a plan waits for review, to the employee when it is
approved or returned, and to both when planned activities are due within a week.

Sent from tasks (``development.tasks``), in the organisation's language (Dutch by default:
there is no per-person language yet), with links to the pages in Vakwerk.
"""

import datetime as dt
from collections import defaultdict

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
    with translation.override(settings.LANGUAGE_CODE):
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


def due_reminders_send(today: dt.date | None = None) -> int:
    """The daily job: one email per person listing their activities due within a week (not
    done, not yet reminded for that date), and one per manager listing their reports' ones.
    Returns the number of emails sent."""
    today = today or timezone.localdate()
    due = list(
        PlanItem.objects.filter(
            plan__status=PlanStatus.APPROVED,
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS),
        )
        .exclude(status=ItemStatus.DONE)
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("due_date")))
        .select_related("activity", "plan__employee__manager", "plan__organisation")
        .order_by("due_date", "pk")
    )
    by_employee: dict[Employee, list[PlanItem]] = defaultdict(list)
    by_manager: dict[Employee, list[PlanItem]] = defaultdict(list)
    for item in due:
        by_employee[item.plan.employee].append(item)
        if item.plan.employee.manager is not None:
            by_manager[item.plan.employee.manager].append(item)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for person, items in by_employee.items():
            if person.email:
                _send(
                    person.email,
                    _("Planned development activities are due soon"),
                    "due",
                    {
                        "name": person.first_name,
                        "items": items,
                        "manager": False,
                        "link": _link(reverse("development:mine")),
                    },
                )
                sent += 1
        for manager, items in by_manager.items():
            if manager.email:
                _send(
                    manager.email,
                    _("Development activities of your team are due soon"),
                    "due",
                    {
                        "name": manager.first_name,
                        "items": items,
                        "manager": True,
                        "link": _link(reverse("development:team")),
                    },
                )
                sent += 1
    for item in due:
        PlanItem.objects.filter(pk=item.pk).update(reminded_for=item.due_date)
    return sent
