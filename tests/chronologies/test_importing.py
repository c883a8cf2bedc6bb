"""Chronology import: the rows' checks, every row-level problem, the refusals of the rows as a whole,
and fuzzing.

Pure functions over bytes, so no database. Reading the bytes is tested in ``test_spreadsheets``,
the templates in ``test_template``.
"""

import io
from datetime import date, datetime, time

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dhr_tracker.chronologies import spreadsheets
from dhr_tracker.chronologies.importing import COLUMNS, Duplicate, Problem, Subject, read_chronology
from dhr_tracker.chronologies.partialdates import PartialDate
from dhr_tracker.chronologies.template import template_csv, template_xlsx
from tests.chronologies.upload_helpers import (
    FUZZ,
    GOOD_ROW,
    RISKS,
    csv_bytes,
    messages,
    read,
    read_or_refuse,
    refusal,
    rezip,
    xlsx,
)


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """Return a date and time without a zone, as spreadsheet cells hold them."""
    return datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001 - cells have no time zone


# Reading the rows


def test_headings_may_differ_in_case_and_spacing() -> None:
    header = [f"  {column.upper()} " for column in COLUMNS]
    assert read(xlsx([GOOD_ROW], header=header)).ok


def test_empty_rows_are_skipped_and_row_numbers_stay_those_of_the_sheet() -> None:
    data = xlsx([GOOD_ROW, [], [None, " ", "", None], (*GOOD_ROW[:5], "Another event", *GOOD_ROW[6:])])
    result = read(data)
    assert [entry.row for entry in result.entries] == [2, 5]
    assert result.rows_checked == 2


def test_spreadsheet_dates_and_times_are_read_with_their_precision() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    sheet.append([naive(2019, 12, 31), time(14, 30), "victim", 12345, None, "A", None, None])
    sheet.append([naive(2019, 12, 31, 9, 15), None, "victim", None, None, "B", None, None])
    sheet.append([naive(2019, 12, 1), None, "victim", None, None, "C", None, None])
    sheet["A4"].number_format = "mmm-yy"
    sheet.append([2019, None, "victim", None, None, "D", None, None])
    sheet.append([naive(2019, 12, 31, 9, 15), "9:15", "victim", None, None, "E", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = read(buffer.getvalue())

    assert result.ok, messages(result)
    assert [(str(entry.date), entry.time) for entry in result.entries] == [
        ("31 Dec 2019", time(14, 30)),
        ("31 Dec 2019", time(9, 15)),
        ("Dec 2019", None),
        ("2019", None),
        ("31 Dec 2019", time(9, 15)),
    ]
    assert result.entries[0].source_record == "12345"


def test_text_is_tidied_but_kept() -> None:
    row = (
        " 31/12/2019 ",
        "",
        " Victim ",
        " REF ",
        "",
        "  Line one\r\nline two\x01  ",
        "",
        " dash: HIGH ;; Dash:  high ; ",
    )
    (entry,) = read(csv_bytes([row]), "c.csv").entries
    assert (entry.source_record, entry.event, entry.risk_indicators) == ("REF", "Line one\nline two", ("DASH: high",))


def test_cell_of_only_spaces_and_control_characters_is_blank() -> None:
    row = ("31/12/2019", "", "victim", "", "", " \x01\x02 ", "", "")
    assert messages(read(csv_bytes([row, ["\x7f", " "]]), "c.csv")) == [
        "Row 2, Event: enter what happened. If nothing happened on this date, delete the row"
    ]


# Problems in rows


def test_event_without_date_is_reported_with_row_and_column() -> None:
    result = read(xlsx([GOOD_ROW] * 11 + [[None, None, "victim", None, None, "Seen by GP", None, None]]))
    assert result.problems == (
        Problem(13, "Date", "enter the date of this event, or the month or year if that is all the record says"),
    )
    assert messages(result) == [
        "Row 13, Date: enter the date of this event, or the month or year if that is all the record says"
    ]
    assert result.entries == ()
    assert not result.ok


def test_date_without_event_is_refused() -> None:
    result = read(xlsx([["31/12/2019", None, "victim", "REF", None, None, None, None]]))
    assert messages(result) == ["Row 2, Event: enter what happened. If nothing happened on this date, delete the row"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/12/19", "enter the year with all four digits, for example 31/12/2019 rather than 31/12/19"),
        ("yesterday", "enter the date as 31/12/2019, 31 Dec 2019, Dec 2019 or 2019"),
        ("30/02/2019", "February 2019 has no day 30"),
        ("12/31/2019", "there is no month 31. Enter the day first, then the month, as in 31/12/2019"),
        ("31 Dec 1019", "enter a year from 1900 to 2100"),
    ],
)
def test_unreadable_date_is_reported_with_what_to_enter(typed: str, message: str) -> None:
    result = read(csv_bytes([(typed, *GOOD_ROW[1:])]), "c.csv")
    assert result.problems == (Problem(2, "Date", message),)


def test_time_without_full_date_is_reported() -> None:
    result = read(csv_bytes([("Dec 2019", "14:30", *GOOD_ROW[2:])]), "c.csv")
    assert messages(result) == [
        "Row 2, Time: a time needs a full date. Enter the day in the Date column, or leave the time blank"
    ]


def test_unreadable_time_is_reported() -> None:
    result = read(csv_bytes([("31/12/2019", "teatime", *GOOD_ROW[2:])]), "c.csv")
    assert messages(result) == ["Row 2, Time: enter the time as 14:30 or 2.30pm"]


def test_time_in_the_date_column_that_differs_from_the_time_column_is_reported() -> None:
    result = read(csv_bytes([("31/12/2019 14:30", "15:00", *GOOD_ROW[2:])]), "c.csv")
    assert messages(result) == [
        "Row 2, Time: the Date column gives the time 14:30 but this column gives 15:00. Give the time only in the Time column"
    ]


def test_time_in_the_date_column_alone_is_kept() -> None:
    (entry,) = read(csv_bytes([("31/12/2019 14:30", "", *GOOD_ROW[2:])]), "c.csv").entries
    assert entry.time == time(14, 30)


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ("cat", '"cat" is not a subject the chronology uses. Enter victim, perpetrator, child or other'),
        ("", "enter who this event is about: victim, perpetrator, child or other"),
    ],
)
def test_unknown_or_missing_subject_is_reported(subject: str, message: str) -> None:
    result = read(csv_bytes([(*GOOD_ROW[:2], subject, *GOOD_ROW[3:])]), "c.csv")
    assert result.problems == (Problem(2, "Subject", message),)


