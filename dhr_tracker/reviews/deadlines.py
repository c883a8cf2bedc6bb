"""Deadlines of a review: clocks, pauses, extensions and RAG status, as pure functions.

The model (DHR.md sections 3, 9 and 19):

- A **clock** starts on a day (notification T0, decision T1, a request being sent) and has an
  **allowance**: months and/or days of active time. Its base due date is the start plus the
  allowance, month arithmetic clamped to the month end (31 Jan + 1 month = 28 or 29 Feb).
- A **pause** (parallel proceedings: criminal trial, inquest, IOPC, another statutory review, a
  family request) stops the clock. Pauses are half-open: a pause from 1 Mar to 10 Mar stops the
  clock on the days 1..9 Mar and the clock runs again on 10 Mar, so it is 9 paused days. An open
  pause (no end yet) stops the clock from its start onwards. Overlapping and adjacent pauses are
  merged, so every calendar day is counted once; days before the clock's start never count.
- Every day from the start up to (not including) today is either **active** or **paused**:
  ``active_days + paused_days == (today - start).days``.
- The **due date** is the first active day on which the allowance of active days has elapsed. In
  effect each pause that starts on or before the due date pushes it later by its length, and a
  push can bring a later pause into the window, which pushes again. The due day itself is part of
  the allowance (work done on the due date is on time), so a pause starting on the due date
  pushes it too. A deadline never falls on a paused day. An open pause starting on or before the
  due date makes the due date unknown while it lasts (``Due.on is None``, ``Due.paused``).
- An **extension** adds days to the allowance; it must give a reason. Extension days are active
  days, so a pause that begins inside the extended window pushes the due date as well.
- **RAG**: COMPLETE once done (done late is still complete; ``days_late`` reports lateness
  apart); RED when today is after the due date; PAUSED while the clock is stopped; AMBER when the
  due date is close; GREEN otherwise. "Close" is within ``Policy.amber_days`` days, narrowed for
  short allowances to their last ``Policy.amber_last_percent`` per cent, so a ten-working-day
  scoping return is not amber from the day it is requested. A review's status is the worst of
  its open deadlines (``worst``): RED > AMBER > PAUSED > GREEN > COMPLETE.

What is configurable lives in ``Policy``; the defaults are DHR.md's. Bank holidays are those of
England and Wales, computed for any year from 1978 (when the early May holiday began), plus the
one-off days proclaimed so far; ``Policy.extra_holidays`` adds any proclaimed later.

No Django here (``sharing.dates`` is pure too), so every rule is testable on its own and reusable by tasks, views and reports.
"""

import calendar
import enum
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sharing.dates import add_months

# Moved and one-off England and Wales bank holidays since 1978, from the proclamations.
_EARLY_MAY_MOVED = {1995: date(1995, 5, 8), 2020: date(2020, 5, 8)}  # VE Day 50th and 75th
_SPRING_MOVED = {2002: date(2002, 6, 4), 2012: date(2012, 6, 4), 2022: date(2022, 6, 2)}  # jubilees
_ONE_OFF = frozenset(
    {
        date(1981, 7, 29),  # royal wedding
        date(1999, 12, 31),  # millennium
        date(2002, 6, 3),  # golden jubilee
        date(2011, 4, 29),  # royal wedding
        date(2012, 6, 5),  # diamond jubilee
        date(2022, 6, 3),  # platinum jubilee
        date(2022, 9, 19),  # state funeral of Queen Elizabeth II
        date(2023, 5, 8),  # coronation of King Charles III
    }
)
FIRST_COMPUTED_YEAR = 1978


