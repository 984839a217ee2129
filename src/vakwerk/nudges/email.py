"""Digest and reminder emails: who gets one for which period, what is in it, and sending.

The periodic jobs only decide who gets an email: they write ``EmailSend`` rows (unique per
person, organisation, kind and period, so a second run for the same week or day queues
nothing) and start the sending task. The task (``email_tasks.send_queued_emails``) sends at
most ``BATCH_SIZE`` emails per run and enqueues the next batch ``BATCH_PAUSE`` later, so a
large organisation does not flood the mail server. Each email is built when it is sent, in
the language the person chose, and is skipped when they unsubscribed in the meantime or
nothing is left to say.

Every email carries a one-click unsubscribe link (RFC 8058: ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers) that works without logging in: a signed token names the
person and what to stop.
"""

import datetime as dt
import hashlib
import logging
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vakwerk.development import notices
from vakwerk.development.models import ItemStatus, PlanItem
from vakwerk.nudges.digest import Digest, digest_of, digests, recipients
from vakwerk.nudges.models import EmailKind, EmailSend, EmailStatus, Notification
from vakwerk.nudges.notifications import (
    ALL,
    DIGEST,
    REMINDERS,
    UNSUBSCRIBE_SCOPES,
    notifications_add,
    plan_item_notification,
    preference_of,
    preferences_of,
    week_of,
)
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee

if TYPE_CHECKING:
    from vakwerk.accounts.models import User

logger = logging.getLogger(__name__)

# Throttle: at most this many emails per task run, then the next batch this much later.
# 50 a minute is 3,000 an hour: a weekly digest for a large municipality goes out within the
# morning without tripping the rate limits of a shared mail relay.
BATCH_SIZE = 50
BATCH_PAUSE = dt.timedelta(minutes=1)

UNSUBSCRIBE_SALT = "vakwerk.nudges.unsubscribe"


# --- links ---------------------------------------------------------------------------------


def absolute(path: str) -> str:
    """A link for an email: ``settings.BASE_URL`` (``VAKWERK_BASE_URL``) plus the path."""
    return f"{settings.BASE_URL}{path}"


def unsubscribe_token(user_id: int, scope: str) -> str:
    """A token that stops ``scope`` (digest, reminders or all) for the user. It does not
    expire: an old email's link must still work."""
    if scope not in UNSUBSCRIBE_SCOPES:
        raise ValueError(f"unknown unsubscribe scope {scope!r}")
    return signing.dumps({"u": user_id, "s": scope}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user_id: int, scope: str) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, scope)]))


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(user id, scope) of a token; ``signing.BadSignature`` for a changed or made-up one."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("u"), int)
        or data.get("s") not in UNSUBSCRIBE_SCOPES
    ):
        raise signing.BadSignature("unexpected content")
    return data["u"], data["s"]


# --- building the emails -------------------------------------------------------------------


