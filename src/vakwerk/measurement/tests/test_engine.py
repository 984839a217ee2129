"""The model: recovery on simulated data, edge cases and determinism."""

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from vakwerk.measurement.engine import Evidence, Settings, fit_competency, grm, ordinal
from vakwerk.measurement.engine.evidence import SELF
from vakwerk.measurement.engine.model import _marginal_variance
from vakwerk.measurement.engine.posterior import _conjugate_gradients
from vakwerk.measurement.engine.ratings import reduce_to_pairs
from vakwerk.measurement.engine.simulate import (
    APPRAISAL,
    CONFOUNDED,
    FULL_360,
    naive_mean,
    simulate,
)
from vakwerk.measurement.engine.squarem import Outcome, squarem


def _standardised(values):
    return (values - values.mean()) / values.std()


def _coverage(fit, truth, z):
    return float(np.mean(np.abs(fit.estimate - _standardised(truth)) <= z * fit.sd))


@pytest.mark.parametrize(("scenario", "rmse_bound"), [(FULL_360, 0.55), (APPRAISAL, 0.72)])
def test_recovers_known_levels_with_honest_intervals(scenario, rmse_bound):
    coverages, errors, naive_errors = [], [], []
    for seed in (11, 12):
        org = simulate(250, scenario, seed)
        evidence, truth = org.evidence["c1"], org.truth["c1"]
        fit = fit_competency(evidence)
        assert fit.converged
        errors.append(np.sqrt(np.mean((fit.estimate - _standardised(truth)) ** 2)))
        naive_errors.append(
            np.sqrt(np.mean((_standardised(naive_mean(evidence)[0]) - _standardised(truth)) ** 2))
        )
        coverages.append(_coverage(fit, truth, 1.96))
    assert np.mean(errors) < rmse_bound
    assert np.mean(errors) < np.mean(naive_errors)
    assert 0.90 <= np.mean(coverages) <= 0.99


def test_estimates_are_standardised():
    org = simulate(200, FULL_360, 3)
    fit = fit_competency(org.evidence["c1"])
    assert abs(fit.estimate.mean()) < 1e-9
    assert np.mean(fit.estimate**2 + fit.sd**2) == pytest.approx(1.0, abs=1e-9)
    assert np.all(fit.sd < 1.0)


def test_is_deterministic_and_ignores_row_order():
    org = simulate(150, FULL_360, 5)
    evidence = org.evidence["c1"]
    first, second = fit_competency(evidence), fit_competency(evidence)
    assert np.array_equal(first.estimate, second.estimate)
    assert np.array_equal(first.sd, second.sd)
    order = np.random.default_rng(0).permutation(evidence.size)
    shuffled = Evidence(
        evidence.persons,
        evidence.raters,
        evidence.items,
        *(
            column[order]
            for column in (
                evidence.person,
                evidence.source,
                evidence.rater,
                evidence.item,
                evidence.score,
                evidence.categories,
            )
        ),
    )
    third = fit_competency(shuffled)
    assert np.allclose(first.estimate, third.estimate, atol=1e-6)
    assert np.allclose(first.sd, third.sd, atol=1e-6)


def test_sparse_covariance_approximation_matches_exact():
    org = simulate(200, FULL_360, 8)
    exact = fit_competency(org.evidence["c1"])
    approx = fit_competency(org.evidence["c1"], Settings(dense_limit=0))
    assert np.max(np.abs(approx.sd / exact.sd - 1.0)) < 0.01
    assert np.max(np.abs(approx.estimate - exact.estimate)) < 0.01


def _records(rows):
    return Evidence.from_records(rows)


def test_one_rater_only():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=40)
    rows = []
    for p, level in enumerate(truth):
        for item in range(4):
            score = int(np.clip(np.round(2 + level + rng.normal(0, 0.7)), 0, 4))
            rows.append((f"p{p}", "manager", "boss", f"i{item}", score, 5))
    fit = fit_competency(_records(rows))
    assert np.all(np.isfinite(fit.estimate))
    assert np.all((fit.sd > 0.05) & (fit.sd < 1.0))
    assert np.corrcoef(fit.estimate, truth)[0, 1] > 0.7


def test_everyone_answering_the_same_gives_no_differences():
    rows = [
        (f"p{p}", source, rater, f"i{i}", 3, 5)
        for p in range(20)
        for source, rater in (("self", ""), ("manager", "m"), ("peer", f"p{(p + 1) % 20}"))
        for i in range(3)
    ]
    rows += [(f"p{p}", "sjt", "", f"s{i}", 1, 4) for p in range(20) for i in range(5)]
    fit = fit_competency(_records(rows))
    assert np.ptp(fit.estimate) < 1e-6
    assert np.ptp(fit.sd) < 1e-6
    assert np.all(np.abs(fit.estimate) < 1e-6)
    assert np.all(fit.sd > 0.9)