@dataclass(frozen=True)
class Policy:
    """The configurable deadlines of one instance, with DHR.md's defaults.

    - ``decision_months``: the CSP chair decides within one month of the death coming to their
      attention (DHR.md s3, s19 state 3: T0 + 1 month) [C].
    - ``completion_months``: overview report completed six months from the decision (s3, s19
      state 10: T1 + 6 months) [U], so configurable.
    - ``scoping_working_days``: agencies return scoping checks within about 5-10 working days
      (s19 state 2) [P/U].
    - ``request_weeks``: each chronology or IMR request is due in 6-8 weeks (s19 state 7) [U].
    - ``amber_days`` and ``amber_last_percent``: a deadline turns amber when it is due within
      ``amber_days`` days, or for a short allowance within its last ``amber_last_percent`` per
      cent, whichever is later. Local practice [P]; 14 days matches the first reminder (issue 5).
    - ``extra_holidays``: bank holidays proclaimed after this code was written.
    """

    decision_months: int = 1
    completion_months: int = 6
    scoping_working_days: int = 10
    request_weeks: int = 8
    amber_days: int = 14
    amber_last_percent: int = 20
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("decision_months", "completion_months", "scoping_working_days", "request_weeks"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Policy {name} must be a positive number, not {getattr(self, name)}")
        if self.amber_days < 0:
            raise ValueError(f"Policy amber_days must not be negative, not {self.amber_days}")
        if not 0 <= self.amber_last_percent <= 100:
            raise ValueError(f"Policy amber_last_percent must be between 0 and 100, not {self.amber_last_percent}")

    @property
    def holidays(self) -> "HolidayCalendar":
        """Return the bank holidays this policy observes."""
        return HolidayCalendar(extra=self.extra_holidays)


# Month arithmetic


# Bank holidays and working days


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of ``year`` by the Gregorian computus (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    return date(year, month, (h + weekday_shift - 7 * m + 33 * month + 19) % 32)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=-first.weekday() % 7)


def _last_monday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=last.weekday())


def _with_substitutes(days: list[date]) -> set[date]:
    """Return ``days``, each falling at a weekend replaced by the next free weekday."""
    observed = {day for day in days if day.weekday() < 5}
    for day in days:
        if day.weekday() >= 5:
            substitute = day
            while substitute.weekday() >= 5 or substitute in observed:
                substitute += timedelta(days=1)
            observed.add(substitute)
    return observed


@lru_cache(maxsize=256)
def bank_holidays(year: int) -> frozenset[date]:
    """Return the England and Wales bank holidays of ``year``, including one-off days."""
    if year < FIRST_COMPUTED_YEAR:
        raise ValueError(f"Bank holidays are computed from {FIRST_COMPUTED_YEAR}, not for {year}")
    easter = easter_sunday(year)
    days = _with_substitutes([date(year, 1, 1)]) | _with_substitutes([date(year, 12, 25), date(year, 12, 26)])
    days |= {
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _EARLY_MAY_MOVED.get(year, _first_monday(year, 5)),
        _SPRING_MOVED.get(year, _last_monday(year, 5)),
        _last_monday(year, 8),
    }
    return frozenset(days | {day for day in _ONE_OFF if day.year == year})


@dataclass(frozen=True)
class HolidayCalendar:
    """England and Wales bank holidays for any year, plus ``extra`` days."""

    extra: frozenset[date] = field(default_factory=frozenset)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and (day in self.extra or day in bank_holidays(day.year))


ENGLAND_AND_WALES = HolidayCalendar()


def is_working_day(day: date, holidays: Container[date] = ENGLAND_AND_WALES) -> bool:
    """Return whether ``day`` is a weekday and not a holiday."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(start: date, n: int, holidays: Container[date] = ENGLAND_AND_WALES) -> date:
    """Return the ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
    if n < 0:
        raise ValueError(f"The number of working days must not be negative, not {n}")
    day = start
    while n:
        day += timedelta(days=1)
        n -= is_working_day(day, holidays)
    return day


# Pauses and extensions


