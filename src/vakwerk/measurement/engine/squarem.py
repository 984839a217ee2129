"""SQUAREM: squared extrapolation to accelerate a slowly converging EM (Varadhan & Roland 2008).

Plain EM moves slowly along directions the data hardly inform. Here that is the balance
between the SJT and the ratings: a larger SJT-specific variance with smaller discriminations
and larger rating loadings fits almost as well, and the EM creeps along that ridge by a
nearly constant step for hundreds of iterations. SQUAREM takes two EM steps ``x1 = F(x0)``,
``x2 = F(x1)`` and jumps to

    x' = x0 - 2 alpha r + alpha^2 v,     r = x1 - x0,  v = x2 - 2 x1 + x0,  alpha = -|r| / |v|,

which is exact for a linear EM map and never shorter than the plain double step
(``alpha = -1`` gives ``x2``). The step length is capped; the cap grows fourfold whenever it
binds and shrinks when a jump leaves the valid parameter space (then ``x2`` is used). The
fixed points are those of the EM; only the path changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._arrays import FloatArray

STEP_FACTOR = 4.0


@dataclass(frozen=True)
class Outcome:
    """Where the iteration stopped: the last EM output, EM steps taken, whether it converged."""

    x: FloatArray
    steps: int
    converged: bool


def squarem(
    em_step: Callable[[FloatArray], tuple[FloatArray, bool]],
    x0: FloatArray,
    valid: Callable[[FloatArray], bool],
    max_steps: int,
) -> Outcome:
    """Iterate ``em_step`` (which returns the next point and whether it has converged) with
    squared extrapolation; ``valid`` rejects jumps outside the parameter space."""
    step_max, steps = 1.0, 0
    x = x0
    while steps < max_steps:
        x1, done = em_step(x)
        steps += 1
        if done or steps >= max_steps:
            return Outcome(x1, steps, done)
        x2, done = em_step(x1)
        steps += 1
        if done:
            return Outcome(x2, steps, True)
        r = x1 - x
        v = x2 - x1 - r
        norm_v = float(np.linalg.norm(v))
        alpha = -float(np.linalg.norm(r)) / norm_v if norm_v > 0.0 else -1.0
        alpha = min(max(alpha, -step_max), -1.0)
        jump = x - 2.0 * alpha * r + alpha**2 * v
        if alpha < -1.0 and not valid(jump):
            x, step_max = x2, max(1.0, step_max / STEP_FACTOR)
            continue
        x = jump
        if alpha == -step_max:
            step_max *= STEP_FACTOR
    return Outcome(x, steps, False)
