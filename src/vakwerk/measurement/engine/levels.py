"""Expressing the latent estimate on the framework's level scale (e.g. levels 1-4).

Rule: a person is *at level L* when an average-leniency rater (rater effect 0, halo and noise
averaging out) would rate the behavioural indicators of level L "often" or more, on average.
For the reference source with intercept ``m`` and loading ``lambda``, and ``b_L`` the mean
item effect of level L's indicators, the expected rating of a person at ``theta`` is
``m + lambda * theta + b_L``, so level L is reached from

    theta*_L = (often - m - b_L) / lambda.

The thresholds are made non-decreasing (a higher level can never be reached earlier), levels
without rated indicators are interpolated between their neighbours (extrapolated at the ends),
and the level value is the piecewise-linear map through ``(theta*_L, L)``: the integer part
is the highest level reached, the fraction is how far the person is on the way to the next
one. Below level 1 the scale continues down to 0 over one mean level spacing; above the top
level it stays at the top. Because the map is monotone, the interval on the level scale is the
image of the latent interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray
from .evidence import RATING_SOURCES, SELF
from .model import CompetencyFit

OFTEN_ON_FIVE_POINT_SCALE = 0.75
"""'Often' on never/rarely/sometimes/often/always (0..4) as a fraction of the scale: 3/4."""


@dataclass(frozen=True)
class LevelScale:
    """Latent thresholds ``theta*_1 <= ... <= theta*_L`` of the framework's levels."""

    thresholds: FloatArray

    @property
    def top(self) -> int:
        return len(self.thresholds)

    def express(self, theta: FloatArray) -> FloatArray:
        """Level value in ``[0, top]`` for latent values on the standardised scale."""
        t = self.thresholds
        spacing = float(np.mean(np.diff(t))) if len(t) > 1 else 1.0
        spacing = spacing if spacing > 1e-9 else 1.0
        knots = np.concatenate(([t[0] - spacing], t))
        knots = knots + 1e-12 * np.arange(len(knots))  # strictly increasing for interp
        return np.interp(theta, knots, np.arange(len(knots), dtype=np.float64))

    def express_fit(
        self, fit: CompetencyFit, probability: float = 0.9
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Level value and interval for every person of ``fit``."""
        lower, upper = fit.interval(probability)
        return self.express(fit.estimate), self.express(lower), self.express(upper)


def level_scale(
    fit: CompetencyFit,
    item_levels: Mapping[str, int],
    often: float = OFTEN_ON_FIVE_POINT_SCALE,
    reference: str | None = None,
) -> LevelScale:
    """Thresholds from the rating items' levels (``item name -> level 1..L``).

    ``often`` is the rating that counts as "often", as a fraction of the scale (score divided
    by ``categories - 1``). ``reference`` is the rater source whose average-leniency rater
    defines the scale; by default the pair-weighted average of the non-self sources.
    """
    st = fit.state
    pairs = st.pairs
    if reference is None:
        weights = np.bincount(pairs.source, minlength=len(RATING_SOURCES)).astype(float)
        weights[SELF] = 0.0
        if weights.sum() == 0.0:
            raise ValueError("no ratings from other raters to define the level scale")
        weights /= weights.sum()
        intercept, loading = float(weights @ st.intercept), float(weights @ st.loading)
    else:
        source = RATING_SOURCES.index(reference)
        intercept, loading = float(st.intercept[source]), float(st.loading[source])
    if loading <= 0.0:
        raise ValueError("the ratings carry no information about the level")
    top = max(item_levels.values(), default=0)
    if top < 1:
        raise ValueError("item_levels must map items to levels 1 and up")
    effect_of = {
        fit.items[code]: float(effect)
        for code, effect in zip(pairs.item_codes, pairs.item_effect, strict=True)
    }
    known = np.full(top, np.nan)
    for level in range(1, top + 1):
        effects = [effect_of[i] for i, lv in item_levels.items() if lv == level and i in effect_of]
        if effects:
            known[level - 1] = (often - intercept - float(np.mean(effects))) / loading
    if np.all(np.isnan(known)):
        raise ValueError("none of the mapped items was rated")
    return LevelScale(_fill_and_sort(known))


def _fill_and_sort(known: FloatArray) -> FloatArray:
    """Interpolate missing levels linearly in the level index, then make non-decreasing."""
    index = np.arange(len(known), dtype=np.float64)
    have = ~np.isnan(known)
    filled = np.interp(index, index[have], known[have])
    if np.count_nonzero(have) >= 2:
        slope = float(np.polyfit(index[have], known[have], 1)[0])
    else:
        slope = 1.0
    first, last = index[have][0], index[have][-1]
    below, above = index < first, index > last
    filled[below] = known[have][0] - slope * (first - index[below])
    filled[above] = known[have][-1] + slope * (index[above] - last)
    return np.maximum.accumulate(filled)