class PauseReason(enum.StrEnum):
    """Why a review's clock stopped: the parallel proceedings of DHR.md s9, or the family."""

    CRIMINAL_TRIAL = "criminal_trial"
    INQUEST = "inquest"
    IOPC = "iopc"
    OTHER_STATUTORY_REVIEW = "other_statutory_review"
    FAMILY_REQUEST = "family_request"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Return the reason as shown to people."""
        return _PAUSE_LABELS[self]


_PAUSE_LABELS = {
    PauseReason.CRIMINAL_TRIAL: "Criminal investigation or trial",
    PauseReason.INQUEST: "Inquest",
    PauseReason.IOPC: "IOPC investigation",
    PauseReason.OTHER_STATUTORY_REVIEW: "Other statutory review (SAR, CSPR, mental health homicide review)",
    PauseReason.FAMILY_REQUEST: "Family request",
    PauseReason.OTHER: "Other",
}


@dataclass(frozen=True)
class Pause:
    """The clock stops from ``start`` and runs again on ``end`` (``None``: not ended yet)."""

    start: date
    end: date | None
    reason: PauseReason

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"A pause cannot end ({self.end:%d %b %Y}) before it starts ({self.start:%d %b %Y})")


@dataclass(frozen=True)
class Extension:
    """Extra days of allowance, granted on a day for a stated reason."""

    days: int
    reason: str
    granted_on: date

    def __post_init__(self) -> None:
        if self.days <= 0:
            raise ValueError(f"An extension must add at least one day, not {self.days}")
        if not self.reason.strip():
            raise ValueError("An extension needs a reason")


Interval = tuple[date, date | None]


def merge_pauses(pauses: Iterable[Pause]) -> list[Interval]:
    """Return the pauses as sorted, disjoint half-open intervals, overlapping and adjacent ones merged."""
    merged: list[Interval] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None or pause.start <= last_end:
                end = None if last_end is None or pause.end is None else max(last_end, pause.end)
                merged[-1] = (last_start, end)
                continue
        merged.append((pause.start, pause.end))
    return merged


def _clipped(pauses: Iterable[Pause], start: date) -> list[Interval]:
    """Return the merged pauses from ``start`` on, dropping the days before it."""
    return [(max(s, start), e) for s, e in merge_pauses(pauses) if e is None or e > start]


def _check_order(start: date, until: date, until_name: str = "until") -> None:
    if until < start:
        raise ValueError(f"{until_name} ({until:%d %b %Y}) is before the start ({start:%d %b %Y})")


def paused_days(start: date, until: date, pauses: Iterable[Pause]) -> int:
    """Return how many days from ``start`` up to (not including) ``until`` the clock was stopped."""
    _check_order(start, until)
    return sum((min(e or until, until) - s).days for s, e in _clipped(pauses, start) if s < until)


def active_days(start: date, until: date, pauses: Iterable[Pause]) -> int:
    """Return how many days from ``start`` up to (not including) ``until`` the clock ran."""
    return (until - start).days - paused_days(start, until, pauses)


def is_paused(day: date, pauses: Iterable[Pause]) -> bool:
    """Return whether the clock is stopped on ``day``."""
    return any(s <= day and (e is None or day < e) for s, e in merge_pauses(pauses))


# Due dates


@dataclass(frozen=True)
class Allowance:
    """How long a clock runs: ``months`` calendar months (clamped to month end) then ``days`` days."""

    months: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        if self.months < 0 or self.days < 0 or self.months == self.days == 0:
            raise ValueError(f"An allowance needs a positive length, not {self.months} months and {self.days} days")

    def base_due(self, start: date) -> date:
        """Return the due date without pauses or extensions."""
        return add_months(start, self.months) + timedelta(days=self.days)


@dataclass(frozen=True)
class Due:
    """A due date and how it was reached."""

    on: date | None  # None while an open pause holds the clock
    base: date  # start plus allowance, before pauses and extensions
    allowance_days: int  # active days allowed, extensions included
    extension_days: int
    paused: bool  # the due date waits on an open pause


def due_date(
    start: date, allowance: Allowance, pauses: Iterable[Pause] = (), extensions: Iterable[Extension] = ()
) -> Due:
    """Return the first active day on which the allowance, with extensions, has elapsed."""
    base = allowance.base_due(start)
    extension_days = sum(extension.days for extension in extensions)
    allowed = (base - start).days + extension_days
    on = start + timedelta(days=allowed)
    for pause_start, pause_end in _clipped(pauses, start):
        if pause_start > on:
            break
        if pause_end is None:
            return Due(None, base, allowed, extension_days, paused=True)
        on += pause_end - pause_start
    return Due(on, base, allowed, extension_days, paused=False)


def decision_due(notified_on: date, policy: Policy) -> date:
    """Return when the CSP chair's decision is due (T0 + one month by default)."""
    return add_months(notified_on, policy.decision_months)


def completion_target(
    decided_on: date, policy: Policy, pauses: Iterable[Pause] = (), extensions: Iterable[Extension] = ()
) -> Due:
    """Return the target for completing the review (T1 + six months by default), net of pauses."""
    return due_date(decided_on, Allowance(months=policy.completion_months), pauses, extensions)


