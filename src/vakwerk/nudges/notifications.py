"""The notification centre and each person's choices about emails.

A notification is stored as a kind with parameters and rendered by ``notification_text`` in
the reader's language when it is shown; a key per user (``invitation:12``) makes adding the
same notification twice harmless, so the daily ``notifications_refresh`` can run as often as
it likes. Other apps add their own items with ``notification_add`` (pulse checks, campaigns).
"""

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vakwerk.audit.services import Actor, audit_log
from vakwerk.lib import sql
from vakwerk.lib.i18n import pack_text
from vakwerk.nudges.digest import Digest, digests, recipients
from vakwerk.nudges.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationQuerySet,
)
from vakwerk.organisations.models import Organisation

if TYPE_CHECKING:
    from vakwerk.accounts.models import User
    from vakwerk.people.models import Employee

# People handled per round of queries in the daily job: bounds the size of the IN lists.
CHUNK = 500

DIGEST, REMINDERS, ALL = "digest", "reminders", "all"

# Dates in texts and emails: "3 December 2026", "3 december 2026" (as the round reminders).
DATE = "j F Y"
UNSUBSCRIBE_SCOPES = (DIGEST, REMINDERS, ALL)


# --- preferences -------------------------------------------------------------------------


def preference_of(user: "User") -> NotificationPreference:
    """The user's choices; the defaults (unsaved) when they never changed one."""
    found = NotificationPreference.objects.filter(user=user).first()
    return found or NotificationPreference(user=user)


def preferences_of(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    """The choices of each of ``user_ids`` (defaults for those without a row); one query."""
    ids = list(user_ids)
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    return {pk: found.get(pk) or NotificationPreference(user_id=pk) for pk in ids}


@transaction.atomic
def preference_update(
    *,
    user: "User",
    actor: Actor,
    organisation: Organisation | None,
    language: str,
    weekly_digest: bool,
    reminders: bool,
) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    before = _choices(preference)
    preference.language = language
    preference.weekly_digest = weekly_digest
    preference.reminders = reminders
    preference.full_clean()
    preference.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="notifications.preferences",
        target=preference,
        details={"before": before, "after": _choices(preference)},
    )
    return preference


@transaction.atomic
def unsubscribe(*, user: "User", scope: str, actor: Actor) -> NotificationPreference:
    """Stop the weekly digest, the reminders, or all emails (``scope``). Doing it again
    changes nothing."""
    if scope not in UNSUBSCRIBE_SCOPES:
        raise ValueError(f"unknown unsubscribe scope {scope!r}")
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user
    )
    before = _choices(preference)
    if scope in (DIGEST, ALL):
        preference.weekly_digest = False
    if scope in (REMINDERS, ALL):
        preference.reminders = False
    preference.full_clean()
    preference.save()
    audit_log(
        organisation=None,  # a person's own choice, not an organisation's
        actor=actor,
        action="notifications.unsubscribe",
        target=preference,
        details={
            "scope": scope,
            "via": "email link",
            "before": before,
            "after": _choices(preference),
        },
    )
    return preference


def _choices(preference: NotificationPreference) -> dict[str, Any]:
    return {
        "language": preference.language,
        "weekly_digest": preference.weekly_digest,
        "reminders": preference.reminders,
    }


# --- the centre ----------------------------------------------------------------------------


def notifications_of(organisation: Organisation, user: "User") -> NotificationQuerySet:
    """The user's notifications in the organisation, newest first."""
    return Notification.objects.filter(organisation=organisation, user=user).order_by(
        "-created_at", "-id"
    )


def notification_of(organisation: Organisation, user: "User", notification_id: int) -> Notification:
    """One of the user's own notifications; 404 for anyone else's."""
    return get_object_or_404(Notification, pk=notification_id, organisation=organisation, user=user)