def test_event_over_its_limit_is_reported_with_its_length() -> None:
    row = list(GOOD_ROW)
    row[5] = "x" * 4_312
    result = read(xlsx([GOOD_ROW] * 7 + [row]))
    assert messages(result) == [
        "Row 9, Event: this is 4,312 characters; the limit is 4,000. Shorten it or split the event over two rows"
    ]


@pytest.mark.parametrize(
    ("index", "column", "limit"),
    [(3, "Source record", 100), (4, "Practitioner role", 200), (6, "Action or outcome", 4_000)],
)
def test_other_text_over_its_limit_is_reported(index: int, column: str, limit: int) -> None:
    row = list(GOOD_ROW)
    row[index] = "y" * (limit + 1)
    assert read(xlsx([row])).problems == (
        Problem(2, column, f"this is {limit + 1:,} characters; the limit is {limit:,}. Shorten it"),
    )
    row[index] = "y" * limit
    assert read(xlsx([row])).ok


def test_unknown_risk_indicators_are_reported_listing_the_allowed_ones() -> None:
    row = (*GOOD_ROW[:7], "Pregnancy; drugs; Stalking")
    assert messages(read(xlsx([row]))) == [
        'Row 2, Risk indicators: "drugs", "Stalking" are not on the list. Use only these, separated by semicolons: '
        "DASH: standard; DASH: medium; DASH: high; MARAC referral; Coercive control; Substance use; Mental health; "
        "Pregnancy; Separation"
    ]


def test_risk_indicators_separated_by_commas_get_a_hint() -> None:
    row = (*GOOD_ROW[:7], "Pregnancy, Separation")
    assert messages(read(xlsx([row]))) == [
        "Row 2, Risk indicators: separate risk indicators with semicolons (;), not commas"
    ]


def test_risk_indicators_when_none_are_set_up_are_reported() -> None:
    row = (*GOOD_ROW[:7], "Pregnancy")
    result = read_chronology(xlsx([row]), name="c.xlsx", risk_indicators=[])
    assert messages(result) == [
        "Row 2, Risk indicators: no risk indicators are set up for this review. Leave this cell blank"
    ]


