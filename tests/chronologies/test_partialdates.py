"""Partial dates of chronology entries: validation, UK parsing, spreadsheet cells, storage and order.

Pure functions, so no database.
"""

import itertools
import random
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dhr_tracker.chronologies.partialdates import (
    DATE_FORMS,
    FOUR_DIGIT_YEAR,
    TIME_FORMS,
    TIME_NEEDS_DAY,
    DateError,
    PartialDate,
    Precision,
    from_cell,
    parse_date,
    parse_time,
    sort_key,
    time_from_cell,
)


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
    precision = draw(st.sampled_from(Precision))
    return PartialDate(*(day.year, day.month, day.day)[: precision.value])


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    """Return a date and time without a zone, as spreadsheet cells hold them."""
    return datetime(year, month, day, hour, minute, second, micro)  # noqa: DTZ001 - cells have no time zone


# The date itself


def test_partial_date_knows_its_precision_and_period() -> None:
    assert PartialDate(2019).precision is Precision.YEAR
    assert (PartialDate(2019).start, PartialDate(2019).end) == (date(2019, 1, 1), date(2019, 12, 31))
    assert PartialDate(2020, 2).precision is Precision.MONTH
    assert (PartialDate(2020, 2).start, PartialDate(2020, 2).end) == (date(2020, 2, 1), date(2020, 2, 29))
    assert PartialDate(2019, 2).end == date(2019, 2, 28)
    assert PartialDate(2019, 12, 31).precision is Precision.DAY
    assert PartialDate(2019, 12, 31).start == PartialDate(2019, 12, 31).end == date(2019, 12, 31)


def test_partial_date_reads_for_people() -> None:
    assert str(PartialDate(2019, 12, 31)) == "31 Dec 2019"
    assert str(PartialDate(2019, 1, 1)) == "1 Jan 2019"
    assert str(PartialDate(2019, 12)) == "Dec 2019"
    assert str(PartialDate(2019)) == "2019"


def test_impossible_day_is_refused_naming_the_month() -> None:
    with pytest.raises(DateError, match=r"^February 2019 has no day 30$"):
        PartialDate(2019, 2, 30)
    with pytest.raises(DateError, match=r"^February 2019 has no day 29$"):
        PartialDate(2019, 2, 29)
    with pytest.raises(DateError, match=r"^January 2019 has no day 0$"):
        PartialDate(2019, 1, 0)
    assert PartialDate(2020, 2, 29).end == date(2020, 2, 29)


def test_day_without_month_is_refused() -> None:
    with pytest.raises(DateError, match="A day needs a month"):
        PartialDate(2019, None, 5)


@pytest.mark.parametrize("month", [0, 13])
def test_month_outside_the_year_is_refused(month: int) -> None:
    with pytest.raises(DateError, match=f"There is no month {month}. Enter a month from 1 to 12"):
        PartialDate(2019, month)


@pytest.mark.parametrize("year", [1899, 2101, 19])
def test_year_outside_the_plausible_range_is_refused(year: int) -> None:
    with pytest.raises(DateError, match="Enter a year from 1900 to 2100"):
        PartialDate(year)


@pytest.mark.parametrize("fields", [(2019.0,), (True,), (2019, "12"), (2019, 12, 1.0)])
def test_parts_that_are_not_whole_numbers_are_refused(fields: tuple[object, ...]) -> None:
    with pytest.raises(TypeError, match="must be a whole number"):
        PartialDate(*fields)  # type: ignore[arg-type]


def test_storage_form_keeps_the_precision() -> None:
    assert PartialDate(2019, 12, 31).to_storage() == "2019-12-31"
    assert PartialDate(2019, 1, 5).to_storage() == "2019-01-05"
    assert PartialDate(2019, 12).to_storage() == "2019-12"
    assert PartialDate(2019).to_storage() == "2019"


@given(partial_dates())
def test_storage_form_round_trips(partial: PartialDate) -> None:
    assert PartialDate.from_storage(partial.to_storage()) == partial


@pytest.mark.parametrize(
    "text", ["", "19", "2019-1", "2019-12-1", "2019-12-31x", " 2019", "2019/12", "\uff12\uff10\uff11\uff19"]
)
def test_malformed_storage_form_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a stored partial date"):
        PartialDate.from_storage(text)


def test_storage_form_of_an_impossible_date_is_refused() -> None:
    with pytest.raises(DateError, match="February 2019 has no day 30"):
        PartialDate.from_storage("2019-02-30")


