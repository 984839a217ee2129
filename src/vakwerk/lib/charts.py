"""Server-rendered, accessible SVG charts for the insight pages and their PDF.

Design choices:

* **Dot and interval first.** A measured level is an estimate with uncertainty. A dot with its
  90% interval next to the desired band shows, on one shared axis and one row per competency,
  the estimate, how sure we are and the gap. Bars would suggest a quantity filled up from zero
  and hide the interval, so the dot chart is the main picture of a personal report.
* **The radar chart is an extra only.** Its area grows with the square of the values, its shape
  depends on the order of the axes, angles are hard to compare and a missing value has no honest
  place. Show it next to the dot chart, never instead of it.
* **Presentation attributes, not CSS.** Pages are served under a strict Content Security Policy
  (no ``unsafe-inline``), so ``style`` attributes and ``<style>`` elements are out. WeasyPrint
  draws SVG from the same attributes, so one markup looks the same on screen, in the PDF and on
  paper. Class names (``vakwerk-chart__…``) are hooks for tests and page CSS, never needed.
* **Not colour alone.** Every colour has a second code: shapes (dot, open diamond, hollow circle,
  square, triangle), dashes for uncertainty and series, text in heatmap cells and bar segments.
  The palette is colour-blind safe (Okabe-Ito hues, ColorBrewer's RdBu for gaps); marks people
  must see have at least 3:1 contrast against white (WCAG 1.4.11); text on a fill takes whichever
  of ink or white contrasts more.
* **Accessible name.** The root has ``role="img"`` and ``aria-labelledby`` on its ``<title>`` and
  ``<desc>``. ``role="img"`` hides the inside from assistive technology, so the description must
  say what the chart shows; pages should offer the numbers as a table too. ``<title>`` children of
  rows and marks give sighted mouse users the full labels and numbers as tooltips.
* **Deterministic.** No clock, no random, no counter: the same input gives byte-identical SVG,
  and the default id prefix is a hash of the chart (pass ``id_prefix`` when one page shows the
  very same chart twice). Coordinates are SVG syntax and always use a decimal point; numbers
  people read are formatted as ``number_format`` would (a decimal comma in Dutch).
* **Plain strings.** Markup is built as ``str`` pieces, caller text escaped with ``html.escape``
  (what Django's ``escape`` calls), and marked safe once per chart: a ``format_html`` per
  element made a team heatmap most of its page's time.

Labels arrive translated; this module only translates its own legend and note words.
"""

import functools
import hashlib
import html
import math
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.formats import get_format, number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# --- Palette (contrast against white in the comments) ------------------------------------------
INK = "#1A1A1A"  # text, axes: 17:1
MUTED_INK = "#595959"  # tick labels, notes: 7:1
WHITE = "#FFFFFF"
GRID = "#D9D9D9"  # gridlines are a reading aid only; the tick labels carry the values
BAND_FILL = "#E3EEDD"  # the desired band: a light fill...
BAND_STROKE = "#4E7D4A"  # ...whose outline carries the contrast: 4.8:1
ESTIMATE = "#0072B2"  # Okabe-Ito blue: 5.2:1, 4.2:1 on the band fill
MARKER = "#B84A00"  # darkened Okabe-Ito vermillion, the second marker: 5.2:1
PREVIOUS = "#595959"  # previous round: 7:1
SERIES_COLOURS = ("#0072B2", "#B84A00", "#00785A", "#8E3B8E")  # all at least 5:1
# Heatmap gaps, ColorBrewer RdBu (colour-blind safe), by size of the gap: small, medium, large.
# The cell text carries the value; the fill only makes patterns visible at a glance.
BELOW_SHADES = ("#FDDBC7", "#F4A582", "#B2182B")
ABOVE_SHADES = ("#D1E5F0", "#92C5DE", "#2166AC")
WITHIN_FILL = "#F7F7F7"
NO_RESULT_FILL = "#D9D9D9"
CELL_EDGE = "#8C8C8C"  # cell and swatch outlines: 3.4:1, so light cells stand out from the page
GAP_STEPS = (0.5, 1.5)  # gap sizes (in levels) where the next, darker shade starts
# Shares below minimum (dark), between minimum and target (light), at or above target (medium):
# three different greys in black-and-white print too.
SHARE_FILLS = ("#B2182B", "#F7F7F7", "#4393C3")

FONT_FAMILY = "system-ui, Segoe UI, Roboto, Helvetica, Arial, Liberation Sans, sans-serif"
FONT_SIZE = 13
SMALL = 11
CHAR_WIDTH = 0.58  # average glyph width in em: labels are fitted without measuring fonts
LINE_HEIGHT = 15
BASELINE = 4.5  # from the middle of a line of text to its baseline
PAD = 8
WIDTH = 640
ROW_H = 36
LABEL_W = 180  # row labels, left of the plot
PLOT_LEFT = 200
SYMBOL_W = 24  # legend symbol box
LEGEND_ROW = 22
NO_VALUE = "\u2013"  # en dash
SVG_NS = "http://www.w3.org/2000/svg"
DASHES = (None, "6 3", "2 3", "8 3 2 3")  # per series, after the colours and marker shapes
_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

