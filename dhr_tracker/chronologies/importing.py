"""Reading an agency's chronology from the XLSX or CSV template, checked whole before anything is saved.

An agency contributor uploads a file made from the template (``template.template_xlsx``,
``template.template_csv``). ``read_chronology`` reads it and returns either entries that can all be
saved, or every problem found, each with its row, its column and what to do about it. Nothing here
saves anything: the caller saves ``ImportResult.entries`` in one transaction only when
``ImportResult.ok``, so an import is all or nothing and the earlier submission is untouched by a
file that fails.

Two kinds of failure, kept apart on purpose:

- **Problems in rows** (an unreadable date, an unknown subject, text over a limit, a formula) are
  collected, all of them, and returned in ``ImportResult.problems`` so the person can fix them in
  one pass. ``ImportResult.entries`` is empty whenever there is a problem.
- **Refusals of the whole file** (not XLSX or CSV, damaged, encrypted, the wrong template, too
  big, too many rows, macros, embedded objects, external links, nothing in it) raise
  ``ImportRefused``, whose message says what to do. No row-level reading happens after one.

The file is hostile: ``spreadsheets`` reads its bytes into rows of cells, within limits, and its
docstring sets out the threats and how each is met. This module only checks what the rows say.
"""

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from openpyxl.utils import get_column_letter

from dhr_tracker.chronologies import partialdates
from dhr_tracker.chronologies.partialdates import DateError, PartialDate, Precision
from dhr_tracker.chronologies.spreadsheets import (
    EMPTY,
    MAX_BYTES,
    Cell,
    ImportRefused,
    Readable,
    read_limited,
    read_rows,
)

DATE = "Date"
TIME = "Time"
SUBJECT = "Subject"
SOURCE_RECORD = "Source record"
PRACTITIONER_ROLE = "Practitioner role"
EVENT = "Event"
ACTION_OR_OUTCOME = "Action or outcome"
RISK_INDICATORS = "Risk indicators"
COLUMNS = (DATE, TIME, SUBJECT, SOURCE_RECORD, PRACTITIONER_ROLE, EVENT, ACTION_OR_OUTCOME, RISK_INDICATORS)
LIMITS = {SOURCE_RECORD: 100, PRACTITIONER_ROLE: 200, EVENT: 4_000, ACTION_OR_OUTCOME: 4_000}
SHEET = "Chronology"
RISK_SEPARATOR = ";"

MAX_ROWS = 100_000
# How often, in rows read, ``read_chronology`` reports its progress: often enough for a page that
# refreshes every two seconds, rarely enough that reporting costs nothing beside the reading.
PROGRESS_EVERY = 1_000
# Characters PostgreSQL cannot store or that only corrupt text; tabs and line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How much of a person's own text a message quotes back.
QUOTE_CHARS = 40


class Subject(StrEnum):
    """Who a chronology entry is about (DHR.md section 7)."""

    VICTIM = "victim"
    PERPETRATOR = "perpetrator"
    CHILD = "child"
    OTHER = "other"


SUBJECTS_IN_WORDS = "victim, perpetrator, child or other"


@dataclass(frozen=True)
class EntryRow:
    """One chronology entry read from a row of the file."""

    row: int
    date: PartialDate
    time: dt.time | None
    subject: Subject
    source_record: str
    practitioner_role: str
    event: str
    action_or_outcome: str
    risk_indicators: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Something wrong in one cell, with what to do about it; ``column`` is the heading."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass(frozen=True)
class Duplicate:
    """Rows with the same date, time, subject and event: flagged for a person to judge, not refused."""

    rows: tuple[int, ...]

    def __str__(self) -> str:
        listed = ", ".join(str(row) for row in self.rows[:-1]) + f" and {self.rows[-1]}"
        return (
            f"Rows {listed} have the same date, time, subject and event. "
            "Check whether they record the same contact twice, and if so delete the copies"
        )


@dataclass(frozen=True)
class ImportResult:
    """What a file holds: entries to save when there are no problems, or every problem found."""

    entries: tuple[EntryRow, ...]
    problems: tuple[Problem, ...]
    duplicates: tuple[Duplicate, ...]
    rows_checked: int

    @property
    def ok(self) -> bool:
        """Return whether every row can be saved."""
        return not self.problems


# Checking the rows


_POSITION = {column: index for index, column in enumerate(COLUMNS)}


def _quote(text: str) -> str:
    """Return a person's text to quote back in a message, cut short if long."""
    text = " ".join(text.split())
    return f'"{text}"' if len(text) <= QUOTE_CHARS else f'"{text[: QUOTE_CHARS - 1]}…"'


def _normal(text: str) -> str:
    """Return ``text`` with its spacing and case evened out, for matching."""
    return " ".join(text.split()).casefold()


