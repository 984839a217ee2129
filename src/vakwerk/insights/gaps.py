"""Levels against the role's desired band: the small vocabulary every insight view shares.

A role profile gives per competency a band ``[minimum, target]`` on the framework's level
scale and a weight. An estimated level (with its 90% interval) is

- ``below`` the band when it is under the minimum,
- ``within`` the band when it is at or above the minimum but under the target,
- ``at_target`` when it reaches the target.

The status is *uncertain* when the 90% interval reaches into another status than the
estimate itself: then the data cannot say on which side of a boundary the person is, and
the pages mark it instead of pretending to know.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

BELOW, WITHIN, AT_TARGET = "below", "within", "at_target"
STATUS_LABELS = {
    BELOW: _("below the minimum"),
    WITHIN: _("between minimum and target"),
    AT_TARGET: _("at or above target"),
}


@dataclass(frozen=True)
class Band:
    minimum: int
    target: int
    weight: Decimal = Decimal(1)


def status_of(level: float, band: Band) -> str:
    if level < band.minimum:
        return BELOW
    if level < band.target:
        return WITHIN
    return AT_TARGET


def gap_of(level: float, band: Band) -> float:
    """Distance to the band: negative under the minimum, 0 inside, positive at or above the
    target (how far above it)."""
    if level < band.minimum:
        return level - band.minimum
    if level < band.target:
        return 0.0
    return level - band.target


def shortfall(level: float, band: Band) -> float:
    """How far under the target, weighted by the role's weight (0 when at target)."""
    return max(0.0, band.target - level) * float(band.weight)


def is_uncertain(lower: float | None, upper: float | None, band: Band) -> bool:
    if lower is None or upper is None:
        return True
    return status_of(lower, band) != status_of(upper, band)


# Self-other agreement (measurement.models.AgreementClass) in the words of 360 practice.
AGREEMENT_WORDS = {
    "overestimates": (
        _("Blind spot"),
        _(
            "The self-assessment is higher than what others see. Asking for examples helps: "
            "what do others see?"
        ),
    ),
    "underestimates": (
        _("Hidden strength"),
        _("Others see more of this than the self-assessment does: it can be used with confidence."),
    ),
    "agrees_high": (
        _("Recognised strength"),
        _("Self and others agree that this is at a good level."),
    ),
    "agrees_low": (
        _("Recognised development point"),
        _("Self and others agree that there is room to grow here."),
    ),
}
