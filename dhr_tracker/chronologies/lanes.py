"""The combined chronology's timeline: one lane per agency over a shared time axis, drawn as server-side SVG.

The SVG is built from escaped fragments (``format_html``), so text typed by people (agency names,
entry labels, pause reasons) can never become markup. Lanes are sorted by agency name and
labelled with the agency and its counts. An entry dated to a day is a dot; an entry dated only
to a month or a year (``start`` and ``end`` are the first and last days of that period) is a
short bar spanning it. Significant entries are diamonds with the class ``app-lanes__significant``
and a tooltip beginning "Significant". Pauses of the review are shaded across every lane and
named in a lane of their own. Meaning never rests on colour alone: shapes differ, every lane has
a label, every mark a tooltip, and a key under the chart says what each shape means. Colours
come from ``app-lanes`` classes in ``app.css``, since the CSP forbids ``style=``.

The axis, its ticks, the rule by which entries are aggregated into bins, and the summary rows
for the tables are worked out in ``binning``, whose docstring gives them. Under that rule a lane
never has more than ``2 * MAX_BINS + SIGNIFICANT_CAP`` marks (190), whatever the number of
entries, so 20 full lanes stay under ``SVG_BUDGET_BYTES``.
"""

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dhr_tracker.chronologies.binning import (
    CHAR_WIDTH,
    AgencyRow,
    LaneEntry,
    LanePause,
    PauseRow,
    SignificantRow,
    Unit,
    axis_bounds,
    axis_ticks,
    bin_lane,
    bin_unit,
    day,
    lane_order,
    pause_rows,
    period_label,
    summary_rows,
    tick_every,
)

# 20 full lanes of 190 marks with their tooltips come to about 420 KB (six years of 100,000 entries,
# every month bin full) to 450 KB (80 years by year). Under 500 KB a page still loads in a second or
# two on a slow office connection, gzip shrinks SVG text several times over, and browsers draw
# 4,000 shapes without stutter.
SVG_BUDGET_BYTES = 500_000

# Geometry of the drawing, in SVG user units; the browser scales it to the page width.
WIDTH = 960
LABEL_RIGHT = 230
PLOT_LEFT = 240
PLOT_RIGHT = 920
AXIS_HEIGHT = 40
LANE_HEIGHT = 40
KEY_HEIGHT = 36
BAR_TOP = 5
MARK_MIDDLE = 25
MAX_RADIUS = 8.0
DIAMOND_HALF = 7
# Lane labels and tooltips are cut short in the picture; the tables have them whole.
LABEL_CHARS = 30
TOOLTIP_CHARS = 100


class LanesError(ValueError):
    """An entry or pause that cannot be drawn; the message says which and how to put it right."""


@dataclass(frozen=True)
class Lanes:
    svg: SafeString
    rows: list[AgencyRow]
    significant: list[SignificantRow]
    pauses: list[PauseRow]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _n(value: float) -> str:
    return f"{value:.1f}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


class _Scale:
    """Days to x positions between the plot's edges; a day is the span from its start to the next day's."""

    def __init__(self, start: date, end: date) -> None:
        self.origin = start.toordinal()
        self.per_day = (PLOT_RIGHT - PLOT_LEFT) / max(1, (end - start).days)

    def x(self, day: date) -> float:
        return PLOT_LEFT + (day.toordinal() - self.origin) * self.per_day


def _axis(scale: _Scale, start: date, end: date, by_month: bool, bottom: float) -> list[SafeString]:
    ticks = axis_ticks(start, end, by_month)
    every = tick_every(by_month, scale.per_day)
    baseline = AXIS_HEIGHT - 8
    parts = [
        format_html(
            '<line class="app-lanes__axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', PLOT_LEFT, baseline, PLOT_RIGHT, baseline
        )
    ]
    for index, tick in enumerate(ticks):
        x = _n(scale.x(tick))
        parts.append(
            format_html('<line class="app-lanes__grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', x, baseline - 4, x, bottom)
        )
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="app-lanes__tick-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x,
                    baseline - 8,
                    f"{tick:%b %Y}" if by_month else f"{tick:%Y}",
                )
            )
    return parts


def _radius(count: int) -> float:
    return min(MAX_RADIUS, 2.5 + 1.2 * math.log2(count))


