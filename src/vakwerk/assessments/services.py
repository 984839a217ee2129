"""Writes to rounds, invitations and answers. Every write checks that the round is open."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.api import xapi
from vakwerk.assessments.models import (
    Answer,
    Comment,
    Invitation,
    InvitationStatus,
    Round,
    RoundStatus,
    SjtAnswer,
    SjtOption,
    Source,
    Subject,
)
from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.models import Indicator, RoleProfile, RoleTarget, VersionStatus
from vakwerk.people.models import Department, Employee, Team

EXTERNAL_LINK_DAYS = 30


class RoundClosedError(ValidationError):
    """An answer came in while the round does not accept answers."""


def require_open(round_: Round) -> None:
    # Read the status from the database, not from the (possibly stale) object: a round
    # closed a moment ago must refuse the answer that arrives now.
    status = Round.objects.values_list("status", flat=True).get(pk=round_.pk)
    if status != RoundStatus.OPEN:
        raise RoundClosedError(
            _("This round is closed: answers can no longer be given or changed.")
            if status == RoundStatus.CLOSED
            else _("This round has not opened yet.")
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def population(round_: Round) -> list[Employee]:
    """Current employees of the round's organisation within its departments, teams and
    role profiles (each filter empty: no restriction)."""
    people = Employee.objects.current().filter(organisation=round_.organisation)
    departments = list(round_.departments.all())
    teams = list(round_.teams.all())
    if departments or teams:
        people = people.filter(Q(team__department__in=departments) | Q(team__in=teams))
    profiles = list(round_.role_profiles.all())
    if profiles:
        people = people.filter(role_profile__in=profiles)
    return list(people.select_related("manager", "role_profile"))


@transaction.atomic
def round_create(
    *,
    round_: Round,
    actor: Actor,
    departments: Iterable[Department] = (),
    teams: Iterable[Team] = (),
    role_profiles: Iterable[RoleProfile] = (),
) -> Round:
    """Save a new round (being prepared) after checking it against its organisation."""
    organisation = round_.organisation
    if round_.version.framework.organisation_id != organisation.pk:
        raise ValidationError({"version": _("Choose a framework of your own organisation.")})
    if round_.version.status != VersionStatus.PUBLISHED:
        raise ValidationError({"version": _("Choose a published framework version.")})
    if round_.anonymity_threshold is None:
        round_.anonymity_threshold = organisation.anonymity_threshold
    if round_.anonymity_threshold < organisation.anonymity_threshold:
        raise ValidationError(
            {
                "anonymity_threshold": _(
                    "Your organisation's policy sets the anonymity threshold at %(minimum)s or "
                    "more."
                )
                % {"minimum": organisation.anonymity_threshold}
            }
        )
    round_.full_clean()
    round_.save()
    round_.departments.set(departments)
    round_.teams.set(teams)
    round_.role_profiles.set(role_profiles)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="round.create",
        target=round_,
        details={"name": round_.name},
    )
    return round_


@transaction.atomic
def round_open(*, round_: Round, actor: Actor) -> int:
    """Open the round: a subject per person in the population, with self and manager
    invitations. Returns the number of people measured."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.DRAFT:
        raise ValidationError(_("Only a round that is being prepared can be opened."))
    version_codes = set(round_.version.competencies.values_list("code", flat=True))
    targets: dict[int, list[str]] = {}
    for profile_id, code in RoleTarget.objects.filter(
        profile__organisation=round_.organisation
    ).values_list("profile_id", "competency_code"):
        targets.setdefault(profile_id, []).append(code)
    people = population(round_)
    if not people:
        raise ValidationError(_("Nobody belongs to this round's population."))
    subjects = []
    for person in people:
        codes = round_.competency_codes or targets.get(person.role_profile_id or 0, [])
        codes = sorted(set(codes) & version_codes) or sorted(version_codes)
        subjects.append(Subject(round=round_, employee=person, competency_codes=codes))
    subjects = Subject.objects.bulk_create(subjects)
    invitations = []
    for subject in subjects:
        person = subject.employee
        if round_.use_self:
            invitations.append(Invitation(subject=subject, source=Source.SELF, rater=person))
        manager = person.manager
        if round_.use_manager and manager is not None and not manager.has_left:
            invitations.append(Invitation(subject=subject, source=Source.MANAGER, rater=manager))
    Invitation.objects.bulk_create(invitations)
    round_.status = RoundStatus.OPEN
    round_.opened_at = timezone.now()
    round_.save(update_fields=["status", "opened_at"])
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.open",
        target=round_,
        details={"subjects": len(subjects), "invitations": len(invitations)},
    )
    return len(subjects)