def _message(
    *,
    to: str,
    user_id: int,
    scope: str,
    subject: str,
    template: str,
    context: dict[str, Any],
) -> EmailMultiAlternatives:
    """Render ``nudges/email/<template>.{txt,html}`` in the active language with the links
    every email has, and the unsubscribe headers."""
    unsubscribe = unsubscribe_url(user_id, scope)
    context = {
        **context,
        "subject": subject,
        "scope": scope,
        "unsubscribe_url": unsubscribe,
        "unsubscribe_all_url": unsubscribe_url(user_id, ALL),
        "preferences_url": absolute(reverse("notifications:preferences")),
        "centre_url": absolute(reverse("notifications:list")),
    }
    text = render_to_string(f"nudges/email/{template}.txt", context)
    html = render_to_string(f"nudges/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[to],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _address(employee: Employee) -> str:
    return employee.email or (employee.user.email if employee.user else "")


def digest_message(*, digest: Digest, language: str) -> EmailMultiAlternatives:
    """The weekly digest of ``digest.employee`` in ``language``."""
    employee = digest.employee
    assert employee.user_id is not None
    with translation.override(language):
        subject = ngettext(
            "Vakwerk this week: %(count)d thing waiting for you",
            "Vakwerk this week: %(count)d things waiting for you",
            digest.count,
        ) % {"count": digest.count}
        context = {
            "name": employee.first_name,
            "organisation": employee.organisation,
            "digest": digest,
            "practice_url": absolute(reverse("practice:today")),
            "development_url": absolute(reverse("development:mine")),
            "questionnaires_url": absolute(reverse("questionnaires:mine")),
            "plan_items": [
                (item, absolute(reverse("development:plan", args=[item.plan_id])))
                for item in digest.plan_items
            ],
            "feedback": [
                (invitation, absolute(reverse("questionnaires:answer", args=[invitation.pk])))
                for invitation in digest.feedback
            ],
            "plans_to_review": [
                (plan, absolute(reverse("development:plan", args=[plan.pk])))
                for plan in digest.plans_to_review
            ],
            "talks": [
                (plan, absolute(reverse("development:plan", args=[plan.pk])))
                for plan in digest.talks
            ],
            "team_rates": [
                (rate, absolute(reverse("rounds:team", args=[rate.round_id])))
                for rate in digest.team_rates
            ],
        }
        return _message(
            to=_address(employee),
            user_id=employee.user_id,
            scope=DIGEST,
            subject=subject,
            template="digest",
            context=context,
        )


def reminder_message(
    *, employee: Employee, own: list[PlanItem], team: list[PlanItem], language: str
) -> EmailMultiAlternatives:
    """The reminder of plan activities due soon: ``employee``'s own and their reports'."""
    assert employee.user_id is not None
    with translation.override(language):
        subject = (
            _("Planned development activities are due soon")
            if own
            else _("Development activities of your team are due soon")
        )
        context = {
            "name": employee.first_name,
            "organisation": employee.organisation,
            "own": [
                (item, absolute(reverse("development:plan", args=[item.plan_id]))) for item in own
            ],
            "team": [
                (item, absolute(reverse("development:plan", args=[item.plan_id]))) for item in team
            ],
        }
        return _message(
            to=_address(employee),
            user_id=employee.user_id,
            scope=REMINDERS,
            subject=subject,
            template="reminder",
            context=context,
        )


# --- the periodic jobs ---------------------------------------------------------------------


def digests_send_weekly(*, now: dt.datetime) -> dict[str, int]:
    """The weekly job: queue the digest of the ISO week of ``now`` for everyone who has
    something due and wants it, then start sending. A second run in the same week queues no
    one twice."""
    period = week_of(timezone.localdate(now))
    counts: Counter[str] = Counter()
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        people = list(recipients(organisation))
        done = set(
            EmailSend.objects.filter(
                organisation=organisation, kind=EmailKind.DIGEST, period=period
            ).values_list("user_id", flat=True)
        )
        preferences = preferences_of(e.user_id for e in people if e.user_id is not None)
        wanted = []
        for employee in people:
            assert employee.user_id is not None  # recipients have a login
            if employee.user_id in done:
                counts["already"] += 1
            elif not preferences[employee.user_id].weekly_digest:
                counts["unsubscribed"] += 1
            else:
                wanted.append(employee)
        found = digests(organisation, wanted, now=now)
        rows = []
        for employee in wanted:
            if found[employee.pk].is_empty:
                counts["empty"] += 1
                continue
            assert employee.user_id is not None
            rows.append(
                EmailSend(
                    organisation=organisation,
                    user_id=employee.user_id,
                    kind=EmailKind.DIGEST,
                    period=period,
                    params={"now": now.isoformat()},
                    created_at=now,
                )
            )
        EmailSend.objects.bulk_create(rows, ignore_conflicts=True)
        counts["queued"] += len(rows)
    if counts["queued"]:
        emails_enqueue()
    return {"queued": 0, **counts}


def _fingerprint(own: list[PlanItem], team: list[PlanItem]) -> str:
    text = ";".join(
        [f"o{i.pk}@{i.due_date}" for i in own] + [f"t{i.pk}@{i.due_date}" for i in team]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def reminders_send(*, now: dt.datetime) -> dict[str, int]:
    """The daily job: remind people of activities of approved plans due within a week, and
    their managers of their reports' ones: one email per person listing both, and an item in
    each one's notification centre. Each due date is reminded once (``PlanItem.reminded_for``),
    however often this runs; a new date is reminded again. People who turned reminders off
    get the notification but no email."""
    today = timezone.localdate(now)
    items = notices.items_to_remind(today)
    if not items:
        return {"queued": 0, "items": 0}
    pairs = {(i.plan.organisation_id, i.plan.employee.user_id) for i in items} | {
        (i.plan.organisation_id, i.plan.employee.manager.user_id)
        for i in items
        if i.plan.employee.manager is not None
    }
    members = set(
        Membership.objects.filter(
            organisation__is_active=True,
            user__is_active=True,
            user_id__in={user_id for _org, user_id in pairs if user_id is not None},
        ).values_list("organisation_id", "user_id")
    )

    def reachable(person: Employee | None) -> bool:
        return (
            person is not None
            and person.user_id is not None
            and (person.end_date is None or person.end_date > today)
            and (person.organisation_id, person.user_id) in members
        )

    own: dict[Employee, list[PlanItem]] = defaultdict(list)
    team: dict[Employee, list[PlanItem]] = defaultdict(list)
    for item in items:
        employee = item.plan.employee
        if reachable(employee):
            own[employee].append(item)
        if reachable(employee.manager):
            assert employee.manager is not None
            team[employee.manager].append(item)
    people = set(own) | set(team)
    preferences = preferences_of(p.user_id for p in people if p.user_id is not None)
    counts: Counter[str] = Counter(items=len(items))
    notes: list[Notification] = []
    rows: list[EmailSend] = []
    for person in sorted(people, key=lambda p: p.pk):
        assert person.user_id is not None
        mine, theirs = own.get(person, []), team.get(person, [])
        for item, manager in [(i, False) for i in mine] + [(i, True) for i in theirs]:
            kind, key, params, url = plan_item_notification(item, manager=manager)
            notes.append(
                Notification(
                    organisation_id=person.organisation_id,
                    user_id=person.user_id,
                    kind=kind,
                    key=key,
                    params=params,
                    url=url,
                    created_at=now,
                )
            )
        if not preferences[person.user_id].reminders:
            counts["unsubscribed"] += 1
            continue
        rows.append(
            EmailSend(
                organisation_id=person.organisation_id,
                user_id=person.user_id,
                kind=EmailKind.REMINDER,
                period=f"{today.isoformat()}#{_fingerprint(mine, theirs)}",
                params={"own": [i.pk for i in mine], "team": [i.pk for i in theirs]},
                created_at=now,
            )
        )
    with transaction.atomic():
        counts["notified"] = notifications_add(notes)
        EmailSend.objects.bulk_create(rows, ignore_conflicts=True)
        PlanItem.objects.filter(pk__in=[i.pk for i in items]).update(reminded_for=F("due_date"))
    counts["queued"] = len(rows)
    if rows:
        emails_enqueue()
    return dict(counts)


# --- sending -------------------------------------------------------------------------------


def emails_enqueue(*, later: bool = False) -> None:
    """Start (or, with ``later``, schedule after ``BATCH_PAUSE``) a run of the sending task.

    Enqueued directly, not on commit: with the database task backend the task row is part of
    the caller's transaction anyway, and the jobs call this after their own writes.
    """
    from vakwerk.nudges.email_tasks import send_queued_emails  # that module imports this one

    task = send_queued_emails
    if later and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + BATCH_PAUSE)
    task.enqueue()


def emails_send_batch(*, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send up to ``limit`` queued emails, oldest first; when more wait, enqueue the next
    batch. Each email is claimed (queued → sending) before it is built, so two workers never
    send the same one."""
    counts: Counter[str] = Counter()
    ids = list(
        EmailSend.objects.filter(status=EmailStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        claimed = EmailSend.objects.filter(pk=pk, status=EmailStatus.QUEUED).update(
            status=EmailStatus.SENDING
        )
        if claimed:
            counts[email_send(pk)] += 1
    if EmailSend.objects.filter(status=EmailStatus.QUEUED).exists():
        counts["more"] = 1
        emails_enqueue(later=True)
    return dict(counts)


def _skip(email: EmailSend, reason: str) -> str:
    EmailSend.objects.filter(pk=email.pk).update(
        status=EmailStatus.SKIPPED, params={**email.params, "reason": reason}
    )
    return EmailStatus.SKIPPED


def email_send(email_id: int) -> str:
    """Build and send one claimed email; returns its new status."""
    email = EmailSend.objects.select_related("user", "organisation").get(pk=email_id)
    user: User = email.user
    preference = preference_of(user)
    wanted = preference.weekly_digest if email.kind == EmailKind.DIGEST else preference.reminders
    if not wanted:
        return _skip(email, "unsubscribed")
    if not user.is_active or not email.organisation.is_active:
        return _skip(email, "inactive")
    employee = recipients(email.organisation).filter(user=user).first()
    if employee is None:
        return _skip(email, "no_employee")
    if email.kind == EmailKind.DIGEST:
        when = email.params.get("now")
        now = dt.datetime.fromisoformat(when) if when else email.created_at
        digest = digest_of(email.organisation, employee, now=now)
        if digest.is_empty:
            return _skip(email, "empty")
        message = digest_message(digest=digest, language=preference.language)
    else:
        own, team = _reminded_items(email)
        if not own and not team:
            return _skip(email, "done")
        message = reminder_message(
            employee=employee, own=own, team=team, language=preference.language
        )
    if not message.to or not message.to[0]:
        return _skip(email, "no_address")
    try:
        message.send()
    except Exception as error:
        logger.exception("Sending email %s failed", email.pk)
        EmailSend.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        return EmailStatus.FAILED
    EmailSend.objects.filter(pk=email.pk).update(status=EmailStatus.SENT, sent_at=timezone.now())
    return EmailStatus.SENT


def _reminded_items(email: EmailSend) -> tuple[list[PlanItem], list[PlanItem]]:
    """The activities a reminder is about that are still not done."""
    ids = [*email.params.get("own", []), *email.params.get("team", [])]
    found = {
        item.pk: item
        for item in PlanItem.objects.filter(pk__in=ids, plan__organisation=email.organisation)
        .exclude(status=ItemStatus.DONE)
        .select_related("activity", "plan__employee")
    }
    own = [found[pk] for pk in email.params.get("own", []) if pk in found]
    team = [found[pk] for pk in email.params.get("team", []) if pk in found]
    return own, team
