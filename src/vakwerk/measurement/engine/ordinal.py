"""Ordinal rating scales made linear: one Gaussian summary per rater-person pair.

Answer categories are ordered, not equally spaced measurements: a rater who picks "always" on
every item may mean "always, and then some" (the ceiling), and the category steps need not be
equal. Each rating is therefore read as a cut continuous judgement (cumulative probit),

    y*_r = alpha_k + b_i + e_r,   e_r ~ N(0, sigma_s^2),   x  <=>  kappa_x < y* <= kappa_(x+1)

with ``alpha_k`` the pair's level (everything the model of ``model.py`` puts in a pair: source
effect, the person's level, leniency and halo), ``b_i`` the item's easiness, ``sigma_s`` the
within-pair noise of source ``s`` and ``kappa`` the cuts of the answer scale (one set per number
of categories). The pair levels of a source are taken as ``N(mu_s, V_s)``; cuts, easiness, noise
and these populations are fitted by EM with the pair levels on a fixed grid (marginal maximum
likelihood), accelerated with SQUAREM (``squarem.py``). Each pair's ratings then give an exact
posterior of ``alpha_k`` on the grid, and dividing the population prior back out of its moments
(the moment-matched "site" of expectation propagation) gives a Gaussian summary
``z_k ~ N(alpha_k, 1 / q_k)`` of what the pair's ratings say. A pair at the ceiling gets a high
``z`` and a small precision ``q`` instead of a mean of 1 that pretends to be exact. Finally one
affine map per competency puts ``z`` back on the 0..1 rating scale: the cut between categories
``j-1`` and ``j`` of a ``K``-point scale goes to ``(j - 1/2) / (K - 1)`` as nearly as possible,
so 0.75 still means "often" on a five-point scale.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import log_ndtr

from ._arrays import FloatArray, IntArray, group_count, group_sum
from .squarem import squarem

FIT_PAIRS = 20_000
"""At most this many pairs (every n-th, deterministic) fit the ordinal parameters; the few dozen
parameters are then known to within far less than their effect, and large organisations stay
fast. Every pair gets its summary."""
GRID_STEP = 0.2  # latent units (within-pair noise SD 1); a pair's posterior SD is about 0.4-1
MIN_CATEGORIES = 3  # every scale needs this many used categories, else the ratings stay interval
MIN_REPLICATED = 50  # pairs with two or more ratings needed to tell noise from the pair level
PRIOR_SD = 1.0
"""SD of the weak normal priors on each source's log noise SD relative to their pooled value,
and on the log distances between adjacent cuts of a scale relative to their mean (centred on
the interval start: equal steps). Both are unchanged by the model's free unit; they keep tiny
or lopsided data (a source whose raters give one category to all items, a category nearly
nobody uses) away from zero noise and infinitely wide categories, and are negligible with a
few hundred ratings per parameter."""
MAX_ITERATIONS = 300
TOLERANCE = 1e-5
"""The EM stops when no parameter moves by more than this. The M-step's BFGS solves only to
about 1e-6, so a tighter criterion could wait for that noise to fall below it: with 1e-6 one fit
of the demo's 421 pairs ran all 300 steps (5 s), where 7 steps agree with it to 3e-7 on the
rating scale."""
MIN_POPULATION_VAR = 0.01


@dataclass(frozen=True)
class Linearised:
    """Pair summaries and item effects on the linearised 0..1 rating scale."""

    mean: FloatArray  # per pair
    error_var: FloatArray  # per pair: Var(z | pair level)
    item_effect: FloatArray  # per item
    noise_var: FloatArray  # per source: one rating's within-pair noise


@dataclass(frozen=True)
class _Data:
    counts: sparse.csr_matrix  # pairs x (item, category) rating counts
    pair_source: IntArray
    n_items: int
    n_categories: int  # categories over all scales
    low_cut: IntArray  # per category: index of its lower cut, -1 for a scale's bottom
    high_cut: IntArray  # per category: index of its upper cut, -1 for a scale's top
    cut_scale: IntArray  # scale of each cut
    cut_position: FloatArray  # where each cut belongs on the 0..1 scale
    cut_weight: FloatArray  # ratings on each cut's scale
    item_weight: FloatArray  # share of ratings per item


def linearise(
    pair: IntArray,
    item: IntArray,
    score: IntArray,
    categories: IntArray,
    pair_source: IntArray,
    n_items: int,
    n_sources: int,
    start: tuple[FloatArray, FloatArray, float],
) -> Linearised | None:
    """Fit the ordinal model and return the pair summaries, or ``None`` when a scale has
    fewer than ``MIN_CATEGORIES`` used categories (then the ratings stay interval data).

    ``start`` is the interval fit: pair means, item effects and the pooled noise variance, all
    on the 0..1 scale."""
    data = _prepare(pair, item, score, categories, pair_source, n_items)
    replicated = np.count_nonzero(np.bincount(pair, minlength=len(pair_source)) >= 2)
    if data is None or replicated < MIN_REPLICATED:
        return None
    params = _initial(data, start, n_sources)
    start_steps = np.diff(params.cuts)
    step = max(1, int(np.ceil(len(pair_source) / FIT_PAIRS)))
    subset = np.arange(0, len(pair_source), step)
    fit_data = replace(data, counts=data.counts[subset], pair_source=data.pair_source[subset])
    grid = _grid(params)
    memory: dict[str, FloatArray] = {}
    shape = _Shape.of(params)

    def em_step(x: FloatArray) -> tuple[FloatArray, bool]:
        before = shape.unpack(x)
        after = _em_step(fit_data, before, grid, memory, start_steps)
        pairs = zip(after.vector(), before.vector(), strict=True)
        change = max(float(np.max(np.abs(a - b))) for a, b in pairs)
        return shape.pack(after), change < TOLERANCE

    def valid(x: FloatArray) -> bool:
        return bool(np.all(np.isfinite(x))) and _ordered(shape.unpack(x).cuts, data.cut_scale)

    params = shape.unpack(squarem(em_step, shape.pack(params), valid, MAX_ITERATIONS).x)
    # The reference prior divided out below is the source's population of pair levels, widened
    # to at least one rating's noise variance: dividing a tight prior out of a posterior that
    # is barely tighter would turn rounding into huge summaries.
    reference = replace(params, pop_var=np.maximum(params.pop_var, 1.0))
    mean, var = _posterior(data, reference, _grid(reference))
    prior_var = reference.pop_var[data.pair_source]
    q = np.maximum(1.0 / var - 1.0 / prior_var, 1e-8 / prior_var)
    z = (mean / var - params.pop_mean[data.pair_source] / prior_var) / q
    shift, slope = _to_rating_scale(data, params)
    result = Linearised(
        mean=shift + slope * z,
        error_var=slope**2 / q,
        item_effect=slope * params.easiness,
        noise_var=slope**2 * params.noise_sd**2,
    )
    if not all(np.all(np.isfinite(part)) for part in (result.mean, result.error_var)):
        return None  # a numerical failure is not worth a wrong answer: stay interval
    return result


@dataclass(frozen=True)
class _Params:
    cuts: FloatArray
    easiness: FloatArray
    noise_sd: FloatArray  # per source
    pop_mean: FloatArray  # per source
    pop_var: FloatArray

    def vector(self) -> tuple[FloatArray, ...]:
        return (self.cuts, self.easiness, self.noise_sd, self.pop_mean, np.sqrt(self.pop_var))


@dataclass(frozen=True)
class _Shape:
    """Packs the parameters into one vector for SQUAREM: noise SDs and population variances
    on the log scale, so that an extrapolated jump keeps them positive."""

    n_cuts: int
    n_items: int
    n_sources: int

    @classmethod
    def of(cls, params: _Params) -> _Shape:
        return cls(len(params.cuts), len(params.easiness), len(params.noise_sd))

    def pack(self, params: _Params) -> FloatArray:
        return np.concatenate(
            [
                params.cuts,
                params.easiness,
                np.log(params.noise_sd),
                params.pop_mean,
                np.log(params.pop_var),
            ]
        )

    def unpack(self, x: FloatArray) -> _Params:
        ends = np.cumsum([self.n_cuts, self.n_items] + [self.n_sources] * 3)
        cuts, easiness, log_sd, pop_mean, log_var = np.split(x, ends[:-1])
        return _Params(
            cuts=cuts,
            easiness=easiness,
            noise_sd=np.exp(log_sd),
            pop_mean=pop_mean,
            pop_var=np.maximum(np.exp(log_var), MIN_POPULATION_VAR),
        )


def _ordered(cuts: FloatArray, cut_scale: IntArray) -> bool:
    """Whether the cuts increase within every scale."""
    same_scale = cut_scale[1:] == cut_scale[:-1]
    return bool(np.all(np.diff(cuts)[same_scale] > 0.0))


def _prepare(
    pair: IntArray,
    item: IntArray,
    score: IntArray,
    categories: IntArray,
    pair_source: IntArray,
    n_items: int,
) -> _Data | None:
    scales, scale = np.unique(categories, return_inverse=True)
    width = int(scales.max(initial=2))
    used, rank = np.unique(scale * width + score, return_inverse=True)
    used_scale = used // width
    n_used = group_count(used_scale, len(scales))
    if len(scales) == 0 or np.any(n_used < MIN_CATEGORIES):
        return None
    first = np.searchsorted(used_scale, np.arange(len(scales)))
    value = used % width  # original category of each used one
    # Cuts between consecutive used categories of a scale.
    is_cut = np.ones(len(used), dtype=bool)
    is_cut[first] = False
    cut_of_upper = np.cumsum(is_cut) - 1  # cut index below each used category
    cut_scale = used_scale[is_cut]
    upper = np.flatnonzero(is_cut)
    span = (scales[cut_scale] - 1).astype(np.float64)
    cut_position = 0.5 * (value[upper - 1] + value[upper]) / span
    low_cut = np.where(is_cut, cut_of_upper, -1)
    last = np.append(first[1:], len(used)) - 1
    is_top = np.zeros(len(used), dtype=bool)
    is_top[last] = True
    high_cut = np.where(is_top, -1, cut_of_upper + 1)
    n_pairs = len(pair_source)
    counts = sparse.csr_matrix(
        (np.ones(len(pair)), (pair, item * len(used) + rank)),
        shape=(n_pairs, n_items * len(used)),
    )
    counts.sum_duplicates()
    per_scale = group_count(scale, len(scales)).astype(np.float64)
    return _Data(
        counts=counts,
        pair_source=pair_source,
        n_items=n_items,
        n_categories=len(used),
        low_cut=low_cut.astype(np.int64),
        high_cut=high_cut.astype(np.int64),
        cut_scale=cut_scale.astype(np.int64),
        cut_position=cut_position,
        cut_weight=per_scale[cut_scale],
        item_weight=group_count(item, n_items) / max(len(item), 1),
    )


def _initial(data: _Data, start: tuple[FloatArray, FloatArray, float], n: int) -> _Params:
    """Start from the interval fit: 0..1 values divided by the within-pair noise SD."""
    pair_mean, item_effect, noise_var = start
    unit = float(np.sqrt(max(float(noise_var), 1e-4)))
    centre = float(np.average(data.cut_position, weights=data.cut_weight))
    mean, var = np.zeros(n), np.ones(n)
    for s in range(n):
        values = (pair_mean[data.pair_source == s] - centre) / unit
        if len(values) > 0:
            mean[s] = float(np.mean(values))
            var[s] = max(float(np.var(values)) - 0.2, MIN_POPULATION_VAR)
    return _Params(
        cuts=(data.cut_position - centre) / unit,
        easiness=item_effect / unit,
        noise_sd=np.ones(n),
        pop_mean=mean,
        pop_var=var,
    )


def _grid(params: _Params) -> FloatArray:
    sd = np.sqrt(params.pop_var)
    low = min(float(np.min(params.pop_mean - 8.0 * sd)), float(params.cuts.min()) - 4.0)
    high = max(float(np.max(params.pop_mean + 8.0 * sd)), float(params.cuts.max()) + 4.0)
    return np.linspace(low, high, int(np.ceil((high - low) / GRID_STEP)) + 1)


def _bounds(data: _Data, params: _Params) -> tuple[FloatArray, FloatArray]:
    """Per (item, category): lower and upper cut minus the item's easiness."""
    lo = np.where(data.low_cut >= 0, params.cuts[np.maximum(data.low_cut, 0)], -np.inf)
    hi = np.where(data.high_cut >= 0, params.cuts[np.maximum(data.high_cut, 0)], np.inf)
    return (
        (lo[None, :] - params.easiness[:, None]).ravel(),
        (hi[None, :] - params.easiness[:, None]).ravel(),
    )


