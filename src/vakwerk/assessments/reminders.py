"""Reminder emails to raters who have not answered yet.

``remind_non_responders`` decides who gets a reminder and records it in ``ReminderLog``; the
emails themselves go out from a task (one per person, listing all their open questionnaires in
the round), enqueued when the transaction commits. A reminder ``kind`` is sent at most once per
invitation: the automatic one is ``auto-<closing date>`` (an extended round reminds again before
its new date), HR's is ``manual-<today>`` (HR can remind again on another day).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vakwerk.assessments.models import (
    Invitation,
    InvitationStatus,
    ReminderLog,
    Round,
    RoundStatus,
    Source,
)
from vakwerk.assessments.round_selectors import questionnaire_label, source_order
from vakwerk.audit.services import Actor, audit_log
from vakwerk.people.models import Team

# Used when neither the caller nor the settings know the site's address.


@dataclass(frozen=True)
class Reminded:
    recipients: int
    invitations: int


def site_url() -> str:
    """The site's address for links in mail sent without a request (the daily job).

    ``settings.BASE_URL`` (``VAKWERK_BASE_URL``).
    """
    return str(settings.BASE_URL)


def recipient_language(invitation: Invitation) -> str:
    """The language of a reminder. There is no per-person language yet: the organisation's
    default (Dutch) for everyone. The one place to change when people choose a language."""
    return settings.LANGUAGE_CODE


def _due(round_: Round, *, kind: str, team: Team | None) -> list[Invitation]:
    """Open invitations of the round not yet reminded with ``kind``: internal raters who have
    an email address and have not left, and external raters whose link still works."""
    now = timezone.now()
    today = timezone.localdate()
    internal = (
        Q(rater__isnull=False)
        & ~Q(rater__email="")
        & (Q(rater__end_date__isnull=True) | Q(rater__end_date__gt=today))
    )
    external = (
        Q(rater__isnull=True, source=Source.EXTERNAL)
        & ~Q(external_email="")
        & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    )
    invitations = (
        Invitation.objects.filter(subject__round=round_, status=InvitationStatus.OPEN)
        .filter(internal | external)
        .exclude(reminders__kind=kind)
    )
    if team is not None:
        invitations = invitations.filter(rater__team=team)
    return list(invitations.only("pk", "rater_id", "external_email").order_by("pk"))


@transaction.atomic
def remind_non_responders(
    *,
    round_: Round,
    actor: Actor,
    kind: str,
    team: Team | None = None,
    base_url: str = "",
) -> Reminded:
    """Remind every rater with open questionnaires in the round (or in ``team``) who has not
    had a reminder of this ``kind`` yet: one email per person. Running it twice sends nothing
    the second time."""
    # Lock the round: two runs at the same moment queue each reminder once.
    round_ = (
        Round.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=round_.pk)
    )
    if round_.status != RoundStatus.OPEN:
        raise ValidationError(_("Reminders can only be sent while the round is open."))
    if team is not None and team.organisation_id != round_.organisation_id:
        raise ValidationError(_("Choose a team of your own organisation."))
    invitations = _due(round_, kind=kind, team=team)
    by_recipient: dict[tuple[int | None, str], list[int]] = defaultdict(list)
    for invitation in invitations:
        key = (
            (invitation.rater_id, "")
            if invitation.rater_id
            else (None, invitation.external_email.lower())
        )
        by_recipient[key].append(invitation.pk)
    sent_by = actor.user if actor.user is not None and actor.user.pk else None
    ReminderLog.objects.bulk_create(
        [ReminderLog(invitation=i, kind=kind, sent_by=sent_by) for i in invitations],
        ignore_conflicts=True,
    )
    Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(reminded_at=timezone.now())
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.remind",
        target=round_,
        details={
            "kind": kind,
            "team": team.pk if team is not None else None,
            "recipients": len(by_recipient),
            "invitations": len(invitations),
        },
    )
    link_base = (base_url or site_url()).rstrip("/")
    for ids in by_recipient.values():
        transaction.on_commit(_enqueue(ids, link_base))
    return Reminded(recipients=len(by_recipient), invitations=len(invitations))


def _enqueue(invitation_ids: list[int], base_url: str) -> Callable[[], None]:
    def enqueue() -> None:
        from vakwerk.assessments.tasks import send_reminder  # that module imports this one

        send_reminder.enqueue(invitation_ids=invitation_ids, base_url=base_url)

    return enqueue


def send_due_reminders(today: dt.date) -> int:
    """The daily job: remind non-responders of every open round that closes in exactly
    ``round.reminder_days`` days. Returns the number of people reminded."""
    reminded = 0
    for round_ in Round.objects.filter(status=RoundStatus.OPEN, closes_on__gte=today):
        if (round_.closes_on - today).days != round_.reminder_days:
            continue
        result = remind_non_responders(
            round_=round_,
            actor=Actor(user=None),
            kind=f"auto-{round_.closes_on.isoformat()}",
        )
        reminded += result.recipients
    return reminded


def reminder_message(invitations: list[Invitation], *, base_url: str) -> EmailMultiAlternatives:
    """The reminder for one rater about their open ``invitations`` in one round."""
    first = invitations[0]
    round_ = first.subject.round
    external = first.rater_id is None
    name = first.rater.full_name if first.rater else first.external_name
    email = first.rater.email if first.rater else first.external_email
    with translation.override(recipient_language(first)):
        context = {
            "name": name,
            "round": round_,
            "organisation": round_.organisation,
            "closes_on": date_format(round_.closes_on, "j F Y"),
            "questionnaires": [questionnaire_label(i) for i in invitations],
            "link": "" if external else f"{base_url.rstrip('/')}{reverse('questionnaires:mine')}",
            "external": external,
        }
        subject = _("Reminder: %(round)s closes on %(date)s") % {
            "round": round_.name,
            "date": context["closes_on"],
        }
        text = render_to_string("assessments/email/reminder.txt", context)
        html = render_to_string("assessments/email/reminder.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[email])
    message.attach_alternative(html, "text/html")
    return message


def reminder_send(*, invitation_ids: list[int], base_url: str = "") -> int:
    """Send one reminder about those of ``invitation_ids`` still open (all for one rater).
    Returns the number of emails sent: 0 when everything was answered in the meantime."""
    invitations = list(
        Invitation.objects.filter(pk__in=invitation_ids, status=InvitationStatus.OPEN)
        .select_related("rater", "subject__employee", "subject__round__organisation")
        .order_by(source_order(), "subject__employee__last_name", "subject__employee__first_name")
    )
    if not invitations or not invitations[0].subject.round.accepts_answers:
        return 0
    return reminder_message(invitations, base_url=base_url or site_url()).send()