@cache
def _unread_sql() -> str:
    """The unread count's SQL, with the names the model gives (values go as parameters)."""
    organisation, user, read_at = (
        sql.column(Notification, name) for name in ("organisation", "user", "read_at")
    )
    where = f"{organisation} = %s AND {user} = %s AND {read_at} IS NULL"
    return f"SELECT COUNT(*) FROM {sql.table(Notification)} WHERE {where}"  # noqa: S608


def unread_count(organisation: Organisation, user: "User") -> int:
    """One COUNT on the partial index of unread notifications.

    Written as SQL (names from the model): the page header shows this count on every page,
    and building the query through the ORM cost six times as much CPU as running it (about
    1 ms against 0.15 ms a page, measured with the practice pages). A test holds it equal to
    ``notifications_of(...).unread().count()``."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_sql(), [organisation.pk, user.pk])
        row = cursor.fetchone()
    return int(row[0])


def notification_mark_read(*, notification: Notification, now: dt.datetime | None = None) -> None:
    """Mark one of one's own notifications read. Not audited: it changes nothing but the
    reader's own view of their centre."""
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def notifications_mark_all_read(
    *, organisation: Organisation, user: "User", now: dt.datetime | None = None
) -> int:
    return notifications_of(organisation, user).unread().update(read_at=now or timezone.now())


def notification_add(
    *,
    organisation: Organisation,
    user: "User",
    kind: NotificationKind,
    key: str,
    params: dict[str, Any] | None = None,
    url: str = "",
    now: dt.datetime | None = None,
) -> bool:
    """Put an item in the user's centre unless one with ``key`` is there already. ``params``
    fill the kind's text (see ``notification_text``); ``url`` is a path in Vakwerk. Returns
    whether it was new."""
    return (
        notifications_add(
            [
                Notification(
                    organisation=organisation,
                    user=user,
                    kind=kind,
                    key=key,
                    params=params or {},
                    url=url,
                    created_at=now or timezone.now(),
                )
            ]
        )
        == 1
    )


def notifications_add(notifications: list[Notification]) -> int:
    """Store those of ``notifications`` whose (user, key) is new; returns how many."""
    if not notifications:
        return 0
    users = {n.user_id for n in notifications}
    keys = {n.key for n in notifications}
    existing = set(
        Notification.objects.filter(user_id__in=users, key__in=keys).values_list("user_id", "key")
    )
    new: dict[tuple[int, str], Notification] = {}
    for notification in notifications:
        pair = (notification.user_id, notification.key)
        if pair not in existing:
            new.setdefault(pair, notification)
    # Another run at the same moment may have added some: the unique key skips them.
    Notification.objects.bulk_create(new.values(), ignore_conflicts=True)
    return len(new)


# --- the daily job -------------------------------------------------------------------------


