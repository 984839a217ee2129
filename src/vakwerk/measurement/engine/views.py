"""Source views and self-other agreement, computed from a fitted competency.

A *source view* is what one rater group alone says about a person: the posterior of the level
given only that group's ratings (prior N(0, 1), each rater's leniency taken from the full fit
with its uncertainty). Groups below the anonymity threshold are merged into ``others`` when
the merged group reaches it, and left out otherwise. The SJT view uses the SJT answers alone.

*Self-other agreement* follows 360 practice (Atwater & Yammarino; Fleenor et al.) on the rating
scale: the self-rating minus what the other raters say, with the others corrected for their
own leniency (the model's contribution) but the self-rating taken as given, since its
leniency is exactly what the class is about. A difference beyond half the SD of all persons'
differences means over- or under-estimation; otherwise the person agrees with the others,
"high" when the pooled level estimate is at or above the population mean, "low" below it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from . import grm
from ._arrays import FloatArray, IntArray, by_pair, group_count, group_sum
from .evidence import RATING_SOURCES, SELF
from .model import CompetencyFit

DEFAULT_THRESHOLD = 3
DEFAULT_EXEMPT: frozenset[str] = frozenset({"self"})
OVERESTIMATES, UNDERESTIMATES = "overestimates", "underestimates"
AGREES_HIGH, AGREES_LOW = "agrees_high", "agrees_low"


@dataclass(frozen=True)
class SourceView:
    """One group's view of one person. ``estimate``/``sd`` on the standardised latent scale;
    ``mean_rating`` the group's leniency-corrected mean rating on the 0..1 scale."""

    group: str
    estimate: float
    sd: float
    mean_rating: float
    n_raters: int
    n_scores: int


@dataclass(frozen=True)
class Agreement:
    """Self-other agreement of one person; ``category`` is None when it cannot be reported."""

    category: str | None
    difference: float  # self minus others, fraction of the rating scale
    se: float
    margin: float


@dataclass(frozen=True)
class _Contributions:
    person: IntArray
    source: IntArray
    precision: FloatArray  # lambda^2 / V per pair
    score: FloatArray  # lambda * u / V per pair
    rating: FloatArray  # leniency-corrected pair mean
    rating_weight: FloatArray  # 1 / V
    count: IntArray


def _contributions(fit: CompetencyFit) -> _Contributions:
    st = fit.state
    pairs = st.pairs
    lenience = by_pair(st.pair_effect, st.effect_mean)
    variance = 1.0 / st.weight + by_pair(st.pair_effect, st.effect_var)
    loading = st.loading[pairs.source]
    residual = pairs.mean - st.intercept[pairs.source] - lenience
    return _Contributions(
        person=pairs.person,
        source=pairs.source,
        precision=loading**2 / variance,
        score=loading * residual / variance,
        rating=pairs.mean - lenience,
        rating_weight=1.0 / variance,
        count=pairs.count,
    )


def source_views(
    fit: CompetencyFit,
    threshold: int = DEFAULT_THRESHOLD,
    exempt: Collection[str] = DEFAULT_EXEMPT,
) -> list[dict[str, SourceView]]:
    """Per person (in ``fit.persons`` order): the reportable group views by group name."""
    n = len(fit.persons)
    c = _contributions(fit)
    views: list[dict[str, SourceView]] = [{} for _ in range(n)]
    n_groups = len(RATING_SOURCES)
    raters = group_count(c.person * n_groups + c.source, n * n_groups).reshape(n, n_groups)
    reportable = raters >= threshold
    for s, name in enumerate(RATING_SOURCES):
        if name in exempt:
            reportable[:, s] = raters[:, s] > 0
    # Left-over non-self raters pooled as "others" when that pool reaches the threshold.
    leftover = (~reportable) & (raters > 0)
    leftover[:, SELF] = False
    pooled_ok = (raters * leftover).sum(axis=1) >= threshold
    group = np.where(reportable[c.person, c.source], c.source, -1)
    group = np.where(
        (group < 0) & leftover[c.person, c.source] & pooled_ok[c.person], n_groups, group
    )
    names = (*RATING_SOURCES, "others")
    keep = group >= 0
    key = c.person[keep] * (n_groups + 1) + group[keep]
    size = n * (n_groups + 1)
    precision = group_sum(key, c.precision[keep], size)
    score = group_sum(key, c.score[keep], size)
    weight = group_sum(key, c.rating_weight[keep], size)
    rating = group_sum(key, (c.rating * c.rating_weight)[keep], size)
    scores = group_sum(key, c.count[keep].astype(np.float64), size)
    count = group_count(key, size)
    for k in np.flatnonzero(count):
        person, g = divmod(int(k), n_groups + 1)
        views[person][names[g]] = SourceView(
            group=names[g],
            estimate=float(score[k] / (1.0 + precision[k])),
            sd=float(1.0 / np.sqrt(1.0 + precision[k])),
            mean_rating=float(rating[k] / weight[k]),
            n_raters=int(count[k]),
            n_scores=int(scores[k]),
        )
    _add_sjt_views(fit, views)
    return views