Attr = str | float | None
Symbol = Callable[[float, float], str]  # draws a legend symbol centred on (x, y)


@dataclass(frozen=True)
class IntervalRow:
    """One competency in the dot chart. ``band`` is (minimum, target); ``marker`` a second
    level such as the self-assessment; ``previous`` the estimate of the previous round."""

    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None
    band: tuple[float, float] | None = None
    marker: float | None = None
    previous: float | None = None
    uncertain: bool = False


@dataclass(frozen=True)
class HeatCell:
    """``gap``: estimate minus the band (negative below the minimum, 0 inside, positive above
    the target), None without a result. ``text`` is printed in the cell."""

    gap: float | None
    text: str = ""
    uncertain: bool = False


@dataclass(frozen=True)
class ShareRow:
    """Counts of people below the minimum, between minimum and target, at or above target."""

    label: str
    below: int
    within: int
    above: int


@dataclass(frozen=True)
class TrendPoint:
    value: float
    lower: float | None = None
    upper: float | None = None


@dataclass(frozen=True)
class TrendSeries:
    """One line; ``points`` has one entry per round, None where there is no estimate."""

    label: str
    points: Sequence[TrendPoint | None]


@dataclass(frozen=True)
class RadarRow:
    label: str
    value: float | None
    target: float | None = None


# --- Markup ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _num(value: float) -> str:
    """A coordinate: SVG syntax, so always a decimal point, at most two decimals. Cached: a
    heatmap repeats the same few column and row positions in every cell."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class _Numbers:
    """Formats numbers people read in the active language, as ``number_format`` does (a decimal
    comma in Dutch). Made once per chart: looking the format up again for every number showed
    up in profiles."""

    def __init__(self) -> None:
        self.separator = str(get_format("DECIMAL_SEPARATOR"))
        self.grouped = bool(settings.USE_THOUSAND_SEPARATOR)

    def __call__(self, value: float, decimals: int = 0) -> str:
        rounded = round(value, decimals) + 0.0  # number_format truncates, so round; + 0.0: no -0
        if self.grouped or not abs(rounded) < 1e15:  # separators, huge, inf, nan: Django's way
            return number_format(rounded, decimal_pos=decimals)
        text = f"{rounded:.{decimals}f}"
        return text if decimals == 0 else text.replace(".", self.separator)


def _points(pairs: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in pairs)


def _esc(text: object) -> str:
    """Text for element content or an attribute value. ``html.escape`` escapes ``& < > " '``
    (the quote as ``&#x27;``): exactly Django's ``escape``, which calls it, minus the SafeString."""
    return html.escape(str(text))


@functools.cache
def _cls(names: str | None) -> str | None:
    """``"row row--uncertain"`` → ``"vakwerk-chart__row vakwerk-chart__row--uncertain"``."""
    return None if names is None else " ".join(f"vakwerk-chart__{n}" for n in names.split())


@functools.cache
def _attr_name(name: str) -> str:
    """``stroke_width`` → ``stroke-width``, ``class_`` → ``class``."""
    return name.rstrip("_").replace("_", "-")


def _el(tag: str, *children: str, **attrs: Attr) -> str:
    """One element as markup. None leaves an attribute out; numbers are written as coordinates,
    strings are escaped. Children are markup already: caller text goes in through ``_esc``.

    Plain ``str`` pieces, joined once and marked safe once by ``_svg``: a ``format_html`` per
    element and attribute used to be most of the time a chart took."""
    attr_text = "".join(
        [
            f' {_attr_name(name)}="{_esc(value) if isinstance(value, str) else _num(value)}"'
            for name, value in attrs.items()
            if value is not None
        ]
    )
    if not children:
        return f"<{tag}{attr_text}/>"
    return f"<{tag}{attr_text}>{''.join(children)}</{tag}>"


def _g(cls: str, *children: str) -> str:
    return _el("g", *children, class_=_cls(cls))


def _line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    stroke: str = GRID,
    width: float | None = None,
    dash: str | None = None,
    cls: str | None = None,
) -> str:
    return _el(
        "line",
        x1=x1,
        y1=y1,
        x2=x2,
        y2=y2,
        stroke=stroke,
        stroke_width=width,
        stroke_dasharray=dash,
        class_=_cls(cls),
    )


def _rect(
    x: float,
    y: float,
    w: float,
    h: float,
    fill: str,
    stroke: str | None = None,
    dash: str | None = None,
    cls: str | None = None,
) -> str:
    return _el(
        "rect",
        x=x,
        y=y,
        width=w,
        height=h,
        fill=fill,
        stroke=stroke,
        stroke_dasharray=dash,
        class_=_cls(cls),
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    size: float = FONT_SIZE,
    fill: str = INK,
    cls: str | None = None,
    italic: bool = False,
    transform: str | None = None,
) -> str:
    return _el(
        "text",
        _esc(content),
        x=x,
        y=y,
        fill=fill,
        font_size=None if size == FONT_SIZE else size,
        text_anchor=None if anchor == "start" else anchor,
        font_style="italic" if italic else None,
        transform=transform,
        class_=_cls(cls),
    )