@pytest.mark.parametrize("indicators", [["Pregnancy", "pregnancy"], ["A; B"], ["  "]])
def test_unworkable_list_of_risk_indicators_is_a_programming_error(indicators: list[str]) -> None:
    with pytest.raises(ValueError, match="must be unique, not blank and free of ';'"):
        read_chronology(xlsx([GOOD_ROW]), name="c.xlsx", risk_indicators=indicators)


def test_formula_cells_are_reported_cell_by_cell() -> None:
    row = ["=TODAY()", None, "victim", None, None, '=CONCAT("Seen ", "by GP")', None, None]
    assert messages(read(xlsx([GOOD_ROW, GOOD_ROW, GOOD_ROW, row]))) == [
        "Row 5, Date: this cell holds a formula. Paste the values instead",
        "Row 5, Event: this cell holds a formula. Paste the values instead",
    ]


def test_error_cells_are_reported() -> None:
    row = [*GOOD_ROW[:5], "#REF!", *GOOD_ROW[6:]]
    assert messages(read(xlsx([row]))) == [
        "Row 2, Event: this cell shows the error #REF!. Correct it, or type in what it should say"
    ]


def test_cells_outside_the_template_columns_are_reported() -> None:
    row = [*GOOD_ROW, None, "stray note"]
    assert messages(read(xlsx([row]))) == [
        "Row 2, Column J: this cell is outside the template's columns. Move what it says into the right column, or delete it"
    ]


def test_every_problem_in_every_row_is_reported_in_column_order() -> None:
    bad = ["31/12/19", "25:00", "cat", "r" * 101, None, None, None, "Drugs", "extra"]
    result = read(xlsx([bad, GOOD_ROW, [None, None, "victim", None, None, "No date", None, None]]))
    assert [(problem.row, problem.column) for problem in result.problems] == [
        (2, "Date"),
        (2, "Time"),
        (2, "Subject"),
        (2, "Source record"),
        (2, "Event"),
        (2, "Risk indicators"),
        (2, "Column I"),
        (4, "Date"),
    ]
    assert result.entries == ()
    assert result.rows_checked == 3


def test_duplicates_are_flagged_with_the_rows_of_each_copy_not_refused() -> None:
    copy = ("31/12/2019", "14:30", "VICTIM", "OTHER-REF", "", "called  to the ADDRESS ", "", "")
    other_time = ("31/12/2019", "15:30", *GOOD_ROW[2:])
    result = read(xlsx([GOOD_ROW, other_time, copy, GOOD_ROW, ("Dec 2019", "", *GOOD_ROW[2:])]))
    assert result.ok
    assert len(result.entries) == 5
    assert result.duplicates == (Duplicate((2, 4, 5)),)
    assert str(result.duplicates[0]) == (
        "Rows 2, 4 and 5 have the same date, time, subject and event. "
        "Check whether they record the same contact twice, and if so delete the copies"
    )
    assert str(Duplicate((3, 9))).startswith("Rows 3 and 9 have")


# Refusals of the rows as a whole


def test_wrong_template_names_the_columns_that_differ() -> None:
    header = ["Date", "Time", "Name", *COLUMNS[3:]]
    assert refusal(xlsx([GOOD_ROW], header=header)) == (
        "This is not the chronology template: the first row must have the headings Date, Time, Subject, Source record, "
        'Practitioner role, Event, Action or outcome, Risk indicators; column C is "Name" where "Subject" was expected. '
        "Download the template and copy your rows into it"
    )


def test_wrong_template_names_missing_and_unexpected_columns() -> None:
    message = refusal(xlsx([GOOD_ROW], header=[*COLUMNS[:7], None, "Notes"]))
    assert (
        'column H is empty where "Risk indicators" was expected; column I is "Notes", which the template does not have.'
        in message
    )


def test_wrong_template_with_many_differences_says_how_many_more() -> None:
    message = refusal(csv_bytes([], header=["Name", "Address", "Phone", "Email", "Notes"]), "c.csv")
    assert 'column A is "Name" where "Date" was expected' in message
    assert 'column D is "Email"' not in message
    assert "; and 5 more. Download the template" in message


@pytest.mark.parametrize("data", [template_csv(), template_xlsx(RISKS), csv_bytes([[""] * 8, []])])
def test_template_without_entries_is_refused_pointing_to_a_nil_return(data: bytes) -> None:
    assert refusal(data, "c.xlsx" if data.startswith(b"PK") else "c.csv") == (
        "The file has no entries. Add a row under the headings for each event, or if your agency had no contact "
        "with the people in this review, send a nil return instead"
    )


