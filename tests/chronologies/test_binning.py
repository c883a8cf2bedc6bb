"""The combined chronology's timeline arithmetic: even picks, bins and periods in words."""

from datetime import date, timedelta

import pytest

from dhr_tracker.chronologies import binning


@pytest.mark.parametrize(("count", "cap", "picked"), [(3, 5, [0, 1, 2]), (9, 3, [0, 4, 8]), (10, 4, [0, 3, 6, 9])])
def test_spread_picks_evenly_from_first_to_last(count: int, cap: int, picked: list[int]) -> None:
    assert binning.spread(count, cap) == picked


@pytest.mark.parametrize(
    ("first", "last", "unit"),
    [
        (date(2019, 1, 1), date(2019, 3, 21), "day"),  # 80 days
        (date(2019, 1, 1), date(2019, 3, 22), "week"),  # 81 days
        (date(2019, 1, 7), date(2020, 7, 19), "week"),  # 80 weeks
        (date(2019, 1, 7), date(2020, 7, 20), "month"),
        (date(2019, 1, 1), date(2025, 8, 31), "month"),  # 80 months
        (date(2019, 1, 1), date(2025, 9, 1), "year"),
    ],
)
def test_bins_are_the_smallest_that_cut_the_axis_into_at_most_max_bins(first: date, last: date, unit: str) -> None:
    assert binning.bin_unit(first, last + timedelta(days=1)).name == unit


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (date(2019, 3, 3), date(2019, 3, 3), "3 March 2019"),
        (date(2020, 2, 1), date(2020, 2, 29), "February 2020"),
        (date(2019, 2, 1), date(2019, 2, 27), "1 February 2019 to 27 February 2019"),
        (date(2019, 1, 1), date(2019, 12, 31), "2019"),
        (date(2019, 1, 1), date(2020, 12, 31), "1 January 2019 to 31 December 2020"),
    ],
)
def test_periods_are_said_as_a_day_a_month_a_year_or_a_range(start: date, end: date, words: str) -> None:
    assert binning.period_label(start, end) == words
