"""A review's timeline: its stages, pauses and deadlines, drawn as server-side SVG and listed as rows.

The SVG is built from escaped fragments (``format_html``), so text typed by people (pause bodies,
meeting actions) can never become markup. It draws a time axis from the death to the later of
today and the last deadline, with month ticks; one lane per lifecycle stage entered, with a band
for each time the review was in it; one lane per pause, hatched and shaded across the chart; one
lane per deadline with a marker at its due date; and a line for today. Meaning never rests on
colour alone: every marker carries a word ("Overdue", "Due soon"...) and every lane a label.
Colours come from ``app-timeline`` classes in ``app.css``, since the CSP forbids ``style=``.

``rows`` are the same facts in date order, for the table that goes with the picture.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dhr_tracker.reviews import lifecycle
from dhr_tracker.reviews.deadlines import PauseReason, Rag
from dhr_tracker.reviews.lifecycle import LABELS, State
from dhr_tracker.reviews.models import Pause, Review, StepRecord
from dhr_tracker.reviews.schedule import Deadline, Status
from sharing.dates import add_months

# The words of ``reviews/rag_tag.html``, so the picture and the tags say the same.
RAG_WORDS = {
    Rag.RED: "Overdue",
    Rag.AMBER: "Due soon",
    Rag.PAUSED: "Paused",
    Rag.COMPLETE: "Done",
    Rag.GREEN: "On track",
}

# Geometry of the drawing, in SVG user units; the browser scales it to the page width.
WIDTH = 960
LABEL_WIDTH = 285
PLOT_LEFT = 295
PLOT_RIGHT = 925
AXIS_HEIGHT = 40
LANE_HEIGHT = 28
BAND_HEIGHT = 16
BOTTOM = 30
MAX_MONTH_LABELS = 10
# Lane labels longer than this are cut short in the picture; the table has them whole.
LABEL_CHARS = 40
# A generous width of one character of a caption, to write it left of its marker when it would not fit.
CHAR_WIDTH = 7

# Steps that carry the date the thing happened, which may be earlier than the day it was recorded.
_DATED_BY_REVIEW = {"commission": "decided_on", "decline": "decided_on", "home_office_direction": "directed_on"}


@dataclass(frozen=True)
class Row:
    on: date
    what: str
    detail: str
    rag: Rag | None = None


@dataclass(frozen=True)
class Timeline:
    svg: SafeString
    rows: list[Row]


@dataclass(frozen=True)
class Band:
    state: State
    start: date
    end: date


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "\u2026"


def _reason(pause: Pause) -> str:
    return PauseReason(pause.reason).label


def step_dates(review: Review, steps: Sequence[StepRecord], pauses: Sequence[Pause]) -> list[date]:
    """The day each step took effect: the date of its fact where it has one, else the day it was recorded."""
    starts = iter(sorted(pause.started_on for pause in pauses))
    ends = iter(sorted(pause.ended_on for pause in pauses if pause.ended_on))
    found: list[date] = []
    for step in steps:
        on: date | None = getattr(review, _DATED_BY_REVIEW[step.name]) if step.name in _DATED_BY_REVIEW else None
        if step.name == "pause":
            on = next(starts, None)
        elif step.name == "resume":
            on = next(ends, None)
        found.append(on or timezone.localdate(step.at))
    # A step recorded after a later step's fact date happened by then: the steps keep their order.
    for index in range(len(found) - 2, -1, -1):
        found[index] = min(found[index], found[index + 1])
    return [max(on, review.notified_on) for on in found]


def bands(review: Review, steps: Sequence[StepRecord], dates: Sequence[date], today: date) -> list[Band]:
    """Each stage the review was in, from the step that entered it to the next."""
    entered = [(State.NOTIFIED, review.notified_on)] + [
        (State(step.to_state), on) for step, on in zip(steps, dates, strict=True)
    ]
    ends = [on for _, on in entered[1:]] + [max(today, entered[-1][1])]
    return [Band(state, start, end) for (state, start), end in zip(entered, ends, strict=True)]


class _Scale:
    """Days to x positions between the plot's edges."""

    def __init__(self, start: date, end: date) -> None:
        self.start = start
        self.days = max(1, (end - start).days)

    def x(self, day: date) -> float:
        return PLOT_LEFT + (day - self.start).days * (PLOT_RIGHT - PLOT_LEFT) / self.days


def _months(start: date, end: date) -> list[date]:
    """The first days of the months from ``start`` to ``end``."""
    first = date(start.year, start.month, 1)
    if first < start:
        first = add_months(first, 1)
    found = []
    while first <= end:
        found.append(first)
        first = add_months(first, 1)
    return found


def _n(value: float) -> str:
    return f"{value:.1f}"