def _note(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    """A note such as "No result": muted and italic, so it does not read as a value."""
    return _text(x, y, content, anchor=anchor, fill=MUTED_INK, italic=True, cls=cls)


def _title(text: str) -> str:
    return _el("title", _esc(text))


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _truncate(text: str, width: float, size: float = FONT_SIZE) -> str:
    max_chars = max(2, int(width / (size * CHAR_WIDTH)))
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"


def _label(x: float, cy: float, text: str, width: float, max_lines: int = 2) -> str:
    """A label wrapped to ``width`` over at most ``max_lines`` lines, the last one shortened with
    an ellipsis, centred vertically on ``cy``. Callers keep the full text in a ``<title>``."""
    max_chars = max(2, int(width / (FONT_SIZE * CHAR_WIDTH)))
    lines = textwrap.wrap(text, max_chars) or [""]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _truncate(" ".join(lines[max_lines - 1 :]), width)]
    first = cy + BASELINE - (len(lines) - 1) * LINE_HEIGHT / 2
    if len(lines) == 1:
        return _text(x, first, lines[0], cls="label")
    spans = [_el("tspan", _esc(s), x=x, y=first + i * LINE_HEIGHT) for i, s in enumerate(lines)]
    return _el("text", *spans, fill=INK, class_=_cls("label"))


def _svg(
    kind: str,
    width: float,
    height: float,
    body: Sequence[str],
    title: str,
    description: str,
    id_prefix: str | None,
) -> SafeString:
    """The root element. Without ``id_prefix`` the ids come from a hash of the chart: stable
    across renders, different for different charts on one page."""
    content = "".join(body)
    if id_prefix is None:
        source = "\x00".join((kind, str(title), str(description), content))
        id_prefix = "vakwerk-chart-" + hashlib.sha256(source.encode()).hexdigest()[:12]
    elif not _ID_PATTERN.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must be a letter followed by [A-Za-z0-9_-]: {id_prefix!r}")
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    svg = _el(
        "svg",
        _el("title", _esc(title), id=title_id),
        _el("desc", _esc(description), id=desc_id),
        content,
        xmlns=SVG_NS,
        viewBox=f"0 0 {_num(width)} {_num(height)}",
        width="100%",
        role="img",
        aria_labelledby=f"{title_id} {desc_id}",
        class_=f"vakwerk-chart vakwerk-chart--{kind}",
        font_family=FONT_FAMILY,
        font_size=FONT_SIZE,
    )
    return mark_safe(svg)  # noqa: S308 (caller text went in through _esc)


# --- Colour and scales -------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@functools.lru_cache(maxsize=64)
def text_colour(fill: str) -> str:
    """Ink or white, whichever reads better on ``fill``. Cached: every heatmap cell asks, and
    the fills come from a small palette."""
    return INK if contrast_ratio(INK, fill) >= contrast_ratio(WHITE, fill) else WHITE


@dataclass(frozen=True)
class _Axis:
    """Maps [low, high] linearly onto [start, end]; values outside are clamped to the ends."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        return self.start + (clamped - self.low) / (self.high - self.low) * (self.end - self.start)


def _check_scale(low: float, high: float) -> None:
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise ValueError(f"the scale needs finite bounds with max > min, got {low}..{high}")


def _ticks(low: float, high: float, max_ticks: int = 11) -> list[int]:
    """Whole levels from low to high, every 1, 2, 5, 10, 20, … so there are at most max_ticks."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            if (high - low) / step <= max_ticks - 1:
                return list(range(math.ceil(low / step) * step, math.floor(high) + 1, step))
        magnitude *= 10


# --- Marks and legend --------------------------------------------------------------------------


def _dot(x: float, y: float, r: float = 6, cls: str | None = None) -> str:
    """The estimate: a filled dot with a white rim, so it stays visible on lines and bands."""
    return _el(
        "circle", cx=x, cy=y, r=r, fill=ESTIMATE, stroke=WHITE, stroke_width=1.5, class_=_cls(cls)
    )


def _diamond(x: float, y: float, cls: str | None = None) -> str:
    """The second marker: an open diamond, larger than the dot so both show when they meet."""
    corners = _points([(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)])
    return _el(
        "polygon", points=corners, fill="none", stroke=MARKER, stroke_width=2, class_=_cls(cls)
    )


def _hollow(x: float, y: float, cls: str | None = None) -> str:
    """The previous round: a small hollow circle, drawn last so it shows on top of the dot."""
    return _el(
        "circle",
        cx=x,
        cy=y,
        r=3.5,
        fill=WHITE,
        stroke=PREVIOUS,
        stroke_width=1.5,
        class_=_cls(cls),
    )


