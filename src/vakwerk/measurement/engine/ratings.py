"""Ratings reduced to one number per rater-person pair.

A rating ``y`` (the score divided by ``categories - 1``, so on 0..1) by rater ``r`` of person
``p`` on item ``i`` is modelled as

    y = m_s + lambda_s * theta_p + b_i + l_r + h_rp + e,      e ~ N(0, sigma_s^2)

with ``s`` the rater's source. Everything except ``b_i`` and ``e`` is constant within the pair
``(r, p)``, so the pair is summarised without loss by its item-adjusted mean

    z_rp = mean over the pair's items of (y - b_i),   Var(z_rp | pair effect) = sigma_s^2 / n_rp.

The item difficulties ``b_i`` and the within-pair noise ``sigma_s^2`` are estimated here, once,
from the two-way (pair, item) additive fit; the rest of the model works on pairs only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, IntArray, group_count, group_sum
from .evidence import RATING_SOURCES, SELF, Evidence
from .ordinal import linearise

NOISE_PRIOR_WEIGHT = 4.0
"""Pseudo degrees of freedom pulling a source's noise variance towards the pooled one."""
MIN_VARIANCE = 1e-6


@dataclass(frozen=True)
class Pairs:
    """One row per rater-person pair (self-ratings: one pair per person)."""

    person: IntArray
    source: IntArray
    rater: IntArray  # rater code, NO_RATER for self
    mean: FloatArray  # item-adjusted mean rating z on the 0..1 scale
    count: IntArray  # number of ratings in the pair
    error_var: FloatArray  # Var(z | pair level): sigma_s^2 / count, or the ordinal summary's
    noise_var: FloatArray  # sigma_s^2 per rating source, shape (4,)
    item_codes: IntArray  # evidence item codes that were rated
    item_effect: FloatArray  # b_i for those items (mean zero over ratings)

    @property
    def size(self) -> int:
        return len(self.person)


def reduce_to_pairs(evidence: Evidence, ordinal: bool = True) -> Pairs:
    """Fit the additive (pair, item) model to all ratings and return the pair summaries;
    with ``ordinal`` the summaries of the ordinal model (``ordinal.py``) replace the means
    whenever every answer scale has enough used categories."""
    rows = np.flatnonzero(evidence.source < len(RATING_SOURCES))
    person = evidence.person[rows]
    source = evidence.source[rows]
    rater = np.where(source == SELF, -1, evidence.rater[rows])
    y = evidence.score[rows] / (evidence.categories[rows] - 1.0)
    item_codes, item = np.unique(evidence.item[rows], return_inverse=True)

    # One key per pair: person-major, then source, then rater (deterministic order).
    n_raters = len(evidence.raters) + 1
    key = (person * len(RATING_SOURCES) + source) * n_raters + (rater + 1)
    _, first, pair = np.unique(key, return_index=True, return_inverse=True)
    n_pairs, n_items = len(first), len(item_codes)

    pair_n = group_count(pair, n_pairs)
    item_n = group_count(item, n_items)
    effect, alpha = _additive_fit(y, pair, item, pair_n, item_n)
    residual = y - alpha[pair] - effect[item]

    # Within-pair noise per source, shrunk towards the pooled value when the source has few
    # degrees of freedom. Degrees of freedom: ratings minus pairs minus the source's share of
    # the item parameters.
    n_sources = len(RATING_SOURCES)
    pair_source = source[first]
    rss = group_sum(source, residual**2, n_sources)
    rows_s = group_count(source, n_sources).astype(np.float64)
    df = rows_s - group_count(pair_source, n_sources) - (n_items - 1) * rows_s / max(len(y), 1)
    df = np.maximum(df, 0.0)
    pooled = float(rss.sum() / df.sum()) if df.sum() >= 1.0 else 0.0
    noise_var = (rss + NOISE_PRIOR_WEIGHT * pooled) / (df + NOISE_PRIOR_WEIGHT)
    noise_var = np.maximum(noise_var, MIN_VARIANCE)
    error_var = noise_var[pair_source] / np.maximum(pair_n, 1)
    if ordinal:
        linear = linearise(
            pair,
            item,
            evidence.score[rows],
            evidence.categories[rows],
            pair_source,
            n_items,
            n_sources,
            (alpha, effect, pooled if pooled > 0.0 else float(noise_var.mean())),
        )
        if linear is not None:
            alpha, error_var, effect = linear.mean, linear.error_var, linear.item_effect
            noise_var = np.maximum(linear.noise_var, MIN_VARIANCE)

    return Pairs(
        person=person[first],
        source=pair_source,
        rater=rater[first],
        mean=alpha,
        count=pair_n,
        error_var=error_var,
        noise_var=noise_var,
        item_codes=item_codes.astype(np.int64),
        item_effect=effect,
    )


def _additive_fit(
    y: FloatArray, pair: IntArray, item: IntArray, pair_n: IntArray, item_n: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Least squares for ``y = alpha_pair + b_item`` by alternating group means.

    The item effects are centred (rating-weighted mean zero) so that ``alpha`` carries the
    level. Complete designs converge in one sweep; incomplete ones in a few dozen.
    """
    effect = np.zeros(len(item_n))
    alpha = group_sum(pair, y, len(pair_n)) / np.maximum(pair_n, 1)
    if len(y) == 0:
        return effect, alpha
    for _ in range(500):
        new = group_sum(item, y - alpha[pair], len(item_n)) / item_n
        new -= float(new @ item_n) / float(item_n.sum())
        alpha = group_sum(pair, y - new[item], len(pair_n)) / pair_n
        done = float(np.max(np.abs(new - effect))) < 1e-12
        effect = new
        if done:
            break
    return effect, alpha
