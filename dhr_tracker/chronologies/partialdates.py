"""Dates of chronology entries as the records state them: a day, a month or only a year.

An agency's record may say "31 December 2019", "December 2019" or only "2019", and the entry keeps
what the record says, no more (issue 6, DHR.md section 7). ``PartialDate`` is such a date with its
``Precision``; ``parse_date`` reads the common UK forms people type, ``parse_time`` the times, and
``from_cell`` / ``time_from_cell`` the values a spreadsheet cell may hold.

- Day and month are always in UK order: 01/02/2019 is 1 February, never 2 January.
- Two-digit years are refused: "19" could be 1919 or 2019 in a history that spans a lifetime.
- Years run from ``EARLIEST_YEAR`` to ``LATEST_YEAR``, which catches typing slips such as "1019"
  while allowing the oldest records a review could reach.
- A time belongs to a day: "Dec 2019 at 14:30" is refused.
- Storage is ISO-like and keeps the precision: ``2019-12-31``, ``2019-12`` or ``2019``.

The order of a combined chronology (``sort_key``) must come out the same whatever order the
agencies' entries arrive in. Entries are ordered by the first day of their period; at the same
first day the less precise comes first, so "2019" heads the year it could be anywhere in, before
"Jan 2019", before "1 Jan 2019"; then entries without a time before those with one, and times in
order; then the caller's tiebreak (agency name, then the entry's position in its submission), which
must make every key unique for the order to be fully determined.
"""

import calendar
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

EARLIEST_YEAR = 1900
LATEST_YEAR = 2100

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

DATE_FORMS = "Enter the date as 31/12/2019, 31 Dec 2019, Dec 2019 or 2019"
TIME_FORMS = "Enter the time as 14:30 or 2.30pm"
FOUR_DIGIT_YEAR = "Enter the year with all four digits, for example 31/12/2019 rather than 31/12/19"
TIME_NEEDS_DAY = "A time needs a full date. Enter the day, month and year, or leave the time blank"


class DateError(ValueError):
    """A date or time that cannot be read or cannot exist; ``message`` tells the person what to enter."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Precision(enum.IntEnum):
    """How much of a date the record states, coarsest first, so sorting by it puts the vaguer first."""

    YEAR = 1
    MONTH = 2
    DAY = 3


@dataclass(frozen=True)
class PartialDate:
    """A date known to the day, to the month or only to the year."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        for name in ("year", "month", "day"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise TypeError(f"PartialDate {name} must be a whole number, not {value!r}")
        if not EARLIEST_YEAR <= self.year <= LATEST_YEAR:
            raise DateError(f"Enter a year from {EARLIEST_YEAR} to {LATEST_YEAR}")
        if self.month is None:
            if self.day is not None:
                raise DateError("A day needs a month. Enter the month as well")
            return
        if not 1 <= self.month <= 12:
            raise DateError(f"There is no month {self.month}. Enter a month from 1 to 12")
        if self.day is not None and not 1 <= self.day <= calendar.monthrange(self.year, self.month)[1]:
            raise DateError(f"{MONTH_NAMES[self.month - 1]} {self.year} has no day {self.day}")

    @classmethod
    def from_date(cls, day: date) -> "PartialDate":
        """Return the day ``day`` as a partial date known to the day."""
        return cls(day.year, day.month, day.day)

    @property
    def precision(self) -> Precision:
        """Return how much of the date is known."""
        if self.day is not None:
            return Precision.DAY
        return Precision.YEAR if self.month is None else Precision.MONTH

    @property
    def start(self) -> date:
        """Return the first day of the period."""
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def end(self) -> date:
        """Return the last day of the period."""
        if self.month is None:
            return date(self.year, 12, 31)
        return date(self.year, self.month, self.day or calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        if self.month is None:
            return str(self.year)
        month = MONTH_NAMES[self.month - 1][:3]
        return f"{month} {self.year}" if self.day is None else f"{self.day} {month} {self.year}"

    def to_storage(self) -> str:
        """Return the ISO-like form that keeps the precision: ``2019-12-31``, ``2019-12`` or ``2019``."""
        parts = [f"{self.year:04d}"] + [f"{part:02d}" for part in (self.month, self.day) if part is not None]
        return "-".join(parts)

    @classmethod
    def from_storage(cls, text: str) -> "PartialDate":
        """Return the partial date stored as ``text`` by ``to_storage``."""
        match = _STORAGE.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a stored partial date")
        year, month, day = match.groups()
        return cls(int(year), None if month is None else int(month), None if day is None else int(day))


_STORAGE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)