# Parsing what people type


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("31/12/2019", "2019-12-31"),
        ("1/2/2019", "2019-02-01"),
        ("01/02/2019", "2019-02-01"),
        ("31-12-2019", "2019-12-31"),
        ("31.12.2019", "2019-12-31"),
        ("31 12 2019", "2019-12-31"),
        ("31 Dec 2019", "2019-12-31"),
        ("31 December 2019", "2019-12-31"),
        ("31st December 2019", "2019-12-31"),
        ("1st of Jan, 2019", "2019-01-01"),
        ("2nd Feb 2019", "2019-02-02"),
        ("3rd Sept. 2019", "2019-09-03"),
        ("31-Dec-2019", "2019-12-31"),
        ("2019-12-31", "2019-12-31"),
        ("2019/1/5", "2019-01-05"),
        ("Dec 2019", "2019-12"),
        ("December 2019", "2019-12"),
        ("Sept 2019", "2019-09"),
        ("may 2019", "2019-05"),
        ("12/2019", "2019-12"),
        ("3-2019", "2019-03"),
        ("2019-12", "2019-12"),
        ("2019", "2019"),
        ("  31   DECEMBER\t2019 ", "2019-12-31"),
        ("dEc 2019", "2019-12"),
    ],
)
def test_common_uk_forms_are_read_with_their_precision(text: str, stored: str) -> None:
    assert parse_date(text).to_storage() == stored


@pytest.mark.parametrize("text", ["31/12/19", "1/2/19", "31 Dec 19", "31-Dec-19", "Dec 19", "Dec-19", "12/19"])
def test_two_digit_years_are_refused_asking_for_four(text: str) -> None:
    with pytest.raises(DateError) as refused:
        parse_date(text)
    assert refused.value.message == FOUR_DIGIT_YEAR


def test_us_order_is_refused_with_a_hint_to_put_the_day_first() -> None:
    with pytest.raises(DateError, match=r"There is no month 31\. Enter the day first, then the month"):
        parse_date("12/31/2019")


@pytest.mark.parametrize(
    "text", ["", "   ", "yesterday", "December 31, 2019", "31/12-2019", "2019-12-31-01", "31 Decembre 2019", "20190"]
)
def test_unreadable_dates_are_refused_listing_the_forms(text: str) -> None:
    with pytest.raises(DateError) as refused:
        parse_date(text)
    assert refused.value.message == DATE_FORMS == "Enter the date as 31/12/2019, 31 Dec 2019, Dec 2019 or 2019"


def test_impossible_typed_date_is_refused() -> None:
    with pytest.raises(DateError, match=r"^February 2019 has no day 30$"):
        parse_date("30/02/2019")


@given(partial_dates())
def test_what_is_shown_and_stored_reads_back_the_same(partial: PartialDate) -> None:
    assert parse_date(str(partial)) == partial
    assert parse_date(partial.to_storage()) == partial


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_with_a_date_error(text: str) -> None:
    message = "read"
    try:
        parse_date(text)
    except DateError as refused:
        message = refused.message
    assert message


# Times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", time(14, 30)),
        ("9:05", time(9, 5)),
        ("14.30", time(14, 30)),
        ("14:30:15", time(14, 30, 15)),
        ("2.30pm", time(14, 30)),
        ("2:30 PM", time(14, 30)),
        ("2pm", time(14)),
        ("2 p.m.", time(14)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:15am", time(0, 15)),
        ("00:00", time(0)),
    ],
)
def test_times_are_read(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "  "])
def test_blank_time_is_none(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24:00", "There is no hour 24 in a day"),
        ("13pm", "Use hours from 1 to 12 with am or pm"),
        ("0:30am", "Use hours from 1 to 12 with am or pm"),
        ("14:60", "Minutes and seconds go up to 59"),
        ("14:30:61", "Minutes and seconds go up to 59"),
        ("noon", "Enter the time as 14:30 or 2.30pm"),
        ("1430", "Enter the time as 14:30 or 2.30pm"),
    ],
)
def test_unreadable_times_are_refused(text: str, message: str) -> None:
    with pytest.raises(DateError, match=message) as refused:
        parse_time(text)
    assert refused.value.message.endswith(TIME_FORMS)


