"""Reads for the round pages: who has answered, counted in the database, never what.

Nothing here touches ``Answer``, ``Comment`` or ``SjtAnswer`` rows: HR and managers see counts
and open questionnaires only.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from vakwerk.assessments.models import Invitation, InvitationStatus, Round, Source, Subject
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

# Invitations a rater is asked to answer: nominated peers wait for the manager, withdrawn ones
# no longer count.
ANSWERABLE = (InvitationStatus.OPEN, InvitationStatus.COMPLETED)
_invited = Count("id", filter=Q(status__in=ANSWERABLE))
_completed = Count("id", filter=Q(status=InvitationStatus.COMPLETED))


@dataclass(frozen=True)
class Rate:
    label: str
    invited: int
    completed: int
    key: Any = None

    @property
    def open(self) -> int:
        return self.invited - self.completed

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.invited) if self.invited else 0


@dataclass
class NonResponder:
    name: str
    team: str
    questionnaires: list[str] = field(default_factory=list)


def rounds(organisation: Organisation) -> QuerySet[Round]:
    """The organisation's rounds with their number of people and invitations (one query)."""
    return (
        Round.objects.filter(organisation=organisation)
        .select_related("version__framework")
        .annotate(
            people=Count("subjects", distinct=True),
            invited=Count(
                "subjects__invitations",
                filter=Q(subjects__invitations__status__in=ANSWERABLE),
            ),
            completed=Count(
                "subjects__invitations",
                filter=Q(subjects__invitations__status=InvitationStatus.COMPLETED),
            ),
        )
        .order_by("-opens_on", "-id")
    )


def round_of(organisation: Organisation, round_id: int) -> Round:
    """The round with this id in this organisation, or 404."""
    return get_object_or_404(
        Round.objects.select_related("version__framework", "organisation"),
        pk=round_id,
        organisation=organisation,
    )


def source_order() -> Case:
    """Self first, then manager, colleagues and external raters: for ``order_by``."""
    return Case(
        *(When(source=source, then=Value(n)) for n, source in enumerate(Source)),
        output_field=IntegerField(),
    )


def _invitations(round_: Round) -> QuerySet[Invitation]:
    return Invitation.objects.filter(subject__round=round_)


def rates_by_team(round_: Round) -> list[Rate]:
    """Questionnaires per team of the internal rater who must answer them."""
    rows = (
        _invitations(round_)
        .filter(rater__isnull=False, status__in=ANSWERABLE)
        .values("rater__team_id", "rater__team__name")
        .annotate(invited=_invited, completed=_completed)
        .order_by("rater__team__name")
    )
    return [
        Rate(
            label=row["rater__team__name"] or _("No team"),
            invited=row["invited"],
            completed=row["completed"],
            key=row["rater__team_id"],
        )
        for row in rows
    ]


def rates_by_source(round_: Round) -> list[Rate]:
    """Questionnaires per source, for the sources the round uses."""
    counts: dict[str, tuple[int, int]] = {
        row["source"]: (row["invited"], row["completed"])
        for row in _invitations(round_)
        .filter(status__in=ANSWERABLE)
        .values("source")
        .annotate(invited=_invited, completed=_completed)
        .order_by("source")
    }
    used = {
        Source.SELF: round_.use_self,
        Source.MANAGER: round_.use_manager,
        Source.PEER: round_.use_peers,
        Source.EXTERNAL: round_.use_external,
    }
    return [
        Rate(
            label=str(source.label),
            invited=counts.get(source, (0, 0))[0],
            completed=counts.get(source, (0, 0))[1],
            key=source.value,
        )
        for source in Source
        if used[source]
    ]


def sjt_rate(round_: Round) -> Rate | None:
    if not round_.use_sjt:
        return None
    totals = Subject.objects.filter(round=round_).aggregate(
        invited=Count("id"), completed=Count("id", filter=Q(sjt_completed_at__isnull=False))
    )
    return Rate(label=_("Situational judgement test"), **totals)


