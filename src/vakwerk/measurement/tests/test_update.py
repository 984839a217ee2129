"""The engine's pulse update and ageing (``engine.update``): pure functions, no database."""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit

from vakwerk.measurement.engine import fit_competency
from vakwerk.measurement.engine.simulate import APPRAISAL, simulate
from vakwerk.measurement.engine.update import (
    DECAY_VARIANCE_PER_MONTH,
    POOLED_ITEM,
    ItemParameters,
    aged_sd,
    calibrated_items,
    level_by_anchors,
    pooled_item,
    update,
)

MIDDLE = 3  # the most common item score under the pooled prior (35%)


def test_no_answers_leave_the_prior_unchanged():
    after = update(0.3, 0.45, [])
    assert (after.mean, after.sd) == (0.3, 0.45)


def test_a_pulse_of_six_typical_answers_moves_a_little_and_narrows_a_little():
    prior_mean, prior_sd = 0.2, 0.5
    after = update(prior_mean, prior_sd, [(POOLED_ITEM, MIDDLE)] * 6)
    assert abs(after.mean - prior_mean) < 0.25
    assert 0.8 * prior_sd < after.sd < prior_sd


def test_extreme_answers_move_the_level_in_their_direction():
    best = update(0.0, 0.6, [(POOLED_ITEM, 4)] * 6)
    worst = update(0.0, 0.6, [(POOLED_ITEM, 0)] * 6)
    assert best.mean > 0.15
    assert worst.mean < -0.3
    assert worst.mean < best.mean


def test_more_situations_say_more():
    one = update(0.0, 0.6, [(POOLED_ITEM, 4)])
    six = update(0.0, 0.6, [(POOLED_ITEM, 4)] * 6)
    assert six.mean > one.mean > 0.0
    assert six.sd < one.sd < 0.6


def test_the_sjt_specific_component_makes_a_pulse_say_less():
    plain = update(0.0, 0.6, [(POOLED_ITEM, 4)] * 6, specific_var=1e-9)
    with_specific = update(0.0, 0.6, [(POOLED_ITEM, 4)] * 6, specific_var=0.5)
    assert with_specific.sd > plain.sd
    assert with_specific.mean < plain.mean


def test_the_grid_matches_direct_integration():
    """Two items, one of them binary: the posterior by adaptive quadrature over theta and d."""
    binary = ItemParameters(1.2, (0.3,), (0, 1))
    graded = ItemParameters(0.8, (-1.0, 0.0, 1.5), (0, 1, 2, 3))
    answers = [(binary, 1), (graded, 2)]
    mean, sd, tau2 = 0.4, 0.7, 0.2

    def likelihood(theta: float) -> float:
        def given_d(d: float) -> float:
            eta = theta + d
            p_binary = expit(1.2 * eta - 0.3)
            p_graded = expit(0.8 * eta - 0.0) - expit(0.8 * eta - 1.5)
            density = np.exp(-0.5 * d**2 / tau2) / np.sqrt(2 * np.pi * tau2)
            return float(p_binary * p_graded * density)

        return integrate.quad(given_d, -8, 8)[0]

    def prior(theta: float) -> float:
        return float(np.exp(-0.5 * ((theta - mean) / sd) ** 2))

    lo, hi = mean - 8 * sd, mean + 8 * sd
    norm = integrate.quad(lambda t: prior(t) * likelihood(t), lo, hi)[0]
    first = integrate.quad(lambda t: t * prior(t) * likelihood(t), lo, hi)[0] / norm
    second = integrate.quad(lambda t: t**2 * prior(t) * likelihood(t), lo, hi)[0] / norm
    after = update(mean, sd, answers, specific_var=tau2)
    assert after.mean == pytest.approx(first, abs=1e-4)
    assert after.sd == pytest.approx(np.sqrt(second - first**2), abs=1e-4)