@pytest.mark.parametrize("on", [PartialDate(2019, 12), PartialDate(2019)])
def test_time_on_a_date_not_known_to_the_day_is_refused(on: PartialDate) -> None:
    with pytest.raises(DateError) as refused:
        parse_time("14:30", on=on)
    assert refused.value.message == TIME_NEEDS_DAY
    assert refused.value.message.startswith("A time needs a full date")


def test_time_on_a_full_date_is_accepted() -> None:
    assert parse_time("14:30", on=PartialDate(2019, 12, 31)) == time(14, 30)
    assert parse_time("", on=PartialDate(2019)) is None


# Spreadsheet cells


def test_datetime_cell_at_midnight_is_a_day_without_time() -> None:
    assert from_cell(naive(2019, 12, 31)) == (PartialDate(2019, 12, 31), None)


def test_datetime_cell_with_a_time_brings_the_time_to_the_nearest_second() -> None:
    assert from_cell(naive(2019, 12, 31, 14, 30)) == (PartialDate(2019, 12, 31), time(14, 30))
    assert from_cell(naive(2019, 12, 31, 14, 29, 59, 999_800)) == (PartialDate(2019, 12, 31), time(14, 30))


def test_date_cell_is_a_day() -> None:
    assert from_cell(date(2019, 12, 1)) == (PartialDate(2019, 12, 1), None)
    assert from_cell(date(2019, 12, 1), number_format="dd/mm/yyyy") == (PartialDate(2019, 12, 1), None)


@pytest.mark.parametrize("number_format", ["mmm-yy", "mmmm yyyy", "[$-809]mmm\\ yyyy;@", 'mmm "of" yyyy'])
def test_date_cell_shown_without_its_day_is_a_month(number_format: str) -> None:
    """Excel turns "Dec 2019" typed into a cell into 1 December 2019 shown as "mmm-yy"."""
    assert from_cell(naive(2019, 12, 1), number_format=number_format) == (PartialDate(2019, 12), None)


def test_date_cell_shown_as_a_year_is_a_year() -> None:
    assert from_cell(date(2019, 1, 1), number_format="yyyy") == (PartialDate(2019), None)


def test_date_cell_format_never_drops_a_day_the_cell_holds() -> None:
    assert from_cell(date(2019, 12, 2), number_format="mmm-yy") == (PartialDate(2019, 12, 2), None)
    assert from_cell(date(2019, 3, 1), number_format="yyyy") == (PartialDate(2019, 3), None)
    assert from_cell(date(2019, 1, 1), number_format="General") == (PartialDate(2019, 1, 1), None)


@pytest.mark.parametrize("value", [2019, 2019.0])
def test_number_cell_of_four_digits_is_a_year(value: object) -> None:
    assert from_cell(value) == (PartialDate(2019), None)


@pytest.mark.parametrize("value", [43830, 19, 2019.5, True, None, b"2019", time(14, 30)])
def test_other_cell_values_are_refused_listing_the_forms(value: object) -> None:
    with pytest.raises(DateError) as refused:
        from_cell(value)
    assert refused.value.message == DATE_FORMS


def test_text_cell_may_carry_a_time_after_the_date() -> None:
    assert from_cell("31/12/2019 14:30") == (PartialDate(2019, 12, 31), time(14, 30))
    assert from_cell("2019-12-31T14:30:00") == (PartialDate(2019, 12, 31), time(14, 30))
    assert from_cell("31 Oct 2019, 2pm") == (PartialDate(2019, 10, 31), time(14))
    assert from_cell("Dec 2019") == (PartialDate(2019, 12), None)


def test_text_cell_with_a_time_on_a_month_is_refused() -> None:
    with pytest.raises(DateError) as refused:
        from_cell("Dec 2019 14:30")
    assert refused.value.message == TIME_NEEDS_DAY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31 Dec 19", FOUR_DIGIT_YEAR),
        ("31/12/19 14:30", FOUR_DIGIT_YEAR),
        ("30/02/2019 14:30", "February 2019 has no day 30"),
        ("someday 14:30", DATE_FORMS),
        ("31/12/2019 teatime", DATE_FORMS),
    ],
)
def test_text_cell_keeps_the_most_helpful_message(text: str, message: str) -> None:
    with pytest.raises(DateError) as refused:
        from_cell(text)
    assert refused.value.message == message


