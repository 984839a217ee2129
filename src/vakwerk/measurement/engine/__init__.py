"""The measurement engine: competency levels with honest uncertainty (numpy and scipy only).

Typical use::

    evidence = Evidence.from_records(rows, persons=everyone)
    fit = fit_competency(evidence)
    lower, upper = fit.interval(0.9)
    views = source_views(fit, threshold=3)
    classes = agreement(fit)
    levels = level_scale(fit, {"item-a": 1, "item-b": 2}).express_fit(fit)

The maths is explained in ``docs/measurement.md``.
"""

from .evidence import RATING_SOURCES, SOURCES, Evidence, EvidenceBuilder
from .levels import OFTEN_ON_FIVE_POINT_SCALE, LevelScale, level_scale
from .model import CompetencyFit, Settings, SourceParameters, fit_all, fit_competency
from .practice import PracticeUpdate, practice_update
from .views import (
    AGREES_HIGH,
    AGREES_LOW,
    OVERESTIMATES,
    UNDERESTIMATES,
    Agreement,
    SourceView,
    agreement,
    source_views,
)

ENGINE_VERSION = "1.2.0"

__all__ = [
    "AGREES_HIGH",
    "AGREES_LOW",
    "ENGINE_VERSION",
    "OFTEN_ON_FIVE_POINT_SCALE",
    "OVERESTIMATES",
    "RATING_SOURCES",
    "SOURCES",
    "UNDERESTIMATES",
    "Agreement",
    "CompetencyFit",
    "Evidence",
    "EvidenceBuilder",
    "LevelScale",
    "PracticeUpdate",
    "Settings",
    "SourceParameters",
    "SourceView",
    "agreement",
    "fit_all",
    "fit_competency",
    "level_scale",
    "practice_update",
    "source_views",
]
