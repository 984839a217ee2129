"""Updating one person's level between rounds: a pulse of SJT answers, and ageing evidence.

**Pulse update.** The prior is the person's current level on a round's standardised scale,
``theta ~ N(mean, sd^2)``. A pulse's SJT answers follow the same graded response model as in a
round (``grm.py``, docs/measurement.md section 2.2): for item ``j`` with used answer categories
``0..K_j-1``, discrimination ``a_j`` and increasing thresholds ``c_j1 < ... < c_j(K-1)``,

    P(X >= k | eta) = F(a_j * eta - c_jk),     eta = theta + d,    d ~ N(0, tau_d^2),

where ``d`` is the SJT-specific component. The pulse's likelihood of ``theta`` integrates ``d``
out (Gauss-Hermite quadrature); the posterior of ``theta`` is the prior times that likelihood on
a fixed grid of points around the prior mean, so the result is deterministic and exact up to the
grid (no normal approximation: with a handful of items the likelihood is far from normal). The
answer is the posterior mean and SD. Treating ``d`` as a fresh draw, rather than as the same
component that coloured the round's SJT answers, errs on the side of a pulse saying less.

**Item parameters.** Each item's ``a`` and thresholds come from the estimate run that produced
the prior (``calibrated_items``), on that run's scale. An item the run did not calibrate (new in
the bank, or not answered in that round) gets the *pooled prior* ``pooled_item``: the mean
discrimination of the competency's calibrated items, or ``POOLED_DISCRIMINATION`` (0.5, the
middle of the benchmark's SJT items, coefficient alpha about 0.46) when there are none, and the
thresholds of ``POOLED_THRESHOLDS``: at the population mean an item score of 0/1/2/3/4 has
probability 5/10/20/35/30%, between the expert-like and random responders of docs/sjt.md.

**Ageing.** ``aged_sd``: without new evidence the level drifts. Skills decay by about 0.08 SD
per month without use (Tatel & Ackerman); whether someone used a skill is unknown, so the drift
is read as a random walk: the mean stays, the variance grows by ``0.08^2`` per month,
``var_t = sd^2 + q * months``, up to the population variance 1 (knowing nothing about a person
is the prior ``N(0, 1)``; an interval never grows beyond that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logsumexp

from ._arrays import FloatArray
from .model import SPECIFIC_PRIOR, CompetencyFit

POOLED_DISCRIMINATION = 0.5
POOLED_SCORES = (0, 1, 2, 3, 4)
POOLED_THRESHOLDS = (-2.944, -1.735, -0.619, 0.847)
"""``c_k = -logit P(X >= k)`` at ``theta = 0`` for score shares 5/10/20/35/30% (a = 0.5)."""
DECAY_SD_PER_MONTH = 0.08
DECAY_VARIANCE_PER_MONTH = DECAY_SD_PER_MONTH**2
PRIOR_VARIANCE = 1.0
"""The population variance of the standardised scale: the ceiling of an aged variance."""
DAYS_PER_MONTH = 365.25 / 12.0
GRID_POINTS = 401
GRID_WIDTH = 8.0  # prior SDs either side of the prior mean
SPECIFIC_NODES = 21
MIN_PROBABILITY = 1e-300


@dataclass(frozen=True)
class ItemParameters:
    """Graded-response parameters of one SJT item on one run's standardised scale.

    ``scores`` are the raw item scores the run saw (sorted); ``thresholds`` separate consecutive
    ones, so there is one threshold fewer than scores. A raw score the run never saw counts as
    the nearest seen score below it (or the lowest): the run's answers say nothing about its
    own threshold.
    """

    discrimination: float
    thresholds: tuple[float, ...]
    scores: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.scores) != len(self.thresholds) + 1 or len(self.scores) < 2:
            raise ValueError("an item needs at least two scores and one threshold between each")
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError("thresholds must increase")

    def category(self, score: int) -> int:
        """The rank of ``score`` among the seen scores (0-based), unseen scores rounded down."""
        return max(0, sum(1 for seen in self.scores if seen <= score) - 1)

    def as_dict(self) -> dict[str, object]:
        return {"a": self.discrimination, "c": list(self.thresholds), "scores": list(self.scores)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ItemParameters:
        thresholds = data["c"]
        scores = data["scores"]
        if not isinstance(thresholds, list) or not isinstance(scores, list):
            raise ValueError("stored item parameters need lists of thresholds and scores")
        return cls(
            float(str(data["a"])),
            tuple(float(c) for c in thresholds),
            tuple(int(s) for s in scores),
        )


POOLED_ITEM = ItemParameters(POOLED_DISCRIMINATION, POOLED_THRESHOLDS, POOLED_SCORES)


def pooled_item(calibrated: Iterable[ItemParameters] = ()) -> ItemParameters:
    """The prior item for an uncalibrated item of a competency (see the module docstring)."""
    found = [item.discrimination for item in calibrated]
    a = float(np.mean(found)) if found else POOLED_DISCRIMINATION
    return ItemParameters(a, POOLED_THRESHOLDS, POOLED_SCORES)


def calibrated_items(
    fit: CompetencyFit, seen_scores: Mapping[str, Iterable[int]]
) -> dict[str, ItemParameters]:
    """The fitted parameters of every SJT item of ``fit``, by item name.

    ``seen_scores`` gives per SJT item the raw scores in the fit's evidence (the engine re-codes
    them to ranks before fitting, and the fit keeps only the ranks). Items everybody answered the
    same way were dropped by the engine and are not returned.
    """
    state = fit.state
    if state.answers is None or state.items is None:
        return {}
    out: dict[str, ItemParameters] = {}
    for j, code in enumerate(state.answers.item_codes):
        name = fit.items[int(code)]
        k = int(state.answers.n_categories[j])
        scores = tuple(sorted({int(s) for s in seen_scores.get(name, ())}))
        if len(scores) != k:
            continue  # the caller's scores do not match the fit's: leave it to the pooled prior
        out[name] = ItemParameters(
            float(state.items.discrimination[j]),
            tuple(float(c) for c in state.items.thresholds[j, 1:k]),
            scores,
        )
    return out


@dataclass(frozen=True)
class Posterior:
    mean: float
    sd: float


def _log_category(
    items: Sequence[ItemParameters], categories: Sequence[int], eta: FloatArray
) -> FloatArray:
    """Sum over answers of ``log P(X_j = x_j | eta)`` for every value in ``eta``."""
    total = np.zeros_like(eta)
    for item, x in zip(items, categories, strict=True):
        padded = (-np.inf, *item.thresholds, np.inf)
        lo = item.discrimination * eta - padded[x]
        hi = item.discrimination * eta - padded[x + 1]
        # P = F(lo) - F(hi) = F(lo) * (1 - F(hi)) * (1 - exp(hi - lo)): no cancellation, and
        # exact at the infinite ends of the outer categories.
        with np.errstate(invalid="ignore"):
            gap = -np.expm1(np.where(np.isfinite(lo) & np.isfinite(hi), hi - lo, -np.inf))
        p = expit(lo) * expit(-hi) * gap
        total += np.log(np.maximum(p, MIN_PROBABILITY))
    return total


def update(
    mean: float,
    sd: float,
    answers: Sequence[tuple[ItemParameters, int]],
    specific_var: float = SPECIFIC_PRIOR,
) -> Posterior:
    """Posterior mean and SD of one person's level after graded-response ``answers``.

    ``mean`` and ``sd`` are the prior (the current estimate); ``answers`` pairs each item's
    parameters with the raw score given; ``specific_var`` is the variance of the SJT-specific
    component of the run that calibrated the items. No answers give the prior back unchanged.
    """
    if sd <= 0.0 or not np.isfinite(mean) or not np.isfinite(sd):
        raise ValueError("the prior needs a finite mean and a positive SD")
    if not answers:
        return Posterior(float(mean), float(sd))
    items = [item for item, _score in answers]
    categories = [item.category(score) for item, score in answers]
    z = np.linspace(-GRID_WIDTH, GRID_WIDTH, GRID_POINTS)
    theta = mean + sd * z
    nodes, weights = np.polynomial.hermite_e.hermegauss(SPECIFIC_NODES)
    log_weights = np.log(weights / weights.sum())
    d = np.sqrt(max(specific_var, 0.0)) * nodes
    eta = theta[:, None] + d[None, :]
    log_likelihood = logsumexp(
        _log_category(items, categories, eta.ravel()).reshape(eta.shape) + log_weights, axis=1
    )
    log_post = -0.5 * z**2 + log_likelihood
    weight = np.exp(log_post - log_post.max())
    weight /= weight.sum()
    post_mean = float(weight @ theta)
    post_var = float(weight @ (theta - post_mean) ** 2)
    return Posterior(post_mean, float(np.sqrt(post_var)))


def aged_sd(
    sd: float,
    months: float,
    rate: float = DECAY_VARIANCE_PER_MONTH,
    ceiling: float = PRIOR_VARIANCE,
) -> float:
    """The SD of a level whose last evidence is ``months`` old: ``sqrt(sd^2 + rate * months)``,
    at most ``sqrt(ceiling)`` (but never below ``sd`` itself)."""
    variance = sd**2 + rate * max(months, 0.0)
    return float(np.sqrt(max(min(variance, ceiling), sd**2)))


def months_between(days: float) -> float:
    """Days as months of average length (365.25 / 12 days)."""
    return days / DAYS_PER_MONTH


def level_by_anchors(
    values: FloatArray, anchors: Sequence[float], levels: Sequence[float], top: float
) -> FloatArray:
    """Level values through known ``(latent, level)`` points: piecewise linear, extended beyond
    the outer points with the slope of the nearest segment, kept within ``[0, top]``.

    For estimates stored before their run kept its level scale: the estimate and its interval
    ends are three points of the (monotone, piecewise-linear) map, which this reproduces
    exactly between them and approximates outside.
    """
    x = np.asarray(anchors, dtype=np.float64)
    y = np.asarray(levels, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    keep = np.concatenate(([True], np.diff(x) > 1e-12))
    x, y = x[keep], y[keep]
    values = np.asarray(values, dtype=np.float64)
    if len(x) == 1:
        return np.clip(np.full_like(values, y[0]), 0.0, top)
    out = np.interp(values, x, y)
    low_slope = (y[1] - y[0]) / (x[1] - x[0])
    high_slope = (y[-1] - y[-2]) / (x[-1] - x[-2])
    out = np.where(values < x[0], y[0] + low_slope * (values - x[0]), out)
    out = np.where(values > x[-1], y[-1] + high_slope * (values - x[-1]), out)
    return np.clip(out, 0.0, top)
