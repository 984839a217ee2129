"""Practice results as weak evidence: a small normal update of the fitted levels.

Practice is not measurement. People choose when and what they practise, they get feedback as
they go, and they meet the same scenario families again, so a good practice score says as much
about having practised as about how someone acts at work. An organisation may still let practice
count (``Organisation.practice_as_evidence``); then it counts with a low, capped weight, so it can
nudge a level but never carry it. docs/measurement.md section 10 gives the reasoning.

For one competency:

1. Each practitioner's practice score is the mean of their practice results (each 0..1: the
   share of the best available effect chosen in a scenario, 1 or 0 for a judgement exercise or a
   check question), taken to the logit scale (clipped to 0.02..0.98) and placed on the fit's
   standardised scale by matching the mean and SD of the fitted levels of the same
   practitioners. With fewer than ``MIN_PRACTITIONERS`` practitioners (or no spread in their
   scores) there is no such link and practice counts for nothing.
2. That score is one normal observation of the level with precision ``PER_RESULT`` per practice
   result, at most ``CAP``: a posterior ``N(m, s^2)`` becomes
   ``N((m/s^2 + t*z) / (1/s^2 + t), 1 / (1/s^2 + t))`` with ``t = min(n * PER_RESULT, CAP)``.
   A cap of 0.25 is the information of one observation with an error SD of 2 population SDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray, IntArray

PER_RESULT = 0.05
"""Precision (1 / variance, on the standardised scale) one practice result adds."""
CAP = 0.25
"""The most precision all practice results of one person on one competency add together."""
MIN_PRACTITIONERS = 10
"""Fewer people with practice on a competency than this: practice is not used for it."""
CLIP = 0.02


@dataclass(frozen=True)
class PracticeUpdate:
    estimate: FloatArray
    sd: FloatArray
    used: IntArray  # practice results that counted, per person (0 where none did)


def practice_update(
    estimate: FloatArray,
    sd: FloatArray,
    mean_score: Sequence[float | None],
    count: Sequence[int],
) -> PracticeUpdate:
    """Fold practice into fitted levels (``estimate``, ``sd``, one entry per person).

    ``mean_score[p]`` is person p's mean practice result (0..1) or None without practice,
    ``count[p]`` the number of results behind it.
    """
    estimate = np.asarray(estimate, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    n = np.asarray(count, dtype=np.int64)
    has = np.array([score is not None for score in mean_score]) & (n > 0)
    unchanged = PracticeUpdate(estimate.copy(), sd.copy(), np.zeros(len(estimate), np.int64))
    if has.sum() < MIN_PRACTITIONERS:
        return unchanged
    scores = np.array([score if score is not None else 0.5 for score in mean_score])
    clipped = np.clip(scores[has], CLIP, 1 - CLIP)
    logit = np.log(clipped / (1 - clipped))
    spread = float(logit.std())
    level_spread = float(estimate[has].std())
    if spread <= 1e-9 or level_spread <= 1e-9:
        return unchanged
    z = np.zeros(len(estimate))
    z[has] = estimate[has].mean() + level_spread * (logit - logit.mean()) / spread
    added = np.where(has, np.minimum(n * PER_RESULT, CAP), 0.0)
    precision = 1.0 / sd**2 + added
    updated = (estimate / sd**2 + added * z) / precision
    # People without practice keep their numbers bit for bit.
    return PracticeUpdate(
        np.where(has, updated, estimate),
        np.where(has, 1.0 / np.sqrt(precision), sd),
        np.where(has, n, 0),
    )