def _thickness(count: int) -> float:
    return min(8.0, 3 + math.log2(count))


def _diamond(x: float) -> str:
    """The points of a diamond centred at ``x`` on the lane's middle line (the group sets the height)."""
    return f"{_n(x)},-{DIAMOND_HALF} {_n(x + DIAMOND_HALF)},0 {_n(x)},{DIAMOND_HALF} {_n(x - DIAMOND_HALF)},0"


def _one(entry: LaneEntry) -> str:
    """The tooltip of a mark standing for one entry."""
    said = f"{period_label(entry.start, entry.end)}: {_short(entry.label, TOOLTIP_CHARS)}"
    return f"Significant: {said}" if entry.significant else said


def _many(count: int, significant: int, where: str) -> str:
    also = f", {significant:,} of them significant" if significant else ""
    return f"{_plural(count, 'entry', 'entries')}{also}, {where}"


def _lane(entries: Sequence[LaneEntry], scale: _Scale, unit: Unit, top: float) -> tuple[list[SafeString], int]:
    """The marks of one lane, and how many of its significant entries are left to the table."""
    bins = bin_lane(entries, unit)
    middle = top + MARK_MIDDLE
    dot_parts = format_html_join(
        "",
        '<circle cx="{}" r="{}"><title>{}</title></circle>',
        (
            (
                _n((scale.x(unit.first(key)) + scale.x(unit.after(key))) / 2),
                _n(_radius(group.count)),
                _one(group.first)
                if group.count == 1
                else _many(group.count, group.significant, f"in {unit.words(key)}"),
            )
            for key, group in bins.dots
        ),
    )
    bar_parts = format_html_join(
        "",
        '<rect x="{}" width="{}" height="{}"><title>{}</title></rect>',
        (
            (
                _n(scale.x(group.start)),
                _n(max(2.0, scale.x(group.end + timedelta(days=1)) - scale.x(group.start))),
                _n(_thickness(group.count)),
                _one(group.first)
                if group.count == 1
                else _many(group.count, group.significant, f"dated {period_label(group.start, group.end)}"),
            )
            for _, group in bins.bars
        ),
    )
    marks = [
        format_html(
            '<line class="app-lanes__lane-rule" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            PLOT_LEFT,
            _n(top + LANE_HEIGHT),
            PLOT_RIGHT,
            _n(top + LANE_HEIGHT),
        ),
        format_html('<g class="app-lanes__bars" transform="translate(0 {})">{}</g>', _n(top + BAR_TOP), bar_parts),
        format_html('<g class="app-lanes__dots" transform="translate(0 {})">{}</g>', _n(middle), dot_parts),
    ]
    significant_parts = []
    for entry in bins.significant:
        title = _one(entry)
        x1, x2 = scale.x(entry.start), scale.x(entry.end + timedelta(days=1))
        if entry.start == entry.end:
            significant_parts.append(
                format_html(
                    '<polygon class="app-lanes__significant" points="{}"><title>{}</title></polygon>',
                    _diamond((x1 + x2) / 2),
                    title,
                )
            )
        else:
            significant_parts.append(
                format_html(
                    '<g class="app-lanes__significant app-lanes__significant--period"><title>{}</title>'
                    '<rect x="{}" y="-2" width="{}" height="4"/><polygon points="{}"/></g>',
                    title,
                    _n(x1),
                    _n(max(2.0, x2 - x1)),
                    _diamond((x1 + x2) / 2),
                )
            )
    marks.append(
        format_html(
            '<g class="app-lanes__diamonds" transform="translate(0 {})">{}</g>',
            _n(middle),
            format_html_join("", "{}", ((part,) for part in significant_parts)),
        )
    )
    return marks, bins.untold


def _lane_label(top: float, agency: str, entries: int, significant: int, untold: int) -> SafeString:
    counts = f"{_plural(entries, 'entry', 'entries')}, {significant:,} significant"
    return format_html(
        '<text class="app-lanes__lane-label" x="{}" y="{}" text-anchor="end"><title>{}: {}</title>{}</text>'
        '<text class="app-lanes__lane-note" x="{}" y="{}" text-anchor="end">{}</text>{}',
        LABEL_RIGHT,
        _n(top + 14),
        agency,
        counts,
        _short(agency, LABEL_CHARS),
        LABEL_RIGHT,
        _n(top + 27),
        counts,
        format_html(
            '<text class="app-lanes__lane-note" x="{}" y="{}" text-anchor="end">{} more in the table only</text>',
            LABEL_RIGHT,
            _n(top + 38),
            f"{untold:,}",
        )
        if untold
        else "",
    )


