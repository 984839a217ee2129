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
) -> tuple[GrmItems, FloatArray]:
    """One Newton step per item on the expected log-likelihood (M-step of the EM).

    Each person's theta is integrated over its Gaussian posterior ``N(mean, sd^2)`` with
    Gauss-Hermite quadrature. The step is halved until the thresholds stay ordered and the
    (penalised) objective does not decrease. ``prior`` is the normal prior (mean, SD) of the
    discriminations. Also returns each discrimination's approximate posterior variance (from the
    inverse negative Hessian), which the hierarchical prior's update needs.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)
    weights = weights / weights.sum()
    new = items.copy()
    variance = np.zeros(answers.n_items)
    for j in range(answers.n_items):
        rows = np.flatnonzero(answers.item == j)
        k = int(answers.n_categories[j])
        theta = (mean[answers.person[rows], None] + sd[answers.person[rows], None] * nodes).ravel()
        cat = np.repeat(answers.category[rows], n_nodes)
        w = np.tile(weights, len(rows))
        start = _item_vector(items, j, k)
        base, grad, hess = _item_gradient(start, theta, cat, w, k, prior)
        step = np.linalg.solve(-hess, grad)
        variance[j] = float(np.linalg.inv(-hess)[0, 0])
        scale = 1.0
        for _ in range(30):
            trial = start + scale * step
            if (
                np.all(np.diff(trial[1:]) > 0)
                and _item_objective(trial, theta, cat, w, k, prior) >= base
            ):
                new.discrimination[j] = trial[0]
                new.thresholds[j, 1:k] = trial[1:]
                break
            scale /= 2.0
    return new, variance


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
    prior: tuple[float, float],
) -> float:
    eta_lo, eta_hi, _, _ = _item_etas(vector, theta, category, k)
    t = _terms(eta_lo, eta_hi, second=False)
    return float(w @ t.log_p) + _log_prior(vector, prior)


def _log_prior(vector: FloatArray, prior: tuple[float, float]) -> float:
    mean_a, sd_a = prior
    return -0.5 * ((vector[0] - mean_a) / sd_a) ** 2 - 0.5 * float(
        np.sum((vector[1:] / THRESHOLD_PRIOR_SD) ** 2)
    )


def _item_gradient(
    vector: FloatArray,
    theta: FloatArray,
    category: IntArray,
    w: FloatArray,
    k: int,
    prior: tuple[float, float],
) -> tuple[float, FloatArray, FloatArray]:
    """Value, gradient and Hessian of the penalised expected log-likelihood in
    ``(a, c_1..c_K-1)``."""
    eta_lo, eta_hi, has_lo, has_hi = _item_etas(vector, theta, category, k)
    t = _terms(eta_lo, eta_hi)
    grad = np.zeros(k)
    hess = np.zeros((k, k))
    grad[0] = w @ (theta * (t.d_lo + t.d_hi))
    hess[0, 0] = w @ (theta**2 * (t.h_lo + 2.0 * t.h_mix + t.h_hi))
    lo = np.where(has_lo, category, 0)  # index into vector of threshold c_x
    hi = np.where(has_hi, category + 1, 0)  # index of c_(x+1)
    # d eta / d c = -1 for the threshold involved.
    grad -= np.bincount(lo[has_lo], w[has_lo] * t.d_lo[has_lo], minlength=k)
    grad -= np.bincount(hi[has_hi], w[has_hi] * t.d_hi[has_hi], minlength=k)
    cross_lo = -w * theta * (t.h_lo + t.h_mix)
    cross_hi = -w * theta * (t.h_mix + t.h_hi)
    a_c = np.bincount(lo[has_lo], cross_lo[has_lo], minlength=k)
    a_c += np.bincount(hi[has_hi], cross_hi[has_hi], minlength=k)
    diag = np.bincount(lo[has_lo], (w * t.h_lo)[has_lo], minlength=k)
    diag += np.bincount(hi[has_hi], (w * t.h_hi)[has_hi], minlength=k)
    both = has_lo & has_hi
    off = np.bincount(lo[both], (w * t.h_mix)[both], minlength=k)
    a_c[0], diag[0], off[0] = 0.0, 0.0, 0.0
    hess[0, 1:] = hess[1:, 0] = a_c[1:]
    hess[np.arange(1, k), np.arange(1, k)] = diag[1:]
    idx = np.arange(1, k - 1)
    hess[idx, idx + 1] = hess[idx + 1, idx] = off[1 : k - 1]
    mean_a, sd_a = prior
    grad[0] -= (vector[0] - mean_a) / sd_a**2
    hess[0, 0] -= 1.0 / sd_a**2
    grad[1:] -= vector[1:] / THRESHOLD_PRIOR_SD**2
    hess[np.arange(1, k), np.arange(1, k)] -= 1.0 / THRESHOLD_PRIOR_SD**2
    return float(w @ t.log_p) + _log_prior(vector, prior), grad, hess


def rescale(items: GrmItems, shift: float, scale: float) -> GrmItems:
    """Re-express the items for ``theta' = (theta - shift) / scale`` (likelihood unchanged)."""
    a = items.discrimination
    thresholds = items.thresholds - (a * shift)[:, None]
    return GrmItems(a * scale, thresholds)