def test_time_cells_of_each_kind_are_read() -> None:
    assert time_from_cell(None) is None
    assert time_from_cell(" ") is None
    assert time_from_cell("2.30pm") == time(14, 30)
    assert time_from_cell(time(14, 29, 59, 600_000)) == time(14, 30)
    assert time_from_cell(time(23, 59, 59, 900_000)) == time(23, 59, 59)
    assert time_from_cell(naive(1899, 12, 30, 14, 30)) == time(14, 30)
    assert time_from_cell(timedelta(hours=14, minutes=30)) == time(14, 30)


@pytest.mark.parametrize("value", [0.6, 1430, timedelta(days=1), timedelta(hours=-1), date(2019, 1, 1), "later"])
def test_other_time_cells_are_refused(value: object) -> None:
    with pytest.raises(DateError, match=TIME_FORMS):
        time_from_cell(value)


def test_time_cell_on_a_month_is_refused() -> None:
    with pytest.raises(DateError, match="A time needs a full date"):
        time_from_cell(time(14, 30), on=PartialDate(2019, 12))
    assert time_from_cell(time(14, 30), on=PartialDate(2019, 12, 31)) == time(14, 30)


# Order


def _order(*entries: tuple[PartialDate, time | None]) -> list[int]:
    keyed = [sort_key(on, at, (position,)) for position, (on, at) in enumerate(entries)]
    return sorted(range(len(entries)), key=keyed.__getitem__)


def test_imprecise_entry_heads_the_period_it_could_be_anywhere_in() -> None:
    day, month, year = PartialDate(2019, 1, 1), PartialDate(2019, 1), PartialDate(2019)
    assert _order((day, None), (month, None), (year, None)) == [2, 1, 0]


def test_entries_are_ordered_by_the_start_of_their_period() -> None:
    entries = [(PartialDate(2019, 2), None), (PartialDate(2018, 12, 31), None), (PartialDate(2019, 1, 2), None)]
    assert _order(*entries) == [1, 2, 0]


def test_year_entry_comes_before_a_later_day_but_after_an_earlier_year() -> None:
    assert _order((PartialDate(2019, 6, 1), None), (PartialDate(2019), None), (PartialDate(2018, 12), None)) == [
        2,
        1,
        0,
    ]


def test_on_the_same_day_no_time_comes_first_then_times_in_order() -> None:
    day = PartialDate(2019, 12, 31)
    assert _order((day, time(14, 30)), (day, time(9)), (day, None), (day, time(0))) == [2, 3, 1, 0]


def test_tiebreak_settles_equal_dates_in_the_callers_order() -> None:
    day = PartialDate(2019, 12, 31)
    keys = [sort_key(day, None, ("Police", 2)), sort_key(day, None, ("Health", 7)), sort_key(day, None, ("Police", 1))]
    assert sorted(keys) == [keys[1], keys[2], keys[0]]


def test_sort_key_refuses_a_time_on_a_month() -> None:
    with pytest.raises(DateError, match="A time needs a full date"):
        sort_key(PartialDate(2019, 12), time(14, 30))


@st.composite
def entries(draw: st.DrawFn) -> tuple[PartialDate, time | None, str]:
    # A narrow range of dates, so that equal and overlapping dates are common.
    day = draw(st.dates(min_value=date(2019, 1, 1), max_value=date(2019, 3, 31)))
    precision = draw(st.sampled_from(Precision))
    on = PartialDate(*(day.year, day.month, day.day)[: precision.value])
    at = draw(st.none() | st.sampled_from([time(9), time(14, 30)])) if precision is Precision.DAY else None
    return on, at, draw(st.sampled_from(["Health", "Police", "Probation"]))


@given(st.lists(entries(), max_size=40), st.randoms(use_true_random=False))
def test_order_does_not_depend_on_the_order_entries_arrive_in(
    items: list[tuple[PartialDate, time | None, str]], shuffler: random.Random
) -> None:
    keyed = [sort_key(on, at, (agency, position)) for position, (on, at, agency) in enumerate(items)]
    arrived = list(range(len(items)))
    shuffler.shuffle(arrived)
    ordered = sorted(range(len(items)), key=keyed.__getitem__)
    assert sorted(arrived, key=keyed.__getitem__) == ordered
    for earlier, later in itertools.pairwise(ordered):
        (on, at, agency), (next_on, next_at, next_agency) = items[earlier], items[later]
        assert on.start <= next_on.start
        if on.start == next_on.start:
            assert on.precision <= next_on.precision
            if on.precision == next_on.precision:
                assert (at is not None, at or time.min) <= (next_at is not None, next_at or time.min)
                if at == next_at:
                    assert (agency, earlier) < (next_agency, later)