def _shape(index: int, x: float, y: float, colour: str) -> str:
    """A series marker: circle, square, triangle, diamond, so series differ without colour."""
    kind = index % 4
    paint: dict[str, Attr] = {"fill": colour, "stroke": WHITE, "stroke_width": 1}
    if kind == 0:
        return _el("circle", cx=x, cy=y, r=5, **paint)
    if kind == 1:
        return _el("rect", x=x - 4.5, y=y - 4.5, width=9, height=9, **paint)
    corners = [(0, -6), (6, 5), (-6, 5)] if kind == 2 else [(0, -6), (6, 0), (0, 6), (-6, 0)]
    return _el("polygon", points=_points((x + dx, y + dy) for dx, dy in corners), **paint)


def _swatch(fill: str, stroke: str = CELL_EDGE, dash: str | None = None) -> Symbol:
    return lambda x, y: _rect(x - 9, y - 7, 18, 14, fill, stroke, dash)


def _line_symbol(colour: str, dash: str | None, shape: int | None = None) -> Symbol:
    def draw(x: float, y: float) -> str:
        line = _line(x - 11, y, x + 11, y, colour, 2, dash)
        return line if shape is None else line + _shape(shape, x, y, colour)

    return draw


def _legend(items: Sequence[tuple[Symbol, str]], y: float, width: float) -> tuple[str, float]:
    """Legend items flowing left to right and wrapping; returns the group and its height."""
    parts = []
    x, cy = float(PAD), y + LEGEND_ROW / 2
    for draw, label in items:
        item_width = SYMBOL_W + 6 + _text_width(label) + 18
        if x > PAD and x + item_width > width - PAD:
            x, cy = PAD, cy + LEGEND_ROW
        text = _text(x + SYMBOL_W + 6, cy + BASELINE, label)
        parts.append(_g("legend-item", draw(x + SYMBOL_W / 2, cy), text))
        x += item_width
    return _g("legend", *parts), cy + LEGEND_ROW / 2 - y


# --- 1. Dot and interval chart -----------------------------------------------------------------

DOT_PLOT_RIGHT = WIDTH - 60  # the estimate is printed right of the plot
DOT_AXIS_TOP = 34


def dot_interval_chart(
    rows: Sequence[IntervalRow],
    *,
    scale_min: float = 0,
    scale_max: float,
    title: str,
    description: str,
    marker_label: str | None = None,
    id_prefix: str | None = None,
) -> SafeString:
    """The personal report: per competency the desired band, the estimate with its 90% interval
    (dashed when uncertain) and its value, optionally a second marker (open diamond, e.g. the
    self-assessment, named in the legend by ``marker_label``) and the previous round (small
    hollow circle). Tick labels at the top, legend at the bottom."""
    _check_scale(scale_min, scale_max)
    axis = _Axis(scale_min, scale_max, PLOT_LEFT + 10, DOT_PLOT_RIGHT - 10)
    ticks = _ticks(scale_min, scale_max)
    fmt = _Numbers()
    body = [
        _text(
            axis(t),
            DOT_AXIS_TOP - 10,
            fmt(t),
            anchor="middle",
            size=SMALL,
            fill=MUTED_INK,
            cls="tick",
        )
        for t in ticks
    ]
    body += [
        _interval_row(row, axis, ticks, DOT_AXIS_TOP + i * ROW_H, fmt) for i, row in enumerate(rows)
    ]
    bottom = DOT_AXIS_TOP + len(rows) * ROW_H
    body.append(_line(PLOT_LEFT, bottom, DOT_PLOT_RIGHT, bottom, INK))

    items: list[tuple[Symbol, str]] = []
    if any(row.band for row in rows):
        items.append((_swatch(BAND_FILL, BAND_STROKE), _("Desired band")))
    items.append((_dot, _("Estimate")))
    if any(row.lower is not None and row.upper is not None for row in rows):
        items.append((_line_symbol(ESTIMATE, None), _("Likely range (90%)")))
    if any(row.uncertain for row in rows):
        items.append((_line_symbol(ESTIMATE, "4 3"), _("Uncertain estimate")))
    if any(row.marker is not None for row in rows):
        items.append((_diamond, marker_label or _("Self-assessment")))
    if any(row.previous is not None for row in rows):
        items.append((_hollow, _("Previous round")))
    legend, legend_height = _legend(items, bottom + 10, WIDTH)
    height = bottom + 10 + legend_height + PAD
    return _svg("dot-interval", WIDTH, height, [*body, legend], title, description, id_prefix)