def test_person_without_evidence_gets_the_prior():
    org = simulate(120, FULL_360, 2)
    evidence = org.evidence["c1"]
    rows = [
        (
            evidence.persons[p],
            ("self", "manager", "peer", "external", "sjt")[s],
            evidence.raters[r] if r >= 0 else "",
            evidence.items[i],
            int(score),
            int(k),
        )
        for p, s, r, i, score, k in zip(
            evidence.person,
            evidence.source,
            evidence.rater,
            evidence.item,
            evidence.score,
            evidence.categories,
            strict=True,
        )
    ]
    fit = fit_competency(Evidence.from_records(rows, persons=["newcomer"]))
    newcomer = fit.persons.index("newcomer")
    assert fit.counts[newcomer].sum() == 0
    assert abs(fit.estimate[newcomer]) < 0.1
    assert fit.sd[newcomer] > 0.9
    assert fit.sd[newcomer] > 1.8 * np.median(np.delete(fit.sd, newcomer))


def test_extreme_categories_only():
    rng = np.random.default_rng(4)
    truth = rng.normal(size=60)
    rows = []
    for p, level in enumerate(truth):
        raters = [("self", ""), ("manager", f"m{p // 6}")] + [
            ("peer", f"p{(p + k) % 60}") for k in (1, 2, 3)
        ]
        for source, rater in raters:
            for item in range(3):
                high = level + rng.normal(0, 1.0) > 0
                rows.append((f"p{p}", source, rater, f"i{item}", 4 if high else 0, 5))
        for item in range(6):
            rows.append((f"p{p}", "sjt", "", f"s{item}", 3 if level + rng.normal() > 0 else 0, 4))
    fit = fit_competency(_records(rows))
    assert fit.converged
    assert np.all(np.isfinite(fit.estimate))
    assert np.all(fit.sd > 0)
    assert np.corrcoef(fit.estimate, truth)[0, 1] > 0.6


def test_rater_who_rates_one_person_only():
    org = simulate(100, FULL_360, 6)
    evidence = org.evidence["c1"]
    extra = len(evidence.raters)
    rows_person = np.concatenate([evidence.person, np.zeros(5, dtype=np.int64)])
    lone = Evidence(
        evidence.persons,
        (*evidence.raters, "outsider"),
        evidence.items,
        rows_person,
        np.concatenate([evidence.source, np.full(5, 3)]),
        np.concatenate([evidence.rater, np.full(5, extra)]),
        np.concatenate([evidence.item, np.arange(5)]),
        np.concatenate([evidence.score, np.full(5, 4)]),
        np.concatenate([evidence.categories, np.full(5, 5)]),
    )
    before, after = fit_competency(evidence), fit_competency(lone)
    assert after.counts[0, 3] == 5
    # One glowing external rating moves the person by little: a source with a single pair
    # cannot tell its own effect from the person's level (its intercept takes the rating).
    assert -0.01 < after.estimate[0] - before.estimate[0] < 0.5
    assert after.sd[0] <= before.sd[0] * (1.0 + 1e-4)  # parameters re-estimated: rounding
    others = np.arange(1, 100)
    assert np.max(np.abs(after.estimate[others] - before.estimate[others])) < 0.05


def _rmse(fit, truth):
    return float(np.sqrt(np.mean((fit.estimate - _standardised(truth)) ** 2)))


def test_team_levels_help_when_lenient_managers_lead_weaker_teams():
    with_teams, without = [], []
    for seed in (11, 12):
        org = simulate(250, CONFOUNDED, seed)
        evidence, truth = org.evidence["c1"], org.truth["c1"]
        fit = fit_competency(evidence)
        assert fit.converged
        assert fit.state.team_var > 0.02
        with_teams.append(_rmse(fit, truth))
        without.append(_rmse(fit_competency(evidence, Settings(team_levels=False)), truth))
    assert np.mean(with_teams) < np.mean(without) - 0.005


def test_team_choice_ignores_row_order_with_two_managers():
    rng = np.random.default_rng(9)
    truth = rng.normal(size=36)
    rows = []
    for p, level in enumerate(truth):
        managers = [f"boss{p // 6}"] + ([f"coach{p // 9}"] if p % 2 else [])
        for source, rater in [("self", "")] + [("manager", m) for m in managers]:
            for item in range(3):
                score = int(np.clip(np.round(2 + level + rng.normal(0, 0.8)), 0, 4))
                rows.append((f"p{p:02d}", source, rater, f"i{item}", score, 5))
    forward, backward = _records(rows), _records(rows[::-1])
    assert forward.raters != backward.raters  # the rater codes really differ
    first, second = fit_competency(forward), fit_competency(backward)
    order = [second.persons.index(person) for person in first.persons]
    assert np.allclose(first.estimate, second.estimate[order], atol=1e-6)
    assert np.allclose(first.sd, second.sd[order], atol=1e-6)


