"""Array type aliases and small grouped-sum helpers shared by the engine modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def group_sum(index: IntArray, values: FloatArray, size: int) -> FloatArray:
    """Sum ``values`` per group: ``out[g] = sum(values[index == g])`` for ``g < size``."""
    return np.bincount(index, weights=values, minlength=size).astype(np.float64, copy=False)


def by_pair(pair_effect: IntArray, values: FloatArray) -> FloatArray:
    """Per pair the value of its rater effect, 0 for pairs without one (``pair_effect < 0``)."""
    out = np.zeros(len(pair_effect))
    has = pair_effect >= 0
    out[has] = values[pair_effect[has]]
    return out


def group_count(index: IntArray, size: int) -> IntArray:
    """Number of entries per group, ``out[g] = sum(index == g)`` for ``g < size``."""
    return np.bincount(index, minlength=size).astype(np.int64, copy=False)
