"""What later pulse updates need from an estimate run, kept on it (``EstimateRun.calibration``).

Per competency: each SJT item's fitted graded-response parameters, the variance of the
SJT-specific component and the level scale's latent thresholds, all on the run's standardised
scale. ``calibration_record`` is called once per competency while a run computes (from
``services._compute``); ``Calibration.of`` reads it back. Runs computed before this existed
have no calibration: every item then gets the engine's pooled prior and levels are expressed
through the estimate's own interval (``engine.update.level_by_anchors``).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from vakwerk.assessments.models import FREQUENCY_CATEGORIES, Frequency
from vakwerk.measurement.engine import CompetencyFit, LevelScale, level_scale
from vakwerk.measurement.engine.model import SPECIFIC_PRIOR
from vakwerk.measurement.engine.update import (
    ItemParameters,
    calibrated_items,
    level_by_anchors,
    pooled_item,
)
from vakwerk.measurement.models import EstimateRun

# As in ``services``: "often" on the frequency scale, the level rule's anchor.
OFTEN = Frequency.OFTEN / (FREQUENCY_CATEGORIES - 1)
SJT = "sjt"

Record = tuple[str, str, str, str, int, int]  # person, source, rater, item, score, categories


def calibration_record(
    *,
    run: EstimateRun,
    code: str,
    fit: CompetencyFit,
    records: Sequence[Record],
    item_levels: Mapping[str, int],
) -> None:
    """Keep what a pulse needs from this competency's fit on the run (written at once, like the
    run's progress: only estimates of a run that finished ever point at it)."""
    seen: dict[str, set[int]] = {}
    for _person, source, _rater, item, score, _categories in records:
        if source == SJT:
            seen.setdefault(item, set()).add(int(score))
    thresholds: list[float] | None = None
    if item_levels:
        try:
            thresholds = [float(t) for t in level_scale(fit, item_levels, often=OFTEN).thresholds]
        except ValueError:
            thresholds = None  # the round cannot anchor the level scale (as in ``services``)
    run.calibration[code] = {
        "items": {
            name: item.as_dict() for name, item in sorted(calibrated_items(fit, seen).items())
        },
        "specific_var": float(fit.state.specific_var),
        "level_thresholds": thresholds,
    }
    EstimateRun.objects.filter(pk=run.pk).update(calibration=run.calibration)


class Interval(Protocol):
    """A stored level with its interval (an ``Estimate`` or a ``PulseUpdate``)."""

    estimate: float
    lower90: float
    upper90: float
    level: float | None
    level_lower: float | None
    level_upper: float | None


@dataclass(frozen=True)
class Calibration:
    """One competency's calibration from one run (empty for runs without one)."""

    items: dict[str, ItemParameters] = field(default_factory=dict)
    specific_var: float = SPECIFIC_PRIOR
    level_thresholds: tuple[float, ...] | None = None

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None, code: str) -> "Calibration":
        entry = (stored or {}).get(code)
        if not entry:
            return cls()
        thresholds = entry.get("level_thresholds")
        return cls(
            items={
                name: ItemParameters.from_dict(data)
                for name, data in (entry.get("items") or {}).items()
            },
            specific_var=float(entry.get("specific_var", SPECIFIC_PRIOR)),
            level_thresholds=tuple(float(t) for t in thresholds) if thresholds else None,
        )

    def item(self, code: str) -> ItemParameters:
        """The item's fitted parameters, or the pooled prior for an uncalibrated item."""
        found = self.items.get(code)
        return found if found is not None else pooled_item(self.items.values())

    @cached_property
    def scale(self) -> LevelScale:
        """The run's level scale (only when it kept one: ``level_thresholds``)."""
        assert self.level_thresholds is not None
        return LevelScale(np.array(self.level_thresholds, dtype=np.float64))

    @staticmethod
    def has_level(anchor: Interval) -> bool:
        """Whether ``anchor`` has a level with an interval (else ``levels`` gives None)."""
        return None not in (anchor.level, anchor.level_lower, anchor.level_upper)

    def levels(
        self, values: Iterable[float], anchor: Interval, top: int | None
    ) -> list[float] | None:
        """Latent values on the level scale: through the run's level scale when kept, else
        through ``anchor``'s own estimate and interval; ``None`` when it has no level."""
        if anchor.level is None or anchor.level_lower is None or anchor.level_upper is None:
            return None
        points = np.array(list(values), dtype=np.float64)
        if self.level_thresholds:
            return [float(v) for v in self.scale.express(points)]
        return [
            float(v)
            for v in level_by_anchors(
                points,
                (anchor.lower90, anchor.estimate, anchor.upper90),
                (anchor.level_lower, anchor.level, anchor.level_upper),
                float(top if top is not None else max(anchor.level_upper, 1.0)),
            )
        ]