def _pause_parts(
    scale: _Scale, pauses: Sequence[LanePause], start: date, end: date, plot_top: float, lane_top: float, hatch: str
) -> tuple[list[SafeString], int]:
    """Shade each pause within the axis across every lane and band it in the pause lane; count those drawn."""
    shades: list[SafeString] = []
    bands: list[SafeString] = []
    for pause in pauses:
        until = pause.end or end
        if until <= start or pause.start >= end:
            continue
        x1, x2 = scale.x(max(pause.start, start)), scale.x(min(until, end))
        width = max(2.0, x2 - x1)
        title = f"Paused: {pause.reason_label}, " + (
            f"from {day(pause.start)} to {day(pause.end)}" if pause.end else f"from {day(pause.start)}, not ended"
        )
        shades.append(
            format_html(
                '<rect class="app-lanes__pause-shade" x="{}" y="{}" width="{}" height="{}"/>',
                _n(x1),
                plot_top,
                _n(width),
                _n(lane_top + LANE_HEIGHT - plot_top),
            )
        )
        bands.append(
            format_html(
                '<rect class="app-lanes__pause" x="{}" y="{}" width="{}" height="16" fill="url(#{})">'
                "<title>{}</title></rect>",
                _n(x1),
                _n(lane_top + 4),
                _n(width),
                hatch,
                title,
            )
        )
        room = int(width // CHAR_WIDTH)
        # A caption that would not fit even cut short is left to the tooltip and the table.
        if room >= 6:
            bands.append(
                format_html(
                    '<text class="app-lanes__pause-label" x="{}" y="{}">{}</text>',
                    _n(x1 + 2),
                    _n(lane_top + 34),
                    _short(pause.reason_label, room),
                )
            )
    if bands:
        bands.insert(
            0,
            format_html(
                '<text class="app-lanes__lane-label" x="{}" y="{}" text-anchor="end">Review paused</text>',
                LABEL_RIGHT,
                _n(lane_top + 16),
            ),
        )
    return shades + bands, len(shades)


def _key(y: float, hatch: str) -> SafeString:
    """The key under the chart: what each shape means, in words."""
    return format_html(
        '<g class="app-lanes__key" transform="translate({} {})">'
        '<g class="app-lanes__dots"><circle cx="6" r="5"/></g>'
        '<text class="app-lanes__key-label" x="16" y="4">Dated to a day (bigger: more entries)</text>'
        '<g class="app-lanes__bars"><rect x="270" y="-3" width="24" height="6"/></g>'
        '<text class="app-lanes__key-label" x="300" y="4">Dated to a month or year</text>'
        '<polygon class="app-lanes__significant" points="{}"/>'
        '<text class="app-lanes__key-label" x="480" y="4">Significant</text>'
        '<rect class="app-lanes__pause" x="570" y="-6" width="24" height="12" fill="url(#{})"/>'
        '<text class="app-lanes__key-label" x="600" y="4">Review paused</text></g>',
        PLOT_LEFT - 200,
        _n(y),
        _diamond(466),
        hatch,
    )


def _svg_frame(prefix: str, height: float, title: str, description: str, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-lanes__svg" viewBox="0 0 {} {}" role="img"'
        ' aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        _n(height),
        prefix,
        prefix,
        prefix,
        title,
        prefix,
        description,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def _check(entries: Iterable[LaneEntry]) -> dict[str, list[LaneEntry]]:
    """Group the entries by agency, refusing any that cannot be placed on a lane."""
    by_agency: dict[str, list[LaneEntry]] = {}
    for entry in entries:
        if not entry.agency.strip():
            raise LanesError(
                f"The entry \u201c{_short(entry.label, 60)}\u201d has no agency. Say which agency it is from."
            )
        if entry.end < entry.start:
            raise LanesError(
                f"The entry \u201c{_short(entry.label, 60)}\u201d of {entry.agency} ends ({day(entry.end)}) before it"
                f" starts ({day(entry.start)}). Correct its date."
            )
        by_agency.setdefault(entry.agency, []).append(entry)
    return by_agency


def build(entries: Iterable[LaneEntry], pauses: Iterable[tuple[date, date | None, str]], *, title: str) -> Lanes:
    """Draw the entries on a lane per agency, with the pauses shaded, and summarise them as rows for the tables."""
    by_agency = _check(entries)
    checked = sorted((LanePause(*pause) for pause in pauses), key=lambda pause: pause.start)
    for pause in checked:
        if pause.end is not None and pause.end < pause.start:
            raise LanesError(
                f"The pause for {pause.reason_label} ends ({day(pause.end)}) before it starts"
                f" ({day(pause.start)}). Correct its dates."
            )
    agencies = lane_order(by_agency)
    rows, significant_rows = summary_rows(by_agency, agencies)
    # The title and the summary tell one figure from another, so two on a page never share an id.
    digest = hashlib.blake2s(repr((title, rows)).encode(), digest_size=5).hexdigest()
    prefix = f"app-lanes-{digest}"
    svg = _draw(prefix, title, by_agency, agencies, checked, rows, len(significant_rows))
    return Lanes(svg, rows, significant_rows, pause_rows(checked))


def _pauses_said(pauses: int, drawn: int) -> str:
    if not pauses:
        return ""
    outside = pauses - drawn
    said = f" {_plural(drawn, 'pause of the review is', 'pauses of the review are')} shaded"
    return said + (f"; {_plural(outside, 'more falls', 'more fall')} outside these dates." if outside else ".")


def _draw(
    prefix: str,
    title: str,
    by_agency: dict[str, list[LaneEntry]],
    agencies: list[str],
    pauses: Sequence[LanePause],
    rows: list[AgencyRow],
    significant: int,
) -> SafeString:
    if not agencies:
        nothing = "There are no entries to draw yet."
        return _svg_frame(
            prefix,
            60,
            title,
            nothing,
            [format_html('<text class="app-lanes__lane-label" x="20" y="35">{}</text>', nothing)],
        )
    first = min(min(e.start for e in lane) for lane in by_agency.values())
    last = max(max(e.end for e in lane) for lane in by_agency.values())
    start, end, by_month = axis_bounds(first, last)
    scale = _Scale(start, end)
    unit = bin_unit(start, end)
    plot_top = AXIS_HEIGHT
    pause_top = plot_top + len(agencies) * LANE_HEIGHT
    hatch = f"{prefix}-hatch"
    pause_parts, drawn_pauses = _pause_parts(scale, pauses, start, end, plot_top, pause_top, hatch)
    plot_bottom = pause_top + (LANE_HEIGHT if pause_parts else 0)
    parts = [
        format_html(
            '<defs><pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect class="app-lanes__hatch-ground" width="8" height="8"/>'
            '<line class="app-lanes__hatch" x1="0" y1="0" x2="0" y2="8"/></pattern></defs>',
            hatch,
        ),
        # Pauses first, so the shading lies under everything else.
        *pause_parts,
        *_axis(scale, start, end, by_month, plot_bottom),
    ]
    untold_total = 0
    for index, (agency, row) in enumerate(zip(agencies, rows, strict=True)):
        top = plot_top + index * LANE_HEIGHT
        marks, untold = _lane(by_agency[agency], scale, unit, top)
        untold_total += untold
        parts.append(_lane_label(top, agency, row.entries, row.significant, untold))
        parts += marks
    parts.append(_key(plot_bottom + KEY_HEIGHT / 2, hatch))
    total = sum(row.entries for row in rows)
    description = (
        f"{_plural(total, 'entry', 'entries')} from {_plural(len(agencies), 'agency', 'agencies')}, one lane each,"
        f" from {day(start)} to {day(end - timedelta(days=1))}. Entries are grouped by"
        f" {unit.name}: a dot stands for entries dated to a day and a bar"
        " for entries dated only to a month or a year, bigger for more entries."
        f" {_plural(significant, 'significant entry is', 'significant entries are')} marked with diamonds"
        + (f", except {untold_total:,} listed in the table only" if untold_total else "")
        + "."
        + _pauses_said(len(pauses), drawn_pauses)
        + " The tables after the picture give each agency's entries, every significant entry and every pause."
    )
    return _svg_frame(prefix, plot_bottom + KEY_HEIGHT, title, description, parts)
