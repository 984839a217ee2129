"""The team table's cells (``{% team_cells %}``): level, place against the band in symbols
and in words, uncertainty, outdated results and missing ones."""

import dataclasses
import datetime as dt
from typing import Any

from django.template import Context, Template
from django.utils import translation

from vakwerk.frameworks.models import Competency
from vakwerk.insights.gaps import Band
from vakwerk.insights.selectors import CompetencyResult, TeamRow
from vakwerk.measurement.models import Estimate
from vakwerk.measurement.selectors import CurrentLevel
from vakwerk.people.models import Employee

BAND = Band(minimum=2, target=3)


def _result(code: str, level: float | None, spread: float = 0.2, *, old: bool = False):
    competency = Competency(code=code, name=code)
    if level is None:
        return competency, CompetencyResult(competency, None, BAND)
    estimate = Estimate(pk=1, level=level, level_lower=level - spread, level_upper=level + spread)
    current = None
    if old:
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        fields: dict[str, Any] = {f.name: 0.0 for f in dataclasses.fields(CurrentLevel)}
        fields.update(
            estimate_id=1, employee_id=1, competency_code=code, round_id=1, evidence_at=now,
            level=level, level_lower=level - spread, level_upper=level + spread,
            from_pulse=False, is_outdated=True,
        )  # fmt: skip
        current = CurrentLevel(**fields)
    return competency, CompetencyResult(competency, estimate, BAND, current=current)


def _cells(*results) -> list[str]:
    row = TeamRow(Employee(first_name="A", last_name="B"), True, {c.code: r for c, r in results})
    template = Template("{% load insights %}{% team_cells row competencies %}")
    html = template.render(Context({"row": row, "competencies": [c for c, _ in results]}))
    return (
        html.removeprefix('<td class="utrecht-table__cell">')
        .removesuffix("</td>")
        .split('</td><td class="utrecht-table__cell">')
    )


def test_each_cell_gives_the_level_its_place_in_symbols_and_words():
    with translation.override("en"):
        cells = _cells(
            _result("A", 1.44),  # below, certain
            _result("B", 2.05, spread=0.3),  # within, but the interval crosses the minimum
            _result("C", 3.5),  # at or above target
            _result("D", None),  # no result
            _result("E", 3.5, old=True),  # outdated
        )
    assert cells == [
        '1.4 <span aria-hidden="true">▼</span>'
        '<span class="vakwerk-visually-hidden">below the minimum</span>',
        '2.1 <span aria-hidden="true">●?</span>'
        '<span class="vakwerk-visually-hidden">between minimum and target, uncertain</span>',
        '3.5 <span aria-hidden="true">▲</span>'
        '<span class="vakwerk-visually-hidden">at or above target</span>',
        "\u2013",
        '3.5 <span aria-hidden="true">▲</span>'
        '<span class="vakwerk-visually-hidden">at or above target</span> <strong>Outdated</strong>',
    ]


def test_the_cells_speak_dutch_with_a_decimal_comma():
    with translation.override("nl"):
        (cell,) = _cells(_result("A", 1.44))
    assert cell.startswith("1,4 ")
    assert "onder het minimum" in cell