def request_due(sent_on: date, policy: Policy, weeks: int | None = None) -> date:
    """Return when an agency's chronology or IMR is due (eight weeks by default)."""
    weeks = policy.request_weeks if weeks is None else weeks
    if weeks <= 0:
        raise ValueError(f"A request must allow at least one week, not {weeks}")
    return sent_on + timedelta(weeks=weeks)


def scoping_due(requested_on: date, policy: Policy, holidays: Container[date] | None = None) -> date:
    """Return when agencies' scoping returns are due, in working days."""
    return add_working_days(
        requested_on, policy.scoping_working_days, policy.holidays if holidays is None else holidays
    )


# RAG


class Rag(enum.StrEnum):
    """Red, amber, green status of a deadline, plus paused and complete."""

    COMPLETE = "complete"
    GREEN = "green"
    PAUSED = "paused"
    AMBER = "amber"
    RED = "red"


_SEVERITY = {Rag.COMPLETE: 0, Rag.GREEN: 1, Rag.PAUSED: 2, Rag.AMBER: 3, Rag.RED: 4}


def amber_window(policy: Policy, allowance_days: int | None = None) -> int:
    """Return how many days before the due date a deadline turns amber."""
    if allowance_days is None:
        return policy.amber_days
    return min(policy.amber_days, allowance_days * policy.amber_last_percent // 100)


def rag(
    due: date | None,
    today: date,
    policy: Policy,
    *,
    done_on: date | None = None,
    paused: bool = False,
    allowance_days: int | None = None,
) -> Rag:
    """Return the status of a deadline on ``today``; ``allowance_days`` narrows amber for short ones."""
    if done_on is not None:
        if done_on > today:
            raise ValueError(f"The completion date ({done_on:%d %b %Y}) is after today ({today:%d %b %Y})")
        return Rag.COMPLETE
    if due is not None and today > due:
        return Rag.RED
    if paused:
        return Rag.PAUSED
    if due is None:
        raise ValueError("A deadline without a due date must be paused or done")
    if (due - today).days <= amber_window(policy, allowance_days):
        return Rag.AMBER
    return Rag.GREEN


def action_target(target_on: date, today: date, policy: Policy, *, done_on: date | None = None) -> Rag:
    """Return the status of an action plan item against its target date."""
    return rag(target_on, today, policy, done_on=done_on)


def days_late(due: date | None, done_on: date) -> int:
    """Return how many days after the due date the work was done (0 when on time or undated)."""
    return 0 if due is None else max(0, (done_on - due).days)


def worst(rags: Iterable[Rag]) -> Rag:
    """Return the most severe status: RED > AMBER > PAUSED > GREEN > COMPLETE."""
    statuses = list(rags)
    if not statuses:
        raise ValueError("worst() needs at least one status")
    return max(statuses, key=_SEVERITY.__getitem__)


# The clock of a review


@dataclass(frozen=True)
class Clock:
    """Where a clock stands on a day: time used, time paused, when due, and its status."""

    start: date
    on: date  # today, or the day the work was done if earlier
    elapsed_days: int
    active_days: int
    paused_days: int
    paused: bool  # the clock is stopped on ``on``
    due: Due
    days_remaining: int | None  # negative when overdue; None when the due date is unknown or work is done
    days_late: int
    rag: Rag


def clock(
    start: date,
    today: date,
    allowance: Allowance,
    policy: Policy,
    *,
    pauses: Iterable[Pause] = (),
    extensions: Iterable[Extension] = (),
    done_on: date | None = None,
) -> Clock:
    """Return the clock started on ``start`` as it stands on ``today`` (or when the work was done)."""
    pauses, extensions = tuple(pauses), tuple(extensions)
    _check_order(start, today, "Today")
    if done_on is not None:
        _check_order(start, done_on, "The completion date")
    on = today if done_on is None else min(done_on, today)
    due = due_date(start, allowance, pauses, extensions)
    stopped = is_paused(on, pauses)
    paused = paused_days(start, on, pauses)
    elapsed = (on - start).days
    remaining = None if due.on is None or done_on is not None else (due.on - today).days
    late = 0 if done_on is None else days_late(due.on, done_on)
    status = rag(
        due.on, today, policy, done_on=done_on, paused=stopped or due.paused, allowance_days=due.allowance_days
    )
    return Clock(start, on, elapsed, elapsed - paused, paused, stopped, due, remaining, late, status)