def _add_sjt_views(fit: CompetencyFit, views: list[dict[str, SourceView]]) -> None:
    """SJT-only posterior: Newton for ``eta = theta + d`` with prior N(0, 1 + tau_d^2), then
    ``theta | eta`` is normal with mean ``eta / (1 + tau_d^2)``."""
    st = fit.state
    if st.answers is None or st.items is None:
        return
    n = len(fit.persons)
    prior_var = 1.0 + st.specific_var
    eta = np.zeros(n)
    info = np.zeros(n)
    for _ in range(50):
        _, first, second = grm.person_derivatives(st.answers, st.items, eta)
        info = -second + 1.0 / prior_var
        step = (first - eta / prior_var) / info
        eta += step
        if float(np.max(np.abs(step), initial=0.0)) < 1e-10:
            break
    shrink = 1.0 / prior_var
    variance = shrink**2 / info + st.specific_var * shrink
    answered = np.bincount(st.answers.person, minlength=n)
    for p in np.flatnonzero(answered):
        views[p]["sjt"] = SourceView(
            group="sjt",
            estimate=float(eta[p] * shrink),
            sd=float(np.sqrt(variance[p])),
            mean_rating=float("nan"),
            n_raters=0,
            n_scores=int(answered[p]),
        )


def agreement(
    fit: CompetencyFit,
    threshold: int = DEFAULT_THRESHOLD,
    exempt: Collection[str] = DEFAULT_EXEMPT,
) -> list[Agreement]:
    """Self-other agreement class per person (``fit.persons`` order)."""
    n = len(fit.persons)
    st = fit.state
    c = _contributions(fit)
    is_self = c.source == SELF
    others = ~is_self
    # Self: item-adjusted mean of the self-ratings; its noise is item noise only.
    self_n = group_sum(c.person[is_self], c.count[is_self].astype(np.float64), n)
    self_sum = group_sum(c.person[is_self], (c.rating * c.count)[is_self], n)
    self_rating = self_sum / np.maximum(self_n, 1.0)
    # (one self pair per person: its summary's error variance)
    self_var = np.ones(n)
    self_var[st.pairs.person[st.pairs.source == SELF]] = st.pairs.error_var[st.pairs.source == SELF]
    # Others: precision-weighted, each rater brought to the average non-self source intercept.
    pair_counts = np.bincount(c.source[others], minlength=len(RATING_SOURCES)).astype(float)
    pair_counts[SELF] = 0.0
    reference = float(pair_counts @ st.intercept / max(pair_counts.sum(), 1.0))
    shifted = c.rating - st.intercept[c.source] + reference
    weight = group_sum(c.person[others], c.rating_weight[others], n)
    others_rating = group_sum(c.person[others], (shifted * c.rating_weight)[others], n) / (
        np.maximum(weight, 1e-300)
    )
    n_others = group_count(c.person[others], n)
    all_exempt = np.ones(n, dtype=bool)
    for s, name in enumerate(RATING_SOURCES):
        if s != SELF and name not in exempt:
            has = group_count(c.person[c.source == s], n) > 0
            all_exempt &= ~has
    usable = (self_n > 0) & (n_others > 0) & ((n_others >= threshold) | all_exempt)
    difference = self_rating - others_rating
    se = np.sqrt(self_var + 1.0 / np.maximum(weight, 1e-300))
    margin = 0.5 * float(np.std(difference[usable])) if np.count_nonzero(usable) > 1 else 0.0
    result = []
    for p in range(n):
        if not usable[p]:
            result.append(Agreement(None, float("nan"), float("nan"), margin))
            continue
        d = float(difference[p])
        if d > margin:
            category = OVERESTIMATES
        elif d < -margin:
            category = UNDERESTIMATES
        else:
            category = AGREES_HIGH if fit.estimate[p] >= 0.0 else AGREES_LOW
        result.append(Agreement(category, d, float(se[p]), margin))
    return result
