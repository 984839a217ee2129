import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation
from django.utils.safestring import SafeString

from vakwerk.lib import charts
from vakwerk.lib.charts import (
    HeatCell,
    IntervalRow,
    RadarRow,
    ShareRow,
    TrendPoint,
    TrendSeries,
    contrast_ratio,
    dot_interval_chart,
    heatmap,
    histogram,
    percentages,
    radar_chart,
    stacked_share_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
KINDS = ["dot-interval", "heatmap", "stacked-share", "trend", "radar", "histogram"]


def parse(svg: SafeString) -> ET.Element:
    assert isinstance(svg, SafeString)
    return ET.fromstring(str(svg))  # noqa: S314 (our own output, not untrusted input)


def by_class(element: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in element.iter() if f"vakwerk-chart__{name}" in el.get("class", "").split()]


def first(element: ET.Element, tag: str) -> ET.Element:
    """The first ``tag`` element inside ``element``, searching depth first."""
    found = element.find(f".//{SVG}{tag}")
    assert found is not None
    return found


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def percent_in(text: str) -> int:
    match = re.search(r"\((\d+)%\)", text)
    assert match is not None
    return int(match.group(1))


def child_title(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def ticks(root: ET.Element) -> dict[str, float]:
    """Tick label text → its x (dot chart) position."""
    return {tick.text or "": float(tick.get("x", "")) for tick in by_class(root, "tick")}


def six_charts(label: str = "Samenwerken", title: str = "Chart") -> dict[str, SafeString]:
    """One of each chart, every one with ``label`` in it."""
    common = {"title": title, "description": "What the chart shows."}
    return {
        "dot-interval": dot_interval_chart(
            [IntervalRow(label, 2.4, 1.9, 2.9, (2, 3), marker=3, previous=2)],
            scale_max=5,
            **common,
        ),
        "heatmap": heatmap(
            row_labels=[label],
            column_labels=[label, "Integriteit"],
            cells=[[HeatCell(-1.2, "-1,2"), HeatCell(None, "", uncertain=True)]],
            **common,
        ),
        "stacked-share": stacked_share_chart([ShareRow(label, 2, 5, 3)], **common),
        "trend": trend_chart(
            [TrendSeries(label, [TrendPoint(2, 1.5, 2.5), None, TrendPoint(3)])],
            x_labels=["2025", "2026", "2027"],
            scale_min=0,
            scale_max=5,
            band=(2, 3),
            **common,
        ),
        "radar": radar_chart(
            [RadarRow(label, 2, 3), RadarRow("B", 3, 3), RadarRow("C", 1, 2)], scale_max=5, **common
        ),
        "histogram": histogram([(label, 3), ("2-3", 5)], **common),
    }


# --- Every chart -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_chart_is_a_scalable_svg_named_by_its_title_and_description(kind):
    with translation.override("en"):
        svg = six_charts(title="Levels of Anna")[kind]
    root = parse(svg)

    assert root.tag == f"{SVG}svg"
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+(\.\d+)? \d+(\.\d+)?", root.get("viewBox", ""))
    assert root.get("class") == f"vakwerk-chart vakwerk-chart--{kind}"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    title, desc = root[0], root[1]
    assert (title.tag, title.get("id"), title.text) == (f"{SVG}title", title_id, "Levels of Anna")
    assert (desc.tag, desc.get("id"), desc.text) == (f"{SVG}desc", desc_id, "What the chart shows.")


@pytest.mark.parametrize("kind", KINDS)
def test_chart_has_no_styles_or_scripts_for_the_strict_csp(kind):
    with translation.override("en"):
        root = parse(six_charts()[kind])

    for element in root.iter():
        assert element.tag not in (f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject")
        assert "style" not in element.attrib
        assert not [name for name in element.attrib if name.startswith("on")]


@pytest.mark.parametrize("kind", KINDS)
def test_labels_and_titles_are_escaped(kind):
    evil = "<script>alert(1)</script>"
    with translation.override("en"):
        svg = six_charts(label=evil, title=evil)[kind]

    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    root = parse(svg)
    assert root[0].text == evil
    assert not list(root.iter(f"{SVG}script"))


@pytest.mark.parametrize("kind", KINDS)
def test_quotes_and_ampersands_in_labels_are_escaped_and_read_back_whole(kind):
    label = """Tom & "Jerry" 'n <Co>"""
    with translation.override("en"):
        svg = six_charts(label=label, title=label)[kind]

    assert "&amp; &quot;Jerry&quot; &#x27;n &lt;Co&gt;" in svg
    assert label not in svg
    root = parse(svg)
    assert root[0].text == label
    titles = [el.text or "" for el in root.iter(f"{SVG}title")]
    assert sum(label in title for title in titles) >= 2  # the chart's title and a tooltip


def test_attribute_values_are_escaped_too():
    markup = charts._el("text", charts._esc("a & b"), x=1.5, fill='x" onload="alert(1)')

    assert markup == '<text x="1.5" fill="x&quot; onload=&quot;alert(1)">a &amp; b</text>'


@pytest.mark.parametrize("kind", KINDS)
def test_same_input_gives_byte_identical_output(kind):
    with translation.override("en"):
        once, again = six_charts()[kind], six_charts()[kind]

    assert once == again


def test_different_charts_get_different_ids_and_id_prefix_overrides_them():
    with translation.override("en"):
        one = parse(histogram([("1", 2)], title="One", description="d"))
        other = parse(histogram([("1", 3)], title="One", description="d"))
        named = parse(histogram([("1", 2)], title="One", description="d", id_prefix="levels-2"))

    assert one[0].get("id") != other[0].get("id")
    assert named.get("aria-labelledby") == "levels-2-title levels-2-desc"
    with pytest.raises(ValueError, match="id_prefix"):
        histogram([("1", 2)], title="One", description="d", id_prefix='x" onload="alert(1)')


def test_palette_marks_have_three_to_one_contrast_against_white():
    marks = [
        charts.INK,
        charts.MUTED_INK,
        charts.BAND_STROKE,
        charts.ESTIMATE,
        charts.MARKER,
        charts.PREVIOUS,
        charts.CELL_EDGE,
        charts.SHARE_FILLS[0],
        charts.SHARE_FILLS[2],
        *charts.SERIES_COLOURS,
    ]
    assert min(contrast_ratio(colour, charts.WHITE) for colour in marks) >= 3
    assert contrast_ratio(charts.ESTIMATE, charts.BAND_FILL) >= 3


def test_dutch_numbers_get_a_decimal_comma():
    rows = [IntervalRow("Samenwerken", 2.4, 1.9, 2.9)]
    with translation.override("nl"):
        dutch = parse(dot_interval_chart(rows, scale_max=5, title="t", description="d"))
    with translation.override("en"):
        english = parse(dot_interval_chart(rows, scale_max=5, title="t", description="d"))

    assert [el.text for el in by_class(dutch, "value")] == ["2,4"]
    assert [el.text for el in by_class(english, "value")] == ["2.4"]


# --- Dot and interval chart --------------------------------------------------------------------


def dot_chart(rows, **kwargs):
    with translation.override("en"):
        return parse(dot_interval_chart(rows, scale_max=5, title="t", description="d", **kwargs))


def test_dot_chart_has_one_row_group_per_row_with_its_label():
    root = dot_chart([IntervalRow("A", 1), IntervalRow("B", None), IntervalRow("C", 4)])

    rows = by_class(root, "row")
    assert [child_title(row) for row in rows] == ["A", "B", "C"]
    assert list(ticks(root)) == ["0", "1", "2", "3", "4", "5"]


def test_dot_moves_right_with_the_value_and_sits_inside_its_band():
    root = dot_chart([IntervalRow("A", 1.5, band=(1, 2)), IntervalRow("B", 3.5, band=(3, 4))])

    dots = [float(dot.get("cx", "")) for dot in by_class(root, "estimate")]
    assert dots[0] < dots[1]
    for dot, band in zip(dots, by_class(root, "band"), strict=True):
        left = float(band.get("x", ""))
        assert left < dot < left + float(band.get("width", ""))


def test_interval_line_runs_from_lower_to_upper_on_the_axis():
    root = dot_chart([IntervalRow("A", 2, lower=1, upper=3), IntervalRow("B", 4, 3, 7)])

    level = ticks(root)
    inside, beyond = by_class(root, "interval")
    assert (float(inside.get("x1", "")), float(inside.get("x2", ""))) == (level["1"], level["3"])
    assert float(by_class(root, "estimate")[0].get("cx", "")) == level["2"]
    assert float(beyond.get("x2", "")) == level["5"]  # beyond the scale: clamped to its end


def test_row_without_estimate_keeps_its_label_says_no_result_and_draws_nothing():
    root = dot_chart([IntervalRow("Integriteit", None, 1, 2, band=(2, 3), marker=3)])

    (row,) = by_class(root, "row")
    assert "Integriteit" in text_of(row)
    assert [text_of(note) for note in by_class(row, "no-result")] == ["No result"]
    for mark in ("estimate", "interval", "band", "marker", "value"):
        assert by_class(row, mark) == []


def test_uncertain_row_has_a_dashed_interval():
    root = dot_chart([IntervalRow("A", 2, 1, 3), IntervalRow("B", 2, 1, 3, uncertain=True)])

    sure, unsure = by_class(root, "interval")
    assert sure.get("stroke-dasharray") is None
    assert unsure.get("stroke-dasharray")
    assert "vakwerk-chart__row--uncertain" in by_class(root, "row")[1].get("class", "")


def test_self_assessment_and_previous_round_are_drawn_and_named_in_the_legend():
    plain = dot_chart([IntervalRow("A", 2)])
    root = dot_chart([IntervalRow("A", 2, marker=3, previous=1)], marker_label="Own view")

    assert by_class(plain, "marker") == by_class(plain, "previous") == []
    level = ticks(root)
    (diamond,) = by_class(root, "marker")
    assert diamond.tag == f"{SVG}polygon"
    assert diamond.get("fill") == "none"  # open, so it reads in black and white
    assert float(diamond.get("points", "").split()[0].split(",")[0]) == level["3"]
    (previous,) = by_class(root, "previous")
    assert float(previous.get("cx", "")) == level["1"]
    legend = text_of(by_class(root, "legend")[0])
    assert "Own view" in legend
    assert "Previous round" in legend
    assert "Own view" not in text_of(by_class(plain, "legend")[0])


def test_long_label_is_shortened_but_kept_whole_in_the_row_title():
    label = "Klantgericht werken met burgers, bedrijven en instellingen in de hele regio en verder"
    root = dot_chart([IntervalRow(label, 2)])

    (row,) = by_class(root, "row")
    shown = text_of(by_class(row, "label")[0])
    assert child_title(row) == label
    assert shown.endswith("…")
    assert len(shown) < len(label)


def test_scale_must_be_increasing():
    with pytest.raises(ValueError, match="scale"):
        dot_interval_chart([], scale_min=3, scale_max=3, title="t", description="d")


# --- Heatmap -----------------------------------------------------------------------------------


def heat(cells, columns=None):
    columns = columns or [f"C{j}" for j in range(len(cells[0]))]
    with translation.override("en"):
        svg = heatmap(
            row_labels=[f"R{i}" for i in range(len(cells))],
            column_labels=columns,
            cells=cells,
            title="t",
            description="d",
        )
    return parse(svg)


def cell_fill(cell: ET.Element) -> str:
    return first(cell, "rect").get("fill", "")


def test_heatmap_colours_below_within_above_and_missing_differently():
    root = heat([[HeatCell(-1, "-1,0"), HeatCell(0, "✓"), HeatCell(1, "+1,0"), HeatCell(None)]])

    cells = by_class(root, "cell")
    assert [c.get("class", "").split()[1] for c in cells] == [
        "vakwerk-chart__cell--below",
        "vakwerk-chart__cell--within",
        "vakwerk-chart__cell--above",
        "vakwerk-chart__cell--none",
    ]
    assert len({cell_fill(c) for c in cells}) == 4
    assert [text_of(first(c, "text")) for c in cells] == ["-1,0", "✓", "+1,0", charts.NO_VALUE]


def test_heatmap_shade_darkens_with_the_size_of_the_gap():
    def luminance(colour):
        return 1 / contrast_ratio(colour, charts.WHITE)

    root = heat([[HeatCell(-0.3), HeatCell(-2.0), HeatCell(0.3), HeatCell(2.0)]])

    small_below, large_below, small_above, large_above = map(cell_fill, by_class(root, "cell"))
    assert luminance(large_below) < luminance(small_below)
    assert luminance(large_above) < luminance(small_above)


def test_uncertain_cell_has_a_dashed_border_and_a_question_mark():
    root = heat([[HeatCell(0.4, "+0,4", uncertain=True), HeatCell(0.4, "+0,4")]])

    unsure, sure = by_class(root, "cell")
    assert "vakwerk-chart__cell--uncertain" in unsure.get("class", "")
    assert [r.get("stroke-dasharray") for r in unsure.iter(f"{SVG}rect")][1]
    assert text_of(first(unsure, "text")) == "+0,4 ?"
    assert all(r.get("stroke-dasharray") is None for r in sure.iter(f"{SVG}rect"))
    assert text_of(first(sure, "text")) == "+0,4"


def test_heatmap_text_is_readable_on_every_fill():
    gaps = [-3, -1, -0.2, 0, 0.2, 1, 3, None]
    root = heat([[HeatCell(gap, "x") for gap in gaps]])

    for cell in by_class(root, "cell"):
        text = first(cell, "text")
        assert contrast_ratio(text.get("fill", ""), cell_fill(cell)) >= 4.5


def test_heatmap_has_one_group_per_row_and_column_and_rotates_long_column_labels():
    short = heat([[HeatCell(0)] * 2] * 3, columns=["A", "B"])
    long = heat([[HeatCell(0)] * 2], columns=["Omgevingsbewustzijn", "B"])

    assert len(by_class(short, "row")) == 3
    assert len(by_class(short, "column")) == 2
    assert all(t.get("transform") is None for t in short.iter(f"{SVG}text"))
    assert first(by_class(long, "column")[0], "text").get("transform", "").startswith("rotate(")


def test_heatmap_rejects_cells_that_do_not_match_the_labels():
    with pytest.raises(ValueError, match="cells"):
        heatmap(
            row_labels=["A"],
            column_labels=["X", "Y"],
            cells=[[HeatCell(0)]],
            title="t",
            description="d",
        )


# --- Stacked shares ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [((1, 1, 1), [34, 33, 33]), ((2, 5, 3), [20, 50, 30]), ((1, 2, 4), [14, 29, 57])],
)
def test_percentages_add_up_to_exactly_100(counts, expected):
    assert percentages(counts) == expected
    assert sum(percentages(counts)) == 100


def test_share_bars_fill_the_row_and_their_percentages_add_up_to_100():
    with translation.override("en"):
        root = parse(
            stacked_share_chart(
                [ShareRow("A", 1, 1, 1), ShareRow("B", 0, 3, 1)], title="t", description="d"
            )
        )

    one, two = by_class(root, "row")
    for row in (one, two):
        segments = by_class(row, "segment")
        tips = [child_title(segment) for segment in segments]
        assert sum(percent_in(tip) for tip in tips) == 100
        widths = [float(first(s, "rect").get("width", "")) for s in segments]
        assert sum(widths) == pytest.approx(charts.BAR_RIGHT - charts.PLOT_LEFT, abs=0.05)
    assert [text_of(first(s, "text")) for s in by_class(one, "segment")] == [
        "34%",
        "33%",
        "33%",
    ]
    assert by_class(two, "segment--below") == []  # nobody below: no empty segment
    assert child_title(by_class(two, "segment")[0]) == "Between minimum and target: 3 (75%)"


def test_share_row_without_people_says_no_data():
    with translation.override("en"):
        root = parse(stacked_share_chart([ShareRow("Leeg", 0, 0, 0)], title="t", description="d"))

    (row,) = by_class(root, "row")
    assert child_title(row) == "Leeg"
    assert [text_of(note) for note in by_class(row, "no-data")] == ["No data"]
    assert by_class(row, "segment") == []


def test_share_chart_rejects_negative_counts():
    with pytest.raises(ValueError, match="negative"):
        stacked_share_chart([ShareRow("A", -1, 2, 3)], title="t", description="d")


# --- Trend -------------------------------------------------------------------------------------


def trend(series, x_labels, **kwargs):
    with translation.override("en"):
        svg = trend_chart(
            series,
            x_labels=x_labels,
            scale_min=0,
            scale_max=5,
            title="t",
            description="d",
            **kwargs,
        )
    return parse(svg)


def polyline_xs(line: ET.Element) -> list[float]:
    return [float(pair.split(",")[0]) for pair in line.get("points", "").split()]


def test_trend_line_breaks_at_a_missing_round_instead_of_bridging_it():
    p = TrendPoint
    series = TrendSeries("A", [p(1), p(2), None, p(3), p(4)])
    root = trend([series], ["1", "2", "3", "4", "5"])

    points = by_class(root, "point")
    assert len(points) == 4
    point_xs = [float(first(point, "circle").get("cx", "")) for point in points]
    before, after = by_class(root, "line")
    assert polyline_xs(before) == point_xs[:2]
    assert polyline_xs(after) == point_xs[2:]


def test_trend_point_between_gaps_has_no_line():
    root = trend(
        [TrendSeries("A", [TrendPoint(1), None, TrendPoint(3), None])], ["1", "2", "3", "4"]
    )

    assert by_class(root, "line") == []
    assert len(by_class(root, "point")) == 2


def test_trend_whisker_spans_the_interval_and_higher_levels_are_higher_up():
    root = trend([TrendSeries("A", [TrendPoint(2, 1, 4), TrendPoint(3)])], ["1", "2"])

    (whisker,) = by_class(root, "interval")
    marker = first(by_class(root, "point")[0], "circle")
    lower, upper, value = (
        float(whisker.get("y1")),
        float(whisker.get("y2")),
        float(marker.get("cy")),
    )
    assert upper < value < lower
    assert (value - upper) == pytest.approx(2 * (lower - value))
    assert by_class(root, "point")[1].find(f".//{SVG}line") is None  # no interval, no whisker


def test_trend_series_differ_in_marker_shape_and_dash_and_are_in_the_legend():
    series = [TrendSeries(name, [TrendPoint(1), TrendPoint(2)]) for name in ("A", "B", "C")]
    root = trend(series, ["1", "2"], band=(2, 3))

    groups = by_class(root, "series")
    shapes = [first(group, "g").findall("*")[-1].tag for group in groups]
    assert shapes == [f"{SVG}circle", f"{SVG}rect", f"{SVG}polygon"]
    assert len({by_class(g, "line")[0].get("stroke-dasharray") for g in groups}) == 3
    assert [child_title(g) for g in groups] == ["A", "B", "C"]
    legend = [text_of(item) for item in by_class(root, "legend-item")]
    assert legend == ["A", "B", "C", "Desired band"]
    assert len(by_class(root, "band")) == 1


def test_trend_needs_one_point_per_round():
    with pytest.raises(ValueError, match="per x label"):
        trend([TrendSeries("A", [TrendPoint(1)])], ["1", "2"])


# --- Radar -------------------------------------------------------------------------------------


def test_radar_with_fewer_than_three_rows_is_empty():
    result = radar_chart(
        [RadarRow("A", 1), RadarRow("B", 2)], scale_max=5, title="t", description="d"
    )

    assert result == ""
    assert isinstance(result, SafeString)


def test_radar_draws_estimate_and_target_polygons_with_one_vertex_per_row():
    rows = [RadarRow("A", 1, 3), RadarRow("B", 2, 3), RadarRow("C", 4, 3), RadarRow("D", 5, 3)]
    with translation.override("en"):
        root = parse(radar_chart(rows, scale_max=5, title="t", description="d"))

    (estimate,) = by_class(root, "estimate")
    (target,) = by_class(root, "target")
    assert len(estimate.get("points", "").split()) == 4
    assert len(target.get("points", "").split()) == 4
    assert len(by_class(root, "axis")) == 4
    assert len(by_class(root, "vertex")) == 4


def test_radar_draws_no_partial_polygon_for_a_missing_estimate():
    rows = [RadarRow("A", 1), RadarRow("B", None), RadarRow("C", 4)]
    with translation.override("en"):
        root = parse(radar_chart(rows, scale_max=5, title="t", description="d"))

    assert by_class(root, "estimate") == []
    assert by_class(root, "target") == []
    assert len(by_class(root, "vertex")) == 2
    assert [text_of(note) for note in by_class(root, "no-result")] == ["No result"]


# --- Histogram ---------------------------------------------------------------------------------


def test_histogram_bar_heights_follow_the_counts_which_are_printed():
    with translation.override("en"):
        root = parse(histogram([("1-2", 6), ("2-3", 12), ("3-4", 0)], title="t", description="d"))

    bars = by_class(root, "bar")
    heights = [float(first(bar, "rect").get("height", "")) for bar in bars]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert heights[2] == 0
    assert [text_of(by_class(bar, "count")[0]) for bar in bars] == ["6", "12", "0"]
    assert [child_title(bar) for bar in bars] == ["1-2: 6", "2-3: 12", "3-4: 0"]


def test_histogram_without_bins_says_no_data():
    with translation.override("en"):
        root = parse(histogram([], title="t", description="d"))

    assert [text_of(note) for note in by_class(root, "no-data")] == ["No data"]


def _heat_cell_from_helpers(cell: HeatCell, x: float, y: float, name: str) -> str:
    """What ``charts._heat_cell`` writes out by hand, made with the general helpers."""
    category, fill = charts._gap_style(cell.gap)
    ink = charts.text_colour(fill)
    text = charts.NO_VALUE if cell.gap is None else cell.text
    classes = f"cell cell--{category}"
    marks = [charts._rect(x, y, charts.CELL_W, charts.CELL_H, fill, charts.CELL_EDGE)]
    if cell.uncertain:
        text = f"{text} ?".strip()
        classes += " cell--uncertain"
        marks.append(
            charts._rect(x + 3, y + 3, charts.CELL_W - 6, charts.CELL_H - 6, "none", ink, "3 2")
        )
    short = charts._truncate(text, charts.CELL_W - 8, 12)
    middle = (x + charts.CELL_W / 2, y + charts.CELL_H / 2 + 4)
    marks.append(charts._text(*middle, short, anchor="middle", size=12, fill=ink))
    return charts._g(classes, charts._title(f"{name}: {text}"), *marks)


@pytest.mark.parametrize("gap", [None, 0.0, -0.3, -1.7, 0.4, 2.5])
@pytest.mark.parametrize("uncertain", [False, True])
@pytest.mark.parametrize("text", ["2,4", "a <b> & 'c' \"d\" that is far too long to fit"])
def test_a_heat_cell_is_what_the_general_helpers_make(gap, uncertain, text):
    cell = HeatCell(gap=gap, text=text, uncertain=uncertain)
    for x, y in ((216.0, 52.5), (0.0, 1.0 / 3.0)):
        name = "Özlem <de> & 'Vries'"
        assert charts._heat_cell(cell, x, y, name) == _heat_cell_from_helpers(cell, x, y, name)
