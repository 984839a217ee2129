"""The one place that decides what of a person's feedback may be shown to anyone.

Peer and external answers and comments are only ever shown aggregated, per source group and
competency, when at least ``round.anonymity_threshold`` raters of that group completed their
questionnaire and answered that competency (a "cannot judge" on every behaviour of a
competency does not count: otherwise three completions could show one person's answers).
Self and manager answers are not anonymous by nature (there is one of each) and are shown as
they are. Pages, exports and the API all read feedback through these functions; every look at
someone else's feedback writes an audit line.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count

from vakwerk.assessments.models import (
    Answer,
    Comment,
    InvitationStatus,
    Round,
    Source,
    Subject,
)
from vakwerk.audit.services import Actor, audit_log

ANONYMOUS_SOURCES = frozenset({Source.PEER, Source.EXTERNAL})


@dataclass
class SourceGroup:
    source: str
    completed: int
    visible: bool


@dataclass
class CompetencyFeedback:
    code: str
    # source -> frequency value (0-4) -> number of answers
    distribution: dict[str, dict[int, int]] = field(default_factory=dict)
    comments: dict[str, list[str]] = field(default_factory=dict)

    def mean(self, source: str) -> float | None:
        counts = self.distribution.get(source, {})
        total = sum(counts.values())
        return sum(v * n for v, n in counts.items()) / total if total else None


def source_groups(subject: Subject) -> dict[str, SourceGroup]:
    """Per source: how many raters completed, and whether the group may be shown."""
    threshold = subject.round.anonymity_threshold
    completed = dict(
        subject.invitations.filter(status=InvitationStatus.COMPLETED)
        .values("source")
        .annotate(n=Count("id"))
        .values_list("source", "n")
    )
    return {
        source: SourceGroup(
            source=source,
            completed=completed.get(source, 0),
            visible=completed.get(source, 0) > 0
            and (source not in ANONYMOUS_SOURCES or completed.get(source, 0) >= threshold),
        )
        for source in Source.values
    }


def visible_sources(subject: Subject) -> set[str]:
    return {source for source, group in source_groups(subject).items() if group.visible}


def anonymous_rater_counts(
    round_: Round, subject: Subject | None = None
) -> dict[tuple[int, str, str], int]:
    """(subject id, source, competency code) -> how many completed peer or external raters
    answered at least one behaviour of that competency. One grouped query for a whole round."""
    answers = Answer.objects.filter(
        invitation__subject__round=round_,
        invitation__status=InvitationStatus.COMPLETED,
        invitation__source__in=ANONYMOUS_SOURCES,
        value__isnull=False,
    )
    if subject is not None:
        answers = answers.filter(invitation__subject=subject)
    rows = answers.values_list(
        "invitation__subject_id", "invitation__source", "indicator__competency__code"
    ).annotate(n=Count("invitation_id", distinct=True))
    return {(subject_id, source, code): n for subject_id, source, code, n in rows}


def group_is_visible(
    counts: dict[tuple[int, str, str], int],
    round_: Round,
    subject_id: int,
    source: str,
    code: str,
) -> bool:
    """Whether answers of ``source`` about ``code`` for this subject may be shown at all."""
    if source not in ANONYMOUS_SOURCES:
        return True
    return counts.get((subject_id, source, code), 0) >= round_.anonymity_threshold


def subject_feedback(
    subject: Subject, *, actor: Actor, viewer_is_subject: bool, distributions: bool = True
) -> dict[str, CompetencyFeedback]:
    """Aggregated answers and comments of the visible source groups, per competency.

    Individual peer or external answers never leave this function: only counts per answer
    value, and comments of groups at or above the threshold (in a stable, not rater, order).
    ``distributions=False`` leaves the counts out (and their query) for a page that shows
    only the comments.
    """
    sources = visible_sources(subject)
    counts = anonymous_rater_counts(subject.round, subject)

    def shown(source: str, code: str) -> bool:
        return group_is_visible(counts, subject.round, subject.pk, source, code)

    feedback: dict[str, CompetencyFeedback] = defaultdict(lambda: CompetencyFeedback(code=""))
    answers = (
        Answer.objects.filter(
            invitation__subject=subject,
            invitation__status=InvitationStatus.COMPLETED,
            invitation__source__in=sources,
            value__isnull=False,
        )
        .values("indicator__competency__code", "invitation__source", "value")
        .annotate(n=Count("id"))
    )
    for row in answers if distributions else ():
        if not shown(row["invitation__source"], row["indicator__competency__code"]):
            continue
        item = feedback[row["indicator__competency__code"]]
        item.code = row["indicator__competency__code"]
        per_source = item.distribution.setdefault(row["invitation__source"], {})
        value = row["value"]
        if value is None:  # "cannot judge"; already filtered out in the query
            continue
        per_source[value] = per_source.get(value, 0) + row["n"]
    comments = (
        Comment.objects.filter(
            invitation__subject=subject,
            invitation__status=InvitationStatus.COMPLETED,
            invitation__source__in=sources,
        )
        .exclude(text="")
        .order_by("competency_code", "text")
    )  # blank: removed by retention
    for comment in comments.values("competency_code", "invitation__source", "text"):
        if not shown(comment["invitation__source"], comment["competency_code"]):
            continue
        item = feedback[comment["competency_code"]]
        item.code = comment["competency_code"]
        item.comments.setdefault(comment["invitation__source"], []).append(comment["text"])
    if not viewer_is_subject:
        audit_log(
            organisation=subject.round.organisation,
            actor=actor,
            action="feedback.view",
            target=subject,
            details={"round": subject.round_id, "sources": sorted(sources)},
        )
    return dict(feedback)


def rater_pseudonym(round_: Round, invitation_id: int) -> str:
    """A rater's stable name within one round for the engine (which models each rater's
    leniency); it cannot be traced back to a person without the secret key."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{round_.pk}:{invitation_id}".encode())
    return f"r{digest.hexdigest()[:12]}"


def person_key(employee_number: str, employee_id: int) -> str:
    """How a person is named in evidence: the employee number, else the record's id."""
    return employee_number or str(employee_id)