def _axis(scale: _Scale, start: date, end: date, bottom: float) -> list[SafeString]:
    parts = [
        format_html(
            '<line class="app-timeline__axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            PLOT_LEFT,
            AXIS_HEIGHT - 8,
            PLOT_RIGHT,
            AXIS_HEIGHT - 8,
        )
    ]
    months = _months(start, end)
    every = max(1, math.ceil(len(months) / MAX_MONTH_LABELS))
    for index, month in enumerate(months):
        x = _n(scale.x(month))
        parts.append(
            format_html(
                '<line class="app-timeline__grid" x1="{}" y1="{}" x2="{}" y2="{}"/>', x, AXIS_HEIGHT - 12, x, bottom
            )
        )
        if index % every == 0:
            parts.append(
                format_html(
                    '<text class="app-timeline__tick-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x,
                    AXIS_HEIGHT - 16,
                    f"{month:%b %Y}",
                )
            )
    return parts


def _lane_label(y: float, text: str) -> SafeString:
    short = _short(text)
    return format_html(
        '<text class="app-timeline__lane-label" x="{}" y="{}" text-anchor="end">{}{}</text>',
        LABEL_WIDTH,
        _n(y + BAND_HEIGHT / 2 + 5),
        format_html("<title>{}</title>", text) if short != text else "",
        short,
    )


def _caption(x: float, y: float, text: str) -> SafeString:
    """Text beside a marker, on whichever side has room."""
    left = x + 10 + len(text) * CHAR_WIDTH > WIDTH
    return format_html(
        '<text class="app-timeline__caption" x="{}" y="{}" text-anchor="{}">{}</text>',
        _n(x - 10 if left else x + 10),
        _n(y + BAND_HEIGHT / 2 + 5),
        "end" if left else "start",
        text,
    )


def _band(scale: _Scale, y: float, start: date, end: date, css: str, title: str, fill: str = "") -> SafeString:
    x1, x2 = scale.x(start), scale.x(end)
    # A stage entered and left on the same day still shows as a sliver.
    width = max(2.0, x2 - x1)
    if fill:
        return format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            css,
            _n(x1),
            _n(y),
            _n(width),
            BAND_HEIGHT,
            fill,
            title,
        )
    return format_html(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        css,
        _n(x1),
        _n(y),
        _n(width),
        BAND_HEIGHT,
        title,
    )


def _marker(x: float, y: float, css: str, title: str) -> SafeString:
    """A diamond centred on the lane at ``x``."""
    cy = y + BAND_HEIGHT / 2
    half = BAND_HEIGHT / 2
    points = f"{_n(x)},{_n(cy - half)} {_n(x + half)},{_n(cy)} {_n(x)},{_n(cy + half)} {_n(x - half)},{_n(cy)}"
    return format_html('<polygon class="{}" points="{}"><title>{}</title></polygon>', css, points, title)


def _deadline_caption(deadline: Deadline) -> str:
    if deadline.due is None:
        return "On hold while the review is paused"
    caption = f"{RAG_WORDS[deadline.rag]}: due {deadline.due.day} {deadline.due:%b %Y}"
    if deadline.done_on:
        caption += f", done {deadline.done_on.day} {deadline.done_on:%b %Y}"
    return caption


def _extent(status: Status, dates: Iterable[date], pauses: Sequence[Pause], today: date) -> date:
    days = [today, *dates]
    days += [d.due for d in status.deadlines if d.due] + [d.done_on for d in status.deadlines if d.done_on]
    days += [pause.ended_on for pause in pauses if pause.ended_on]
    return max(days)