def _sjt_records(discrimination, seed):
    """Self and manager ratings plus 12 graded SJT items with the given discriminations."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=300)
    rows = []
    for p, level in enumerate(theta):
        for source, rater in (("self", ""), ("manager", f"m{p // 8}")):
            shift = rng.normal(0, 0.6)
            for item in range(5):
                score = np.clip(np.round(2 + 0.6 * level + shift + rng.normal(0, 0.6)), 0, 4)
                rows.append((f"p{p}", source, rater, f"r{item}", int(score), 5))
        for item, a in enumerate(discrimination):
            cuts = 0.3 * (item % 3 - 1) + np.array([-1.5, 0.0, 1.5])
            at_least = 1.0 / (1.0 + np.exp(-(a * level - cuts)))
            rows.append(
                (f"p{p}", "sjt", "", f"s{item:02d}", int(np.sum(rng.random() < at_least)), 4)
            )
    return _records(rows)


def _discriminations(evidence):
    items = fit_competency(evidence).state.items
    assert items is not None
    return items.discrimination


def test_sjt_discriminations_are_pooled_but_real_differences_stay():
    # Equal true discriminations: raw estimates would scatter by about 15% of their mean
    # (0.13 on these two samples without pooling); pooled ones scatter much less.
    spread = []
    for seed in (0, 1):
        a = _discriminations(_sjt_records([0.8] * 12, seed))
        spread.append(a.std() / a.mean())
    assert np.mean(spread) < 0.11
    # Truly different items keep clearly different discriminations.
    a = _discriminations(_sjt_records([1.4, 0.4] * 6, 0))
    assert a[0::2].mean() > 2.0 * a[1::2].mean()


def test_squarem_reaches_the_fixed_point_of_a_slow_linear_map():
    rng = np.random.default_rng(0)
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    contraction = rotation @ np.diag([0.999, 0.9, 0.5]) @ rotation.T  # plain: ~20,000 steps
    shift = rng.normal(size=3)
    fixed = np.linalg.solve(np.eye(3) - contraction, shift)

    def step(x):
        following = contraction @ x + shift
        return following, bool(np.max(np.abs(following - x)) < 1e-12)

    outcome = squarem(step, np.zeros(3), lambda x: bool(np.all(np.isfinite(x))), 300)
    assert outcome.converged
    assert outcome.steps < 200
    assert np.max(np.abs(outcome.x - fixed)) < 1e-6


def test_marginal_variance_update_jumps_to_the_fixed_point():
    # Gaussian effects seen through noisy summaries: the marginal-likelihood (ECME) update
    # lands on its own fixed point in one step, where the EM step creeps.
    rng = np.random.default_rng(3)
    precision = rng.uniform(0.5, 3.0, 3000)
    observed = rng.normal(0.0, np.sqrt(0.3), 3000) + rng.normal(0.0, 1.0 / np.sqrt(precision))

    def posterior(variance):
        shrink = variance / (variance + 1.0 / precision)
        return observed * shrink, 1.0 / (1.0 / variance + precision)

    mean, var = posterior(1.0)
    first = _marginal_variance(mean, var, 1.0, 2.0, 0.2)
    mean_next, var_next = posterior(first)
    second = _marginal_variance(mean_next, var_next, first, 2.0, 0.2)
    assert abs(second - first) < 1e-6
    assert abs(first - 0.3) < 0.05
    em_step = float(np.mean(mean**2 + var))
    assert abs(em_step - first) > 0.2


def test_ordinal_summaries_read_a_ceiling_as_high_and_uncertain():
    evidence = simulate(300, FULL_360, 21).evidence["c1"]
    pairs = reduce_to_pairs(evidence)
    interval = reduce_to_pairs(evidence, ordinal=False)
    self_pairs = (pairs.source == SELF) & (pairs.count == 5)
    top = self_pairs & (interval.mean > 0.999)  # all five at the top category
    middle = self_pairs & (np.abs(interval.mean - 0.5) < 0.15)
    assert np.count_nonzero(top) >= 5
    assert np.count_nonzero(middle) >= 5
    # "Always" on every item says less about how high than a spread of answers says about
    # where: the summary's error variance is larger, and the summary lies above the others.
    assert np.min(pairs.error_var[top]) > np.median(pairs.error_var[middle])
    assert np.min(pairs.mean[top]) > np.max(pairs.mean[self_pairs & ~top])
    # On the same 0..1 scale as before: the middle pairs hardly move.
    assert np.median(np.abs(pairs.mean[middle] - interval.mean[middle])) < 0.05


def test_ordinal_fit_stops_once_its_m_step_cannot_get_closer(monkeypatch):
    """One competency of the demo's first round (421 pairs, five-point scale): with the EM
    stopped at 1e-6 the M-step's own rounding kept it going for all 300 steps. It stops in a
    few steps now, where a plain EM run for 100 steps at 1e-6 agrees with it."""
    data = np.load(Path(__file__).parent / "data" / "ordinal_demo_pairs.npz")
    arguments = (
        data["pair"],
        data["item"],
        data["score"],
        data["categories"],
        data["pair_source"],
        int(data["n_items"]),
        int(data["n_sources"]),
        (data["start_mean"], data["start_items"], float(data["start_noise"])),
    )
    steps = []
    em_step = ordinal._em_step

    def counted(*args):
        steps.append(1)
        return em_step(*args)

    monkeypatch.setattr(ordinal, "_em_step", counted)
    fast = ordinal.linearise(*arguments)
    assert fast is not None
    assert len(steps) <= 30

    monkeypatch.setattr(ordinal, "squarem", _plain_em)
    monkeypatch.setattr(ordinal, "TOLERANCE", 1e-6)
    monkeypatch.setattr(ordinal, "MAX_ITERATIONS", 100)
    steps.clear()
    reference = ordinal.linearise(*arguments)
    assert reference is not None
    assert len(steps) == 100  # the case: at 1e-6 it does not stop
    np.testing.assert_allclose(fast.mean, reference.mean, atol=1e-5)
    np.testing.assert_allclose(fast.error_var, reference.error_var, rtol=1e-4)


def _plain_em(em_step, x, _valid, max_steps):
    """``squarem``'s contract without the extrapolation: plain EM steps."""
    steps, done = 0, False
    while steps < max_steps and not done:
        x, done = em_step(x)
        steps += 1
    return Outcome(x, steps, done)