def _interval_row(
    row: IntervalRow, axis: _Axis, ticks: Sequence[int], top: float, fmt: _Numbers
) -> str:
    cy = top + ROW_H / 2
    parts = [_title(row.label), _label(PAD, cy, row.label, LABEL_W)]
    if row.value is None:
        parts.append(_note(axis.start, cy + BASELINE, _("No result"), "no-result"))
        return _g("row row--no-result", *parts)
    if row.band is not None:
        low, high = sorted(row.band)
        width = max(axis(high) - axis(low), 3)
        parts.append(
            _rect(axis(low), top + 6, width, ROW_H - 12, BAND_FILL, BAND_STROKE, cls="band")
        )
    # Gridlines per row: over the band, under the marks.
    parts += [_line(axis(t), top, axis(t), top + ROW_H) for t in ticks]
    if row.lower is not None and row.upper is not None:
        dash = "4 3" if row.uncertain else None
        x1, x2 = axis(min(row.lower, row.upper)), axis(max(row.lower, row.upper))
        parts.append(_line(x1, cy, x2, cy, ESTIMATE, 2, dash, cls="interval"))
        parts += [_line(x, cy - 5, x, cy + 5, ESTIMATE, 2) for x in (x1, x2)]
    parts.append(_dot(axis(row.value), cy, cls="estimate"))
    if row.marker is not None:
        parts.append(_diamond(axis(row.marker), cy, cls="marker"))
    if row.previous is not None:
        parts.append(_hollow(axis(row.previous), cy, cls="previous"))
    parts.append(_text(WIDTH - PAD, cy + BASELINE, fmt(row.value, 1), anchor="end", cls="value"))
    return _g("row row--uncertain" if row.uncertain else "row", *parts)


# --- 2. Heatmap --------------------------------------------------------------------------------

CELL_W = 56
CELL_H = 36
HEAT_LABEL_W = 160
COLUMN_LABEL_MAX = 150  # the longest rotated column label, in user units
SIN45 = math.sqrt(0.5)


def heatmap(
    *,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: Sequence[Sequence[HeatCell]],
    title: str,
    description: str,
    id_prefix: str | None = None,
) -> SafeString:
    """People (rows) by competencies (columns), each cell coloured by its gap to the band
    (orange-red below, neutral inside, blue above; darker is further away) with its text
    printed in it. Uncertain cells get a dashed inner border and "?"; no result is grey with a
    dash. Column labels are rotated when one does not fit its column."""
    if len(cells) != len(row_labels) or any(len(row) != len(column_labels) for row in cells):
        raise ValueError("cells need one row per row label and one cell per column label")
    widths = [_text_width(label, SMALL) for label in column_labels]
    rotate = any(w > CELL_W - 6 for w in widths)
    slant = min(max(widths, default=0), COLUMN_LABEL_MAX) * SIN45 if rotate else 0
    left, top = PAD + HEAT_LABEL_W, PAD + (slant + 18 if rotate else 26)
    width = max(left + len(column_labels) * CELL_W + slant + PAD, WIDTH)

    body = []
    for j, label in enumerate(column_labels):
        x, y = left + (j + 0.5) * CELL_W, top - 8
        if rotate:
            turn = f"rotate(-45 {_num(x)} {_num(y)})"
            short = _truncate(label, COLUMN_LABEL_MAX, SMALL)
            text = _text(x, y, short, size=SMALL, transform=turn)
        else:
            text = _text(x, y, label, anchor="middle", size=SMALL)
        body.append(_g("column", _title(label), text))
    for i, (label, row) in enumerate(zip(row_labels, cells, strict=True)):
        y = top + i * CELL_H
        parts = [_title(label), _label(PAD, y + CELL_H / 2, label, HEAT_LABEL_W - PAD)]
        for j, (column, cell) in enumerate(zip(column_labels, row, strict=True)):
            parts.append(_heat_cell(cell, left + j * CELL_W, y, f"{label}, {column}"))
        body.append(_g("row", *parts))

    def ramp(shades: Sequence[str]) -> Symbol:
        return lambda x, y: "".join(
            _rect(x - 12 + k * 8, y - 7, 8, 14, shade, CELL_EDGE) for k, shade in enumerate(shades)
        )

    def uncertain(x: float, y: float) -> str:
        mark = _text(x, y + 4, "?", anchor="middle", size=SMALL)
        return _rect(x - 9, y - 7, 18, 14, WHITE, INK, "3 2") + mark

    items: list[tuple[Symbol, str]] = [
        (ramp(BELOW_SHADES[::-1]), _("Below the minimum")),
        (_swatch(WITHIN_FILL), _("Between minimum and target")),
        (ramp(ABOVE_SHADES), _("At or above target")),
        (_swatch(NO_RESULT_FILL), _("No result")),
        (uncertain, _("Uncertain")),
    ]
    bottom = top + len(row_labels) * CELL_H
    legend, legend_height = _legend(items, bottom + 10, width)
    height = bottom + 10 + legend_height + PAD
    return _svg("heatmap", width, height, [*body, legend], title, description, id_prefix)