@transaction.atomic
def round_extend(*, round_: Round, actor: Actor, closes_on: dt.date) -> None:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.status == RoundStatus.CLOSED:
        raise ValidationError(_("A closed round cannot be extended."))
    if closes_on <= round_.closes_on:
        raise ValidationError({"closes_on": _("Choose a date after the current closing date.")})
    before = round_.closes_on
    round_.closes_on = closes_on
    round_.full_clean()
    round_.save(update_fields=["closes_on"])
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.extend",
        target=round_,
        details={"from": before.isoformat(), "to": closes_on.isoformat()},
    )


@transaction.atomic
def round_close(*, round_: Round, actor: Actor) -> None:
    """Close the round: from now on its answers are frozen, and its estimates are computed
    (a task, enqueued once the closing is committed)."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    if round_.status != RoundStatus.OPEN:
        raise ValidationError(_("Only an open round can be closed."))
    round_.status = RoundStatus.CLOSED
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at"])
    audit_log(organisation=round_.organisation, actor=actor, action="round.close", target=round_)
    # Imported here: measurement builds on assessments (it reads the round's evidence).
    from vakwerk.measurement.services import estimates_request

    estimates_request(round_=round_, actor=actor)


def _colleague(subject: Subject, employee: Employee) -> None:
    if employee.organisation_id != subject.round.organisation_id or employee.has_left:
        raise ValidationError(
            _("%(name)s is not a current colleague.") % {"name": employee.full_name}
        )
    if employee.pk == subject.employee_id:
        raise ValidationError(_("You cannot rate yourself as a colleague."))
    if employee.pk == subject.employee.manager_id:
        raise ValidationError(
            _("%(name)s already rates as the manager and cannot also be a colleague.")
            % {"name": employee.full_name}
        )


def _checked_peers(subject: Subject, peers: list[Employee]) -> dict[int, Employee]:
    """The chosen colleagues by id, after checking their number and that each may rate."""
    round_ = subject.round
    unique = {p.pk: p for p in peers}
    if not round_.peers_min <= len(unique) <= round_.peers_max:
        raise ValidationError(
            _("Choose between %(min)s and %(max)s colleagues; you chose %(count)s.")
            % {"min": round_.peers_min, "max": round_.peers_max, "count": len(unique)}
        )
    for peer in unique.values():
        _colleague(subject, peer)
    return unique


@transaction.atomic
def peers_nominate(*, subject: Subject, actor: Actor, peers: list[Employee]) -> None:
    """The subject proposes colleagues; the manager approves or changes the list."""
    round_ = subject.round
    require_open(round_)
    if not round_.use_peers:
        raise ValidationError(_("This round has no colleague feedback."))
    unique = _checked_peers(subject, peers)
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.peers_approved_at is not None:
        raise ValidationError(_("Your manager has already approved your colleagues."))
    current = subject.invitations.filter(source=Source.PEER)
    current.exclude(rater_id__in=unique).delete()
    existing = set(current.values_list("rater_id", flat=True))
    Invitation.objects.bulk_create(
        Invitation(
            subject=subject, source=Source.PEER, rater=peer, status=InvitationStatus.NOMINATED
        )
        for pk, peer in unique.items()
        if pk not in existing
    )
    subject.peers_submitted_at = timezone.now()
    subject.save(update_fields=["peers_submitted_at"])
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.peers_nominate",
        target=subject,
        details={"peers": sorted(unique)},
    )


@transaction.atomic
def peers_approve(*, subject: Subject, actor: Actor, peers: list[Employee]) -> None:
    """The manager settles the colleagues who rate the subject; they get their invitations."""
    round_ = subject.round
    require_open(round_)
    unique = _checked_peers(subject, peers)
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    current = subject.invitations.filter(source=Source.PEER)
    current.exclude(rater_id__in=unique).exclude(status=InvitationStatus.COMPLETED).update(
        status=InvitationStatus.WITHDRAWN
    )
    current.filter(rater_id__in=unique).exclude(status=InvitationStatus.COMPLETED).update(
        status=InvitationStatus.OPEN
    )
    existing = set(current.values_list("rater_id", flat=True))
    Invitation.objects.bulk_create(
        Invitation(subject=subject, source=Source.PEER, rater=peer)
        for pk, peer in unique.items()
        if pk not in existing
    )
    subject.peers_approved_at = timezone.now()
    subject.save(update_fields=["peers_approved_at"])
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.peers_approve",
        target=subject,
        details={"peers": sorted(unique)},
    )


@transaction.atomic
def external_invite(
    *, subject: Subject, actor: Actor, name: str, email: str, relation: str
) -> tuple[Invitation, str]:
    """Invite an external rater for one subject. Returns the invitation and the raw token,
    which goes into the link and is never stored (256 bits of randomness)."""
    round_ = subject.round
    require_open(round_)
    if not round_.use_external:
        raise ValidationError(_("This round has no external raters."))
    email = email.strip().lower()
    # Each external rater must be a different outsider: otherwise a group could be padded to
    # the anonymity threshold with addresses whose answers are already known.
    if subject.invitations.filter(source=Source.EXTERNAL, external_email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _("This address has already been invited for %(name)s.")
                % {"name": subject.employee.full_name}
            }
        )
    if Employee.objects.filter(organisation=round_.organisation, email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _(
                    "This address belongs to an employee; invite "
                    "colleagues as colleagues, not as external raters."
                )
            }
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        subject=subject,
        source=Source.EXTERNAL,
        external_name=name,
        external_email=email,
        external_role=relation,
        token_hash=hash_token(token),
        expires_at=timezone.make_aware(
            dt.datetime.combine(round_.closes_on + timedelta(days=1), dt.time.min)
        ),
    )
    invitation.full_clean()
    invitation.save()
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="round.external_invite",
        target=invitation,
        details={"subject": subject.employee_id, "relation": relation},
    )
    return invitation, token


def invitation_by_token(token: str) -> Invitation | None:
    """The external invitation behind a link, if the link is valid and not expired."""
    invitation = (
        Invitation.objects.select_related("subject__round", "subject__employee")
        .filter(source=Source.EXTERNAL, token_hash=hash_token(token))
        .first()
    )
    if invitation is None or invitation.status == InvitationStatus.WITHDRAWN:
        return None
    if invitation.expires_at and invitation.expires_at < timezone.now():
        return None
    return invitation


def invitation_items(invitation: Invitation) -> list[Indicator]:
    """The behavioural indicators this rater answers, in framework order."""
    subject = invitation.subject
    return list(
        Indicator.objects.filter(
            competency__version=subject.round.version,
            competency__code__in=subject.competency_codes,
        )
        .select_related("competency")
        .order_by("competency__kind", "competency__position", "level", "position")
    )


def _require_answerable(invitation: Invitation) -> None:
    require_open(invitation.subject.round)
    if invitation.status in (InvitationStatus.NOMINATED, InvitationStatus.WITHDRAWN):
        raise ValidationError(_("This questionnaire is not open for you."))


def answer_save(*, invitation: Invitation, indicator: Indicator, value: int | None) -> Answer:
    """Save one answer as it is given. Saving the same answer twice (two tabs, a double
    submit) leaves one row with the last value."""
    _require_answerable(invitation)
    if indicator.competency.version_id != invitation.subject.round.version_id or (
        indicator.competency.code not in invitation.subject.competency_codes
    ):
        raise ValidationError(_("This question is not part of this questionnaire."))
    if value is not None and not 0 <= value <= 4:
        raise ValidationError(_("Choose one of the five answers or 'cannot judge'."))
    for _attempt in range(2):
        try:
            with transaction.atomic():
                answer, _created = Answer.objects.update_or_create(
                    invitation=invitation, indicator=indicator, defaults={"value": value}
                )
            break
        except IntegrityError:  # the same answer arrived twice at the same moment
            continue
    else:
        raise ValidationError(_("The answer could not be saved; please try again."))
    if invitation.started_at is None:
        Invitation.objects.filter(pk=invitation.pk, started_at__isnull=True).update(
            started_at=timezone.now()
        )
    return answer


def comment_save(*, invitation: Invitation, competency_code: str, text: str) -> None:
    _require_answerable(invitation)
    if competency_code not in invitation.subject.competency_codes:
        raise ValidationError(_("This competency is not part of this questionnaire."))
    text = text.strip()
    if not text:
        Comment.objects.filter(invitation=invitation, competency_code=competency_code).delete()
        return
    Comment.objects.update_or_create(
        invitation=invitation, competency_code=competency_code, defaults={"text": text[:2000]}
    )


@transaction.atomic
def invitation_complete(*, invitation: Invitation, actor: Actor) -> None:
    _require_answerable(invitation)
    invitation.status = InvitationStatus.COMPLETED
    invitation.completed_at = timezone.now()
    invitation.save(update_fields=["status", "completed_at"])
    anonymous = invitation.source in (Source.PEER, Source.EXTERNAL)
    audit_log(
        organisation=invitation.subject.round.organisation,
        # A colleague's or external rater's completion is logged against the round, without
        # the invitation: invitation ids would let a reader tie pseudonyms in the evidence to
        # people.
        actor=Actor(user=None, origin=None) if anonymous else actor,
        action="round.answers_complete",
        target=invitation.subject.round if anonymous else invitation,
        details={"source": invitation.source},
    )
    xapi.questionnaire_completed(invitation)  # a self-assessment becomes an xAPI statement


def sjt_answer_save(*, subject: Subject, option: SjtOption, rating: int) -> SjtAnswer:
    require_open(subject.round)
    if not subject.round.use_sjt:
        raise ValidationError(_("This round has no situational judgement test."))
    if option.item.organisation_id != subject.round.organisation_id:
        raise ValidationError(_("This question is not part of this test."))
    if not 1 <= rating <= 5:
        raise ValidationError(
            _("Rate each response from 1 (very ineffective) to 5 (very effective).")
        )
    answer, _created = SjtAnswer.objects.update_or_create(
        subject=subject, option=option, defaults={"rating": rating}
    )
    return answer
