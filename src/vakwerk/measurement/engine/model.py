"""Fitting one competency: empirical Bayes by (parameter-expanded) Laplace EM.

Parameters per rating source ``s``: intercept ``m_s`` (the source effect: self-ratings are
lenient), loading ``lambda_s``, leniency variance ``tau_l,s^2`` of its raters, halo variance
``tau_h,s^2`` (rater x person; for self-ratings the person's own idiosyncrasy) and noise
``sigma_s^2``; per SJT item the graded-response parameters, and the variance ``tau_d^2`` of the
SJT-specific component (what the SJT measures besides the rated level). The E-step is the
Laplace posterior of ``posterior.py``; the M-step maximises the expected complete-data
log-likelihood (weighted least squares for ``m, lambda``, moment equations for the variances,
one Newton step per SJT item). Each iteration first re-standardises the latent scale so that
the posterior population has mean 0 and variance 1 (PX-EM: same fixed points, much faster for
loadings); ``tau_d^2``, the one slow component, gets Aitken extrapolation. Variances get weak
scaled-inverse-chi-square priors (2 pseudo-observations) so tiny or degenerate data give
finite, sensible answers instead of boundary estimates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import norm

from . import grm
from ._arrays import FloatArray, IntArray, by_pair
from .evidence import RATING_SOURCES, SELF, SJT, Evidence
from .posterior import Design, Linear, Posterior, build_design, laplace
from .ratings import MIN_VARIANCE, Pairs, reduce_to_pairs

N_RATING = len(RATING_SOURCES)
SPECIFIC_PRIOR = 0.2
"""Prior guess of the SJT-specific variance (relative to the population variance 1)."""


@dataclass(frozen=True)
class Settings:
    """Numerical settings; the defaults are what the CLI and the benchmark use."""

    max_iterations: int = 300
    tolerance: float = 1e-4  # largest change of any estimate or SD between iterations
    dense_limit: int = 1000  # rater blocks up to this size get exact final covariances
    prior_weight: float = 2.0  # pseudo-observations behind each variance prior
    quadrature_nodes: int = 7
    final_newton_steps: int = 50


@dataclass(frozen=True)
class SourceParameters:
    """Estimated parameters of one rating source, on the 0..1 rating scale."""

    source: str
    intercept: float
    loading: float
    leniency_var: float
    halo_var: float
    noise_var: float
    n_pairs: int
    n_raters: int


@dataclass
class _Params:
    intercept: FloatArray
    loading: FloatArray
    leniency_var: FloatArray
    halo_var: FloatArray
    items: grm.GrmItems | None
    specific_var: float


@dataclass(frozen=True)
class ModelState:
    """What views and the level scale need from a fit (latent scale = reported scale)."""

    pairs: Pairs
    pair_effect: IntArray
    weight: FloatArray
    effect_mean: FloatArray
    effect_var: FloatArray
    answers: grm.SjtAnswers | None
    items: grm.GrmItems | None
    intercept: FloatArray
    loading: FloatArray
    specific_var: float


@dataclass(frozen=True)
class CompetencyFit:
    """Posterior of every person's level on one competency.

    ``estimate`` and ``sd`` are on the standardised latent scale: the estimated population of
    true levels has mean 0 and SD 1. Posterior means are shrunk towards 0 in proportion to how
    little is known, so their own spread is below 1.
    """

    persons: tuple[str, ...]
    items: tuple[str, ...]
    estimate: FloatArray
    sd: FloatArray
    counts: IntArray  # scores per person and source, columns as SOURCES
    sources: tuple[SourceParameters, ...]
    iterations: int
    converged: bool
    state: ModelState = field(repr=False)

    def interval(self, probability: float = 0.9) -> tuple[FloatArray, FloatArray]:
        """Central posterior interval (normal approximation) with the given coverage."""
        z = float(norm.ppf(0.5 + probability / 2.0))
        return self.estimate - z * self.sd, self.estimate + z * self.sd


def fit_competency(evidence: Evidence, settings: Settings | None = None) -> CompetencyFit:
    """Estimate every person's level on one competency from all its evidence."""
    settings = settings or Settings()
    n_persons = len(evidence.persons)
    pairs = reduce_to_pairs(evidence)
    effect_key = np.where(
        pairs.source == SELF, -1, pairs.source * (len(evidence.raters) + 1) + pairs.rater
    )
    keys, pair_effect = np.unique(effect_key, return_inverse=True)
    has_self = len(keys) > 0 and keys[0] == -1
    pair_effect = pair_effect - 1 if has_self else pair_effect
    pair_effect = np.where(effect_key == -1, -1, pair_effect).astype(np.int64)
    effect_keys = keys[1:] if has_self else keys
    effect_source = (effect_keys // (len(evidence.raters) + 1)).astype(np.int64)
    design = build_design(n_persons, pairs.person, pair_effect, effect_source)

    sjt_rows = evidence.source == SJT
    answers = None
    if np.any(sjt_rows):
        answers = grm.prepare(
            evidence.person[sjt_rows], evidence.item[sjt_rows], evidence.score[sjt_rows]
        )
        answers = answers if answers.n_items > 0 else None

    params = _initial(pairs, answers)
    start = (np.zeros(n_persons), np.zeros(n_persons), np.zeros(design.n_effects))
    previous: tuple[FloatArray, FloatArray] | None = None
    history: list[float] = []
    converged, iterations = False, 0
    for iterations in range(1, settings.max_iterations + 1):  # noqa: B007
        lin = _linear(pairs, design, params)
        # Inside the EM the Neumann covariances suffice (they differ from exact by ~0.1%).
        post = laplace(design, lin, _sjt(answers, params), start, 1, 0)
        post, params = _standardise(post, params)
        current = (post.theta, np.sqrt(post.theta_var))
        if previous is not None and _max_change(current, previous) < settings.tolerance:
            converged = True
            break
        previous = current
        params = _m_step(pairs, design, post, lin, params, answers, settings)
        params.specific_var = _aitken(history, params.specific_var)
        start = (post.theta, post.specific, post.effect)

    lin = _linear(pairs, design, params)
    post = laplace(
        design,
        lin,
        _sjt(answers, params),
        start,
        settings.final_newton_steps,
        settings.dense_limit,
    )
    post, params = _standardise(post, params)
    lin = _linear(pairs, design, params)
    state = ModelState(
        pairs=pairs,
        pair_effect=pair_effect,
        weight=lin.weight,
        effect_mean=post.effect,
        effect_var=post.effect_var,
        answers=answers,
        items=params.items,
        intercept=params.intercept,
        loading=params.loading,
        specific_var=params.specific_var,
    )
    return CompetencyFit(
        persons=evidence.persons,
        items=evidence.items,
        estimate=post.theta,
        sd=np.sqrt(post.theta_var),
        counts=evidence.counts(),
        sources=_source_parameters(pairs, design, params),
        iterations=iterations,
        converged=converged,
        state=state,
    )


def _sjt(
    answers: grm.SjtAnswers | None, params: _Params
) -> tuple[grm.SjtAnswers, grm.GrmItems] | None:
    if answers is None or params.items is None:
        return None
    return answers, params.items


def _aitken(history: list[float], value: float) -> float:
    """Aitken extrapolation of the SJT-specific variance, the one slow EM component.

    Its EM update contracts by a nearly constant factor ``r`` per iteration (most of the
    information about ``d_p`` is missing). Every fifth iteration after the tenth, when the last
    two contraction factors agree (within 0.02) on some ``0 < r < 0.99``, the sequence jumps to
    its geometric limit ``x + dx * r / (1 - r)``; plain EM steps then continue from there.
    """
    history.append(value)
    if len(history) < 10 or len(history) % 5 != 0:
        return value
    d1, d2, d3 = (history[-i] - history[-i - 1] for i in (1, 2, 3))
    if d2 == 0.0 or d3 == 0.0:
        return value
    ratio, earlier = d1 / d2, d2 / d3
    if not (0.0 < ratio < 0.99 and abs(ratio - earlier) < 0.02):
        return value
    jumped = max(value + d1 * ratio / (1.0 - ratio), MIN_VARIANCE)
    history.append(jumped)
    return jumped


def _max_change(
    current: tuple[FloatArray, FloatArray], previous: tuple[FloatArray, FloatArray]
) -> float:
    return max(
        float(np.max(np.abs(now - before), initial=0.0))
        for now, before in zip(current, previous, strict=True)
    )


def _between_variance(pairs: Pairs) -> FloatArray:
    """Per source: variance of pair means beyond item noise (floor for degenerate data)."""
    out = np.full(N_RATING, MIN_VARIANCE)
    for s in range(N_RATING):
        mask = pairs.source == s
        if np.count_nonzero(mask) > 1:
            noise = float(np.mean(pairs.noise_var[s] / pairs.count[mask]))
            out[s] = max(float(np.var(pairs.mean[mask])) - noise, MIN_VARIANCE)
    return out


def _initial(pairs: Pairs, answers: grm.SjtAnswers | None) -> _Params:
    between = _between_variance(pairs)
    intercept = np.array(
        [
            float(np.mean(pairs.mean[pairs.source == s])) if np.any(pairs.source == s) else 0.5
            for s in range(N_RATING)
        ]
    )
    halo = 0.4 * between
    halo[SELF] = 0.7 * between[SELF]
    return _Params(
        intercept=intercept,
        loading=np.sqrt(0.3 * between),
        leniency_var=0.3 * between,
        halo_var=halo,
        items=grm.initial_items(answers) if answers is not None else None,
        specific_var=SPECIFIC_PRIOR,
    )


def _linear(pairs: Pairs, design: Design, params: _Params) -> Linear:
    s = pairs.source
    weight = 1.0 / (params.halo_var[s] + pairs.noise_var[s] / pairs.count)
    return Linear(
        offset=pairs.mean - params.intercept[s],
        loading=params.loading[s],
        weight=weight,
        effect_precision=1.0 / params.leniency_var[design.effect_source],
        specific_precision=1.0 / params.specific_var,
    )


def _standardise(post: Posterior, params: _Params) -> tuple[Posterior, _Params]:
    """Re-express everything for ``theta' = (theta - shift) / scale`` so that the mixture of
    posteriors (the estimated population) has mean 0 and variance 1."""
    if len(post.theta) == 0:
        return post, params
    shift = float(np.mean(post.theta))
    second = float(np.mean(post.theta**2 + post.theta_var)) - shift**2
    scale = float(np.sqrt(max(second, 1e-12)))
    post = Posterior(
        theta=(post.theta - shift) / scale,
        theta_var=post.theta_var / scale**2,
        effect=post.effect,
        effect_var=post.effect_var,
        pair_cov=post.pair_cov / scale,
        specific=post.specific / scale,
        specific_var=post.specific_var / scale**2,
        sjt_mean=(post.sjt_mean - shift) / scale,
        sjt_var=post.sjt_var / scale**2,
        objective=post.objective,
    )
    params = _Params(
        intercept=params.intercept + params.loading * shift,
        loading=params.loading * scale,
        leniency_var=params.leniency_var,
        halo_var=params.halo_var,
        items=grm.rescale(params.items, shift, scale) if params.items is not None else None,
        specific_var=params.specific_var / scale**2,
    )
    return post, params


def _m_step(
    pairs: Pairs,
    design: Design,
    post: Posterior,
    lin: Linear,
    params: _Params,
    answers: grm.SjtAnswers | None,
    settings: Settings,
) -> _Params:
    s = pairs.source
    person, pe = design.pair_person, design.pair_effect
    mu_l = by_pair(pe, post.effect)
    var_l = by_pair(pe, post.effect_var)
    mu_t, var_t = post.theta[person], post.theta_var[person]
    w = lin.weight
    y = pairs.mean - mu_l
    intercept, loading = params.intercept.copy(), params.loading.copy()
    halo, leniency = params.halo_var.copy(), params.leniency_var.copy()
    between = _between_variance(pairs)
    nu = settings.prior_weight
    for src in range(N_RATING):
        k = np.flatnonzero(s == src)
        if len(k) == 0:
            continue
        wk = w[k]
        lhs = np.array([[wk.sum(), wk @ mu_t[k]], [wk @ mu_t[k], wk @ (mu_t[k] ** 2 + var_t[k])]])
        rhs = np.array([wk @ y[k], wk @ (y[k] * mu_t[k] - post.pair_cov[k])])
        lhs += 1e-12 * np.eye(2) * lhs[0, 0]
        m, lam = np.linalg.solve(lhs, rhs)
        if lam < 0.0:
            m, lam = float(wk @ y[k] / wk.sum()), 0.0
        intercept[src], loading[src] = m, lam
        expected_sq = (
            (y[k] - m - lam * mu_t[k]) ** 2
            + lam**2 * var_t[k]
            + var_l[k]
            + 2.0 * lam * post.pair_cov[k]
        )
        noise = pairs.noise_var[src] / pairs.count[k]
        w2 = wk**2
        pseudo = nu * float(np.mean(w2))
        prior_halo = (0.7 if src == SELF else 0.4) * between[src]
        halo[src] = max(
            (float(w2 @ (expected_sq - noise)) + pseudo * prior_halo) / (float(w2.sum()) + pseudo),
            MIN_VARIANCE,
        )
        effects = np.flatnonzero(design.effect_source == src)
        if len(effects) > 0:
            second = float(np.sum(post.effect[effects] ** 2 + post.effect_var[effects]))
            leniency[src] = max(
                (second + nu * 0.3 * between[src]) / (len(effects) + nu + 2.0), MIN_VARIANCE
            )
    items, specific_var = params.items, params.specific_var
    if answers is not None and items is not None:
        items = grm.update_items(
            answers, items, post.sjt_mean, np.sqrt(post.sjt_var), settings.quadrature_nodes
        )
        tested = np.unique(answers.person)
        second = float(np.sum(post.specific[tested] ** 2 + post.specific_var[tested]))
        specific_var = max((second + nu * SPECIFIC_PRIOR) / (len(tested) + nu + 2.0), MIN_VARIANCE)
    return _Params(intercept, loading, leniency, halo, items, specific_var)


def _source_parameters(
    pairs: Pairs, design: Design, params: _Params
) -> tuple[SourceParameters, ...]:
    out = []
    for src, name in enumerate(RATING_SOURCES):
        n_pairs = int(np.count_nonzero(pairs.source == src))
        n_raters = int(np.count_nonzero(design.effect_source == src)) if src != SELF else n_pairs
        out.append(
            SourceParameters(
                source=name,
                intercept=float(params.intercept[src]),
                loading=float(params.loading[src]),
                leniency_var=float(params.leniency_var[src]) if src != SELF else 0.0,
                halo_var=float(params.halo_var[src]),
                noise_var=float(pairs.noise_var[src]),
                n_pairs=n_pairs,
                n_raters=n_raters,
            )
        )
    return tuple(out)


def fit_all(
    evidence: dict[str, Evidence], settings: Settings | None = None
) -> dict[str, CompetencyFit]:
    """Fit every competency independently (in sorted order, for determinism)."""
    return {name: fit_competency(evidence[name], settings) for name in sorted(evidence)}
