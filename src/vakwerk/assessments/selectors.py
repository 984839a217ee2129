"""Reading rounds, subjects and invitations. Every selector takes the organisation first."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from vakwerk.assessments.models import (
    Answer,
    Comment,
    Frequency,
    Invitation,
    InvitationStatus,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.assessments.services import invitation_items
from vakwerk.frameworks.models import Competency, Indicator
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

# ---------------------------------------------------------------------------------------------
# Questionnaires: what one person fills in, nominates and approves
# ---------------------------------------------------------------------------------------------


def _item_counts(version_ids: Iterable[int]) -> dict[tuple[int, str], int]:
    """Number of behavioural indicators per (framework version, competency code)."""
    rows = (
        Indicator.objects.filter(competency__version_id__in=set(version_ids))
        .values_list("competency__version_id", "competency__code")
        .annotate(n=Count("id"))
    )
    return {(version_id, code): n for version_id, code, n in rows}


def _with_progress(invitations: list[Invitation]) -> list[Invitation]:
    """Sets ``total`` (items) on invitations annotated with ``answered``; one query."""
    counts = _item_counts(i.subject.round.version_id for i in invitations)
    for invitation in invitations:
        subject = invitation.subject
        invitation.total = sum(  # type: ignore[attr-defined]
            counts.get((subject.round.version_id, code), 0) for code in subject.competency_codes
        )
    return invitations


def rater_invitations(organisation: Organisation, rater: Employee) -> list[Invitation]:
    """The questionnaires ``rater`` fills in (self included) in open rounds, with progress
    (``answered`` and ``total``)."""
    invitations = (
        Invitation.objects.filter(
            rater=rater,
            subject__round__organisation=organisation,
            subject__round__status=RoundStatus.OPEN,
            status__in=[InvitationStatus.OPEN, InvitationStatus.COMPLETED],
        )
        .select_related("subject__employee", "subject__round")
        .annotate(answered=Count("answers"))
        .order_by("subject__round__closes_on", "subject__employee__last_name", "source", "pk")
    )
    return _with_progress(list(invitations))


def my_subjects(organisation: Organisation, employee: Employee) -> list[Subject]:
    """The open rounds ``employee`` is measured in, newest closing date last."""
    return list(
        Subject.objects.filter(
            round__organisation=organisation,
            round__status=RoundStatus.OPEN,
            employee=employee,
        )
        .select_related("round")
        .order_by("round__closes_on", "pk")
    )


def report_subjects(organisation: Organisation, manager: Employee) -> list[Subject]:
    """Subjects in open rounds whose manager is ``manager`` and who need the manager for
    colleagues or external raters; ``peer_count`` is the number of colleagues chosen now."""
    return list(
        Subject.objects.filter(
            round__organisation=organisation,
            round__status=RoundStatus.OPEN,
            employee__manager=manager,
        )
        .filter(Q(round__use_peers=True) | Q(round__use_external=True))
        .select_related("round", "employee")
        .annotate(
            peer_count=Count(
                "invitations",
                filter=Q(invitations__source=Source.PEER)
                & ~Q(invitations__status=InvitationStatus.WITHDRAWN),
            )
        )
        .order_by("round__closes_on", "employee__last_name", "employee__first_name")
    )


def _subjects(organisation: Organisation) -> QuerySet[Subject]:
    return Subject.objects.filter(round__organisation=organisation).select_related(
        "round", "employee", "employee__manager"
    )


def subject_of(organisation: Organisation, employee: Employee, subject_id: int) -> Subject:
    """``employee``'s own subject with this id, or 404."""
    return get_object_or_404(_subjects(organisation), pk=subject_id, employee=employee)


def subject_of_report(organisation: Organisation, manager: Employee, subject_id: int) -> Subject:
    """The subject with this id if ``manager`` is the subject's manager, or 404."""
    return get_object_or_404(_subjects(organisation), pk=subject_id, employee__manager=manager)


def colleagues(organisation: Organisation, subject: Subject) -> QuerySet[Employee]:
    """The current employees ``subject`` may choose as colleagues (everyone but themself)."""
    return (
        Employee.objects.current()
        .filter(organisation=organisation)
        .exclude(pk=subject.employee_id)
        .select_related("team")
        .order_by("last_name", "first_name", "pk")
    )


