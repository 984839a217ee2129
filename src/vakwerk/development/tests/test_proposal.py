"""The rules of Vakwerk's plan proposal: ranking, role weights, uncertainty, balance, no
duplicates, level fit, no results, and an incomplete catalogue."""

from decimal import Decimal

import pytest
from django.utils.translation import override

from vakwerk.development.models import Activity, ActivityFormat, LearningCategory
from vakwerk.development.proposal import SURE, Standing, choose_focus, propose
from vakwerk.insights.gaps import Band

CATEGORY: dict[str, str] = {
    ActivityFormat.PRACTICE: LearningCategory.EXPERIENCE,
    ActivityFormat.ON_THE_JOB: LearningCategory.EXPERIENCE,
    ActivityFormat.REFLECTION: LearningCategory.EXPERIENCE,
    ActivityFormat.PEER: LearningCategory.SOCIAL,
    ActivityFormat.COACHING: LearningCategory.SOCIAL,
    ActivityFormat.MICROLESSON: LearningCategory.FORMAL,
    ActivityFormat.COURSE: LearningCategory.FORMAL,
}


def _activity(code: str, fmt: str, competencies: list[str], levels=(1, 4), minutes=30):
    return Activity(
        code=code,
        title=code,
        format=fmt,
        category=CATEGORY[fmt],
        competency_codes=competencies,
        level_min=levels[0],
        level_max=levels[1],
        minutes=minutes,
    )


def _full_catalogue(codes: list[str]) -> list[Activity]:
    """Every format for every competency, for levels 1-2 and 3-4."""
    return [
        _activity(f"{code}-{fmt}-{low}", fmt, [code], (low, low + 1))
        for code in codes
        for fmt in CATEGORY
        for low in (1, 3)
    ]


def _standing(code, level, *, minimum=2, target=3, weight=1, width=0.4):
    half = None if level is None else width / 2
    return Standing(
        code=code,
        label=code.upper(),
        band=Band(minimum, target, Decimal(weight)),
        level=level,
        lower=None if level is None else level - half,
        upper=None if level is None else level + half,
    )


def test_the_largest_shortfall_comes_first():
    standings = [_standing("a", 2.3), _standing("b", 1.2), _standing("c", 2.0)]
    focus, _ = choose_focus(standings, 4)
    assert [c.code for c in focus] == ["b", "c", "a"]


def test_the_role_weight_multiplies_the_shortfall():
    standings = [_standing("a", 2.0, weight=1), _standing("b", 2.0, weight=2)]
    focus, _ = choose_focus(standings, 4)
    assert focus[0].code == "b"
    assert focus[0].score == pytest.approx(2 * focus[1].score, rel=1e-6)


def test_an_uncertain_gap_ranks_lower_and_asks_for_measuring_again():
    sure = _standing("sure", 2.4, width=0.3)
    unsure = _standing("unsure", 2.4, width=3.0)
    focus, _ = choose_focus([unsure, sure], 4)
    assert [c.code for c in focus] == ["sure", "unsure"]
    assert not focus[0].uncertain
    assert focus[1].uncertain
    assert focus[1].certainty < SURE


def test_the_third_focus_only_when_its_gap_is_comparable():
    close = [_standing("a", 1.0), _standing("b", 1.2), _standing("c", 1.4)]
    assert len(choose_focus(close, 4)[0]) == 3
    far = [_standing("a", 1.0), _standing("b", 1.2), _standing("c", 2.8)]
    assert len(choose_focus(far, 4)[0]) == 2


def test_with_everyone_at_target_the_smallest_margins_are_the_focus():
    standings = [_standing("a", 3.9), _standing("b", 3.1), _standing("c", 3.4)]
    focus, strength = choose_focus(standings, 4)
    assert [c.code for c in focus] == ["b", "c"]
    assert strength is not None
    assert strength.code == "a"


def test_the_strength_is_never_a_focus():
    standings = [
        _standing(code, level) for code, level in zip("abcde", [1, 1.5, 2, 3.6, 3.2], strict=True)
    ]
    focus, strength = choose_focus(standings, 4)
    assert strength is not None
    assert strength.code == "d"
    assert strength.code not in {c.code for c in focus}


def test_the_mix_is_balanced_and_has_no_duplicates():
    standings = [_standing("a", 1.2), _standing("b", 1.6), _standing("c", 3.8)]
    proposal = propose(standings, _full_catalogue(["a", "b", "c"]))
    formats = [activity.format for _, activity in proposal.items]
    assert ActivityFormat.PRACTICE in formats
    assert ActivityFormat.ON_THE_JOB in formats
    assert any(a.category == LearningCategory.SOCIAL for _, a in proposal.items)
    codes = [activity.code for _, activity in proposal.items]
    assert len(codes) == len(set(codes))
    for choice in proposal.focuses:
        assert sum(1 for c, _ in proposal.items if c.code == choice.code) >= 2
    assert any(c.is_strength for c, _ in proposal.items)
    assert proposal.gaps == []


def test_activities_fit_the_working_level():
    standings = [_standing("a", 1.4), _standing("b", 2.6)]
    proposal = propose(standings, _full_catalogue(["a", "b"]))
    for choice, activity in proposal.items:
        assert activity.level_min <= choice.working_level <= activity.level_max
    levels = {c.code: c.working_level for c in proposal.focuses}
    assert levels == {"a": 2, "b": 3}


def test_retired_activities_are_not_proposed():
    catalogue = _full_catalogue(["a", "b"])
    for activity in catalogue:
        if activity.format == ActivityFormat.PRACTICE:
            activity.is_active = False
    proposal = propose([_standing("a", 1.2), _standing("b", 1.5)], catalogue)
    assert ActivityFormat.PRACTICE not in proposal.formats
    assert proposal.gaps


def test_without_results_the_role_alone_decides_and_says_so():
    standings = [
        _standing("a", None, target=2, weight=1),
        _standing("b", None, target=3, weight=2),
        _standing("c", None, target=4, weight=1),
        _standing("d", None, target=2, weight=Decimal("0.5")),
    ]
    proposal = propose(standings, _full_catalogue(list("abcd")))
    assert not proposal.based_on_results
    assert [c.code for c in proposal.focuses] == ["b", "c", "a"]
    assert proposal.strength is None
    # Activities start at the role's minimum.
    assert all(c.working_level == 2 for c, _ in proposal.items)
    assert ActivityFormat.ON_THE_JOB in proposal.formats


def test_a_catalogue_without_a_needed_format_gives_an_honest_gap_message():
    catalogue = [a for a in _full_catalogue(["a", "b"]) if a.format != ActivityFormat.ON_THE_JOB]
    with override("en"):
        proposal = propose([_standing("a", 1.2), _standing("b", 1.5)], catalogue)
    assert ActivityFormat.ON_THE_JOB not in proposal.formats
    assert ActivityFormat.PRACTICE in proposal.formats
    assert any("no on-the-job assignment for A, B" in gap for gap in proposal.gaps)


def test_an_empty_catalogue_gives_messages_not_a_crash():
    with override("en"):
        proposal = propose([_standing("a", 1.2), _standing("b", 3.6)], [])
    assert proposal.items == []
    assert len(proposal.gaps) >= 3
