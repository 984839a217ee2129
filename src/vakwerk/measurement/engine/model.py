"""Fitting one competency: empirical Bayes by (parameter-expanded) Laplace EM.

Parameters per rating source ``s``: intercept ``m_s`` (the source effect: self-ratings are
lenient), loading ``lambda_s``, leniency variance ``tau_l,s^2`` of its raters, halo variance
``tau_h,s^2`` (rater x person; for self-ratings the person's own idiosyncrasy) and noise
``sigma_s^2``; per SJT item the graded-response parameters, with a hierarchical prior on the
discriminations whose mean and spread are estimated too, and the variance ``tau_d^2`` of the
SJT-specific component (what the SJT measures besides the rated level); and the split of the
level's variance into a between-team part ``tau_g^2`` (people rated by the same manager form a
team) and a within-team part. The E-step is the Laplace posterior of ``posterior.py``; the
M-step maximises the expected complete-data log-likelihood (weighted least squares for ``m,
lambda``, moment equations for the variances, one Newton step per SJT item), except that the two
variances the data pin down only loosely, ``tau_d^2`` and ``tau_g^2``, maximise their marginal
likelihood directly (ECME, same fixed points, far fewer iterations). Each iteration first
re-standardises the latent scale so that the posterior population has mean 0 and variance 1
(PX-EM: same fixed points, much faster for loadings), and SQUAREM extrapolation speeds up the
slow remainder (``squarem.py``). Variances get weak scaled-inverse-chi-square priors (2
pseudo-observations) so tiny or degenerate data give finite, sensible answers instead of
boundary estimates. After the fit, the levels' posterior is averaged over the posteriors of
``tau_d^2`` and ``tau_g^2`` (``_integrate_variances``), which a few hundred people leave
uncertain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.stats import norm

from . import grm
from ._arrays import BoolArray, FloatArray, IntArray, by_pair
from .evidence import MANAGER, RATING_SOURCES, SELF, SJT, Evidence
from .posterior import Design, Linear, Posterior, build_design, laplace
from .ratings import MIN_VARIANCE, Pairs, reduce_to_pairs
from .squarem import squarem

N_RATING = len(RATING_SOURCES)
TEAM = N_RATING
"""Effect-source code of the team levels (they follow the rating sources' rater effects)."""
SPECIFIC_PRIOR = 0.2
"""Prior guess of the SJT-specific variance (relative to the population variance 1)."""
TEAM_PRIOR = 0.1
"""Prior guess of the between-team share of the level variance."""
DISCRIMINATION_SPREAD = 0.5
"""Prior guess of the SD of the SJT discriminations as a fraction of their mean."""
SLICE_SPAN = 0.25
"""Slices of ``log tau^2`` closer than this to the estimate's are not worth a mixture: at 3,000
and 20,000 people mixing moved no estimate by more than 0.002 and no SD by more than 0.1%."""
STEP_SPREAD = 0.5
"""Prior guess of the SD of the SJT threshold steps as a fraction of their mean (as above)."""

Start = tuple[FloatArray, FloatArray, FloatArray]


@dataclass(frozen=True)
class Settings:
    """Numerical settings; the defaults are what the CLI and the benchmark use."""

    max_iterations: int = 300
    tolerance: float = 1e-4  # largest change of any estimate or SD between iterations
    dense_limit: int = 1000  # rater blocks up to this size get exact final covariances
    prior_weight: float = 2.0  # pseudo-observations behind each variance prior
    quadrature_nodes: int = 7
    final_newton_steps: int = 50
    team_levels: bool = True  # people rated by the same manager share a team level
    ordinal_ratings: bool = True  # ratings as cut judgements (ordinal.py), not interval data
    variance_points: int = 3  # slices of the posteriors of tau_d^2 and tau_g^2 (1: plug-in)


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
    team_var: float  # between-team variance of the level
    within_var: float  # within-team variance of the level
    discrimination_prior: tuple[float, float]  # mean and SD of the SJT discriminations
    step_prior: grm.StepPrior | None  # pooled prior of the SJT threshold steps


@dataclass(frozen=True)
class _Layout:
    """Where rating pairs and team memberships sit among the design's pairs.

    A team level ``g_t`` enters the Gaussian part like a rater effect that "rates" each member
    with offset 0, loading -1 and weight ``1 / within_var``: that term, ``(theta_p - g_t)^2 /
    within_var``, is exactly the prior ``theta_p ~ N(g_t, within_var)``. Members therefore get
    no separate prior on ``theta``; persons without a team keep ``N(0, team_var + within_var)``.
    """

    rating_rows: IntArray  # design row of each rating pair (in ``Pairs`` order)
    team_rows: IntArray  # design row of each team membership
    has_team: BoolArray  # per person
    n_rater_effects: int  # team levels are the effects from this index on
    n_teams: int


@dataclass(frozen=True)
class _Problem:
    """Everything fixed during the fit of one competency."""

    pairs: Pairs
    design: Design
    layout: _Layout
    answers: grm.SjtAnswers | None


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
    team_var: float  # between-team share of the level variance (0 without team levels)


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
    pairs = reduce_to_pairs(evidence, settings.ordinal_ratings)
    effect_key = np.where(
        pairs.source == SELF, -1, pairs.source * (len(evidence.raters) + 1) + pairs.rater
    )
    keys, pair_effect = np.unique(effect_key, return_inverse=True)
    has_self = len(keys) > 0 and keys[0] == -1
    pair_effect = pair_effect - 1 if has_self else pair_effect
    pair_effect = np.where(effect_key == -1, -1, pair_effect).astype(np.int64)
    effect_keys = keys[1:] if has_self else keys
    effect_source = (effect_keys // (len(evidence.raters) + 1)).astype(np.int64)
    team = _team_of(evidence, pairs, pair_effect) if settings.team_levels else None
    design, layout = _design(n_persons, pairs, pair_effect, effect_source, team)

    sjt_rows = evidence.source == SJT
    answers = None
    if np.any(sjt_rows):
        answers = grm.prepare(
            evidence.person[sjt_rows], evidence.item[sjt_rows], evidence.score[sjt_rows]
        )
        answers = answers if answers.n_items > 0 else None
    problem = _Problem(pairs, design, layout, answers)

    initial = _initial(pairs, answers)
    em = _EmMap(problem, settings, initial)
    outcome = squarem(em, _pack(initial), em.valid, settings.max_iterations)
    params = _unpack(outcome.x, initial)

    lin = _linear(problem, params)
    post = laplace(
        design,
        lin,
        _sjt(answers, params),
        em.start,
        settings.final_newton_steps,
        settings.dense_limit,
    )
    post = _integrate_variances(problem, params, post, settings)
    post, params = _standardise(post, params, layout)
    lin = _linear(problem, params)
    state = ModelState(
        pairs=pairs,
        pair_effect=pair_effect,
        weight=lin.weight[layout.rating_rows],
        effect_mean=post.effect,
        effect_var=post.effect_var,
        answers=answers,
        items=params.items,
        intercept=params.intercept,
        loading=params.loading,
        specific_var=params.specific_var,
        team_var=params.team_var if layout.n_teams > 0 else 0.0,
    )
    return CompetencyFit(
        persons=evidence.persons,
        items=evidence.items,
        estimate=post.theta,
        sd=np.sqrt(post.theta_var),
        counts=evidence.counts(),
        sources=_source_parameters(pairs, design, params),
        iterations=outcome.steps,
        converged=outcome.converged,
        state=state,
    )


def _integrate_variances(
    problem: _Problem, params: _Params, post: Posterior, settings: Settings
) -> Posterior:
    """The levels' posterior averaged over the posteriors of the two loosely known variances.

    How much of the SJT is specific rather than the rated level (``tau_d^2``) is told apart only
    by how well the SJT agrees with the ratings, and how much of a team's ratings is the team's
    level rather than its manager's leniency (``tau_g^2``) only by the team's other evidence.
    With a few hundred people both likelihoods are flat (``tau_d^2`` estimates from 0.1 to 0.6
    on organisations simulated alike), and plugging in the maximum weighs the evidence by
    chance. Instead each gets its posterior from the same Gaussian summaries its ECME step
    maximises (``_marginal_variance``), cut into ``variance_points`` equally probable slices;
    the levels' posterior is the equal mixture of the Laplace posteriors over all combinations
    of the slices' mean ``log tau^2``, other parameters held at their estimates. Each mode is
    one Newton step from the estimate's mode (exact to second order in the small change). A
    variance whose slices all lie within ``SLICE_SPAN`` of its estimate's logarithm (thousands
    of people) is kept at its estimate.
    """
    k, nu = settings.variance_points, settings.prior_weight
    layout = problem.layout
    specific = [np.log(params.specific_var)]
    if problem.answers is not None and params.items is not None and k > 1:
        tested = np.unique(problem.answers.person)
        specific = list(
            _variance_slices(
                post.specific[tested],
                post.specific_var[tested],
                params.specific_var,
                nu,
                SPECIFIC_PRIOR,
                k,
            )
        )
    team = [np.log(params.team_var)]
    if layout.n_teams > 0 and k > 1:
        first = layout.n_rater_effects
        team = list(
            _variance_slices(
                post.effect[first:], post.effect_var[first:], params.team_var, nu, TEAM_PRIOR, k
            )
        )
    if np.max(np.abs(np.array(specific) - np.log(params.specific_var))) < SLICE_SPAN:
        specific = [np.log(params.specific_var)]
    if np.max(np.abs(np.array(team) - np.log(params.team_var))) < SLICE_SPAN:
        team = [np.log(params.team_var)]
    if len(specific) == 1 and len(team) == 1:
        return post
    sjt = _sjt(problem.answers, params)
    mode = (post.theta, post.specific, post.effect)

    def at(specific_var: float, team_var: float) -> Posterior:
        changed = replace(params, specific_var=specific_var, team_var=team_var)
        return laplace(problem.design, _linear(problem, changed), sjt, mode, 1, 0)

    # Sparse (Neumann) covariances for the slices; only their differences from the same
    # approximation at the estimate are added to the exact covariances of the estimate.
    base = at(params.specific_var, params.team_var)
    posts = [at(float(np.exp(d)), float(np.exp(g))) for d in specific for g in team]
    theta = np.mean([p.theta for p in posts], axis=0)
    effect = np.mean([p.effect for p in posts], axis=0)
    theta_var = np.mean([p.theta_var + p.theta**2 for p in posts], axis=0) - theta**2
    effect_var = np.mean([p.effect_var + p.effect**2 for p in posts], axis=0) - effect**2
    return replace(
        post,
        theta=theta,
        theta_var=np.maximum(post.theta_var + theta_var - base.theta_var, 1e-12),
        effect=effect,
        effect_var=np.maximum(post.effect_var + effect_var - base.effect_var, 1e-12),
    )


def _variance_slices(
    mean: FloatArray, var: FloatArray, current: float, nu: float, guess: float, k: int
) -> FloatArray:
    """``k`` points of ``log t`` carrying equal posterior mass (the mean of each slice).

    The likelihood is that of ``_marginal_variance`` (Gaussian summaries ``x ~ N(0, t + 1/q)``),
    the prior its scaled-inverse-chi-square; the posterior of ``log t`` is evaluated on a grid
    of 200 points spanning a factor ``e^6`` either side of the estimate."""
    q = 1.0 / np.maximum(var, MIN_VARIANCE) - 1.0 / current
    informed = q > 1e-12 / current
    q = q[informed]
    x2 = (mean[informed] * (current + 1.0 / q) / current) ** 2
    grid = np.log(current) + np.linspace(-6.0, 6.0, 200)
    t = np.exp(grid)
    s = t[:, None] + 1.0 / q[None, :]
    log_post = -0.5 * np.sum(np.log(s) + x2[None, :] / s, axis=1)
    log_post += -(0.5 * nu + 1.0) * grid - 0.5 * nu * guess / t + grid  # prior, Jacobian
    density = np.exp(log_post - log_post.max())
    mass = np.cumsum(density) / density.sum()
    slice_of = np.minimum((mass * k).astype(np.int64), k - 1)
    total = np.bincount(slice_of, weights=density, minlength=k)
    return np.bincount(slice_of, weights=density * grid, minlength=k) / np.maximum(total, 1e-300)


class _EmMap:
    """One EM iteration on packed parameters (the map SQUAREM accelerates).

    It runs the E-step (one warm-started Newton step; inside the EM the Neumann covariances
    suffice, they differ from exact by well under 1%), re-standardises, and reports convergence
    when no estimate or SD moved by more than the tolerance since the previous E-step;
    otherwise it returns the M-step's parameters.
    """

    def __init__(self, problem: _Problem, settings: Settings, template: _Params) -> None:
        self.problem = problem
        self.settings = settings
        self.template = template
        n_persons = problem.design.n_persons
        self.start: Start = (
            np.zeros(n_persons),
            np.zeros(n_persons),
            np.zeros(problem.design.n_effects),
        )
        self.previous: tuple[FloatArray, FloatArray] | None = None

    def valid(self, x: FloatArray) -> bool:
        """Whether a packed vector is a usable parameter set (finite, ordered thresholds)."""
        if not np.all(np.isfinite(x)):
            return False
        items = _unpack(x, self.template).items
        if items is None:
            return True
        with np.errstate(invalid="ignore"):  # inf - inf between the padding columns
            steps = np.diff(items.thresholds, axis=1)
        finite = np.isfinite(steps)
        return bool(np.all(steps[finite] > 0.0))

    def __call__(self, x: FloatArray) -> tuple[FloatArray, bool]:
        p = self.problem
        params = _unpack(x, self.template)
        lin = _linear(p, params)
        post = laplace(p.design, lin, _sjt(p.answers, params), self.start, 1, 0)
        post, params = _standardise(post, params, p.layout)
        current = (post.theta, np.sqrt(post.theta_var))
        previous, self.previous = self.previous, current
        self.start = (post.theta, post.specific, post.effect)
        if previous is not None and _max_change(current, previous) < self.settings.tolerance:
            return _pack(params), True
        return _pack(_m_step(p, post, lin, params, self.settings)), False


def _pack(params: _Params) -> FloatArray:
    """All parameters as one vector for SQUAREM (variances on the log scale)."""
    a_mean, a_sd = params.discrimination_prior
    scalars = [params.specific_var, params.team_var, params.within_var]
    parts: list[FloatArray] = [
        params.intercept,
        params.loading,
        np.log(params.leniency_var),
        np.log(params.halo_var),
        np.log(np.array(scalars)),
        np.array([a_mean, np.log(a_sd)]),
    ]
    if params.items is not None:
        finite = np.isfinite(params.items.thresholds)
        parts += [params.items.discrimination, params.items.thresholds[finite]]
    if params.step_prior is not None:
        parts += [params.step_prior.mean, np.array([np.log(params.step_prior.sd)])]
    return np.concatenate(parts)


def _unpack(x: FloatArray, template: _Params) -> _Params:
    """Inverse of ``_pack``; ``template`` gives the shapes (a negative loading becomes 0)."""
    k = N_RATING
    specific, team, within = np.exp(x[4 * k : 4 * k + 3])
    at = 4 * k + 5
    items, steps = None, None
    if template.items is not None:
        n = len(template.items.discrimination)
        finite = np.isfinite(template.items.thresholds)
        thresholds = template.items.thresholds.copy()
        end = at + n + int(np.count_nonzero(finite))
        thresholds[finite] = x[at + n : end]
        items = grm.GrmItems(x[at : at + n].copy(), thresholds)
        if template.step_prior is not None:
            steps = grm.StepPrior(x[end:-1].copy(), float(np.exp(x[-1])))
    return _Params(
        intercept=x[:k].copy(),
        loading=np.maximum(x[k : 2 * k], 0.0),
        leniency_var=np.exp(x[2 * k : 3 * k]),
        halo_var=np.exp(x[3 * k : 4 * k]),
        items=items,
        specific_var=float(specific),
        team_var=float(team),
        within_var=float(within),
        discrimination_prior=(float(x[4 * k + 3]), float(np.exp(x[4 * k + 4]))),
        step_prior=steps,
    )


def _sjt(
    answers: grm.SjtAnswers | None, params: _Params
) -> tuple[grm.SjtAnswers, grm.GrmItems] | None:
    if answers is None or params.items is None:
        return None
    return answers, params.items


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
            noise = float(np.mean(pairs.error_var[mask]))
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
    items = grm.initial_items(answers) if answers is not None else None
    steps = None
    if answers is not None and items is not None:
        steps = _step_prior(answers, items, np.zeros(grm.step_groups(answers).shape), 0.0)
    return _Params(
        intercept=intercept,
        loading=np.sqrt(0.3 * between),
        leniency_var=0.3 * between,
        halo_var=halo,
        items=items,
        specific_var=SPECIFIC_PRIOR,
        team_var=TEAM_PRIOR,
        within_var=1.0 - TEAM_PRIOR,
        discrimination_prior=grm.DISCRIMINATION_PRIOR,
        step_prior=steps,
    )


def _team_of(evidence: Evidence, pairs: Pairs, pair_effect: IntArray) -> IntArray:
    """Per person the rater effect of their manager, -1 without one.

    With several managers the one whose identifier sorts first is taken, so the choice does
    not depend on the order of the input rows.
    """
    names = np.array(evidence.raters, dtype=object)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.argsort(names, kind="stable")] = np.arange(len(names))
    managed = np.flatnonzero(pairs.source == MANAGER)
    best = np.full(len(evidence.persons), len(names), dtype=np.int64)
    np.minimum.at(best, pairs.person[managed], rank[pairs.rater[managed]])
    team = np.full(len(evidence.persons), -1, dtype=np.int64)
    chosen = managed[rank[pairs.rater[managed]] == best[pairs.person[managed]]]
    team[pairs.person[chosen]] = pair_effect[chosen]
    return team


def _design(
    n_persons: int,
    pairs: Pairs,
    pair_effect: IntArray,
    effect_source: IntArray,
    team: IntArray | None,
) -> tuple[Design, _Layout]:
    """The design of rating pairs plus team memberships (sorted by person, as required)."""
    n_rater_effects = len(effect_source)
    team = np.full(n_persons, -1, dtype=np.int64) if team is None else team
    members = np.flatnonzero(team >= 0)
    teams, team_index = np.unique(team[members], return_inverse=True)
    person = np.concatenate([pairs.person, members])
    effect = np.concatenate([pair_effect, n_rater_effects + team_index.astype(np.int64)])
    order = np.argsort(person, kind="stable")
    row = np.empty(len(order), dtype=np.int64)
    row[order] = np.arange(len(order))
    source = np.concatenate([effect_source, np.full(len(teams), TEAM, dtype=np.int64)])
    design = build_design(n_persons, person[order], effect[order], source)
    layout = _Layout(
        rating_rows=row[: pairs.size],
        team_rows=row[pairs.size :],
        has_team=team >= 0,
        n_rater_effects=n_rater_effects,
        n_teams=len(teams),
    )
    return design, layout


def _linear(problem: _Problem, params: _Params) -> Linear:
    pairs, design, layout = problem.pairs, problem.design, problem.layout
    s = pairs.source
    n_rows = len(design.pair_person)
    offset, loading, weight = np.zeros(n_rows), np.zeros(n_rows), np.zeros(n_rows)
    rows = layout.rating_rows
    offset[rows] = pairs.mean - params.intercept[s]
    loading[rows] = params.loading[s]
    weight[rows] = 1.0 / (params.halo_var[s] + pairs.error_var)
    loading[layout.team_rows] = -1.0
    weight[layout.team_rows] = 1.0 / params.within_var
    effect_var = np.append(params.leniency_var, params.team_var)
    return Linear(
        offset=offset,
        loading=loading,
        weight=weight,
        effect_precision=1.0 / effect_var[design.effect_source],
        specific_precision=1.0 / params.specific_var,
        theta_precision=np.where(layout.has_team, 0.0, 1.0 / (params.team_var + params.within_var)),
    )


def _standardise(post: Posterior, params: _Params, layout: _Layout) -> tuple[Posterior, _Params]:
    """Re-express everything for ``theta' = (theta - shift) / scale`` so that the mixture of
    posteriors (the estimated population) has mean 0 and variance 1.

    Team levels live on the latent scale and are divided by ``scale``; the shift is left to
    the within-team part, so that the team levels keep their prior mean 0."""
    if len(post.theta) == 0:
        return post, params
    shift = float(np.mean(post.theta))
    second = float(np.mean(post.theta**2 + post.theta_var)) - shift**2
    scale = float(np.sqrt(max(second, 1e-12)))
    latent = np.arange(len(post.effect)) >= layout.n_rater_effects
    effect_scale = np.where(latent, scale, 1.0)
    pair_scale = np.full(len(post.pair_cov), scale)
    pair_scale[layout.team_rows] = scale**2  # Cov(theta, g): both on the latent scale
    post = Posterior(
        theta=(post.theta - shift) / scale,
        theta_var=post.theta_var / scale**2,
        effect=post.effect / effect_scale,
        effect_var=post.effect_var / effect_scale**2,
        pair_cov=post.pair_cov / pair_scale,
        specific=post.specific / scale,
        specific_var=post.specific_var / scale**2,
        sjt_mean=(post.sjt_mean - shift) / scale,
        sjt_var=post.sjt_var / scale**2,
        objective=post.objective,
    )
    a_mean, a_sd = params.discrimination_prior
    params = _Params(
        intercept=params.intercept + params.loading * shift,
        loading=params.loading * scale,
        leniency_var=params.leniency_var,
        halo_var=params.halo_var,
        items=grm.rescale(params.items, shift, scale) if params.items is not None else None,
        specific_var=params.specific_var / scale**2,
        team_var=params.team_var / scale**2,
        within_var=params.within_var / scale**2,
        discrimination_prior=(a_mean * scale, a_sd * scale),
        step_prior=params.step_prior,  # steps between thresholds do not change
    )
    return post, params


def _m_step(
    problem: _Problem,
    post: Posterior,
    lin: Linear,
    params: _Params,
    settings: Settings,
) -> _Params:
    pairs, design, rows = problem.pairs, problem.design, problem.layout.rating_rows
    s = pairs.source
    person, pe = design.pair_person[rows], design.pair_effect[rows]
    mu_l = by_pair(pe, post.effect)
    var_l = by_pair(pe, post.effect_var)
    mu_t, var_t = post.theta[person], post.theta_var[person]
    pair_cov = post.pair_cov[rows]
    w = lin.weight[rows]
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
        rhs = np.array([wk @ y[k], wk @ (y[k] * mu_t[k] - pair_cov[k])])
        lhs += 1e-12 * np.eye(2) * lhs[0, 0]
        m, lam = np.linalg.solve(lhs, rhs)
        if lam < 0.0:
            m, lam = float(wk @ y[k] / wk.sum()), 0.0
        intercept[src], loading[src] = m, lam
        expected_sq = (
            (y[k] - m - lam * mu_t[k]) ** 2 + lam**2 * var_t[k] + var_l[k] + 2.0 * lam * pair_cov[k]
        )
        noise = pairs.error_var[k]
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
    a_prior, steps = params.discrimination_prior, params.step_prior
    answers = problem.answers
    if answers is not None and items is not None:
        items, a_var, step_var = grm.update_items(
            answers,
            items,
            post.sjt_mean,
            np.sqrt(post.sjt_var),
            settings.quadrature_nodes,
            a_prior,
            steps,
        )
        a_prior = _discrimination_prior(items.discrimination, a_var, a_prior, nu)
        steps = _step_prior(answers, items, step_var, nu) if steps is not None else None
        tested = np.unique(answers.person)
        specific_var = _marginal_variance(
            post.specific[tested], post.specific_var[tested], specific_var, nu, SPECIFIC_PRIOR
        )
    team_var, within_var = _team_variances(problem, post, params.team_var, nu)
    return _Params(
        intercept=intercept,
        loading=loading,
        leniency_var=leniency,
        halo_var=halo,
        items=items,
        specific_var=specific_var,
        team_var=team_var,
        within_var=within_var,
        discrimination_prior=a_prior,
        step_prior=steps,
    )


def _step_prior(
    answers: grm.SjtAnswers, items: grm.GrmItems, step_var: FloatArray, nu: float
) -> grm.StepPrior | None:
    """Empirical-Bayes update of the pooled prior of the SJT threshold steps.

    Items of one test share an answer format, so the distance between their adjacent
    thresholds ("steps") is exchangeable across items of the same number of categories: each
    position gets a mean (the mean of its items' steps), all share one SD, the expected spread
    of the steps around their means (posterior variances included) with a scaled-inverse-chi-
    square prior of ``nu`` pseudo-steps centred on ``(STEP_SPREAD * mean step)^2``. Like the
    discriminations' pooling, this only helps where a step is estimated about as uncertainly as
    the items truly differ; a single item has nothing to pool with and keeps its own steps.
    ``None`` when no item has a step (two categories)."""
    groups = grm.step_groups(answers)
    has = groups >= 0
    if not np.any(has):
        return None
    with np.errstate(invalid="ignore"):
        steps = np.diff(items.thresholds, axis=1, prepend=0.0)
    values, group = steps[has], groups[has]
    n_groups = int(group.max()) + 1
    count = np.bincount(group, minlength=n_groups)
    mean = np.bincount(group, weights=values, minlength=n_groups) / count
    second = float(np.sum((values - mean[group]) ** 2 + step_var[has]))
    guess = (STEP_SPREAD * float(np.mean(values))) ** 2
    var = (second + nu * guess) / (len(values) + nu)
    return grm.StepPrior(mean, float(np.sqrt(max(var, MIN_VARIANCE))))


def _discrimination_prior(
    a: FloatArray, a_var: FloatArray, previous: tuple[float, float], nu: float
) -> tuple[float, float]:
    """Empirical-Bayes update of the discriminations' prior ``a_j ~ N(mu, s^2)``.

    With a dozen items estimated from a few hundred people, each discrimination is uncertain
    by about as much as the items truly differ, so weighting the SJT items by their raw
    estimates throws information away; pooling them towards their common mean is the usual
    hierarchical remedy. ``mu`` has the old fixed prior N(1, 1) as its own weak prior (it
    matters only with one or two items); ``s^2`` is the expected spread of the items around
    ``mu`` (their posterior variances included) with a scaled-inverse-chi-square prior of
    ``nu`` pseudo-items centred on ``(DISCRIMINATION_SPREAD * mu)^2``.
    """
    hyper_mean, hyper_sd = grm.DISCRIMINATION_PRIOR
    precision = 1.0 / previous[1] ** 2
    mu = float((precision * np.sum(a) + hyper_mean / hyper_sd**2) / (precision * len(a) + 1.0))
    second = float(np.sum((a - mu) ** 2 + a_var))
    var = (second + nu * (DISCRIMINATION_SPREAD * mu) ** 2) / (len(a) + nu)
    return mu, float(np.sqrt(max(var, MIN_VARIANCE)))


def _marginal_variance(
    mean: FloatArray, var: FloatArray, current: float, nu: float, guess: float
) -> float:
    """ECME update of a random effect's variance: maximise its marginal likelihood.

    Each effect's posterior ``N(mean, var)`` under the current variance ``current`` is what a
    Gaussian summary ``x ~ N(effect, 1/q)`` of its data gives, with ``q = 1/var - 1/current``
    and ``x = mean * (current + 1/q) / current``. Holding these summaries fixed, the marginal
    log-likelihood of a new variance ``t`` is ``-1/2 sum(log(t + 1/q) + x^2 / (t + 1/q))``;
    with the scaled-inverse-chi-square prior (``nu`` pseudo-observations at ``guess``) its
    maximum solves ``sum(x^2/s^2 - 1/s) - (nu + 2)/t + nu*guess/t^2 = 0``, ``s = t + 1/q``,
    found by bisection on ``log t``. At ``t = current`` the left side is the EM score, so the
    fixed points are the EM's; but where the data say little about each effect (small ``q``) the
    EM step ``mean(E[effect^2])`` moves only a fraction of the way, and this one goes all of it.
    """
    q = 1.0 / np.maximum(var, MIN_VARIANCE) - 1.0 / current
    informed = q > 1e-12 / current
    q = q[informed]
    x2 = (mean[informed] * (current + 1.0 / q) / current) ** 2

    def score(log_t: float) -> float:
        t = float(np.exp(log_t))
        s = t + 1.0 / q
        return float(np.sum(x2 / s**2 - 1.0 / s)) - (nu + 2.0) / t + nu * guess / t**2

    low, high = np.log(MIN_VARIANCE), np.log(1e6)
    for _ in range(100):
        middle = 0.5 * (low + high)
        if score(middle) > 0.0:
            low = middle
        else:
            high = middle
        if high - low < 1e-10:
            break
    return float(np.exp(0.5 * (low + high)))


def _team_variances(
    problem: _Problem, post: Posterior, current: float, nu: float
) -> tuple[float, float]:
    """Updates of the between-team and within-team variances of the level.

    The between-team variance is updated like the SJT-specific one (``_marginal_variance``: a
    team's level is only loosely pinned down by its members' evidence, so plain EM would creep),
    with ``nu`` pseudo-teams at ``TEAM_PRIOR`` as prior; the within-team variance by plain EM.
    Without teams the split is irrelevant and stays at its prior guess, with total 1.
    """
    layout, design = problem.layout, problem.design
    if layout.n_teams == 0:
        return TEAM_PRIOR, 1.0 - TEAM_PRIOR
    g = post.effect[layout.n_rater_effects :]
    g_var = post.effect_var[layout.n_rater_effects :]
    team_var = _marginal_variance(g, g_var, current, nu, TEAM_PRIOR)
    rows = layout.team_rows
    person, effect = design.pair_person[rows], design.pair_effect[rows]
    within = (
        (post.theta[person] - post.effect[effect]) ** 2
        + post.theta_var[person]
        + post.effect_var[effect]
        - 2.0 * post.pair_cov[rows]
    )
    return max(team_var, MIN_VARIANCE), max(float(np.mean(within)), MIN_VARIANCE)


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