def test_ordinal_model_needs_three_used_categories():
    evidence = simulate(150, FULL_360, 22).evidence["c1"]
    rated = evidence.source != 4
    binary = Evidence(
        evidence.persons,
        evidence.raters,
        evidence.items,
        evidence.person,
        evidence.source,
        evidence.rater,
        evidence.item,
        np.where(rated, (evidence.score >= 3).astype(np.int64), evidence.score),
        np.where(rated, 2, evidence.categories),
    )
    ordinal, interval = reduce_to_pairs(binary), reduce_to_pairs(binary, ordinal=False)
    np.testing.assert_array_equal(ordinal.mean, interval.mean)
    np.testing.assert_array_equal(ordinal.error_var, interval.error_var)


def test_conjugate_gradients_match_a_direct_solve():
    rng = np.random.default_rng(5)
    n = 300
    coupling = sparse.random(n, n, density=0.02, random_state=7)
    coupling = coupling + coupling.T
    matrix = sparse.csr_matrix(
        coupling + sparse.diags(np.asarray(abs(coupling).sum(1)).ravel() + 1.0)
    )
    rhs = rng.normal(size=n)
    solution = _conjugate_gradients(matrix, rhs, 1.0 / matrix.diagonal())
    np.testing.assert_allclose(solution, spsolve(matrix.tocsc(), rhs), atol=1e-9)


def test_item_histogram_keeps_weight_and_mean():
    rng = np.random.default_rng(8)
    n_persons, n_items = 200, 3
    person = np.repeat(np.arange(n_persons), n_items)
    item = np.tile(np.arange(n_items), n_persons)
    answers = grm.prepare(person, item, rng.integers(0, 4, len(person)))
    mean, sd = rng.normal(size=n_persons), rng.uniform(0.3, 0.8, n_persons)
    cell_item, _, theta, weight = grm._histogram(answers, mean, sd, 7)
    for j in range(answers.n_items):
        mine = cell_item == j
        rows = answers.person[answers.item == j]
        assert weight[mine].sum() == pytest.approx(len(rows))
        assert (weight[mine] @ theta[mine]) == pytest.approx(mean[rows].sum(), abs=1e-9)


def test_uncertain_variances_are_integrated_out():
    evidence = simulate(300, APPRAISAL, 23).evidence["c1"]
    mixed = fit_competency(evidence)
    plug_in = fit_competency(evidence, Settings(variance_points=1))
    change = np.abs(mixed.estimate - plug_in.estimate)
    # With 300 people the SJT-specific and team variances are loosely known: averaging over
    # them moves estimates a little and does not make anyone look more certain on average.
    assert 1e-4 < float(np.mean(change)) < 0.1
    assert float(np.mean(mixed.sd)) > float(np.mean(plug_in.sd)) * 0.995
