"""Practice as evidence: never counted unless the organisation switches it on, and then with a
low, capped weight (engine.practice, docs/measurement.md section 10)."""

import datetime as dt

import numpy as np
import pytest

from vakwerk.audit.services import Actor
from vakwerk.measurement import services as measurement
from vakwerk.measurement.engine import practice as engine_practice
from vakwerk.measurement.engine import practice_update
from vakwerk.measurement.models import Estimate
from vakwerk.practice.models import Exercise, ExerciseAnswer

pytest_plugins = ["vakwerk.tests.measured"]
ACTOR = Actor(user=None)


def _levels(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.normal(0, 1, n), np.full(n, 0.5)


def test_fewer_practitioners_than_the_minimum_change_nothing():
    estimate, sd = _levels()
    few = engine_practice.MIN_PRACTITIONERS - 1
    scores = [0.9] * few + [None] * (len(estimate) - few)
    counts = [5] * few + [0] * (len(estimate) - few)
    result = practice_update(estimate, sd, scores, counts)
    assert np.array_equal(result.estimate, estimate)
    assert np.array_equal(result.sd, sd)
    assert not result.used.any()


def test_practice_nudges_levels_towards_the_practice_score_with_a_capped_weight():
    estimate, sd = _levels()
    scores = [0.2 + 0.6 * (p % 2) for p in range(len(estimate))]  # alternately weak and strong
    counts = [100] * len(estimate)  # far past the cap
    result = practice_update(estimate, sd, scores, counts)
    cap_sd = 1 / np.sqrt(1 / 0.5**2 + engine_practice.CAP)
    assert np.allclose(result.sd, cap_sd)
    moved = result.estimate - estimate
    assert moved[1::2].mean() > 0 > moved[0::2].mean()
    # The weight of practice is CAP / (1/sd^2 + CAP) = 0.25 / 4.25 (under 6 %) of the way
    # from the level to the practice score, which lies within a few SD of it.
    assert np.abs(moved).max() < 0.25
    assert list(result.used) == counts


def test_people_without_practice_keep_their_level():
    estimate, sd = _levels()
    scores = [0.3 + 0.03 * p for p in range(15)] + [None] * 5
    counts = [3] * 15 + [0] * 5
    result = practice_update(estimate, sd, scores, counts)
    assert np.array_equal(result.estimate[15:], estimate[15:])
    assert np.array_equal(result.sd[15:], sd[15:])
    assert list(result.used[15:]) == [0] * 5
    assert np.all(result.sd[:15] < sd[:15])


def _practise(round_, members, organisation):
    exercise = Exercise.objects.create(
        organisation=organisation, code="oefen", kind="judgement", competency_code="", content={}
    )
    code = round_.subjects.get(employee=members[0]).competency_codes[0]
    exercise.competency_code = code
    exercise.save()
    closes = dt.datetime.combine(round_.closes_on, dt.time(12), tzinfo=dt.UTC)
    for index, member in enumerate(members):
        for n in range(4):
            answer = ExerciseAnswer.objects.create(
                organisation=organisation,
                employee=member,
                exercise=exercise,
                choice=0,
                correct=(n < index),  # later members answer better
            )
            ExerciseAnswer.objects.filter(pk=answer.pk).update(
                answered_at=closes - dt.timedelta(days=30)
            )
    return code


def _recompute(round_, capture):
    with capture(execute=True):
        measurement.estimates_request(round_=round_, actor=ACTOR)
    return {
        (e.employee_id, e.competency_code): e
        for e in Estimate.objects.filter(round=round_, n_self__gte=0)
    }


@pytest.mark.django_db
def test_practice_counts_only_when_the_organisation_switches_it_on(
    closed_round, team, organisation, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(engine_practice, "MIN_PRACTITIONERS", 3)
    manager, members = team
    before = _recompute(closed_round, django_capture_on_commit_callbacks)
    code = _practise(closed_round, members, organisation)

    off = _recompute(closed_round, django_capture_on_commit_callbacks)
    for key, estimate in off.items():
        assert (estimate.estimate, estimate.sd, estimate.level) == (
            before[key].estimate,
            before[key].sd,
            before[key].level,
        )
        assert estimate.n_practice == 0

    organisation.practice_as_evidence = True
    organisation.save()
    on = _recompute(closed_round, django_capture_on_commit_callbacks)
    weakest, strongest = members[0], members[-1]
    for member in members:
        counted = on[member.pk, code]
        assert counted.n_practice == 4
        assert counted.sd < before[member.pk, code].sd
        shift = counted.estimate - before[member.pk, code].estimate
        assert abs(shift) < 0.25  # a nudge, never a jump
    assert (on[strongest.pk, code].estimate - before[strongest.pk, code].estimate) > (
        on[weakest.pk, code].estimate - before[weakest.pk, code].estimate
    )
    # Other competencies and people without practice are as before.
    assert on[manager.pk, code].n_practice == 0
    assert on[manager.pk, code].estimate == before[manager.pk, code].estimate
    others = [key for key in on if key[1] != code]
    assert others
    assert all(on[key].estimate == before[key].estimate for key in others)


@pytest.mark.django_db
def test_practice_after_the_round_closed_does_not_count(
    closed_round, team, organisation, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(engine_practice, "MIN_PRACTITIONERS", 3)
    _manager, members = team
    code = _practise(closed_round, members, organisation)
    ExerciseAnswer.objects.update(
        answered_at=dt.datetime.combine(closed_round.closes_on, dt.time(), tzinfo=dt.UTC)
        + dt.timedelta(days=2)
    )
    organisation.practice_as_evidence = True
    organisation.save()
    on = _recompute(closed_round, django_capture_on_commit_callbacks)
    assert all(on[member.pk, code].n_practice == 0 for member in members)
