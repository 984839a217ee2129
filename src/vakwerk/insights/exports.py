"""The team and organisation tables as CSV and XLSX.

They are built from the very objects the pages show (``TeamOverview`` rows the viewer may see,
``OrganisationOverview`` units that passed the anonymity threshold), so an export can never
hold more than its page.
"""

from collections.abc import Iterator

from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from vakwerk.insights.gaps import STATUS_LABELS
from vakwerk.insights.selectors import OrganisationOverview, TeamOverview, TeamRow
from vakwerk.lib.spreadsheets import Cell, csv_response, xlsx_response

CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)


def _level(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _respond(fmt: str, name: str, header: list[str], rows: Iterator[list[Cell]]) -> HttpResponse:
    filename = slugify(name) or "vakwerk"
    if fmt == XLSX:
        return xlsx_response(filename, name, header, rows)
    return csv_response(filename, header, rows)


def team_table(overview: TeamOverview, rows: list[TeamRow], *, fmt: str) -> HttpResponse:
    assert overview.round is not None
    header = [
        _("Person"),
        _("Employee number"),
        _("Competency"),
        _("Level"),
        _("Lower bound (90%)"),
        _("Upper bound (90%)"),
        _("Minimum"),
        _("Target"),
        _("Status"),
        _("Uncertain"),
        _("Outdated"),
    ]

    def lines() -> Iterator[list[Cell]]:
        for row in rows:
            for competency in overview.competencies:
                result = row.results[competency.code]
                yield [
                    row.employee.full_name,
                    row.employee.employee_number,
                    competency.label,
                    _level(result.level),
                    _level(result.lower),
                    _level(result.upper),
                    result.band.minimum if result.band else None,
                    result.band.target if result.band else None,
                    str(STATUS_LABELS[result.status]) if result.status else "",
                    (_("yes") if result.uncertain else _("no")) if result.status else "",
                    (_("yes") if result.outdated else _("no")) if result.level is not None else "",
                ]

    return _respond(fmt, f"{_('team')} {overview.round.name}", header, lines())


def organisation_table(overview: OrganisationOverview, *, fmt: str) -> HttpResponse:
    assert overview.round is not None
    assert overview.total is not None
    header = [
        _("Unit"),
        _("Competency"),
        _("People measured"),
        _("Below the minimum"),
        _("Between minimum and target"),
        _("At or above target"),
        _("Share at or above target (%)"),
    ]
    everyone = _("Whole organisation")
    if overview.department is not None:
        everyone = overview.department.name

    def lines() -> Iterator[list[Cell]]:
        units = [(everyone, overview.total)] + [
            (unit.name or _("(none)"), unit) for unit in overview.units
        ]
        for name, unit in units:
            if unit is None or unit.suppressed:
                continue
            for competency in overview.competencies:
                d = unit.distributions.get(competency.code)
                if d is None:
                    continue
                share = d.share_at_target
                yield [
                    name,
                    competency.label,
                    d.people,
                    d.below,
                    d.within,
                    d.at_target,
                    None if share is None else round(100 * share, 1),
                ]

    return _respond(fmt, f"{_('organisation')} {overview.round.name}", header, lines())