# Parsing: each form is tried against the text lowered and with its spaces collapsed.

_MONTH_WORD = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(\d{1,2})"
_ORDINAL_DAY = r"(\d{1,2})(?:st|nd|rd|th)?(?: of)?"
_NUMERIC_MONTH = r"(\d{1,2})"
_SEP = r"[ /.,-]*"


def _month_number(word: str) -> int:
    return next(index for index, name in enumerate(MONTH_NAMES, start=1) if name.lower().startswith(word[:3]))


def _numeric_day(match: re.Match[str]) -> PartialDate:
    day, month, year = int(match[1]), int(match[3]), int(match[4])
    if month > 12 >= day:
        raise DateError(f"There is no month {month}. Enter the day first, then the month, as in 31/12/2019")
    return PartialDate(year, month, day)


def _named_day(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[3]), _month_number(match[2]), int(match[1]))


def _named_month(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[2]), _month_number(match[1]))


def _numeric_month(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[2]), int(match[1]))


def _iso_day(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[1]), int(match[3]), int(match[4]))


def _iso_month(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[1]), int(match[2]))


def _year(match: re.Match[str]) -> PartialDate:
    return PartialDate(int(match[1]))


def _forms(year: str) -> list[tuple[re.Pattern[str], Callable[[re.Match[str]], PartialDate]]]:
    """Return the UK date forms with ``year`` as the pattern of the year."""
    return [
        (re.compile(rf"{_DAY}([ /.-]){_NUMERIC_MONTH}\2{year}", re.ASCII), _numeric_day),
        (re.compile(rf"{_ORDINAL_DAY}{_SEP}{_MONTH_WORD}{_SEP}{year}", re.ASCII), _named_day),
        (re.compile(rf"{_MONTH_WORD}{_SEP}{year}", re.ASCII), _named_month),
        (re.compile(rf"{_NUMERIC_MONTH}[ /.-]{year}", re.ASCII), _numeric_month),
    ]


_DATE_FORMS = [
    *_forms(r"(\d{4})"),
    (re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})", re.ASCII), _iso_day),
    (re.compile(r"(\d{4})[/.-](\d{1,2})", re.ASCII), _iso_month),
    (re.compile(r"(\d{4})", re.ASCII), _year),
]
_TWO_DIGIT_YEAR_FORMS = [pattern for pattern, _ in _forms(r"(\d{2})")]


def _clean(text: str) -> str:
    return " ".join(text.split()).lower()


def parse_date(text: str) -> PartialDate:
    """Return the date ``text`` states in a common UK form, to the day, the month or the year."""
    cleaned = _clean(text)
    for pattern, build in _DATE_FORMS:
        match = pattern.fullmatch(cleaned)
        if match is not None:
            return build(match)
    if any(pattern.fullmatch(cleaned) for pattern in _TWO_DIGIT_YEAR_FORMS):
        raise DateError(FOUR_DIGIT_YEAR)
    raise DateError(DATE_FORMS)


_TIME_24 = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?", re.ASCII)
_TIME_12 = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?:[:.](\d{2}))? ?([ap])\.?m\.?", re.ASCII)


def clock(at: time | None) -> str:
    """A time as people write it and ``parse_time`` reads it: 14:30, with seconds only if it has them; "" for none."""
    if at is None:
        return ""
    return f"{at:%H:%M}" if at.second == 0 else f"{at:%H:%M:%S}"


def check_time(on: PartialDate, at: time | None) -> None:
    """Refuse a time on a date not known to the day."""
    if at is not None and on.precision is not Precision.DAY:
        raise DateError(TIME_NEEDS_DAY)


def parse_time(text: str, *, on: PartialDate | None = None) -> time | None:
    """Return the time ``text`` states ("14:30", "2.30pm", "14:30:00"), or ``None`` when it is blank.

    Given the entry's date ``on``, a time on a date not known to the day is refused.
    """
    cleaned = _clean(text)
    if not cleaned:
        return None
    if match := _TIME_24.fullmatch(cleaned):
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23:
            raise DateError(f"There is no hour {hour} in a day. {TIME_FORMS}")
    elif match := _TIME_12.fullmatch(cleaned):
        hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
        if not 1 <= hour <= 12:
            raise DateError(f"Use hours from 1 to 12 with am or pm, or from 0 to 23 without. {TIME_FORMS}")
        hour = hour % 12 + (12 if match[4] == "p" else 0)
    else:
        raise DateError(TIME_FORMS)
    if minute > 59 or second > 59:
        raise DateError(f"Minutes and seconds go up to 59. {TIME_FORMS}")
    result = time(hour, minute, second)
    if on is not None:
        check_time(on, result)
    return result