def test_too_many_rows_is_refused() -> None:
    assert (
        refusal(xlsx([GOOD_ROW] * 4), max_rows=3)
        == "The file has more than 3 rows. Split it into files of up to 3 rows"
    )
    assert read(xlsx([GOOD_ROW] * 3), max_rows=3).rows_checked == 3


def test_counting_stops_at_the_first_row_over_the_limit() -> None:
    """Rows after the limit are never read: a broken quote there would otherwise be the refusal."""
    data = csv_bytes([GOOD_ROW] * 3) + b'31/12/2019,,victim,,,"unclosed\n' + b"x" * 1_000
    assert refusal(data, "c.csv", max_rows=2).startswith("The file has more than 2 rows")
    assert refusal(data, "c.csv", max_rows=10).startswith("Row 5 could not be read")


def test_csv_of_a_million_rows_is_refused() -> None:
    data = template_csv() + b"2019,,victim,,,x\r\n" * 1_000_000
    assert len(data) < spreadsheets.MAX_BYTES
    assert refusal(data, "c.csv", max_rows=1_000) == (
        "The file has more than 1,000 rows. Split it into files of up to 1,000 rows"
    )


def test_workbook_rows_after_the_limit_are_never_parsed() -> None:
    """The sheet is damaged well after the limit; reading it all would make that the refusal."""
    data = xlsx([GOOD_ROW] * 2_000)

    def damage_the_end(name: str, content: bytes) -> bytes:
        return content.replace(b"</sheetData>", b'<row r="99999"><c><v>1</c></row></sheetData>')

    damaged = rezip(data, change=damage_the_end)
    assert refusal(damaged, max_rows=10).startswith("The file has more than 10 rows")
    assert refusal(damaged).startswith("The file could not be read as a spreadsheet")


# Fuzzing: any input gives a result or ImportRefused, nothing else.


_CELL_TEXT = st.text(max_size=30) | st.sampled_from(["31/12/2019", "Dec 2019", "2019", "14:30", "victim", "Pregnancy"])


@FUZZ
@given(st.lists(st.lists(_CELL_TEXT, max_size=10), max_size=15), st.booleans())
def test_fuzz_random_csv_rows_under_the_headings(rows: list[list[str]], bom: bool) -> None:
    read_or_refuse(csv_bytes(rows, bom=bom), "f.csv")


@FUZZ
@given(st.text(max_size=600))
def test_fuzz_random_csv_text(text: str) -> None:
    read_or_refuse(template_csv() + text.encode(), "f.csv")


_PLAIN_TEXT = (
    st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), max_size=60)
    .map(str.strip)
    .filter(lambda text: not text.startswith("="))
)


@st.composite
def entry_rows(draw: st.DrawFn) -> tuple[PartialDate, Subject, str, str, str, tuple[str, ...]]:
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
    on = PartialDate(*(day.year, day.month, day.day)[: draw(st.integers(1, 3))])
    subject = draw(st.sampled_from(Subject))
    event = draw(_PLAIN_TEXT.filter(bool))
    return (
        on,
        subject,
        draw(_PLAIN_TEXT),
        event,
        draw(_PLAIN_TEXT),
        tuple(draw(st.lists(st.sampled_from(RISKS), unique=True, max_size=3))),
    )


@FUZZ
@given(st.lists(entry_rows(), min_size=1, max_size=10), st.sampled_from(["xlsx", "csv"]))
def test_fuzz_valid_rows_round_trip(
    rows: list[tuple[PartialDate, Subject, str, str, str, tuple[str, ...]]], kind: str
) -> None:
    cells = [
        (str(on), "", subject.upper(), source, "", event, action, "; ".join(risks))
        for on, subject, source, event, action, risks in rows
    ]
    data = xlsx(cells) if kind == "xlsx" else csv_bytes(cells)
    result = read(data, f"f.{kind}")
    assert result.ok, messages(result)
    assert [
        (entry.date, entry.subject, entry.source_record, entry.event, entry.action_or_outcome, entry.risk_indicators)
        for entry in result.entries
    ] == [(on, subject, source, event, action, risks) for on, subject, source, event, action, risks in rows]