def _gap_style(gap: float | None) -> tuple[str, str]:
    """(category, fill) for a gap: the further from the band, the darker the shade."""
    if gap is None:
        return "none", NO_RESULT_FILL
    if gap == 0:
        return "within", WITHIN_FILL
    shade = sum(abs(gap) > step for step in GAP_STEPS)
    return ("below", BELOW_SHADES[shade]) if gap < 0 else ("above", ABOVE_SHADES[shade])


def _heat_cell(cell: HeatCell, x: float, y: float, name: str) -> str:
    """One cell: the markup ``_g``, ``_title``, ``_rect`` and ``_text`` would make, written out
    here because a team's heatmap has a hundred or more cells and the general helpers were
    most of its time (a test holds the two equal)."""
    category, fill = _gap_style(cell.gap)
    ink = text_colour(fill)
    text = NO_VALUE if cell.gap is None else cell.text
    classes = f"vakwerk-chart__cell vakwerk-chart__cell--{category}"
    left, top = _num(x), _num(y)
    marks = (
        f'<rect x="{left}" y="{top}" width="{_num(CELL_W)}" height="{_num(CELL_H)}" '
        f'fill="{fill}" stroke="{CELL_EDGE}"/>'
    )
    if cell.uncertain:
        text = f"{text} ?".strip()
        classes += " vakwerk-chart__cell--uncertain"
        marks += (
            f'<rect x="{_num(x + 3)}" y="{_num(y + 3)}" width="{_num(CELL_W - 6)}" '
            f'height="{_num(CELL_H - 6)}" fill="none" stroke="{ink}" stroke-dasharray="3 2"/>'
        )
    short = _esc(_truncate(text, CELL_W - 8, 12))
    marks += (
        f'<text x="{_num(x + CELL_W / 2)}" y="{_num(y + CELL_H / 2 + 4)}" fill="{ink}" '
        f'font-size="12" text-anchor="middle">{short}</text>'
    )
    return f'<g class="{classes}"><title>{_esc(f"{name}: {text}")}</title>{marks}</g>'


# --- 3. Stacked shares -------------------------------------------------------------------------

BAR_RIGHT = WIDTH - 70  # the number of people is printed right of the bar
SHARE_KEYS = ("below", "within", "above")