def _svg(
    review: Review,
    status: Status,
    stage_bands: list[Band],
    pauses: Sequence[Pause],
    start: date,
    end: date,
    today: date,
) -> SafeString:
    prefix = f"app-timeline-{review.pk}"
    stage_lanes = list(dict.fromkeys(band.state for band in stage_bands))
    lanes = 1 + len(stage_lanes) + len(pauses) + len(status.deadlines)
    plot_top = AXIS_HEIGHT
    plot_bottom = plot_top + lanes * LANE_HEIGHT
    height = plot_bottom + BOTTOM
    scale = _Scale(start, end)
    hatch = f"{prefix}-hatch"
    parts: list[SafeString] = [
        format_html(
            '<defs><pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
            '<rect class="app-timeline__hatch-ground" width="8" height="8"/>'
            '<line class="app-timeline__hatch" x1="0" y1="0" x2="0" y2="8"/></pattern></defs>',
            hatch,
        )
    ]
    # Pauses first, so the shading lies under everything else.
    for pause in pauses:
        x1, x2 = scale.x(pause.started_on), scale.x(pause.ended_on or today)
        parts.append(
            format_html(
                '<rect class="app-timeline__pause-shade" x="{}" y="{}" width="{}" height="{}"/>',
                _n(x1),
                plot_top,
                _n(max(2.0, x2 - x1)),
                plot_bottom - plot_top,
            )
        )
    parts += _axis(scale, start, end, plot_bottom)
    y = float(plot_top + (LANE_HEIGHT - BAND_HEIGHT) / 2)
    parts.append(_lane_label(y, "Death"))
    parts.append(_marker(scale.x(review.died_on), y, "app-timeline__death", f"Death, {_day(review.died_on)}"))
    parts.append(_caption(scale.x(review.died_on), y, f"Death, {review.died_on.day} {review.died_on:%b %Y}"))
    for state in stage_lanes:
        y += LANE_HEIGHT
        parts.append(_lane_label(y, LABELS[state]))
        for band in (band for band in stage_bands if band.state == state):
            css = "app-timeline__stage app-timeline__stage--paused" if state == State.PAUSED else "app-timeline__stage"
            title = f"{LABELS[state]}: from {_day(band.start)} to {_day(band.end)}"
            parts.append(
                _band(scale, y, band.start, band.end, css, title, f"url(#{hatch})" if state == State.PAUSED else "")
            )
    for pause in pauses:
        y += LANE_HEIGHT
        label = f"Paused: {_reason(pause)}"
        until = _day(pause.ended_on) if pause.ended_on else "today (not ended)"
        parts.append(_lane_label(y, label))
        parts.append(
            _band(
                scale,
                y,
                pause.started_on,
                pause.ended_on or today,
                "app-timeline__pause",
                f"{label}{f' ({pause.body})' if pause.body else ''}: from {_day(pause.started_on)} to {until}",
                f"url(#{hatch})",
            )
        )
    for deadline in status.deadlines:
        y += LANE_HEIGHT
        parts.append(_lane_label(y, deadline.label))
        caption = _deadline_caption(deadline)
        if deadline.due is None:
            parts.append(_caption(scale.x(today), y, caption))
            continue
        x = scale.x(deadline.due)
        parts.append(
            _marker(x, y, f"app-timeline__marker app-timeline__marker--{deadline.rag}", f"{deadline.label}: {caption}")
        )
        parts.append(_caption(x, y, caption))
    now = _n(scale.x(today))
    parts.append(
        format_html(
            '<line class="app-timeline__today" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="app-timeline__today-label" x="{}" y="{}" text-anchor="middle">Today</text>',
            now,
            plot_top - 8,
            now,
            plot_bottom,
            now,
            plot_bottom + 18,
        )
    )
    current = LABELS[State(review.state)]
    description = (
        f"From {_day(start)} to {_day(end)}. The review is now {current.lower()}"
        f" and {RAG_WORDS[status.rag].lower()}, with {len(pauses)} pause{'s' if len(pauses) != 1 else ''}"
        f" and {len(status.deadlines)} deadline{'s' if len(status.deadlines) != 1 else ''}."
        " The table after the picture lists the same facts."
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-timeline__svg" viewBox="0 0 {} {}" role="img"'
        ' aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">Timeline of {}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        prefix,
        prefix,
        prefix,
        review.reference,
        prefix,
        description,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def _rows(
    review: Review,
    status: Status,
    steps: Sequence[StepRecord],
    dates: Sequence[date],
    pauses: Sequence[Pause],
    today: date,
) -> list[Row]:
    rows = [
        Row(review.died_on, "Death", review.get_death_type_display()),
        Row(review.notified_on, "Notified to the partnership", f"By {review.get_notifier_kind_display().lower()}"),
    ]
    for step, on in zip(steps, dates, strict=True):
        transition = lifecycle.TRANSITIONS.get(step.name)
        rows.append(Row(on, f"Stage: {LABELS[State(step.to_state)]}", transition.label if transition else step.name))
    for pause in pauses:
        facts = [pause.body, pause.reference]
        if pause.expected_end_on:
            facts.append(f"expected to end {_day(pause.expected_end_on)}")
        rows.append(Row(pause.started_on, f"Paused: {_reason(pause)}", ", ".join(fact for fact in facts if fact)))
        if pause.ended_on:
            days = (pause.ended_on - pause.started_on).days
            rows.append(
                Row(pause.ended_on, f"Pause ended: {_reason(pause)}", f"{days} day{'s' if days != 1 else ''} paused")
            )
    for deadline in status.deadlines:
        # The status itself is shown by the row's tag.
        facts = [] if deadline.due else ["on hold while the review is paused"]
        if deadline.done_on:
            facts.append(f"done on {_day(deadline.done_on)}")
        if deadline.clock and deadline.clock.due.extension_days:
            facts.append(f"extended by {deadline.clock.due.extension_days} days")
        detail = ", ".join(facts)
        rows.append(Row(deadline.due or today, f"Due: {deadline.label}", detail[:1].upper() + detail[1:], deadline.rag))
    rows.append(Row(today, "Today", f"{status.active_days} days active, {status.paused_days} days paused"))
    return sorted(rows, key=lambda row: row.on)


def build(
    review: Review, status: Status, steps: Sequence[StepRecord], pauses: Sequence[Pause], today: date
) -> Timeline:
    """Draw the review's timeline on ``today`` and list the same facts as rows."""
    pauses = sorted(pauses, key=lambda pause: pause.started_on)
    dates = step_dates(review, steps, pauses)
    stage_bands = bands(review, steps, dates, today)
    start = min(review.died_on, review.notified_on)
    end = _extent(status, dates, pauses, today)
    return Timeline(
        _svg(review, status, stage_bands, pauses, start, end, today), _rows(review, status, steps, dates, pauses, today)
    )
