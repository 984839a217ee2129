"""SJT answers through Samejima's graded response model (logistic form).

For item ``j`` with categories ``0..K_j-1``, discrimination ``a_j`` and increasing thresholds
``c_j1 < ... < c_j(K-1)``:

    P(X >= k | theta) = F(a_j * theta - c_jk),   F(x) = 1 / (1 + exp(-x)),

so ``P(X = x) = F(eta_lo) - F(eta_hi)`` with ``eta_lo = a theta - c_x`` (``+inf`` for x = 0) and
``eta_hi = a theta - c_(x+1)`` (``-inf`` for the top category). ``log P`` is concave in
``theta`` and in ``(a, c)`` (it is a log-concave density integrated over an interval), which
keeps every Newton step here well behaved.

Answers are first re-coded per item to the ranks of the categories that were actually used:
a category nobody chose carries no information about its thresholds, and an item everybody
answered the same way carries none at all (it is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ._arrays import BoolArray, FloatArray, IntArray, group_sum

DISCRIMINATION_PRIOR = (1.0, 1.0)
"""Mean and SD of the weak normal prior on the discriminations' common mean (and the starting
prior of each discrimination); the model estimates the actual prior (pooling) from the items."""
THRESHOLD_PRIOR_SD = 5.0
GRID_STEP = 0.02
"""Spacing of the grid on which the item update sums its quadrature points (``_histogram``)."""
MIN_PROBABILITY = 1e-300


@dataclass(frozen=True)
class SjtAnswers:
    """SJT answers of one competency, categories re-coded to used ranks."""

    person: IntArray
    item: IntArray  # 0..n_items-1
    category: IntArray
    n_categories: IntArray  # per item, >= 2
    item_codes: IntArray  # evidence item code per item

    @property
    def n_items(self) -> int:
        return len(self.n_categories)


@dataclass
class GrmItems:
    """Item parameters. ``thresholds`` is padded: column 0 is ``-inf``, column ``K_j`` and
    beyond ``+inf``, so category ``x`` lies between columns ``x`` and ``x + 1``."""

    discrimination: FloatArray
    thresholds: FloatArray

    def copy(self) -> GrmItems:
        return GrmItems(self.discrimination.copy(), self.thresholds.copy())


@dataclass(frozen=True)
class StepPrior:
    """Pooled prior of the threshold steps ``c_jk - c_j(k-1)``: one mean per step group (items
    with the same number of categories, same position; see ``step_groups``), one SD."""

    mean: FloatArray
    sd: float


@dataclass(frozen=True)
class _ItemPrior:
    discrimination: tuple[float, float]
    steps: tuple[FloatArray, float] | None  # this item's step means and the common SD


def step_groups(answers: SjtAnswers) -> IntArray:
    """Per item and threshold column ``p >= 2`` the group of the step ``c_p - c_(p-1)``: items
    with the same number of categories share a group per position; -1 where there is no step."""
    width = int(answers.n_categories.max(initial=2)) + 1
    columns = np.arange(width)
    has = (columns[None, :] >= 2) & (columns[None, :] < answers.n_categories[:, None])
    key = answers.n_categories[:, None] * width + columns[None, :]
    groups = np.full((answers.n_items, width), -1, dtype=np.int64)
    _, groups[has] = np.unique(key[has], return_inverse=True)
    return groups


def _step_means(steps: StepPrior | None, groups: IntArray) -> tuple[FloatArray, float] | None:
    if steps is None or len(groups) == 0:
        return None
    return steps.mean[groups], steps.sd


def prepare(person: IntArray, item_code: IntArray, score: IntArray) -> SjtAnswers:
    """Re-code categories per item to dense ranks and drop items without variation."""
    codes, item = np.unique(item_code, return_inverse=True)
    # Dense rank of each answer within its item: unique (item, score) combinations in order.
    combos, rank_of = np.unique(item * (int(score.max(initial=0)) + 1) + score, return_inverse=True)
    combo_item = combos // (int(score.max(initial=0)) + 1)
    first_of_item = np.searchsorted(combo_item, np.arange(len(codes)))
    category = rank_of - first_of_item[item]
    n_categories = np.bincount(combo_item, minlength=len(codes))
    keep_item = n_categories >= 2
    keep = keep_item[item]
    new_index = np.cumsum(keep_item) - 1
    return SjtAnswers(
        person=person[keep].astype(np.int64),
        item=new_index[item[keep]].astype(np.int64),
        category=category[keep].astype(np.int64),
        n_categories=n_categories[keep_item].astype(np.int64),
        item_codes=codes[keep_item].astype(np.int64),
    )


def initial_items(answers: SjtAnswers) -> GrmItems:
    """Start values: discrimination 1, thresholds from the marginal cumulative proportions."""
    n_items = answers.n_items
    width = int(answers.n_categories.max(initial=2)) + 1
    thresholds = np.full((n_items, width), np.inf)
    thresholds[:, 0] = -np.inf
    for j in range(n_items):
        k = int(answers.n_categories[j])
        counts = np.bincount(answers.category[answers.item == j], minlength=k).astype(float)
        at_least = (counts[::-1].cumsum()[::-1][1:] + 0.5) / (counts.sum() + 1.0)
        thresholds[j, 1:k] = -1.7 * np.log(at_least / (1.0 - at_least))
    return GrmItems(np.ones(n_items), thresholds)


@dataclass(frozen=True)
class _Terms:
    """Per-answer derivatives of ``log P`` with respect to ``eta_lo`` and ``eta_hi``."""

    log_p: FloatArray
    d_lo: FloatArray
    d_hi: FloatArray
    h_lo: FloatArray  # d2 log P / d eta_lo^2
    h_hi: FloatArray
    h_mix: FloatArray


def _terms(eta_lo: FloatArray, eta_hi: FloatArray, second: bool = True) -> _Terms:
    # P = F(lo) - F(hi) = F(lo) * (1 - F(hi)) * (1 - exp(hi - lo)): no cancellation for any
    # finite etas, and exact at the infinite ends of the outer categories.
    f_lo, g_hi = expit(eta_lo), expit(-eta_hi)
    p = np.maximum(f_lo * g_hi * -np.expm1(eta_hi - eta_lo), MIN_PROBABILITY)
    log_p = np.log(p)
    f_hi = 1.0 - g_hi
    dens_lo, dens_hi = f_lo * (1.0 - f_lo), f_hi * g_hi
    d_lo, d_hi = dens_lo / p, -dens_hi / p
    if not second:
        zero = np.zeros(0)
        return _Terms(log_p, d_lo, d_hi, zero, zero, zero)
    h_lo = dens_lo * (1.0 - 2.0 * f_lo) / p - d_lo**2
    h_hi = -dens_hi * (1.0 - 2.0 * f_hi) / p - d_hi**2
    return _Terms(log_p, d_lo, d_hi, h_lo, h_hi, -d_lo * d_hi)


def _etas(
    items: GrmItems, item: IntArray, category: IntArray, theta: FloatArray
) -> tuple[FloatArray, FloatArray]:
    a = items.discrimination[item]
    return a * theta - items.thresholds[item, category], a * theta - items.thresholds[
        item, category + 1
    ]


def person_derivatives(
    answers: SjtAnswers, items: GrmItems, theta: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per person: SJT log-likelihood, its first and (non-positive) second derivative in theta."""
    n = len(theta)
    eta_lo, eta_hi = _etas(items, answers.item, answers.category, theta[answers.person])
    t = _terms(eta_lo, eta_hi)
    a = items.discrimination[answers.item]
    first = a * (t.d_lo + t.d_hi)
    second = a**2 * (t.h_lo + 2.0 * t.h_mix + t.h_hi)
    return (
        group_sum(answers.person, t.log_p, n),
        group_sum(answers.person, first, n),
        group_sum(answers.person, second, n),
    )


