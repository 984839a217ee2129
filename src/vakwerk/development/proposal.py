"""Vakwerk's proposal for a development plan: focus, a strength, and a balanced mix.

The rules (``docs/development-plans.md`` explains them for HR):

**Focus.** Each competency of the role with a result gets a score

    score = shortfall * weight * certainty

where ``shortfall = max(0, target - level)`` on the framework's level scale, ``weight`` is the
role's weight for the competency, and ``certainty`` is the probability that the true level is
below the target, from the 90% interval read as a normal distribution
(``sd = (upper - lower) / 3.29``). A gap the data is unsure of therefore ranks lower, and a
focus with certainty under ``SURE`` is marked "uncertain: measure again". The two or three
highest scores become the focus (three when the third is at least half the second); when
fewer than two competencies fall short, the smallest margins above target fill up to two.

**Strength.** Among the other competencies, the one furthest above its target (times its
certainty of being above), else the highest level.

**Without results** (no measured round yet) the proposal rests on the role profile alone and
says so: the focus is the role's most important competencies (weight, then target).

**Mix.** Activities must serve the competency at the person's *working level* (the level
above the current one; the role's minimum without results). The plan gets at least one
practice activity, one on-the-job assignment and one activity of learning from others (the
"20" of 70-20-10), spread over the focus competencies, then a second activity per focus for
variety, and one activity for the strength; never the same activity twice. When the
catalogue lacks a needed kind at that level, the proposal says so instead of failing.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from vakwerk.development.models import Activity, ActivityFormat, LearningCategory
from vakwerk.insights.gaps import Band

SURE = 0.8  # below this certainty a gap is "uncertain: measure again"
Z90 = 1.6448536269514722  # the 90% interval spans ± this many standard deviations
MAX_FOCUS = 3


@dataclass(frozen=True)
class Standing:
    """Where a person stands on one competency of their role."""

    code: str
    label: str
    band: Band
    level: float | None = None
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    level: float | None
    target: int
    working_level: int
    score: float
    certainty: float
    is_strength: bool = False

    @property
    def uncertain(self) -> bool:
        return self.level is not None and not self.is_strength and self.certainty < SURE


@dataclass
class Proposal:
    based_on_results: bool
    focuses: list[Choice]
    strength: Choice | None
    items: list[tuple[Choice, Activity]] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)

    @property
    def formats(self) -> set[str]:
        return {activity.format for _, activity in self.items}


def _sd(standing: Standing) -> float | None:
    if standing.lower is None or standing.upper is None:
        return None
    return max((standing.upper - standing.lower) / (2 * Z90), 0.05)


def _probability_below(value: float, standing: Standing) -> float:
    """P(true level < value) given the estimate and its interval."""
    assert standing.level is not None
    sd = _sd(standing)
    if sd is None:
        return 0.5
    return 0.5 * (1.0 + math.erf((value - standing.level) / (sd * math.sqrt(2.0))))


def _working_level(level: float | None, band: Band, top: int) -> int:
    if level is None:
        return band.minimum
    return max(1, min(top, math.floor(level) + 1))


def _choice(standing: Standing, top: int, *, strength: bool = False) -> Choice:
    band, level = standing.band, standing.level
    if level is None:
        score, certainty = float(band.weight) * band.target, 0.0
    elif strength:
        certainty = 1.0 - _probability_below(band.target, standing)
        score = (level - band.target) * certainty
    else:
        certainty = _probability_below(band.target, standing)
        score = max(0.0, band.target - level) * float(band.weight) * certainty
    return Choice(
        code=standing.code,
        label=standing.label,
        level=level,
        target=band.target,
        working_level=_working_level(level, band, top),
        score=score,
        certainty=certainty,
        is_strength=strength,
    )


def choose_focus(standings: Sequence[Standing], top: int) -> tuple[list[Choice], Choice | None]:
    measured = [s for s in standings if s.level is not None]
    if not measured:
        ranked = sorted(
            (_choice(s, top) for s in standings), key=lambda c: (-c.score, -c.target, c.code)
        )
        return ranked[:MAX_FOCUS], None
    ranked = sorted((_choice(s, top) for s in measured), key=lambda c: (-c.score, c.code))
    short = [c for c in ranked if c.score > 0]
    focus = short[:2]
    if len(short) >= MAX_FOCUS and short[2].score >= 0.5 * short[1].score:
        focus.append(short[2])
    if len(focus) < 2:
        # Everyone at target: grow where the margin above the target is smallest.
        chosen = {c.code for c in focus}
        rest = sorted(
            (c for c in ranked if c.code not in chosen),
            key=lambda c: ((c.level or 0.0) - c.target, c.code),
        )
        focus.extend(rest[: 2 - len(focus)])
    chosen = {c.code for c in focus}
    others = [s for s in measured if s.code not in chosen]
    strengths = sorted(
        (_choice(s, top, strength=True) for s in others),
        key=lambda c: (-c.score, -(c.level or 0.0), c.code),
    )
    return focus, (strengths[0] if strengths else None)


def _is_practice(activity: Activity) -> bool:
    return activity.format == ActivityFormat.PRACTICE


def _is_on_the_job(activity: Activity) -> bool:
    return activity.format == ActivityFormat.ON_THE_JOB


def _is_social(activity: Activity) -> bool:
    return activity.category == LearningCategory.SOCIAL


def _anything(activity: Activity) -> bool:
    return True


def _format_not_in(formats: set[str]) -> Callable[[Activity], bool]:
    return lambda activity: activity.format not in formats


REQUIRED: tuple[tuple[Callable[[Activity], bool], str], ...] = (
    (_is_practice, "practice"),
    (_is_on_the_job, "on_the_job"),
    (_is_social, "social"),
)


def _kind_label(kind: str) -> str:
    return {
        "practice": _("practice activity"),
        "on_the_job": _("on-the-job assignment"),
        "social": _("activity of learning from others"),
    }[kind]


def propose(
    standings: Sequence[Standing], catalogue: Sequence[Activity], *, top: int = 4
) -> Proposal:
    """The proposal for one person (``standings``: the competencies of their role)."""
    focuses, strength = choose_focus(standings, top)
    proposal = Proposal(
        based_on_results=any(s.level is not None for s in standings),
        focuses=focuses,
        strength=strength,
    )
    offered = sorted(
        (a for a in catalogue if a.is_active), key=lambda a: (a.minutes, a.code, a.pk or 0)
    )
    used: set[str] = set()

    def take(choice: Choice, wanted: Callable[[Activity], bool]) -> bool:
        for activity in offered:
            if activity.code in used or not wanted(activity):
                continue
            if activity.serves(choice.code, choice.working_level):
                used.add(activity.code)
                proposal.items.append((choice, activity))
                return True
        return False

    # The required kinds, spread over the focus competencies (the first focus first).
    for index, (wanted, kind) in enumerate(REQUIRED):
        order = focuses[index % len(focuses) :] + focuses[: index % len(focuses)] if focuses else []
        if not any(take(choice, wanted) for choice in order):
            names = ", ".join(c.label for c in focuses)
            proposal.gaps.append(
                _("The learning offer has no %(kind)s for %(names)s at the level they work on.")
                % {"kind": _kind_label(kind), "names": names}
            )
    # A second activity per focus, of a kind not yet in the plan where possible.
    for choice in focuses:
        have = sum(1 for c, _ in proposal.items if c.code == choice.code)
        while have < 2:
            if not (take(choice, _format_not_in(proposal.formats)) or take(choice, _anything)):
                proposal.gaps.append(
                    _("The learning offer has too little for %(name)s at level %(level)s.")
                    % {"name": choice.label, "level": choice.working_level}
                )
                break
            have += 1
    if strength is not None and not (take(strength, _is_social) or take(strength, _anything)):
        proposal.gaps.append(
            _("The learning offer has nothing to build on %(name)s at level %(level)s.")
            % {"name": strength.label, "level": strength.working_level}
        )
    return proposal