def week_of(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_notifications(
    organisation: Organisation, digest: Digest, *, now: dt.datetime
) -> list[Notification]:
    """The centre's items for what ``digest`` lists (unsaved)."""
    user = digest.employee.user
    assert user is not None  # digests are made for people with a login only
    found: list[Notification] = []

    def add(kind: NotificationKind, key: str, params: dict[str, Any], url: str) -> None:
        found.append(
            Notification(
                organisation=organisation,
                user=user,
                kind=kind,
                key=key,
                params=params,
                url=url,
                created_at=now,
            )
        )

    if digest.practice_due:
        add(
            NotificationKind.PRACTICE_DUE,
            f"practice:{organisation.pk}:{week_of(digest.today)}",
            {"count": digest.practice_due},
            reverse("practice:today"),
        )
    for item in digest.plan_items:
        add(*plan_item_notification(item, manager=False))
    for invitation in digest.feedback:
        round_ = invitation.subject.round
        add(
            NotificationKind.FEEDBACK_REQUEST,
            f"invitation:{invitation.pk}",
            {
                "name": invitation.subject.employee.full_name,
                "self": invitation.subject.employee_id == digest.employee.pk,
                "round": round_.name,
                "date": round_.closes_on.isoformat(),
            },
            reverse("questionnaires:answer", args=[invitation.pk]),
        )
    for plan in digest.plans_to_review:
        submitted = plan.submitted_at.isoformat() if plan.submitted_at else ""
        add(
            NotificationKind.PLAN_TO_REVIEW,
            f"plan_review:{plan.pk}:{submitted}"[:120],
            {"name": plan.employee.full_name},
            reverse("development:plan", args=[plan.pk]),
        )
    for plan in digest.talks:
        assert plan.talk_on is not None  # the digest lists plans with a talk day only
        add(
            NotificationKind.UPCOMING_TALK,
            f"talk:{plan.pk}:{plan.talk_on.isoformat()}",
            {"name": plan.employee.full_name, "date": plan.talk_on.isoformat()},
            reverse("development:plan", args=[plan.pk]),
        )
    for rate in digest.team_rates:
        add(
            NotificationKind.TEAM_RESPONSE_RATE,
            f"team_rate:{rate.round_id}:{week_of(digest.today)}",
            {
                "round": rate.round_name,
                "completed": rate.completed,
                "invited": rate.invited,
                "date": rate.closes_on.isoformat(),
            },
            reverse("rounds:team", args=[rate.round_id]),
        )
    return found


def plan_item_notification(
    item: Any, *, manager: bool
) -> tuple[NotificationKind, str, dict[str, Any], str]:
    """Kind, key, parameters and link of the item about a plan activity that is due: for the
    employee, or for their manager. The same key from the digest and from the reminder, so a
    due activity shows once."""
    activity = item.activity
    params: dict[str, Any] = {
        "activity": {"nl": activity.title, "en": activity.title_en},
        "date": item.due_date.isoformat(),
    }
    if manager:
        params["name"] = item.plan.employee.full_name
        kind, prefix = NotificationKind.TEAM_PLAN_ACTION, "team_item"
    else:
        kind, prefix = NotificationKind.PLAN_ACTION, "plan_item"
    url = reverse("development:plan", args=[item.plan_id])
    return kind, f"{prefix}:{item.pk}:{item.due_date.isoformat()}", params, url


def notifications_refresh(*, now: dt.datetime) -> dict[str, int]:
    """The daily job: put what is due in everyone's centre. Items already there are left
    alone (read or not), so running it twice adds nothing."""
    created = people = 0
    for organisation in Organisation.objects.filter(is_active=True).order_by("pk"):
        everyone = list(recipients(organisation))
        for start in range(0, len(everyone), CHUNK):
            chunk = everyone[start : start + CHUNK]
            people += len(chunk)
            found = digests(organisation, chunk, now=now)
            created += notifications_add(
                [
                    n
                    for digest in found.values()
                    for n in digest_notifications(organisation, digest, now=now)
                ]
                + _pulse_notifications(organisation, chunk, now=now)
            )
        created += notifications_add(_campaign_notifications(organisation, everyone, now=now))
    return {"created": created, "people": people}


def _pulse_notifications(
    organisation: Organisation, people: list["Employee"], *, now: dt.datetime
) -> list[Notification]:
    """An item per open pulse check of ``people`` (one query)."""
    from vakwerk.measurement.models import PulseCheck

    users = {e.pk: e.user_id for e in people if e.user_id is not None}
    return [
        Notification(
            organisation=organisation,
            user_id=users[pulse.employee_id],
            kind=NotificationKind.PULSE_CHECK_DUE,
            key=f"pulse:{pulse.pk}",
            params={"date": timezone.localdate(pulse.due_at).isoformat()},
            url=reverse("pulses:take", args=[pulse.pk]),
            created_at=now,
        )
        for pulse in PulseCheck.objects.filter(
            organisation=organisation, employee_id__in=users, completed_at__isnull=True
        ).only("pk", "employee_id", "due_at")
    ]


def _campaign_notifications(
    organisation: Organisation, people: list["Employee"], *, now: dt.datetime
) -> list[Notification]:
    """An item per running campaign for everyone of ``people`` in its population (a query
    per running campaign: there are few at a time)."""
    from vakwerk.nudges.campaign_selectors import RUNNING, campaigns, population

    users = {e.pk: e.user_id for e in people if e.user_id is not None}
    found: list[Notification] = []
    for campaign in campaigns(organisation, today=timezone.localdate(now), status=RUNNING):
        for employee_id in population(campaign).filter(pk__in=users).values_list("pk", flat=True):
            found.append(
                Notification(
                    organisation=organisation,
                    user_id=users[employee_id],
                    kind=NotificationKind.CAMPAIGN,
                    key=f"campaign:{campaign.pk}",
                    params={"title": campaign.title, "date": campaign.ends_on.isoformat()},
                    url=reverse("practice:today"),
                    created_at=now,
                )
            )
    return found


# --- text ----------------------------------------------------------------------------------


def _date(value: Any) -> str:
    try:
        return date_format(dt.date.fromisoformat(str(value)), DATE)
    except ValueError:
        return str(value)


def notification_text(notification: Notification) -> str:
    """The notification in the active language."""
    p = notification.params
    try:
        match notification.kind:
            case NotificationKind.PRACTICE_DUE:
                count = int(p["count"])
                return ngettext(
                    "%(count)d practice exercise is waiting for you.",
                    "%(count)d practice exercises are waiting for you.",
                    count,
                ) % {"count": count}
            case NotificationKind.PLAN_ACTION:
                return _("Your development activity “%(activity)s” is due on %(date)s.") % {
                    "activity": pack_text(p["activity"]),
                    "date": _date(p["date"]),
                }
            case NotificationKind.TEAM_PLAN_ACTION:
                return _(
                    "The development activity “%(activity)s” of %(name)s is due on %(date)s."
                ) % {
                    "activity": pack_text(p["activity"]),
                    "name": p["name"],
                    "date": _date(p["date"]),
                }
            case NotificationKind.FEEDBACK_REQUEST:
                if p.get("self"):
                    return _("Fill in your self-assessment in %(round)s before %(date)s.") % {
                        "round": p["round"],
                        "date": _date(p["date"]),
                    }
                return _("Give your feedback on %(name)s in %(round)s before %(date)s.") % {
                    "name": p["name"],
                    "round": p["round"],
                    "date": _date(p["date"]),
                }
            case NotificationKind.UPCOMING_TALK:
                return _("Development talk with %(name)s on %(date)s.") % {
                    "name": p["name"],
                    "date": _date(p["date"]),
                }
            case NotificationKind.PLAN_TO_REVIEW:
                return _("%(name)s asks you to review their development plan.") % {
                    "name": p["name"]
                }
            case NotificationKind.TEAM_RESPONSE_RATE:
                invited = int(p["invited"])
                return ngettext(
                    "%(round)s: your team has answered %(completed)d of %(invited)d "
                    "questionnaire. The round closes on %(date)s.",
                    "%(round)s: your team has answered %(completed)d of %(invited)d "
                    "questionnaires. The round closes on %(date)s.",
                    invited,
                ) % {
                    "round": p["round"],
                    "completed": int(p["completed"]),
                    "invited": invited,
                    "date": _date(p["date"]),
                }
            case NotificationKind.PULSE_CHECK_DUE:
                if p.get("date"):
                    return _(
                        "A pulse check of three minutes is waiting for you, until %(date)s."
                    ) % {"date": _date(p["date"])}
                return _("A pulse check of three minutes is waiting for you.")
            case NotificationKind.CAMPAIGN:
                if p.get("date"):
                    return _("Focus theme: %(title)s, until %(date)s.") % {
                        "title": pack_text(p["title"]) or p["title"],
                        "date": _date(p["date"]),
                    }
                return _("Focus theme: %(title)s.") % {"title": pack_text(p["title"]) or p["title"]}
    except (KeyError, TypeError, ValueError):
        pass
    # Unknown kind or parameters that do not fit: the kind's name says at least what it is.
    return (
        str(NotificationKind(notification.kind).label)
        if notification.kind in NotificationKind.values
        else ""
    )
