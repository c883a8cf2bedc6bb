"""The parsers of values people type or spreadsheets hold: money, financial years, times and cells.

Each gives a value that keeps its promise or refuses with its own named error and a message for
the person; nothing else may escape. (Chronology dates typed as text are fuzzed beside their
parser, in tests/chronologies/test_partialdates.py.)
"""

from datetime import UTC, date, time

from hypothesis import example, given
from hypothesis import strategies as st

from dhr_tracker.chronologies.partialdates import DateError, PartialDate, from_cell, parse_time, time_from_cell
from dhr_tracker.funding.money import MAX_PENCE, MoneyError, parse_pounds, plain, pounds
from dhr_tracker.funding.years import FinancialYear
from tests.fuzz.strategies import fuzz, hostile_text, outcome

_AMOUNT_LIKE = st.from_regex(r"\A[ £(-]{0,2}[0-9,. ]{1,16}[)]?\Z")


@fuzz(max_examples=300)
@given(st.one_of(hostile_text, _AMOUNT_LIKE))
def test_money_is_whole_pence_in_range_or_refused_with_a_message(text: str) -> None:
    pence = outcome(lambda: parse_pounds(text, "the amount"), MoneyError)
    if isinstance(pence, MoneyError):
        message = str(pence)
        assert message[:1].isupper()
        assert "the amount" in message.lower()
        return
    assert isinstance(pence, int)
    assert 0 <= pence < MAX_PENCE


@fuzz(max_examples=200)
@given(st.integers(0, MAX_PENCE - 1))
def test_money_shown_reads_back_to_the_same_pence(pence: int) -> None:
    assert parse_pounds(pounds(pence)) == pence
    assert parse_pounds(plain(pence)) == pence


@fuzz(max_examples=300)
@example("0000-01")
@example("9999-00")
@given(
    st.one_of(
        hostile_text,
        st.from_regex(r"\A\d{4}-\d{2}\Z"),
        st.integers(0, 9999).map(lambda y: f"{y:04d}-{(y + 1) % 100:02d}"),
    )
)
def test_a_financial_year_read_is_one_the_app_can_show_or_refused(text: str) -> None:
    """The ledger and export pages read ``?year=``; whatever they accept they show as a span of real dates."""
    year = outcome(lambda: FinancialYear.parse(text), ValueError)
    if isinstance(year, ValueError):
        assert str(year)
        return
    assert year.label == text.strip()
    assert year.start < year.end
    assert year.span


_CELL_FORMATS = st.one_of(
    st.none(),
    st.sampled_from(["General", "dd/mm/yyyy", "mmm-yy", "yyyy", "d mmmm yyyy h:mm", '"Date: "dd', "[h]:mm", "@"]),
    st.text(max_size=15),
)
_CELLS = st.one_of(
    hostile_text,
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.times(),
    st.timedeltas(),
)


@fuzz(max_examples=300)
@given(_CELLS, _CELL_FORMATS)
def test_any_spreadsheet_cell_is_a_date_or_refused_with_a_date_error(value: object, number_format: str | None) -> None:
    read = outcome(lambda: from_cell(value, number_format=number_format), DateError)
    if isinstance(read, DateError):
        assert read.message
        return
    on, at = read
    assert isinstance(on, PartialDate)
    assert on.start <= on.end
    assert at is None or isinstance(at, time)


@fuzz(max_examples=300)
@given(
    _CELLS,
    st.one_of(
        st.none(),
        st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(PartialDate.from_date),
        st.just(PartialDate(2019, 12)),
    ),
)
def test_any_time_typed_or_held_in_a_cell_is_a_time_or_refused(value: object, on: PartialDate | None) -> None:
    for read in (lambda: parse_time(str(value), on=on), lambda: time_from_cell(value, on=on)):
        at = outcome(read, DateError)
        if isinstance(at, DateError):
            assert at.message
        else:
            assert at is None or (isinstance(at, time) and at.tzinfo is None)
