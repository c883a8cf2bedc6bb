"""The arithmetic of the combined chronology's timeline: its axis and ticks, the bins entries are grouped into, and the summary rows.

Nothing here draws; ``lanes`` turns what this works out into SVG.

The axis runs from the start of the earliest entry's month to the end of the latest entry's
month, with a tick each month, when the entries span under three years; otherwise from the
start of the earliest entry's year to the end of the latest's, with a tick each year. Tick
labels are thinned to every n-th tick, n chosen so that labels on the closest ticks (28-day
months) are still a label's width apart, so they never overlap.

Scale. A review may gather 20 agencies x 5,000 entries. 100,000 SVG elements would make the page
too heavy to load or read, so entries are aggregated, by this rule:

1. The **bin** is the smallest of a day, a week (Monday to Sunday), a month and a year that cuts
   the axis into at most ``MAX_BINS`` bins, else a year (so only a span of over 80 years has more).
2. On each lane, entries dated to a day are grouped by the bin of their day into one dot at the
   bin's middle, whose radius grows with the logarithm of the count; entries dated to a month or
   year are grouped by the bin their period starts in into one bar from the group's earliest
   start to its latest end, whose thickness grows the same way. Each mark's tooltip says how
   many entries it stands for (and how many of them are significant); a mark standing for one
   entry gives its date and label instead.
3. Significant entries are never merged away: each is drawn on its own as a diamond, up to
   ``SIGNIFICANT_CAP`` per lane. A lane with more draws ``SIGNIFICANT_CAP`` of them spread evenly
   through their date order, says under its label how many more are in the table only, and counts
   those others in its dots and bars, so that every entry is still in the picture somewhere.

So a lane never has more than ``2 * MAX_BINS + SIGNIFICANT_CAP`` marks (190), whatever the
number of entries. Marks stand at their bin, not their day, so a dot may sit up to half a bin
(at most half a month, a few pixels) from the entries it stands for; its tooltip names the bin.

The accessible alternative cannot be a row per entry: a 100,000-row table is not something
anyone can use, with a screen reader or without. So ``rows`` summarise each agency (entries,
first and last date, significant entries), ``significant`` lists every significant entry (the
picture's cap does not apply), and ``pauses`` lists every pause. The combined chronology's own
paginated, filterable list is where each entry is read.
"""

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from sharing.dates import add_months

# Aggregation: the most bins an axis is cut into, and the most significant entries drawn per lane.
MAX_BINS = 80
SIGNIFICANT_CAP = 30

# Entries spanning less than this many days get month ticks; longer spans get year ticks.
MONTH_AXIS_DAYS = 3 * 365
# A generous width of one character of a 12px label, and the least space between tick labels.
CHAR_WIDTH = 7
TICK_GAP = 10


@dataclass(frozen=True)
class LaneEntry:
    """One chronology entry to draw: ``start`` and ``end`` are the first and last days of its date."""

    agency: str
    start: date
    end: date
    label: str
    significant: bool


class LanePause(NamedTuple):
    """A pause of the review, from ``start`` up to (not including) ``end``, or still open."""

    start: date
    end: date | None
    reason_label: str


@dataclass(frozen=True)
class AgencyRow:
    agency: str
    entries: int
    significant: int
    first: str
    last: str


@dataclass(frozen=True)
class SignificantRow:
    on: str
    agency: str
    label: str


@dataclass(frozen=True)
class PauseRow:
    reason: str
    start: str
    end: str


def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def period_label(start: date, end: date) -> str:
    """Say a period in words: a day, a whole month, a whole year, or from one day to another."""
    if start == end:
        return day(start)
    if start.day == 1 and end == add_months(start, 1) - timedelta(days=1):
        return f"{start:%B %Y}"
    if (start.month, start.day, end.year, end.month, end.day) == (1, 1, start.year, 12, 31):
        return str(start.year)
    return f"{day(start)} to {day(end)}"


@dataclass(frozen=True)
class Unit:
    """A size of bin: how to number the bin of a day (``step`` apart), and the days and words of a bin number."""

    name: str
    step: int
    key: Callable[[date], int]
    first: Callable[[int], date]
    after: Callable[[int], date]
    words: Callable[[int], str]