def search_by_name(people: QuerySet[Employee], search: str) -> QuerySet[Employee]:
    """People whose first or last name contains every word of ``search``."""
    for word in search.split()[:5]:
        people = people.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    return people


def chosen_peers(subject: Subject) -> list[Employee]:
    """The colleagues chosen for ``subject`` now: nominated, approved or already answered."""
    return [
        invitation.rater
        for invitation in subject.invitations.filter(source=Source.PEER)
        .exclude(status=InvitationStatus.WITHDRAWN)
        .select_related("rater__team")
        .order_by("rater__last_name", "rater__first_name")
        if invitation.rater is not None
    ]


def external_invitations(subject: Subject) -> list[Invitation]:
    return list(subject.invitations.filter(source=Source.EXTERNAL).order_by("created_at", "pk"))


def rater_invitation(organisation: Organisation, rater: Employee, invitation_id: int) -> Invitation:
    """The invitation with this id if ``rater`` is its rater, or 404."""
    return get_object_or_404(
        Invitation.objects.select_related("subject__round", "subject__employee"),
        pk=invitation_id,
        rater=rater,
        subject__round__organisation=organisation,
    )


# ---------------------------------------------------------------------------------------------
# One questionnaire, grouped by competency
# ---------------------------------------------------------------------------------------------

NOT_ANSWERED = "-"  # in forms: "" is the explicit answer "cannot judge"


@dataclass
class Choice:
    value: str
    label: str
    checked: bool


@dataclass
class Item:
    indicator: Indicator
    current: str  # "0".."4", "" (cannot judge) or NOT_ANSWERED

    @property
    def answered(self) -> bool:
        return self.current != NOT_ANSWERED

    @property
    def choices(self) -> list[Choice]:
        options = [(str(value), str(label)) for value, label in Frequency.choices]
        return [Choice(value, label, value == self.current) for value, label in options]

    @property
    def cannot_judge(self) -> bool:
        return self.current == ""


@dataclass
class Group:
    competency: Competency
    items: list[Item] = field(default_factory=list)
    comment: str = ""

    @property
    def complete(self) -> bool:
        return all(item.answered for item in self.items)


@dataclass
class Questionnaire:
    groups: list[Group]

    @property
    def total(self) -> int:
        return sum(len(group.items) for group in self.groups)

    @property
    def answered(self) -> int:
        return sum(item.answered for group in self.groups for item in group.items)

    @property
    def incomplete(self) -> list[Competency]:
        return [group.competency for group in self.groups if not group.complete]

    @property
    def indicators(self) -> dict[int, Indicator]:
        return {item.indicator.pk: item.indicator for g in self.groups for item in g.items}

    @property
    def competency_codes(self) -> set[str]:
        return {group.competency.code for group in self.groups}


def questionnaire(invitation: Invitation) -> Questionnaire:
    """The items of ``invitation`` grouped by competency with the answers and comments given
    so far (three queries)."""
    values = dict(Answer.objects.filter(invitation=invitation).values_list("indicator_id", "value"))
    comments = dict(
        Comment.objects.filter(invitation=invitation).values_list("competency_code", "text")
    )
    groups: list[Group] = []
    for indicator in invitation_items(invitation):
        if not groups or groups[-1].competency.pk != indicator.competency_id:
            competency = indicator.competency
            groups.append(Group(competency, comment=comments.get(competency.code, "")))
        if indicator.pk in values:
            value = values[indicator.pk]
            current = "" if value is None else str(value)
        else:
            current = NOT_ANSWERED
        groups[-1].items.append(Item(indicator, current))
    return Questionnaire(groups)


def progress(invitation: Invitation) -> tuple[int, int]:
    """(answered, total) for ``invitation``, "cannot judge" counting as an answer."""
    subject = invitation.subject
    total = Indicator.objects.filter(
        competency__version_id=subject.round.version_id,
        competency__code__in=subject.competency_codes,
    ).count()
    return Answer.objects.filter(invitation=invitation).count(), total