# Spreadsheet cells


def _whole_seconds(moment: time | timedelta) -> time:
    """Return ``moment`` to the nearest second, since spreadsheets store times as fractions of a day."""
    if isinstance(moment, time):
        moment = timedelta(
            hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
        )
    seconds = min(round(moment.total_seconds()), 24 * 3600 - 1)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _stated_precision(day: date, number_format: str | None) -> Precision:
    """Return how much of a date cell the person typed, judged by how the cell shows it.

    Excel turns "Dec 2019" typed into a cell into 1 December 2019 shown as "mmm-yy", so a format
    without days on the first of a month means a month, and one with only a year on 1 January a year.
    """
    if number_format is None:
        return Precision.DAY
    codes = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format).lower()
    if "d" in codes or day.day != 1:
        return Precision.DAY
    if "m" in codes or day.month != 1:
        return Precision.MONTH
    return Precision.YEAR if "y" in codes else Precision.DAY


_TRAILING_TIME = re.compile(r"(.+?)(?:,? |t)(\d{1,2}(?:[:.]\d{2}){0,2} ?(?:[ap]\.?m\.?)?)", re.ASCII)


def from_cell(value: object, *, number_format: str | None = None) -> tuple[PartialDate, time | None]:
    """Return the date, and the time if any, that a spreadsheet cell holds.

    A ``datetime`` at midnight is a day; one with a time brings the time too. A ``date`` cell
    shown without its day (``number_format`` "mmm-yy") is a month, shown as a year only a year.
    A whole number is a year. Text is read by ``parse_date``, with a time after the date allowed
    ("31/12/2019 14:30"), as a spreadsheet saved as CSV writes date-and-time cells that way.
    """
    if isinstance(value, datetime):
        at = _whole_seconds(value.time())
        if at == time.min:
            return from_cell(value.date(), number_format=number_format)
        return PartialDate.from_date(value), at
    if isinstance(value, date):
        precision = _stated_precision(value, number_format)
        fields = (value.year, value.month, value.day)[: precision.value]
        return PartialDate(*fields), None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return PartialDate(value), None
    if not isinstance(value, str):
        raise DateError(DATE_FORMS)
    try:
        return parse_date(value), None
    except DateError:
        both = _date_and_time(value)
        if both is None:
            raise
    check_time(*both)
    return both


def _date_and_time(text: str) -> tuple[PartialDate, time] | None:
    """Return the date and the time of "31/12/2019 14:30", or ``None`` when it does not end in a time.

    Once the end reads as a time, the rest must be a date, and its error is the one to show.
    """
    match = _TRAILING_TIME.fullmatch(_clean(text))
    if match is None:
        return None
    try:
        at = parse_time(match[2])
    except DateError:
        return None
    return None if at is None else (parse_date(match[1]), at)


def time_from_cell(value: object, *, on: PartialDate | None = None) -> time | None:
    """Return the time a spreadsheet cell holds, or ``None`` when it is blank.

    Given the entry's date ``on``, a time on a date not known to the day is refused.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return parse_time(value, on=on)
    if isinstance(value, datetime):
        value = value.time()
    if not isinstance(value, time) and not (isinstance(value, timedelta) and timedelta(0) <= value < timedelta(days=1)):
        raise DateError(TIME_FORMS)
    result = _whole_seconds(value)
    if on is not None:
        check_time(on, result)
    return result


# Order


SortKey = tuple[date, Precision, bool, time, tuple[str | int, ...]]


def sort_key(on: PartialDate, at: time | None = None, tiebreak: tuple[str | int, ...] = ()) -> SortKey:
    """Return the key that puts chronology entries in order; see the module docstring for the rule.

    ``tiebreak`` must have the same shape for every entry (agency name, then position) and make
    each key unique, so that the order never depends on the order the entries arrived in.
    """
    check_time(on, at)
    return (on.start, on.precision, at is not None, at or time.min, tiebreak)