def percentages(counts: Sequence[int]) -> list[int]:
    """Whole percentages that add up to exactly 100 (largest remainder first; ties go to the
    earlier count), or all 0 when there is nobody."""
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    shares = [count * 100 // total for count in counts]
    by_remainder = sorted(range(len(counts)), key=lambda i: (-(counts[i] * 100 % total), i))
    for i in by_remainder[: 100 - sum(shares)]:
        shares[i] += 1
    return shares


def stacked_share_chart(
    rows: Sequence[ShareRow], *, title: str, description: str, id_prefix: str | None = None
) -> SafeString:
    """The organisation view: per competency or unit a 100% bar of people below the minimum,
    between minimum and target, and at or above target, always in that order, each segment
    labelled with its percentage when there is room, and the number of people at the right."""
    names = (_("Below the minimum"), _("Between minimum and target"), _("At or above target"))
    no_data, people_count = _("No data"), _("n = %(count)s")
    fmt = _Numbers()
    axis = _Axis(0, 1, PLOT_LEFT, BAR_RIGHT)
    body = []
    for i, row in enumerate(rows):
        counts = (row.below, row.within, row.above)
        if min(counts) < 0:
            raise ValueError(f"negative count in row {row.label!r}")
        cy, total = PAD + (i + 0.5) * ROW_H, sum(counts)
        parts = [_title(row.label), _label(PAD, cy, row.label, LABEL_W)]
        if total == 0:
            parts.append(_note(PLOT_LEFT, cy + BASELINE, no_data, "no-data"))
            body.append(_g("row row--no-data", *parts))
            continue
        start = 0
        shares = zip(names, SHARE_FILLS, SHARE_KEYS, counts, percentages(counts), strict=True)
        for name, fill, key, count, percent in shares:
            if count == 0:
                continue
            x1, x2 = axis(start / total), axis((start + count) / total)
            tip = f"{name}: {fmt(count)} ({fmt(percent)}%)"
            segment = [_title(tip), _rect(x1, cy - 11, x2 - x1, 22, fill)]
            if x2 - x1 >= 36:
                label = f"{fmt(percent)}%"
                ink = text_colour(fill)
                segment.append(
                    _text((x1 + x2) / 2, cy + 4, label, anchor="middle", size=12, fill=ink)
                )
            parts.append(_g(f"segment segment--{key}", *segment))
            if start > 0:
                parts.append(_line(x1, cy - 11, x1, cy + 11, WHITE, 2))
            start += count
        parts.append(_rect(axis.start, cy - 11, axis.end - axis.start, 22, "none", INK))
        people = people_count % {"count": fmt(total)}
        parts.append(_text(WIDTH - PAD, cy + BASELINE, people, anchor="end", fill=MUTED_INK))
        body.append(_g("row", *parts))
    bottom = PAD + len(rows) * ROW_H
    items = [(_swatch(fill), name) for fill, name in zip(SHARE_FILLS, names, strict=True)]
    legend, legend_height = _legend(items, bottom + 6, WIDTH)
    height = bottom + 6 + legend_height + PAD
    return _svg("stacked-share", WIDTH, height, [*body, legend], title, description, id_prefix)


# --- 4. Trend over rounds ----------------------------------------------------------------------

TREND_LEFT = 48
TREND_HEIGHT = 220


def trend_chart(
    series: Sequence[TrendSeries],
    *,
    x_labels: Sequence[str],
    scale_min: float,
    scale_max: float,
    title: str,
    description: str,
    band: tuple[float, float] | None = None,
    id_prefix: str | None = None,
) -> SafeString:
    """Levels over rounds: per series a line through consecutive estimates, broken where a
    round has none (never bridged: that would invent a measurement), each estimate with a
    vertical whisker for its interval. Series differ in colour, marker shape and dash, and are
    nudged sideways so their whiskers do not hide each other."""
    _check_scale(scale_min, scale_max)
    if any(len(line.points) != len(x_labels) for line in series):
        raise ValueError("every series needs one point (or None) per x label")
    left, right = TREND_LEFT, WIDTH - 2 * PAD
    top, bottom = PAD + 6, PAD + 6 + TREND_HEIGHT
    y_axis = _Axis(scale_min, scale_max, bottom, top)
    step = (right - left) / max(len(x_labels), 1)
    fmt = _Numbers()
    body = []
    if band is not None:
        low, high = sorted(band)
        height = max(y_axis(low) - y_axis(high), 2)
        body.append(
            _rect(left, y_axis(high), right - left, height, BAND_FILL, BAND_STROKE, cls="band")
        )
    for t in _ticks(scale_min, scale_max):
        body.append(_line(left, y_axis(t), right, y_axis(t)))
        body.append(
            _text(
                left - 8,
                y_axis(t) + 4,
                fmt(t),
                anchor="end",
                size=SMALL,
                fill=MUTED_INK,
                cls="tick",
            )
        )
    body.append(_line(left, bottom, right, bottom, INK))
    for j, label in enumerate(x_labels):
        short = _truncate(label, step - 4, SMALL)
        text = _text(left + (j + 0.5) * step, bottom + 18, short, anchor="middle", size=SMALL)
        body.append(_g("x-label", _title(label), text))
    dodge = min(8.0, step / (len(series) + 1))
    for k, line in enumerate(series):
        offset = (k - (len(series) - 1) / 2) * dodge
        xs = [left + (j + 0.5) * step + offset for j in range(len(x_labels))]
        body.append(_trend_series(line, k, xs, y_axis, x_labels, fmt))

    items: list[tuple[Symbol, str]] = [
        (_line_symbol(SERIES_COLOURS[k % 4], DASHES[k % 4], k), line.label)
        for k, line in enumerate(series)
    ]
    if band is not None:
        items.append((_swatch(BAND_FILL, BAND_STROKE), _("Desired band")))
    legend, legend_height = _legend(items, bottom + 30, WIDTH)
    height = bottom + 30 + legend_height + PAD
    return _svg("trend", WIDTH, height, [*body, legend], title, description, id_prefix)


def _trend_series(
    line: TrendSeries,
    index: int,
    xs: Sequence[float],
    y_axis: _Axis,
    x_labels: Sequence[str],
    fmt: _Numbers,
) -> str:
    colour, dash = SERIES_COLOURS[index % 4], DASHES[index % 4]
    runs: list[list[tuple[float, float]]] = [[]]  # stretches of consecutive points
    for x, point in zip(xs, line.points, strict=True):
        if point is None:
            runs.append([])
        else:
            runs[-1].append((x, y_axis(point.value)))
    parts = [_title(line.label)]
    for run in runs:
        if len(run) >= 2:
            parts.append(
                _el(
                    "polyline",
                    points=_points(run),
                    fill="none",
                    stroke=colour,
                    stroke_width=2,
                    stroke_dasharray=dash,
                    class_=_cls("line"),
                )
            )
    for x, point, label in zip(xs, line.points, x_labels, strict=True):
        if point is None:
            continue
        tip = f"{line.label}, {label}: {fmt(point.value, 1)}"
        marks = []
        if point.lower is not None and point.upper is not None:
            tip += f" ({fmt(point.lower, 1)}{NO_VALUE}{fmt(point.upper, 1)})"
            y1, y2 = y_axis(point.lower), y_axis(point.upper)
            marks.append(_line(x, y1, x, y2, colour, 1.5, cls="interval"))
            marks += [_line(x - 4, y, x + 4, y, colour, 1.5) for y in (y1, y2)]
        marks.append(_shape(index, x, y_axis(point.value), colour))
        parts.append(_g("point", _title(tip), *marks))
    return _g("series", *parts)


# --- 5. Radar (an extra only, see the module docstring) ----------------------------------------

RADAR_R = 150
RADAR_LABEL_W = 140


def radar_chart(
    rows: Sequence[RadarRow],
    *,
    scale_max: float,
    title: str,
    description: str,
    id_prefix: str | None = None,
) -> SafeString:
    """Estimate and target polygons, one spoke per row from 0 at the centre to ``scale_max``.
    A polygon is drawn only when every spoke has its value (a partial one would invent zeros);
    known estimates still get their dot. Fewer than three rows make no polygon: empty result."""
    if len(rows) < 3:
        return SafeString("")
    _check_scale(0, scale_max)
    cx, cy = WIDTH / 2, PAD + RADAR_R + 44
    radius = _Axis(0, scale_max, 0, RADAR_R)
    fmt = _Numbers()

    def at(i: int, value: float, extra: float = 0) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / len(rows)
        r = radius(value) + extra
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def polygon(values: Sequence[float], **attrs: Attr) -> str:
        return _el("polygon", points=_points(at(i, v) for i, v in enumerate(values)), **attrs)

    body = []
    for t in _ticks(0, scale_max):
        if t > 0:
            body.append(polygon([t] * len(rows), fill="none", stroke=GRID))
            body.append(
                _text(cx + 4, cy - radius(t) - 3, fmt(t), size=SMALL, fill=MUTED_INK, cls="tick")
            )
    for i, row in enumerate(rows):
        x, y = at(i, scale_max)
        lx, ly = at(i, scale_max, 14)
        cos = (lx - cx) / (RADAR_R + 14)
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        ly += 10 if ly > cy + 1 else -6 if ly < cy - 1 else 4
        label = _truncate(row.label, RADAR_LABEL_W)
        parts = [_title(row.label), _line(cx, cy, x, y), _text(lx, ly, label, anchor=anchor)]
        if row.value is None:
            parts.append(_note(lx, ly + LINE_HEIGHT, _("No result"), "no-result", anchor))
        body.append(_g("axis", *parts))

    targets = [row.target for row in rows if row.target is not None]
    if len(targets) == len(rows):
        body.append(
            polygon(
                targets,
                fill="none",
                stroke=BAND_STROKE,
                stroke_width=2,
                stroke_dasharray="6 3",
                class_=_cls("target"),
            )
        )
    values = [row.value for row in rows if row.value is not None]
    if len(values) == len(rows):
        body.append(
            polygon(
                values,
                fill=ESTIMATE,
                fill_opacity=0.15,
                stroke=ESTIMATE,
                stroke_width=2,
                class_=_cls("estimate"),
            )
        )
    for i, row in enumerate(rows):
        if row.value is not None:
            body.append(_dot(*at(i, row.value), r=4, cls="vertex"))

    def estimate(x: float, y: float) -> str:
        return _line(x - 11, y, x + 11, y, ESTIMATE, 2) + _dot(x, y, r=4)

    items: list[tuple[Symbol, str]] = [(estimate, _("Estimate"))]
    if len(targets) == len(rows):
        items.append((_line_symbol(BAND_STROKE, "6 3"), _("Target")))
    bottom = cy + RADAR_R + 40
    legend, legend_height = _legend(items, bottom, WIDTH)
    height = bottom + legend_height + PAD
    return _svg("radar", WIDTH, height, [*body, legend], title, description, id_prefix)


# --- 6. Histogram ------------------------------------------------------------------------------

HIST_HEIGHT = 180


def histogram(
    bins: Sequence[tuple[str, int]], *, title: str, description: str, id_prefix: str | None = None
) -> SafeString:
    """Vertical bars for a distribution, e.g. how many people were estimated in each range of
    levels. The count is printed above each bar, so there is no y axis to read."""
    if any(count < 0 for _label, count in bins):
        raise ValueError("counts cannot be negative")
    left, right = 2 * PAD, WIDTH - 2 * PAD
    top, bottom = PAD + 20, PAD + 20 + HIST_HEIGHT
    if not bins:
        body = [_note(left, top, _("No data"), "no-data")]
        return _svg("histogram", WIDTH, top + 2 * PAD, body, title, description, id_prefix)
    step = (right - left) / len(bins)
    bar_width = step * 0.7
    fmt = _Numbers()
    y_axis = _Axis(0, max(max(count for _label, count in bins), 1), bottom, top)
    body = []
    for j, (label, count) in enumerate(bins):
        x, y = left + j * step + (step - bar_width) / 2, y_axis(count)
        middle = x + bar_width / 2
        short = _truncate(label, step - 4, SMALL)
        body.append(
            _g(
                "bar",
                _title(f"{label}: {fmt(count)}"),
                _rect(x, y, bar_width, bottom - y, ESTIMATE),
                _text(middle, y - 6, fmt(count), anchor="middle", cls="count"),
                _text(middle, bottom + 18, short, anchor="middle", size=SMALL),
            )
        )
    body.append(_line(left, bottom, right, bottom, INK))
    return _svg("histogram", WIDTH, bottom + 30 + PAD, body, title, description, id_prefix)