def test_the_update_is_deterministic():
    answers = [(POOLED_ITEM, s) for s in (0, 2, 4, 3, 1, 4)]
    assert update(0.1, 0.5, answers) == update(0.1, 0.5, answers)


def test_a_bad_prior_is_refused():
    with pytest.raises(ValueError, match="positive SD"):
        update(0.0, 0.0, [(POOLED_ITEM, 2)])


def test_unseen_scores_count_as_the_nearest_seen_score_below():
    item = ItemParameters(0.7, (-0.5, 0.8), (1, 3, 4))
    assert [item.category(s) for s in range(5)] == [0, 0, 0, 1, 2]


def test_item_parameters_survive_json_and_refuse_nonsense():
    item = ItemParameters(0.7, (-0.5, 0.8), (1, 3, 4))
    assert ItemParameters.from_dict(item.as_dict()) == item
    with pytest.raises(ValueError, match="increase"):
        ItemParameters(0.7, (0.8, -0.5), (1, 3, 4))
    with pytest.raises(ValueError, match="two scores"):
        ItemParameters(0.7, (0.8,), (1, 3, 4))


def test_the_pooled_prior_takes_the_mean_discrimination_of_calibrated_items():
    calibrated = [ItemParameters(0.4, (0.0,), (0, 1)), ItemParameters(0.8, (0.0,), (0, 1))]
    assert pooled_item(calibrated).discrimination == pytest.approx(0.6)
    assert pooled_item().discrimination == POOLED_ITEM.discrimination
    assert pooled_item(calibrated).thresholds == POOLED_ITEM.thresholds


def test_calibrated_items_come_from_the_fit_with_their_raw_scores():
    org = simulate(150, APPRAISAL, 4)
    evidence = org.evidence["c1"]
    fit = fit_competency(evidence)
    sjt = evidence.source == 4
    seen: dict[str, set[int]] = {}
    for item, score in zip(evidence.item[sjt], evidence.score[sjt], strict=True):
        seen.setdefault(evidence.items[item], set()).add(int(score))
    items = calibrated_items(fit, seen)
    assert set(items) == set(seen)
    state = fit.state
    assert state.items is not None
    assert state.answers is not None
    for j, code in enumerate(state.answers.item_codes):
        found = items[fit.items[int(code)]]
        assert found.discrimination == pytest.approx(float(state.items.discrimination[j]))
        assert found.scores == tuple(sorted(seen[fit.items[int(code)]]))
    # Scores that do not match the fit's categories leave the item to the pooled prior.
    assert calibrated_items(fit, {name: {0} for name in seen}) == {}


@pytest.mark.parametrize("months", [0.0, 1.0, 6.0, 12.0, 24.0])
def test_ageing_adds_the_documented_variance_per_month(months):
    assert aged_sd(0.4, months) == pytest.approx(np.sqrt(0.16 + 0.08**2 * months))
    assert round(DECAY_VARIANCE_PER_MONTH, 10) == 0.0064


def test_ageing_stops_at_the_prior_and_never_narrows():
    assert aged_sd(0.5, 10_000) == pytest.approx(1.0)
    assert aged_sd(1.2, 5) == pytest.approx(1.2)  # already wider than the prior: left alone
    assert aged_sd(0.5, -3) == pytest.approx(0.5)


def test_levels_through_anchors_reproduce_them_and_extend_linearly():
    anchors, levels = (-0.5, 0.1, 0.7), (1.6, 2.2, 2.5)
    values = np.array([-0.5, 0.1, 0.7, -0.9, 1.1, 5.0, -5.0])
    found = level_by_anchors(values, anchors, levels, top=4.0)
    assert found[:3] == pytest.approx([1.6, 2.2, 2.5])
    assert found[3] == pytest.approx(1.6 - 0.4)  # slope 1 below
    assert found[4] == pytest.approx(2.5 + 0.2)  # slope 0.5 above
    assert found[5] == 4.0
    assert found[6] == 0.0