def _text(value: object) -> str:
    """Return a cell's value as text, line breaks evened out and control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else str(value)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _blank(cell: Cell) -> bool:
    """Return whether a cell says nothing: empty, or only spaces and control characters."""
    return (
        not cell.formula
        and not cell.error
        and (cell.value is None or (isinstance(cell.value, str) and not _text(cell.value)))
    )


def _after_colon(message: str) -> str:
    """Return a sentence from ``partialdates`` as the rest of "Row 9, Date: ...", month names kept capitalised."""
    return message if message.startswith(partialdates.MONTH_NAMES) else message[:1].lower() + message[1:]


def risk_lookup(allowed: Iterable[str]) -> dict[str, str]:
    """Return the configured risk indicators by their matching form, refusing a list that cannot work."""
    lookup: dict[str, str] = {}
    for indicator in allowed:
        key = _normal(indicator)
        if not key or RISK_SEPARATOR in indicator or key in lookup:
            raise ValueError(f"Risk indicator {indicator!r} must be unique, not blank and free of {RISK_SEPARATOR!r}")
        lookup[key] = " ".join(indicator.split())
    return lookup


def _unknown_risks_message(unknown: Sequence[str], lookup: Mapping[str, str]) -> str:
    if not lookup:
        return "no risk indicators are set up for this review. Leave this cell blank"
    if all(_normal(piece) in lookup for name in unknown for piece in name.split(",")):
        return "separate risk indicators with semicolons (;), not commas"
    names = ", ".join(_quote(name) for name in unknown)
    verb = "is" if len(unknown) == 1 else "are"
    allowed = f"{RISK_SEPARATOR} ".join(lookup.values())
    return f"{names} {verb} not on the list. Use only these, separated by semicolons: {allowed}"


class _Row:
    """The checks of one row, collecting its problems."""

    def __init__(self, number: int, cells: tuple[Cell, ...]) -> None:
        self.number = number
        self.problems: list[Problem] = []
        self.present: set[str] = set()
        self.usable: dict[str, Cell] = {}
        for index, cell in enumerate(cells):
            if _blank(cell):
                continue
            if index >= len(COLUMNS):
                self.problem(
                    f"Column {get_column_letter(index + 1)}",
                    "this cell is outside the template's columns. Move what it says into the right column, or delete it",
                )
                continue
            column = COLUMNS[index]
            self.present.add(column)
            if cell.formula:
                self.problem(column, "this cell holds a formula. Paste the values instead")
            elif cell.error:
                self.problem(
                    column, f"this cell shows the error {_text(cell.value)}. Correct it, or type in what it should say"
                )
            else:
                self.usable[column] = cell

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, message))

    def sorted_problems(self) -> list[Problem]:
        """Return the problems in the order of the columns, cells outside the template last."""
        return sorted(self.problems, key=lambda problem: _POSITION.get(problem.column, len(COLUMNS)))

    def text(self, column: str) -> str:
        """Return the column's text, reporting it when over its limit."""
        text = _text(self.usable[column].value) if column in self.usable else ""
        limit = LIMITS.get(column)
        if limit is not None and len(text) > limit:
            fix = "Shorten it or split the event over two rows" if column == EVENT else "Shorten it"
            self.problem(column, f"this is {len(text):,} characters; the limit is {limit:,}. {fix}")
        return text

    def date_and_time(self) -> tuple[PartialDate | None, dt.time | None]:
        on, at = None, None
        if DATE in self.usable:
            cell = self.usable[DATE]
            try:
                on, at = partialdates.from_cell(cell.value, number_format=cell.number_format)
            except DateError as error:
                self.problem(DATE, _after_colon(error.message))
        elif DATE not in self.present:
            self.problem(DATE, "enter the date of this event, or the month or year if that is all the record says")
        if TIME not in self.usable:
            return on, at
        try:
            typed = partialdates.time_from_cell(self.usable[TIME].value)
        except DateError as error:
            self.problem(TIME, _after_colon(error.message))
            return on, at
        if on is not None and on.precision is not Precision.DAY:
            self.problem(TIME, "a time needs a full date. Enter the day in the Date column, or leave the time blank")
        elif at is not None and typed is not None and typed != at:
            self.problem(
                TIME,
                f"the Date column gives the time {partialdates.clock(at)} but this column gives {partialdates.clock(typed)}. "
                "Give the time only in the Time column",
            )
        return on, typed or at

    def subject(self) -> Subject | None:
        if SUBJECT not in self.usable:
            if SUBJECT not in self.present:
                self.problem(SUBJECT, f"enter who this event is about: {SUBJECTS_IN_WORDS}")
            return None
        text = _text(self.usable[SUBJECT].value)
        try:
            return Subject(_normal(text))
        except ValueError:
            self.problem(SUBJECT, f"{_quote(text)} is not a subject the chronology uses. Enter {SUBJECTS_IN_WORDS}")
            return None

    def event(self) -> str:
        if EVENT not in self.present:
            self.problem(EVENT, "enter what happened. If nothing happened on this date, delete the row")
        return self.text(EVENT)

    def risk_indicators(self, lookup: Mapping[str, str]) -> tuple[str, ...]:
        found: list[str] = []
        unknown: list[str] = []
        for piece in self.text(RISK_INDICATORS).split(RISK_SEPARATOR):
            key = _normal(piece)
            if key in lookup:
                found.append(lookup[key])
            elif key:
                unknown.append(" ".join(piece.split()))
        if unknown:
            self.problem(RISK_INDICATORS, _unknown_risks_message(unknown, lookup))
        return tuple(dict.fromkeys(found))


