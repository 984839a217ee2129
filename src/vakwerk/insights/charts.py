"""The insight pages' pictures: selector results turned into ``lib.charts`` SVG.

Each chart comes with a title and a description (its text alternative); the pages also show
the same numbers as a table, so nothing is only in a picture.
"""

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from vakwerk.insights.selectors import (
    CompetencyResult,
    OrganisationOverview,
    PersonalReport,
    TeamOverview,
    TeamRow,
)
from vakwerk.lib import charts
from vakwerk.lib.numbers import one_decimal

NO_VALUE = "\u2013"  # an en dash: "no value" in tables and cells


def level_text(value: float | None) -> str:
    """A level as the tables write it (``floatformat:1``: rounded, not cut off)."""
    return NO_VALUE if value is None else one_decimal(value)


def _interval_row(result: CompetencyResult, *, previous: float | None = None) -> charts.IntervalRow:
    band = (float(result.band.minimum), float(result.band.target)) if result.band else None
    return charts.IntervalRow(
        label=result.competency.label,
        value=result.level,
        lower=result.lower,
        upper=result.upper,
        band=band,
        marker=result.self_level,
        previous=previous,
        uncertain=result.uncertain,
    )


def report_charts(report: PersonalReport) -> dict[str, SafeString]:
    previous_round = report.rounds[-2] if len(report.rounds) > 1 else None
    rows = []
    for result in report.results:
        previous = None
        if previous_round is not None:
            point = next((p for p in result.trend if p.round.pk == previous_round.pk), None)
            previous = point.level if point else None
        rows.append(_interval_row(result, previous=previous))
    name = report.employee.full_name
    found = {
        "levels": charts.dot_interval_chart(
            rows,
            scale_max=report.scale_top,
            title=_("Levels of %(name)s against the desired band") % {"name": name},
            description=_(
                "Per competency: the estimated level (dot) with its likely range (line, 90%), the "
                "desired band of the role (shaded area) and the self-assessment (open diamond). "
                "The table below gives the same numbers."
            ),
        ),
        "radar": charts.radar_chart(
            [
                charts.RadarRow(
                    label=r.competency.label,
                    value=r.level,
                    target=float(r.band.target) if r.band else None,
                )
                for r in report.results
            ],
            scale_max=report.scale_top,
            title=_("Profile of %(name)s (extra view)") % {"name": name},
            description=_(
                "Estimated levels and targets on one circle. A radar picture exaggerates "
                "differences; the chart above is the one to read."
            ),
        ),
    }
    # The trend picture follows the priorities and strengths only (more lines are unreadable);
    # the table under it has every competency.
    followed = report.priorities + report.strengths
    if len(report.rounds) > 1 and followed:
        found["trend"] = charts.trend_chart(
            [
                charts.TrendSeries(
                    label=r.competency.label,
                    points=[
                        charts.TrendPoint(p.level, p.lower, p.upper)
                        if p.level is not None
                        else None
                        for p in r.trend
                    ],
                )
                for r in followed
            ],
            x_labels=[round_.name for round_ in report.rounds],
            scale_min=0,
            scale_max=report.scale_top,
            title=_("Levels of %(name)s over the rounds") % {"name": name},
            description=_(
                "For the development priorities and strengths, the estimated level in each "
                "round with its likely range (90%). The table below gives every competency."
            ),
        )
    return found


def _cell(result: CompetencyResult) -> charts.HeatCell:
    if result.level is None:
        return charts.HeatCell(gap=None, text=NO_VALUE, uncertain=False)
    if result.band is None:
        return charts.HeatCell(gap=None, text=level_text(result.level), uncertain=False)
    return charts.HeatCell(
        gap=result.gap, text=level_text(result.level), uncertain=result.uncertain
    )


def team_charts(overview: TeamOverview, rows: list[TeamRow]) -> dict[str, SafeString]:
    found: dict[str, SafeString] = {}
    if rows:
        found["heatmap"] = charts.heatmap(
            row_labels=[row.employee.full_name for row in rows],
            column_labels=[c.label for c in overview.competencies],
            cells=[[_cell(row.results[c.code]) for c in overview.competencies] for row in rows],
            title=_("Team levels against the desired band"),
            description=_(
                "One row per person, one column per competency. Each cell gives the estimated "
                "level; its colour shows the distance to the person's desired band (warm below "
                "the minimum, neutral within the band, cool at or above target); a question "
                "mark means the interval crosses a band boundary. The table gives the same numbers."
            ),
        )
    if overview.distributions:
        found["distribution"] = charts.stacked_share_chart(
            [
                charts.ShareRow(
                    label=c.label,
                    below=d.below,
                    within=d.within,
                    above=d.at_target,
                )
                for c in overview.competencies
                if (d := overview.distributions.get(c.code)) is not None
            ],
            title=_("The team against the desired bands"),
            description=_(
                "Per competency the share of the team below the minimum, within the band and at "
                "or above target."
            ),
        )
    return found


def organisation_charts(overview: OrganisationOverview) -> dict[str, SafeString]:
    found: dict[str, SafeString] = {}
    total = overview.total
    if total is not None and total.distributions:
        found["distribution"] = charts.stacked_share_chart(
            [
                charts.ShareRow(label=c.label, below=d.below, within=d.within, above=d.at_target)
                for c in overview.competencies
                if (d := total.distributions.get(c.code)) is not None
            ],
            title=_("Everyone measured against the desired bands"),
            description=_(
                "Per competency the share of people below the minimum, within the band and at or "
                "above target. The table gives the same numbers."
            ),
        )
    if len(overview.trend_rounds) > 1:
        found["trend"] = charts.trend_chart(
            [
                charts.TrendSeries(
                    label=c.label,
                    points=[
                        charts.TrendPoint(100 * share, None, None) if share is not None else None
                        for share in overview.trend.get(c.code, [])
                    ],
                )
                for c in overview.competencies
            ],
            x_labels=[r.name for r in overview.trend_rounds],
            scale_min=0,
            scale_max=100,
            title=_("Share at or above target over the rounds (%)"),
            description=_(
                "Per competency the percentage of people at or above their target in each "
                "round. The trend table gives the same numbers."
            ),
        )
    return found