def update_items(
    answers: SjtAnswers,
    items: GrmItems,
    mean: FloatArray,
    sd: FloatArray,
    n_nodes: int,
    prior: tuple[float, float] = DISCRIMINATION_PRIOR,
    steps: StepPrior | None = None,
) -> tuple[GrmItems, FloatArray, FloatArray]:
    """One Newton step per item on the expected log-likelihood (M-step of the EM).

    Each person's theta is integrated over its Gaussian posterior ``N(mean, sd^2)`` with
    Gauss-Hermite quadrature. The step is halved until the thresholds stay ordered and the
    (penalised) objective does not decrease. ``prior`` is the normal prior (mean, SD) of the
    discriminations, ``steps`` the pooled prior of the threshold steps. Also returns each
    discrimination's and each step's approximate posterior variance (from the inverse negative
    Hessian; steps as ``step_groups``, 0 where none), which the hierarchical priors' updates
    need.
    """
    new = items.copy()
    variance = np.zeros(answers.n_items)
    groups = step_groups(answers)
    step_var = np.zeros(groups.shape)
    cell_item, cat, theta, w = _histogram(answers, mean, sd, n_nodes)
    bounds = np.searchsorted(cell_item, np.arange(answers.n_items + 1))
    for j in range(answers.n_items):
        k = int(answers.n_categories[j])
        cells = slice(bounds[j], bounds[j + 1])
        start = _item_vector(items, j, k)
        item_prior = _ItemPrior(prior, _step_means(steps, groups[j, 2:k]))
        base, grad, hess = _item_gradient(start, theta[cells], cat[cells], w[cells], k, item_prior)
        step = np.linalg.solve(-hess, grad)
        cov = np.linalg.inv(-hess)
        variance[j] = float(cov[0, 0])
        diagonal = np.diag(cov)
        step_var[j, 2:k] = diagonal[2:] + diagonal[1:-1] - 2.0 * np.diag(cov, 1)[1:]
        scale = 1.0
        for _ in range(30):
            trial = start + scale * step
            if (
                np.all(np.diff(trial[1:]) > 0)
                and _item_objective(trial, theta[cells], cat[cells], w[cells], k, item_prior)
                >= base
            ):
                new.discrimination[j] = trial[0]
                new.thresholds[j, 1:k] = trial[1:]
                break
            scale /= 2.0
    return new, variance, step_var


