"""Aggregates never cover fewer people than the anonymity threshold, and hidden figures
cannot be worked out from the total minus the figures shown (secondary suppression)."""

import pytest

from vakwerk.insights.selectors import Distribution, Unit, suppress
from vakwerk.organisations.models import Organisation


def _unit(key: int, **people_per_code: int) -> Unit:
    distributions = {code: Distribution(below=n) for code, n in people_per_code.items()}
    return Unit(key, f"unit {key}", distributions, max(people_per_code.values()))


@pytest.fixture
def organisation() -> Organisation:
    return Organisation(anonymity_threshold=3)


def test_a_unit_under_the_threshold_is_hidden_whole(organisation):
    units = [_unit(1, a=2, b=2), _unit(2, a=5, b=5), _unit(3, a=6, b=6)]
    suppress(units, organisation, has_total=False)
    assert units[0].suppressed
    assert units[0].distributions == {}
    assert not units[1].suppressed
    assert not units[2].suppressed


def test_with_a_total_shown_one_small_hidden_unit_takes_the_next_smallest_along(organisation):
    units = [_unit(1, a=2), _unit(2, a=5), _unit(3, a=6)]
    suppress(units, organisation, has_total=True)
    assert [u.suppressed for u in units] == [True, True, False]


def test_hidden_figures_that_together_reach_the_threshold_need_no_more_hiding(organisation):
    units = [_unit(1, a=2), _unit(2, a=2), _unit(3, a=6), _unit(4, a=7)]
    suppress(units, organisation, has_total=True)
    assert [u.suppressed for u in units] == [True, True, False, False]


def test_one_competency_measured_for_too_few_people_hides_only_that_figure(organisation):
    units = [_unit(1, a=5, b=2), _unit(2, a=5, b=4), _unit(3, a=6, b=6)]
    suppress(units, organisation, has_total=True)
    assert set(units[0].distributions) == {"a"}  # b: two people
    assert set(units[1].distributions) == {"a"}  # b: hidden along (2 + 4 >= 3)
    assert set(units[2].distributions) == {"a", "b"}
    assert not any(u.suppressed for u in units)


def test_without_a_total_nothing_extra_is_hidden(organisation):
    units = [_unit(1, a=2), _unit(2, a=5)]
    suppress(units, organisation, has_total=False)
    assert [u.suppressed for u in units] == [True, False]