def _check_row(
    number: int, cells: tuple[Cell, ...], lookup: Mapping[str, str]
) -> tuple[EntryRow | None, list[Problem]]:
    """Return the entry a non-blank row holds, or ``None`` with every problem in it."""
    row = _Row(number, cells)
    on, at = row.date_and_time()
    subject = row.subject()
    source_record = row.text(SOURCE_RECORD)
    practitioner_role = row.text(PRACTITIONER_ROLE)
    event = row.event()
    action_or_outcome = row.text(ACTION_OR_OUTCOME)
    risk_indicators = row.risk_indicators(lookup)
    if row.problems or on is None or subject is None:
        return None, row.sorted_problems()
    entry = EntryRow(
        row=number,
        date=on,
        time=at,
        subject=subject,
        source_record=source_record,
        practitioner_role=practitioner_role,
        event=event,
        action_or_outcome=action_or_outcome,
        risk_indicators=risk_indicators,
    )
    return entry, []


def _check_header(cells: tuple[Cell, ...]) -> None:
    """Refuse a file whose first row is not the template's headings, saying which columns differ."""
    found = [" ".join(_text(cell.value).split()) for cell in cells]
    found += [""] * (len(COLUMNS) - len(found))
    differences = []
    for index, heading in enumerate(found):
        letter = get_column_letter(index + 1)
        if index >= len(COLUMNS):
            if heading:
                differences.append(f"column {letter} is {_quote(heading)}, which the template does not have")
        elif heading.casefold() != COLUMNS[index].casefold():
            what = _quote(heading) if heading else "empty"
            differences.append(f'column {letter} is {what} where "{COLUMNS[index]}" was expected')
    if differences:
        shown = "; ".join(differences[:3])
        if len(differences) > 3:
            shown += f"; and {len(differences) - 3:,} more"
        raise ImportRefused(
            f"This is not the chronology template: the first row must have the headings {', '.join(COLUMNS)}; "
            f"{shown}. Download the template and copy your rows into it"
        )


def _duplicates(entries: Iterable[EntryRow]) -> tuple[Duplicate, ...]:
    """Return the groups of rows recording the same event, compared with spacing and case evened out."""
    groups: dict[tuple[PartialDate, dt.time | None, Subject, str], list[int]] = {}
    for entry in entries:
        groups.setdefault((entry.date, entry.time, entry.subject, _normal(entry.event)), []).append(entry.row)
    return tuple(Duplicate(tuple(rows)) for rows in groups.values() if len(rows) > 1)


def read_chronology(
    file: bytes | Readable,
    *,
    name: str,
    risk_indicators: Iterable[str],
    max_rows: int = MAX_ROWS,
    max_bytes: int = MAX_BYTES,
    progress: Callable[[int], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
) -> ImportResult:
    """Return the entries of an uploaded chronology, or every problem in its rows.

    ``file`` is the upload (bytes or a binary file object), ``name`` its file name, and
    ``risk_indicators`` the list a row's indicators are chosen from. The reader is chosen by the
    content (a zip is read as XLSX, anything else as CSV) checked against the extension. Any
    input raises nothing but ``ImportRefused`` (a whole-file refusal); a list of risk indicators
    that cannot work (blank, repeated, or holding ";") raises ``ValueError``. See ``spreadsheets``
    for the limits and the threats they answer.

    ``progress``, if given, is called with the number of rows read so far after every
    ``progress_every`` rows, so a long import can show how far it has got.
    """
    lookup = risk_lookup(risk_indicators)
    entries: list[EntryRow] = []
    problems: list[Problem] = []
    checked = 0
    with contextlib.closing(read_rows(read_limited(file, max_bytes), name, sheet=SHEET)) as rows:
        header = next(rows, None)
        if header is None:
            raise ImportRefused(EMPTY)
        _check_header(header)
        for number, cells in enumerate(rows, start=2):
            if all(_blank(cell) for cell in cells):
                continue
            checked += 1
            if checked > max_rows:
                raise ImportRefused(
                    f"The file has more than {max_rows:,} rows. Split it into files of up to {max_rows:,} rows"
                )
            entry, row_problems = _check_row(number, cells, lookup)
            problems += row_problems
            if entry is not None:
                entries.append(entry)
            if progress is not None and checked % progress_every == 0:
                progress(checked)
    if not checked:
        raise ImportRefused(
            "The file has no entries. Add a row under the headings for each event, or if your agency had "
            "no contact with the people in this review, send a nil return instead"
        )
    return ImportResult(
        entries=() if problems else tuple(entries),
        problems=tuple(problems),
        duplicates=_duplicates(entries),
        rows_checked=checked,
    )