def _log_interval(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """``log(Phi(hi) - Phi(lo))`` for ``lo < hi``, accurate in both tails."""
    flip = lo > 0.0
    a, b = np.where(flip, -hi, lo), np.where(flip, -lo, hi)
    with np.errstate(divide="ignore"):
        log_b, log_a = log_ndtr(b), log_ndtr(a)
        return log_b + np.log1p(-np.exp(np.minimum(log_a - log_b, 0.0)) + 1e-300)


def _table(data: _Data, params: _Params, grid: FloatArray, s: int) -> FloatArray:
    """log P(category | pair level) per (item, category) and grid point, for source ``s``."""
    lo, hi = _bounds(data, params)
    sd = params.noise_sd[s]
    return _log_interval((lo[:, None] - grid[None, :]) / sd, (hi[:, None] - grid[None, :]) / sd)


def _pair_weights(
    data: _Data, params: _Params, grid: FloatArray, s: int, rows: IntArray
) -> FloatArray:
    log_w = data.counts[rows] @ _table(data, params, grid, s)
    log_w -= 0.5 * (grid[None, :] - params.pop_mean[s]) ** 2 / params.pop_var[s]
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    w /= w.sum(axis=1, keepdims=True)
    return np.asarray(w)


def _posterior(data: _Data, params: _Params, grid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each pair's posterior mean and variance of its level (in chunks to bound memory)."""
    mean, var = np.zeros(len(data.pair_source)), np.ones(len(data.pair_source))
    for s in range(len(params.noise_sd)):
        rows = np.flatnonzero(data.pair_source == s)
        for chunk in np.array_split(rows, max(1, len(rows) // 50_000)):
            if len(chunk) == 0:
                continue
            w = _pair_weights(data, params, grid, s, chunk)
            m = w @ grid
            mean[chunk] = m
            var[chunk] = np.maximum(w @ grid**2 - m**2, 1e-12)
    return mean, var


def _em_step(
    data: _Data,
    params: _Params,
    grid: FloatArray,
    memory: dict[str, FloatArray],
    start_steps: FloatArray,
) -> _Params:
    n_sources = len(params.noise_sd)
    expected: list[FloatArray | None] = []
    pop_mean, pop_var = params.pop_mean.copy(), params.pop_var.copy()
    for s in range(n_sources):
        rows = np.flatnonzero(data.pair_source == s)
        if len(rows) == 0:
            expected.append(None)
            continue
        w = _pair_weights(data, params, grid, s, rows)
        expected.append(np.asarray(data.counts[rows].T @ w))
        m = w @ grid
        pop_mean[s] = float(np.mean(m))
        pop_var[s] = max(float(np.mean(w @ grid**2)) - pop_mean[s] ** 2, MIN_POPULATION_VAR)
    cuts, easiness, noise_sd = _m_step(data, params, grid, expected, memory, start_steps)
    # The marginal model is unchanged by a common shift or unit: keep the rating-weighted mean
    # cut at 0 and the rating-weighted log noise SD at 0.
    shares = group_count(data.pair_source, n_sources).astype(np.float64)
    unit = float(np.exp(np.average(np.log(noise_sd), weights=shares)))
    centre = float(np.average(cuts, weights=data.cut_weight))
    return _Params(
        cuts=(cuts - centre) / unit,
        easiness=easiness / unit,
        noise_sd=np.where(shares > 0, noise_sd / unit, 1.0),
        pop_mean=(pop_mean - centre) / unit,
        pop_var=pop_var / unit**2,
    )


def _m_step(
    data: _Data,
    params: _Params,
    grid: FloatArray,
    expected: list[FloatArray | None],
    memory: dict[str, FloatArray],
    start_steps: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Maximise the expected complete-data log-likelihood in cuts, easiness and noise SDs.

    Cuts of a scale are its first cut plus log increments (so they stay ordered); easiness is
    centred to rating-weighted mean zero; ``PRIOR_SD`` gives the weak priors. BFGS starts from
    the previous iteration's inverse Hessian (``memory``): the next M-step barely differs."""
    n_cuts, n_items, n_sources = len(params.cuts), data.n_items, len(params.noise_sd)
    first_of_scale = np.r_[True, data.cut_scale[1:] != data.cut_scale[:-1]]
    increments = np.diff(params.cuts, prepend=0.0)
    cut_vector = np.where(first_of_scale, params.cuts, np.log(np.maximum(increments, 1e-6)))
    x0 = np.concatenate([cut_vector, params.easiness, np.log(params.noise_sd)])
    group = np.cumsum(first_of_scale) - 1
    n_cat = data.n_categories
    # Priors (see PRIOR_SD): log distances between cuts relative to their scale's mean, centred
    # on the start's; log noise SDs of the sources with ratings relative to their weighted mean.
    steps_at = np.flatnonzero(~first_of_scale)
    step_group = group[steps_at]
    n_groups = int(group.max()) + 1
    per_group = np.maximum(np.bincount(step_group, minlength=n_groups), 1)

    def relative(values: FloatArray) -> FloatArray:
        return values - (np.bincount(step_group, values, n_groups) / per_group)[step_group]

    centre = relative(np.log(np.maximum(start_steps[steps_at - 1], 1e-6)))
    shares = np.array([0.0 if c is None else float(c.sum()) for c in expected])
    omega = shares / max(float(shares.sum()), 1e-300)
    present = shares > 0.0

    def unpack(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        step = np.where(
            first_of_scale, x[:n_cuts], np.exp(np.where(first_of_scale, 0.0, x[:n_cuts]))
        )
        cuts = np.zeros(n_cuts)
        for g in np.unique(group):  # cumulative sum within each scale
            members = group == g
            cuts[members] = np.cumsum(step[members])
        beta = x[n_cuts : n_cuts + n_items]
        easiness = beta - float(data.item_weight @ beta)
        return cuts, easiness, np.exp(x[n_cuts + n_items :])

    def objective(x: FloatArray) -> tuple[float, FloatArray]:
        cuts, easiness, noise_sd = unpack(x)
        p = _Params(cuts, easiness, noise_sd, params.pop_mean, params.pop_var)
        lo, hi = _bounds(data, p)
        value = 0.0
        d_cut, d_easy, d_log_sd = np.zeros(n_cuts), np.zeros(n_items), np.zeros(n_sources)
        for s, counts in enumerate(expected):
            if counts is None:
                continue
            sd = noise_sd[s]
            u_lo = (lo[:, None] - grid[None, :]) / sd
            u_hi = (hi[:, None] - grid[None, :]) / sd
            log_p = _log_interval(u_lo, u_hi)
            value += float(np.sum(counts * log_p))
            with np.errstate(invalid="ignore", over="ignore"):
                g_hi = np.where(np.isfinite(u_hi), np.exp(_log_phi(u_hi) - log_p), 0.0)
                g_lo = np.where(np.isfinite(u_lo), -np.exp(_log_phi(u_lo) - log_p), 0.0)
                t_hi = np.where(np.isfinite(u_hi), g_hi * u_hi, 0.0)
                t_lo = np.where(np.isfinite(u_lo), g_lo * u_lo, 0.0)
            c_hi = np.sum(counts * g_hi, axis=1).reshape(n_items, n_cat)
            c_lo = np.sum(counts * g_lo, axis=1).reshape(n_items, n_cat)
            has_lo, has_hi = data.low_cut >= 0, data.high_cut >= 0
            d_cut += group_sum(data.low_cut[has_lo], c_lo.sum(axis=0)[has_lo], n_cuts) / sd
            d_cut += group_sum(data.high_cut[has_hi], c_hi.sum(axis=0)[has_hi], n_cuts) / sd
            d_easy -= (c_hi + c_lo).sum(axis=1) / sd
            d_log_sd[s] = -float(np.sum(counts * (t_hi + t_lo)))
        # Chain rule to the packed parameters.
        step = np.where(
            first_of_scale, x[:n_cuts], np.exp(np.where(first_of_scale, 0.0, x[:n_cuts]))
        )
        tail = np.zeros(n_cuts)
        for g in np.unique(group):
            members = np.flatnonzero(group == g)
            tail[members] = np.cumsum(d_cut[members][::-1])[::-1]
        grad_cut = np.where(first_of_scale, tail, tail * step)
        grad_beta = d_easy - data.item_weight * d_easy.sum()
        grad = np.concatenate([grad_cut, grad_beta, d_log_sd])
        # Weak priors (see PRIOR_SD); both deviations sum to zero, which keeps their gradients
        # simple.
        cut_dev = relative(x[steps_at]) - centre
        log_sd = x[n_cuts + n_items :]
        sd_dev = np.where(present, log_sd - float(omega @ log_sd), 0.0)
        value -= 0.5 * float(cut_dev @ cut_dev + sd_dev @ sd_dev) / PRIOR_SD**2
        grad[steps_at] -= cut_dev / PRIOR_SD**2
        grad[n_cuts + n_items :] -= (sd_dev - omega * sd_dev.sum()) / PRIOR_SD**2
        return -value, -grad

    options: dict[str, object] = {"maxiter": 50}
    if "hess_inv" in memory:
        options["hess_inv0"] = memory["hess_inv"]
    result = minimize(objective, x0, jac=True, method="BFGS", options=options)
    hess_inv = np.asarray(result.hess_inv)
    hess_inv = 0.5 * (hess_inv + hess_inv.T)
    try:
        np.linalg.cholesky(hess_inv)
        memory["hess_inv"] = hess_inv
    except np.linalg.LinAlgError:
        memory.pop("hess_inv", None)
    return unpack(result.x)


def _log_phi(u: FloatArray) -> FloatArray:
    return -0.5 * u**2 - 0.5 * np.log(2.0 * np.pi)


def _to_rating_scale(data: _Data, params: _Params) -> tuple[float, float]:
    """Affine map of the latent scale that puts the cuts nearest their 0..1 positions."""
    weight = data.cut_weight
    x, y = params.cuts, data.cut_position
    mx, my = float(np.average(x, weights=weight)), float(np.average(y, weights=weight))
    sxx = float(np.average((x - mx) ** 2, weights=weight))
    slope = float(np.average((x - mx) * (y - my), weights=weight)) / sxx if sxx > 0 else 1.0
    slope = slope if slope > 0 else 1.0
    return my - slope * mx, slope
