"""Demo rounds for Gemeente Voorbeeld: two closed rounds with plausible answers and an open one.

Answers are simulated from a known truth so that the measurement engine has something real to
find: each person has a level per competency, self-ratings are lenient, raters differ in
strictness and see some people rosier than others, and answers are noisy.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from vakwerk.assessments import services
from vakwerk.assessments.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Round,
    RoundStatus,
    SjtAnswer,
    SjtItem,
    Source,
    Subject,
)
from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import FrameworkVersion, Indicator, VersionStatus
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Employee

SEED = 3_000
SELF_LENIENCY = 0.35
COMPLETION = 0.85


def _clip(value: float) -> int:
    return max(0, min(4, round(value)))


def _answer(rng: random.Random, truth: float, level: int, leniency: float) -> int:
    # A behaviour of a higher level is shown less often by the same person.
    return _clip(2.9 + 1.1 * (truth - (level - 2.5) * 0.7) + leniency + rng.gauss(0, 0.6))


@transaction.atomic
def _fill_round(
    round_: Round,
    rng: random.Random,
    truth: dict[tuple[int, str], float],
    peers_per_person: int,
    completion: float,
) -> None:
    indicators: dict[str, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(competency__version=round_.version).select_related(
        "competency"
    ):
        indicators.setdefault(indicator.competency.code, []).append(indicator)
    subjects = list(round_.subjects.select_related("employee"))
    by_team: dict[int | None, list[Employee]] = {}
    for subject in subjects:
        by_team.setdefault(subject.employee.team_id, []).append(subject.employee)
    peer_invitations = []
    for subject in subjects:
        colleagues = [e for e in by_team[subject.employee.team_id] if e.pk != subject.employee_id]
        for peer in rng.sample(colleagues, min(peers_per_person, len(colleagues))):
            peer_invitations.append(Invitation(subject=subject, source=Source.PEER, rater=peer))
        subject.peers_submitted_at = subject.peers_approved_at = timezone.now()
    Invitation.objects.bulk_create(peer_invitations)
    Subject.objects.bulk_update(subjects, ["peers_submitted_at", "peers_approved_at"])
    leniency: dict[int, float] = {}
    answers = []
    completed = []
    invitations = Invitation.objects.filter(subject__round=round_).select_related("subject")
    for invitation in invitations:
        if rng.random() > completion:
            continue
        rater = invitation.rater_id or 0
        lenient = leniency.setdefault(rater, rng.gauss(0, 0.45))
        if invitation.source == Source.SELF:
            lenient += SELF_LENIENCY
        halo = rng.gauss(0, 0.35)
        for code in invitation.subject.competency_codes:
            level = truth.setdefault((invitation.subject.employee_id, code), rng.gauss(0, 1))
            for indicator in indicators.get(code, []):
                value = (
                    None
                    if rng.random() < 0.03
                    else _answer(rng, level, indicator.level, lenient + halo)
                )
                answers.append(Answer(invitation=invitation, indicator=indicator, value=value))
        invitation.status = InvitationStatus.COMPLETED
        invitation.completed_at = invitation.started_at = timezone.now()
        completed.append(invitation)
    Answer.objects.bulk_create(answers, batch_size=5000)
    Invitation.objects.bulk_update(completed, ["status", "completed_at", "started_at"])
    _fill_sjt(round_, rng, truth, subjects, completion)


def _fill_sjt(
    round_: Round,
    rng: random.Random,
    truth: dict[tuple[int, str], float],
    subjects: list[Subject],
    completion: float,
) -> None:
    items = list(
        SjtItem.objects.filter(organisation=round_.organisation).prefetch_related("options")
    )
    if not round_.use_sjt or not items:
        return
    answers = []
    for subject in subjects:
        if rng.random() > completion:
            continue
        mine = [i for i in items if i.competency_code in subject.competency_codes][:12]
        for item in mine:
            skill = truth.get((subject.employee_id, item.competency_code), 0.0)
            noise = 1.2 / (1.5 + skill)  # better people judge closer to the key
            for option in item.options.all():
                rating = max(1, min(5, round(float(option.key) + rng.gauss(0, max(noise, 0.3)))))
                answers.append(SjtAnswer(subject=subject, option=option, rating=rating))
        subject.sjt_completed_at = timezone.now()
    SjtAnswer.objects.bulk_create(answers, batch_size=5000)
    Subject.objects.bulk_update(subjects, ["sjt_completed_at"])


def _estimate(round_: Round) -> None:
    """Compute the closed round's estimates right away (the demo has no worker running yet)."""
    from vakwerk.measurement.engine import ENGINE_VERSION
    from vakwerk.measurement.models import EstimateRun
    from vakwerk.measurement.services import estimates_compute

    run = EstimateRun.objects.create(
        organisation=round_.organisation, round=round_, engine_version=ENGINE_VERSION
    )
    estimates_compute(run_id=run.pk)


def seed_rounds(organisation: Organisation, department_name: str = "Publiekszaken") -> None:
    """Two closed rounds for one department and an open round for the whole organisation."""
    if Round.objects.filter(organisation=organisation).exists():
        return
    version = (
        FrameworkVersion.objects.filter(
            framework__organisation=organisation, status=VersionStatus.PUBLISHED
        )
        .order_by("framework__name", "-number")
        .first()
    )
    if version is None:
        return
    actor = Actor(user=None)
    rng = random.Random(SEED)
    truth: dict[tuple[int, str], float] = {}
    department = Department.objects.filter(organisation=organisation, name=department_name).first()
    today = timezone.localdate()
    closed_rounds = (
        ("Vakmanschapsmeting najaar 2025", dt.date(2025, 10, 6), dt.date(2025, 10, 31)),
        ("Vakmanschapsmeting voorjaar 2026", dt.date(2026, 4, 6), dt.date(2026, 4, 30)),
    )
    for index, (name, opens, closes) in enumerate(closed_rounds):
        round_ = services.round_create(
            round_=Round(
                organisation=organisation,
                name=name,
                version=version,
                opens_on=opens,
                closes_on=closes,
                anonymity_threshold=organisation.anonymity_threshold,
            ),
            actor=actor,
            departments=[department] if department else [],
        )
        services.round_open(round_=round_, actor=actor)
        # The organisation grows a little between rounds.
        for key in truth:
            truth[key] += 0.1 * index
        _fill_round(round_, rng, truth, peers_per_person=4, completion=COMPLETION)
        Round.objects.filter(pk=round_.pk).update(
            status=RoundStatus.CLOSED,
            closed_at=timezone.make_aware(dt.datetime.combine(closes, dt.time(17))),
        )
        _estimate(round_)
    open_round = services.round_create(
        round_=Round(
            organisation=organisation,
            name="Vakmanschapsmeting najaar 2026",
            version=version,
            opens_on=today - dt.timedelta(days=7),
            closes_on=today + dt.timedelta(days=14),
            anonymity_threshold=organisation.anonymity_threshold,
            use_external=True,
        ),
        actor=actor,
    )
    services.round_open(round_=open_round, actor=actor)
