"""Financial years run from 1 April to 31 March: the boundary days fall on either side."""

from datetime import date

import pytest

from dhr_tracker.funding.years import FinancialYear


def test_31_march_ends_the_year_and_1_april_begins_the_next() -> None:
    assert FinancialYear.of(date(2026, 3, 31)) == FinancialYear(2025)
    assert FinancialYear.of(date(2026, 4, 1)) == FinancialYear(2026)
    assert FinancialYear.of(date(2026, 1, 1)) == FinancialYear(2025)
    assert FinancialYear.of(date(2025, 12, 31)) == FinancialYear(2025)


def test_a_year_spans_april_to_march() -> None:
    year = FinancialYear(2025)
    assert (year.start, year.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert year.label == "2025-26"
    assert year.span == "1 April 2025 to 31 March 2026"
    assert date(2026, 3, 31) in year
    assert date(2026, 4, 1) not in year
    assert date(2025, 3, 31) not in year
    assert year.previous() == FinancialYear(2024)
    assert year.next() == FinancialYear(2026)


def test_the_turn_of_the_century_is_written_with_two_digits() -> None:
    assert FinancialYear(2099).label == "2099-00"
    assert FinancialYear.parse("2099-00") == FinancialYear(2099)


def test_a_year_is_read_from_its_label() -> None:
    assert FinancialYear.parse("2025-26") == FinancialYear(2025)
    assert FinancialYear.parse(" 2012-13 ") == FinancialYear(2012)


@pytest.mark.parametrize("label", ["2025-27", "2025", "25-26", "2025/26", "", "abcd-ef"])
def test_a_label_that_is_not_a_year_is_refused(label: str) -> None:
    with pytest.raises(ValueError, match="financial year"):
        FinancialYear.parse(label)
