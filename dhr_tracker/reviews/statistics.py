"""How long a partnership's reviews take between milestones, against the targets (DHR.md s3, s15).

Three intervals: notification to decision, decision to submission to the Home Office, and
submission to publication. The decision-to-submission interval starts at T1, the decision to
review or a Home Office direction (``schedule.completion_start``), as the completion clock does.
Each median counts the reviews that have finished the interval; those still in it are counted
apart. Paused days are left out of the medians, as the clocks stop during a pause, and reported
on their own. Two queries, whatever the number of reviews.

The chart is server-side SVG built from escaped fragments, with the same figures in a table.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from statistics import median

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dhr_tracker.reviews import deadlines, schedule
from dhr_tracker.reviews.lifecycle import FINAL, State
from dhr_tracker.reviews.models import Pause, Review

# Months are targets in the guidance; the medians are in days.
DAYS_PER_MONTH = 365.25 / 12

# Geometry of the chart, in SVG user units.
WIDTH = 960
BAR_LEFT = 10
BAR_ROOM = 700
GROUP_HEIGHT = 96
BAR_HEIGHT = 20


@dataclass(frozen=True)
class Interval:
    label: str
    median_days: float | None  # active days, pauses left out; None when no review has finished it
    median_paused_days: float | None
    counted: int
    in_progress: int
    target_days: int | None
    target_months: int | None


@dataclass(frozen=True)
class Figures:
    intervals: list[Interval]
    chart: SafeString


def target_days(months: int) -> int:
    """A target in months as days, on an average month."""
    return round(months * DAYS_PER_MONTH)


Span = Callable[[Review], tuple[date | None, date | None]]

# Each interval: its label, its start and end on a review, and the setting that holds its target.
_INTERVALS: list[tuple[str, Span, str | None]] = [
    ("Notification to decision", lambda r: (r.notified_on, r.decided_on), "REVIEW_DECISION_MONTHS"),
    (
        "Decision to submission to the Home Office",
        lambda r: (schedule.completion_start(r), r.submitted_on),
        "REVIEW_COMPLETION_MONTHS",
    ),
    ("Submission to publication", lambda r: (r.submitted_on, r.published_on), None),
]


def _interval(
    label: str, span: Span, months: int | None, reviews: list[Review], pauses: dict[int, list[deadlines.Pause]]
) -> Interval:
    active: list[int] = []
    paused: list[int] = []
    in_progress = 0
    for review in reviews:
        start, end = span(review)
        if start is None:
            continue
        if end is None:
            in_progress += State(review.state) not in FINAL
            continue
        stopped = deadlines.paused_days(start, max(start, end), pauses[review.pk])
        paused.append(stopped)
        active.append((end - start).days - stopped)
    return Interval(
        label,
        median(active) if active else None,
        median(paused) if paused else None,
        len(active),
        in_progress,
        target_days(months) if months else None,
        months,
    )


def figures(partnership_id: int) -> Figures:
    """The partnership's intervals, medians and targets, with their chart."""
    reviews = list(
        Review.objects.filter(partnership_id=partnership_id).only(
            "state", "notified_on", "decided_on", "directed_on", "submitted_on", "published_on"
        )
    )
    pauses: dict[int, list[deadlines.Pause]] = defaultdict(list)
    rows = (
        Pause.objects.filter(review__partnership_id=partnership_id)
        .order_by()
        .values_list("review_id", "started_on", "ended_on", "reason")
    )
    for review_id, started_on, ended_on, reason in rows:
        pauses[review_id].append(deadlines.Pause(started_on, ended_on, deadlines.PauseReason(reason)))
    intervals = [
        _interval(label, span, getattr(settings, setting) if setting else None, reviews, pauses)
        for label, span, setting in _INTERVALS
    ]
    return Figures(intervals, chart(intervals))


def _days(value: float) -> str:
    return f"{value:g} day{'' if value == 1 else 's'}"


def describe(interval: Interval) -> str:
    """The interval in words, for the chart's description and bar titles."""
    if interval.median_days is None:
        said = f"{interval.label}: no review has got this far yet"
    else:
        said = f"{interval.label}: median {_days(interval.median_days)} over {interval.counted} review{'s' if interval.counted != 1 else ''}"
    if interval.target_days is None:
        return f"{said}; no target."
    return f"{said}; target about {_days(interval.target_days)}."


def chart(intervals: list[Interval]) -> SafeString:
    """A bar chart of each median against its target."""
    values = [v for i in intervals for v in (i.median_days, i.target_days) if v]
    top = max(values, default=1) * 1.1
    parts: list[SafeString] = []

    def width(value: float) -> str:
        return f"{max(2.0, value * BAR_ROOM / top):.1f}"

    for index, interval in enumerate(intervals):
        y = index * GROUP_HEIGHT
        parts.append(
            format_html('<text class="app-chart__label" x="{}" y="{}">{}</text>', BAR_LEFT, y + 18, interval.label)
        )
        bar_y, target_y = y + 28, y + 28 + BAR_HEIGHT + 6
        if interval.median_days is None:
            parts.append(
                format_html(
                    '<text class="app-chart__value" x="{}" y="{}">Median: no review has got this far yet</text>',
                    BAR_LEFT,
                    bar_y + 15,
                )
            )
        else:
            bar = width(interval.median_days)
            parts.append(
                format_html(
                    '<rect class="app-chart__bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
                    '<text class="app-chart__value" x="{}" y="{}">Median {}</text>',
                    BAR_LEFT,
                    bar_y,
                    bar,
                    BAR_HEIGHT,
                    describe(interval),
                    f"{BAR_LEFT + float(bar) + 8:.1f}",
                    bar_y + 15,
                    _days(interval.median_days),
                )
            )
        if interval.target_days is None:
            parts.append(
                format_html('<text class="app-chart__value" x="{}" y="{}">No target</text>', BAR_LEFT, target_y + 15)
            )
        else:
            bar = width(interval.target_days)
            parts.append(
                format_html(
                    '<rect class="app-chart__target" x="{}" y="{}" width="{}" height="{}"/>'
                    '<text class="app-chart__value" x="{}" y="{}">Target about {}</text>',
                    BAR_LEFT,
                    target_y,
                    bar,
                    BAR_HEIGHT,
                    f"{BAR_LEFT + float(bar) + 8:.1f}",
                    target_y + 15,
                    _days(interval.target_days),
                )
            )
    height = len(intervals) * GROUP_HEIGHT
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart__svg" viewBox="0 0 {} {}" role="img"'
        ' aria-labelledby="app-chart-title app-chart-desc" focusable="false">'
        '<title id="app-chart-title">Median days between milestones, against the targets</title>'
        '<desc id="app-chart-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        " ".join(describe(interval) for interval in intervals),
        format_html_join("", "{}", ((part,) for part in parts)),
    )