def questionnaire_label(invitation: Invitation) -> str:
    """What the rater is asked to do, in words (never with any answer)."""
    name = invitation.subject.employee.full_name
    if invitation.source == Source.SELF:
        return _("Self-assessment")
    if invitation.source == Source.MANAGER:
        return _("Manager assessment of %(name)s") % {"name": name}
    if invitation.source == Source.PEER:
        return _("Colleague feedback on %(name)s") % {"name": name}
    return _("Feedback on %(name)s") % {"name": name}


def non_responders(round_: Round) -> QuerySet[Any, Any]:
    """One row per rater (an employee, or an external email address) with open questionnaires
    in the round, sorted by name; page it and pass the page to ``non_responder_rows``."""
    return (
        _invitations(round_)
        .filter(status=InvitationStatus.OPEN)
        .values("rater_id", "external_email")
        .annotate(
            open_count=Count("id"),
            # Employees by last name, external raters by their name, in one alphabet.
            sort_name=Coalesce(Min("rater__last_name"), Min("external_name")),
            sort_first=Min("rater__first_name"),
        )
        .order_by("sort_name", "sort_first", "rater_id", "external_email")
    )


def _recipient_key(rater_id: int | None, email: str) -> tuple[int | None, str]:
    """An employee is known by id, an external rater by email address."""
    return (rater_id, "") if rater_id else (None, email)


def non_responder_rows(round_: Round, rows: list[dict[str, Any]]) -> list[NonResponder]:
    """Names, teams and open questionnaires of one page of ``non_responders`` (one query)."""
    rater_ids = [row["rater_id"] for row in rows if row["rater_id"]]
    emails = [row["external_email"] for row in rows if not row["rater_id"]]
    open_invitations = (
        _invitations(round_)
        .filter(status=InvitationStatus.OPEN)
        .filter(Q(rater_id__in=rater_ids) | Q(rater__isnull=True, external_email__in=emails))
        .select_related("rater__team", "subject__employee")
        .order_by(source_order(), "subject__employee__last_name", "subject__employee__first_name")
    )
    found: dict[tuple[int | None, str], NonResponder] = {}
    for invitation in open_invitations:
        rater = invitation.rater
        key = _recipient_key(invitation.rater_id, invitation.external_email)
        if key not in found:
            if rater is not None:
                team = rater.team.name if rater.team else ""
                found[key] = NonResponder(name=rater.full_name, team=team)
            else:
                relation = invitation.external_role or _("external rater")
                found[key] = NonResponder(
                    name=invitation.external_name or invitation.external_email,
                    team=_("External (%(relation)s)") % {"relation": relation},
                )
        found[key].questionnaires.append(questionnaire_label(invitation))
    keys = [_recipient_key(row["rater_id"], row["external_email"]) for row in rows]
    return [found[key] for key in keys if key in found]


@dataclass(frozen=True)
class ReportRate:
    employee: Employee
    to_answer: Rate
    about: Rate
    sjt_done: bool | None


def team_rates(round_: Round, manager: Employee) -> list[ReportRate]:
    """For each direct report measured in the round: the questionnaires they must answer and
    the ones about them, as counts. Three queries whatever the size of the team."""
    subjects = list(
        Subject.objects.filter(round=round_, employee__manager=manager)
        .select_related("employee__team")
        .annotate(
            invited=Count("invitations", filter=Q(invitations__status__in=ANSWERABLE)),
            completed=Count(
                "invitations", filter=Q(invitations__status=InvitationStatus.COMPLETED)
            ),
        )
        .order_by("employee__last_name", "employee__first_name")
    )
    as_rater: dict[int, tuple[int, int]] = {
        row["rater_id"]: (row["invited"], row["completed"])
        for row in _invitations(round_)
        .filter(rater__in=[s.employee_id for s in subjects], status__in=ANSWERABLE)
        .values("rater_id")
        .annotate(invited=_invited, completed=_completed)
        .order_by("rater_id")
    }
    result = []
    for subject in subjects:
        invited, completed = as_rater.get(subject.employee_id, (0, 0))
        result.append(
            ReportRate(
                employee=subject.employee,
                to_answer=Rate(label="", invited=invited, completed=completed),
                about=Rate(
                    label="",
                    invited=subject.invited,
                    completed=subject.completed,
                ),
                sjt_done=(subject.sjt_completed_at is not None) if round_.use_sjt else None,
            )
        )
    return result