def _histogram(
    answers: SjtAnswers, mean: FloatArray, sd: FloatArray, n_nodes: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """The quadrature points of all answers, summed per (item, category) on a fine grid.

    Each answer integrates ``theta`` over its person's ``N(mean, sd^2)`` with Gauss-Hermite
    nodes; the item update only needs, per item and category, the weighted distribution of
    these points. Each point's weight is shared between its two neighbouring grid points in
    proportion to closeness (linear interpolation), which keeps total weight and mean exact
    and widens the spread by at most ``GRID_STEP^2 / 4`` (0.0001, against posterior variances
    of about 0.2). An organisation of 20,000 people has 1.7 million points over 12 items but
    only about 15,000 occupied cells. Returns item, category, theta and weight per cell,
    sorted by item."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    points = mean[answers.person, None] + sd[answers.person, None] * nodes[None, :]
    low = float(points.min(initial=0.0))
    position = (points - low) / GRID_STEP
    index = np.floor(position).astype(np.int64)
    upper = position - index
    n_grid = int(index.max(initial=0)) + 2
    width = int(answers.n_categories.max(initial=2))
    row = (answers.item * width + answers.category)[:, None] * n_grid
    size = answers.n_items * width * n_grid
    total = np.bincount((row + index).ravel(), (weights * (1.0 - upper)).ravel(), size)
    total += np.bincount((row + index + 1).ravel(), (weights * upper).ravel(), size)
    cell = np.flatnonzero(total)
    combo, grid_point = np.divmod(cell, n_grid)
    item, category = np.divmod(combo, width)
    return item, category, low + GRID_STEP * grid_point, total[cell]


def _item_vector(items: GrmItems, j: int, k: int) -> FloatArray:
    return np.concatenate(([items.discrimination[j]], items.thresholds[j, 1:k]))


def _item_etas(
    vector: FloatArray, theta: FloatArray, category: IntArray, k: int
) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
    padded = np.concatenate(([-np.inf], vector[1:], [np.inf]))
    has_lo, has_hi = category >= 1, category <= k - 2
    return (
        vector[0] * theta - padded[category],
        vector[0] * theta - padded[category + 1],
        has_lo,
        has_hi,
    )


def _item_objective(
    vector: FloatArray,
    theta: FloatArray,
    category: IntArray,
    w: FloatArray,
    k: int,
    prior: _ItemPrior,
) -> float:
    eta_lo, eta_hi, _, _ = _item_etas(vector, theta, category, k)
    t = _terms(eta_lo, eta_hi, second=False)
    return float(w @ t.log_p) + _log_prior(vector, prior)


def _log_prior(vector: FloatArray, prior: _ItemPrior) -> float:
    mean_a, sd_a = prior.discrimination
    value = -0.5 * ((vector[0] - mean_a) / sd_a) ** 2 - 0.5 * float(
        np.sum((vector[1:] / THRESHOLD_PRIOR_SD) ** 2)
    )
    if prior.steps is not None:
        means, sd = prior.steps
        value -= 0.5 * float(np.sum(((np.diff(vector[1:]) - means) / sd) ** 2))
    return value


def _item_gradient(
    vector: FloatArray,
    theta: FloatArray,
    category: IntArray,
    w: FloatArray,
    k: int,
    prior: _ItemPrior,
) -> tuple[float, FloatArray, FloatArray]:
    """Value, gradient and Hessian of the penalised expected log-likelihood in
    ``(a, c_1..c_K-1)``."""
    eta_lo, eta_hi, _, _ = _item_etas(vector, theta, category, k)
    t = _terms(eta_lo, eta_hi)
    # Below the bottom category and above the top one the "threshold" is infinite and every
    # derivative is exactly 0, so all answers are summed by category and those columns dropped.
    wd_lo, wd_hi = w * t.d_lo, w * t.d_hi
    wh_lo, wh_hi, wh_mix = w * t.h_lo, w * t.h_hi, w * t.h_mix
    lo, hi, size = category, category + 1, k + 1  # columns of c_x and c_(x+1)
    grad = np.zeros(k)
    hess = np.zeros((k, k))
    grad[0] = theta @ (wd_lo + wd_hi)
    hess[0, 0] = (theta**2) @ (wh_lo + 2.0 * wh_mix + wh_hi)
    # d eta / d c = -1 for the threshold involved.
    grad[1:] -= (np.bincount(lo, wd_lo, size) + np.bincount(hi, wd_hi, size))[1:k]
    a_c = np.bincount(lo, -theta * (wh_lo + wh_mix), size)
    a_c += np.bincount(hi, -theta * (wh_mix + wh_hi), size)
    diag = np.bincount(lo, wh_lo, size) + np.bincount(hi, wh_hi, size)
    off = np.bincount(lo, wh_mix, size)
    hess[0, 1:] = hess[1:, 0] = a_c[1:k]
    hess[np.arange(1, k), np.arange(1, k)] = diag[1:k]
    idx = np.arange(1, k - 1)
    hess[idx, idx + 1] = hess[idx + 1, idx] = off[1 : k - 1]
    mean_a, sd_a = prior.discrimination
    grad[0] -= (vector[0] - mean_a) / sd_a**2
    hess[0, 0] -= 1.0 / sd_a**2
    grad[1:] -= vector[1:] / THRESHOLD_PRIOR_SD**2
    hess[np.arange(1, k), np.arange(1, k)] -= 1.0 / THRESHOLD_PRIOR_SD**2
    if prior.steps is not None and k > 2:
        means, sd = prior.steps
        difference = np.diff(np.eye(k - 1), axis=0)  # steps = difference @ thresholds
        grad[1:] -= difference.T @ ((difference @ vector[1:] - means) / sd**2)
        hess[1:, 1:] -= difference.T @ difference / sd**2
    return float(w @ t.log_p) + _log_prior(vector, prior), grad, hess


def rescale(items: GrmItems, shift: float, scale: float) -> GrmItems:
    """Re-express the items for ``theta' = (theta - shift) / scale`` (likelihood unchanged)."""
    a = items.discrimination
    thresholds = items.thresholds - (a * shift)[:, None]
    return GrmItems(a * scale, thresholds)