def _month_first(key: int) -> date:
    return date(key // 12, key % 12 + 1, 1)


_UNITS = (
    Unit(
        "day",
        1,
        date.toordinal,
        date.fromordinal,
        lambda k: date.fromordinal(k + 1),
        lambda k: day(date.fromordinal(k)),
    ),
    Unit(
        "week",
        7,
        lambda d: d.toordinal() - d.weekday(),
        date.fromordinal,
        lambda k: date.fromordinal(k + 7),
        lambda k: f"the week of {day(date.fromordinal(k))}",
    ),
    Unit(
        "month",
        1,
        lambda d: d.year * 12 + d.month - 1,
        _month_first,
        lambda k: add_months(_month_first(k), 1),
        lambda k: f"{_month_first(k):%B %Y}",
    ),
    Unit("year", 1, lambda d: d.year, lambda k: date(k, 1, 1), lambda k: date(k + 1, 1, 1), str),
)


def bin_unit(start: date, end: date) -> Unit:
    """The smallest bin that cuts the axis from ``start`` to ``end`` (exclusive) into at most ``MAX_BINS``."""
    last = end - timedelta(days=1)
    for unit in _UNITS[:-1]:
        if (unit.key(last) - unit.key(start)) // unit.step < MAX_BINS:
            return unit
    return _UNITS[-1]


def axis_bounds(first: date, last: date) -> tuple[date, date, bool]:
    """The axis's first day and the day after its last, and whether it has month ticks (else year ticks)."""
    if (last - first).days < MONTH_AXIS_DAYS:
        return date(first.year, first.month, 1), add_months(date(last.year, last.month, 1), 1), True
    return date(first.year, 1, 1), date(last.year + 1, 1, 1), False


def axis_ticks(start: date, end: date, by_month: bool) -> list[date]:
    """The axis's ticks from ``start`` to ``end`` inclusive: the first of each month, or of each year."""
    ticks = []
    tick = start
    while tick <= end:
        ticks.append(tick)
        tick = add_months(tick, 1) if by_month else date(tick.year + 1, 1, 1)
    return ticks


def tick_every(by_month: bool, per_day: float) -> int:
    """Label every n-th tick: the least n that puts labels on the closest ticks a label's width apart."""
    label_width = (8 if by_month else 4) * CHAR_WIDTH + TICK_GAP
    closest = (28 if by_month else 365) * per_day
    return max(1, math.ceil(label_width / closest))


def spread(count: int, cap: int) -> list[int]:
    """Pick at most ``cap`` of ``count`` positions, evenly through them, always the first and the last."""
    if count <= cap:
        return list(range(count))
    return [round(index * (count - 1) / max(1, cap - 1)) for index in range(cap)]


class Group:
    """Entries sharing a mark: their count, how many are significant, their extent and the first of them."""

    __slots__ = ("count", "end", "first", "significant", "start")

    def __init__(self, entry: LaneEntry) -> None:
        self.count = 0
        self.significant = 0
        self.start = entry.start
        self.end = entry.end
        self.first = entry

    def add(self, entry: LaneEntry) -> None:
        self.count += 1
        self.significant += entry.significant
        self.start = min(self.start, entry.start)
        self.end = max(self.end, entry.end)


@dataclass(frozen=True)
class LaneBins:
    """One lane's marks: dots and bars by bin number in order, the significant entries drawn on their own
    in date order, and how many significant entries are left to the table."""

    dots: list[tuple[int, Group]]
    bars: list[tuple[int, Group]]
    significant: list[LaneEntry]
    untold: int


def bin_lane(entries: Sequence[LaneEntry], unit: Unit) -> LaneBins:
    """Group one lane's entries by ``unit``, setting apart up to ``SIGNIFICANT_CAP`` significant entries."""
    significant = sorted((e for e in entries if e.significant), key=lambda e: (e.start, e.end, e.label))
    marked = set(spread(len(significant), SIGNIFICANT_CAP))
    unmarked = [entry for index, entry in enumerate(significant) if index not in marked]
    dots: dict[int, Group] = {}
    bars: dict[int, Group] = {}
    for entry in [*(e for e in entries if not e.significant), *unmarked]:
        groups = dots if entry.start == entry.end else bars
        key = unit.key(entry.start)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(entry)
        group.add(entry)
    return LaneBins(
        sorted(dots.items()),
        sorted(bars.items()),
        [significant[index] for index in sorted(marked)],
        len(unmarked),
    )


def lane_order(agencies: Iterable[str]) -> list[str]:
    """The agencies in name order, ignoring case first."""
    return sorted(agencies, key=lambda name: (name.casefold(), name))


def summary_rows(
    by_agency: Mapping[str, Sequence[LaneEntry]], agencies: Sequence[str]
) -> tuple[list[AgencyRow], list[SignificantRow]]:
    """A row for each agency, in the order given, and a row for every significant entry, in date order."""
    rows = []
    significant_rows: list[tuple[LaneEntry, SignificantRow]] = []
    for agency in agencies:
        lane = by_agency[agency]
        earliest = min(lane, key=lambda e: (e.start, e.end))
        latest = max(lane, key=lambda e: (e.end, e.start))
        significant = [e for e in lane if e.significant]
        rows.append(
            AgencyRow(
                agency,
                len(lane),
                len(significant),
                period_label(earliest.start, earliest.end),
                period_label(latest.start, latest.end),
            )
        )
        significant_rows += [(e, SignificantRow(period_label(e.start, e.end), agency, e.label)) for e in significant]
    significant_rows.sort(key=lambda pair: (pair[0].start, pair[0].end, pair[1].agency.casefold(), pair[1].label))
    return rows, [row for _, row in significant_rows]


def pause_rows(pauses: Sequence[LanePause]) -> list[PauseRow]:
    return [
        PauseRow(pause.reason_label, day(pause.start), day(pause.end) if pause.end else "Not ended") for pause in pauses
    ]
