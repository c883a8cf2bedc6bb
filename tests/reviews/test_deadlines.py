"""Deadlines: month ends, bank holidays, working days, pauses, extensions, RAG and the clock.

Pure functions, so no database. Bank holidays are checked against the GOV.UK lists.
"""

import random
from datetime import date, timedelta

import pytest

from dhr_tracker.reviews.deadlines import (
    ENGLAND_AND_WALES,
    Allowance,
    Extension,
    HolidayCalendar,
    Pause,
    PauseReason,
    Policy,
    Rag,
    action_target,
    active_days,
    add_working_days,
    amber_window,
    bank_holidays,
    clock,
    completion_target,
    days_late,
    decision_due,
    due_date,
    easter_sunday,
    is_paused,
    is_working_day,
    merge_pauses,
    paused_days,
    rag,
    request_due,
    scoping_due,
    worst,
)
from sharing.dates import add_months

POLICY = Policy()
TRIAL = PauseReason.CRIMINAL_TRIAL
D = date


def pause(start: date, end: date | None, reason: PauseReason = TRIAL) -> Pause:
    return Pause(start, end, reason)


def extension(days: int, reason: str = "Awaiting an IMR from a late agency") -> Extension:
    return Extension(days, reason, D(2024, 1, 1))


# Month arithmetic


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 1, 15), 1, D(2024, 2, 15)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2024, 3, 31), 1, D(2024, 4, 30)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 1, 10), -1, D(2023, 12, 10)),
        (D(2024, 5, 5), 0, D(2024, 5, 5)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


# Bank holidays

GOV_UK = {
    2011: ["01-03", "04-22", "04-25", "04-29", "05-02", "05-30", "08-29", "12-26", "12-27"],
    2012: ["01-02", "04-06", "04-09", "05-07", "06-04", "06-05", "08-27", "12-25", "12-26"],
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


@pytest.mark.parametrize("year", sorted(GOV_UK))
def test_bank_holidays_match_the_published_gov_uk_list(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{month_day}") for month_day in GOV_UK[year]}
    assert bank_holidays(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [(1995, D(1995, 4, 16)), (2000, D(2000, 4, 23)), (2019, D(2019, 4, 21)), (2038, D(2038, 4, 25))],
)
def test_easter_sunday_by_the_gregorian_computus(year: int, expected: date) -> None:
    assert easter_sunday(year) == expected


def test_easter_sunday_is_always_a_sunday_between_22_march_and_25_april() -> None:
    for year in range(1978, 2200):
        easter = easter_sunday(year)
        assert easter.weekday() == 6
        assert D(year, 3, 22) <= easter <= D(year, 4, 25)


def test_moved_and_one_off_holidays_of_earlier_years() -> None:
    assert D(1995, 5, 8) in bank_holidays(1995)
    assert D(1995, 5, 1) not in bank_holidays(1995)
    assert {D(2002, 6, 3), D(2002, 6, 4)} <= bank_holidays(2002)
    assert D(2002, 5, 27) not in bank_holidays(2002)
    assert D(1999, 12, 31) in bank_holidays(1999)
    assert D(2000, 1, 3) in bank_holidays(2000)  # 1 Jan 2000 was a Saturday


def test_every_year_has_at_least_eight_bank_holidays_all_on_weekdays() -> None:
    for year in range(1978, 2100):
        days = bank_holidays(year)
        assert len(days) >= 8
        assert all(day.weekday() < 5 and day.year == year for day in days)


def test_bank_holidays_before_1978_are_refused() -> None:
    with pytest.raises(ValueError, match="computed from 1978"):
        bank_holidays(1977)


def test_extra_holidays_are_added_by_the_policy() -> None:
    proclaimed = D(2030, 6, 10)
    assert proclaimed not in ENGLAND_AND_WALES
    assert proclaimed in Policy(extra_holidays=frozenset({proclaimed})).holidays
    assert D(2030, 12, 25) in HolidayCalendar(extra=frozenset({proclaimed}))


# Working days


def test_weekends_and_bank_holidays_are_not_working_days() -> None:
    assert is_working_day(D(2024, 3, 28))
    assert not is_working_day(D(2024, 3, 29))  # Good Friday
    assert not is_working_day(D(2024, 3, 30))  # Saturday
    assert not is_working_day(D(2024, 4, 1))  # Easter Monday
    assert is_working_day(D(2024, 3, 29), holidays=frozenset())


def test_add_working_days_across_easter() -> None:
    # Thursday 28 March 2024, then Good Friday, the weekend and Easter Monday.
    assert add_working_days(D(2024, 3, 28), 1) == D(2024, 4, 2)
    assert add_working_days(D(2024, 3, 28), 10) == D(2024, 4, 15)


def test_add_working_days_across_christmas_and_new_year() -> None:
    # Friday 20 December 2024; 25, 26 Dec and 1 Jan are holidays.
    assert add_working_days(D(2024, 12, 20), 5) == D(2024, 12, 31)
    assert add_working_days(D(2024, 12, 20), 6) == D(2025, 1, 2)


def test_add_working_days_from_a_weekend_and_zero_days() -> None:
    assert add_working_days(D(2024, 6, 8), 1) == D(2024, 6, 10)
    assert add_working_days(D(2024, 6, 8), 0) == D(2024, 6, 8)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(D(2024, 6, 3), -1)


def test_scoping_due_in_ten_working_days_and_with_custom_holidays() -> None:
    assert scoping_due(D(2024, 3, 25), POLICY) == D(2024, 4, 10)
    assert scoping_due(D(2024, 3, 25), POLICY, holidays=frozenset()) == D(2024, 4, 8)
    assert scoping_due(D(2024, 3, 25), Policy(scoping_working_days=5)) == D(2024, 4, 3)


# Pauses


def test_pause_end_day_is_not_paused() -> None:
    """A pause from 1 Mar to 10 Mar stops the clock on 1..9 Mar; it runs again on the 10th."""
    pauses = [pause(D(2024, 3, 1), D(2024, 3, 10))]
    assert paused_days(D(2024, 2, 1), D(2024, 4, 1), pauses) == 9
    assert is_paused(D(2024, 3, 1), pauses)
    assert is_paused(D(2024, 3, 9), pauses)
    assert not is_paused(D(2024, 3, 10), pauses)
    assert not is_paused(D(2024, 2, 29), pauses)


def test_paused_days_count_only_up_to_until() -> None:
    pauses = [pause(D(2024, 3, 1), D(2024, 3, 10))]
    assert paused_days(D(2024, 2, 1), D(2024, 3, 1), pauses) == 0
    assert paused_days(D(2024, 2, 1), D(2024, 3, 4), pauses) == 3
    assert active_days(D(2024, 2, 1), D(2024, 3, 4), pauses) == 29 + 3 - 3


def test_overlapping_pauses_count_each_day_once() -> None:
    pauses = [
        pause(D(2024, 3, 1), D(2024, 3, 20)),
        pause(D(2024, 3, 10), D(2024, 3, 30), PauseReason.INQUEST),
        pause(D(2024, 3, 5), D(2024, 3, 6), PauseReason.FAMILY_REQUEST),
    ]
    assert paused_days(D(2024, 1, 1), D(2024, 6, 1), pauses) == 29
    assert merge_pauses(pauses) == [(D(2024, 3, 1), D(2024, 3, 30))]


def test_adjacent_pauses_merge_and_out_of_order_pauses_are_sorted() -> None:
    pauses = [pause(D(2024, 3, 10), D(2024, 3, 20)), pause(D(2024, 3, 1), D(2024, 3, 10))]
    assert merge_pauses(pauses) == [(D(2024, 3, 1), D(2024, 3, 20))]
    assert paused_days(D(2024, 1, 1), D(2024, 6, 1), pauses) == 19


def test_disjoint_pauses_stay_apart() -> None:
    pauses = [pause(D(2024, 5, 1), D(2024, 5, 3)), pause(D(2024, 3, 1), D(2024, 3, 5))]
    assert merge_pauses(pauses) == [(D(2024, 3, 1), D(2024, 3, 5)), (D(2024, 5, 1), D(2024, 5, 3))]
    assert paused_days(D(2024, 1, 1), D(2024, 6, 1), pauses) == 6


def test_an_open_pause_runs_to_until_and_swallows_later_pauses() -> None:
    pauses = [pause(D(2024, 3, 1), None), pause(D(2024, 4, 1), D(2024, 4, 10))]
    assert merge_pauses(pauses) == [(D(2024, 3, 1), None)]
    assert paused_days(D(2024, 1, 1), D(2024, 3, 11), pauses) == 10
    assert is_paused(D(2030, 1, 1), pauses)


def test_pause_days_before_the_start_do_not_count() -> None:
    pauses = [pause(D(2024, 1, 1), D(2024, 2, 5)), pause(D(2023, 6, 1), D(2023, 7, 1))]
    assert paused_days(D(2024, 2, 1), D(2024, 3, 1), pauses) == 4


def test_a_zero_length_pause_stops_nothing() -> None:
    pauses = [pause(D(2024, 3, 1), D(2024, 3, 1))]
    assert paused_days(D(2024, 1, 1), D(2024, 6, 1), pauses) == 0
    assert not is_paused(D(2024, 3, 1), pauses)


def test_a_pause_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match=r"cannot end \(09 Mar 2024\) before it starts \(10 Mar 2024\)"):
        pause(D(2024, 3, 10), D(2024, 3, 9))


def test_counting_until_a_day_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match=r"until \(31 Jan 2024\) is before the start \(01 Feb 2024\)"):
        paused_days(D(2024, 2, 1), D(2024, 1, 31), [])


def test_pause_reasons_have_labels() -> None:
    assert PauseReason.IOPC.label == "IOPC investigation"
    assert all(reason.label for reason in PauseReason)


# Extensions and allowances


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [(0, "Late IMR", "at least one day, not 0"), (-3, "Late IMR", "not -3"), (5, "  ", "needs a reason")],
)
def test_extensions_need_days_and_a_reason(days: int, reason: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Extension(days, reason, D(2024, 1, 1))


@pytest.mark.parametrize(("months", "days"), [(0, 0), (-1, 10), (1, -1)])
def test_an_allowance_needs_a_positive_length(months: int, days: int) -> None:
    with pytest.raises(ValueError, match="positive length"):
        Allowance(months=months, days=days)


def test_allowance_combines_months_then_days() -> None:
    assert Allowance(months=1, days=2).base_due(D(2024, 1, 31)) == D(2024, 3, 2)


# Due dates


def test_due_date_without_pauses_is_the_base() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31))
    assert due.on == due.base == D(2024, 4, 1)
    assert (due.allowance_days, due.extension_days, due.paused) == (31, 0, False)


def test_a_pause_before_the_due_date_pushes_it_by_its_length() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 3, 10), D(2024, 3, 20))])
    assert due.on == D(2024, 4, 11)
    assert due.base == D(2024, 4, 1)


def test_a_pause_starting_on_the_due_date_pushes_it() -> None:
    """The due day is part of the allowance, so losing it to a pause moves the deadline."""
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 4, 1), D(2024, 4, 11))])
    assert due.on == D(2024, 4, 11)


def test_a_pause_after_the_due_date_changes_nothing() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 4, 2), D(2024, 5, 1))])
    assert due.on == D(2024, 4, 1)


def test_a_pause_brought_into_the_window_by_a_push_pushes_again() -> None:
    pauses = [pause(D(2024, 3, 10), D(2024, 3, 20)), pause(D(2024, 4, 5), D(2024, 4, 8))]
    assert due_date(D(2024, 3, 1), Allowance(days=31), pauses).on == D(2024, 4, 14)


def test_a_pause_that_began_before_the_start_pushes_only_by_its_days_after_the_start() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 2, 20), D(2024, 3, 5))])
    assert due.on == D(2024, 4, 5)


def test_overlapping_pauses_push_once_per_day() -> None:
    pauses = [pause(D(2024, 3, 10), D(2024, 3, 20)), pause(D(2024, 3, 15), D(2024, 3, 25), PauseReason.IOPC)]
    assert due_date(D(2024, 3, 1), Allowance(days=31), pauses).on == D(2024, 4, 16)


def test_an_open_pause_before_the_due_date_makes_it_unknown() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 3, 10), None)])
    assert due.on is None
    assert due.paused
    assert due.base == D(2024, 4, 1)


def test_an_open_pause_after_the_due_date_leaves_it_known() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), [pause(D(2024, 4, 5), None)])
    assert due.on == D(2024, 4, 1)
    assert not due.paused


def test_extensions_add_days() -> None:
    due = due_date(D(2024, 3, 1), Allowance(days=31), extensions=[extension(7), extension(3)])
    assert due.on == D(2024, 4, 11)
    assert (due.allowance_days, due.extension_days) == (41, 10)


def test_a_pause_beginning_inside_the_extended_window_pushes_the_due_date() -> None:
    pauses = [pause(D(2024, 4, 5), D(2024, 4, 15))]
    assert due_date(D(2024, 3, 1), Allowance(days=31), pauses).on == D(2024, 4, 1)
    assert due_date(D(2024, 3, 1), Allowance(days=31), pauses, [extension(7)]).on == D(2024, 4, 18)


def test_the_due_date_never_falls_on_a_paused_day() -> None:
    pauses = [pause(D(2024, 3, 25), D(2024, 4, 2)), pause(D(2024, 4, 2), D(2024, 4, 9))]
    due = due_date(D(2024, 3, 1), Allowance(days=31), pauses)
    assert due.on == D(2024, 4, 16)
    assert not is_paused(due.on, pauses)


# Named deadlines


def test_decision_due_one_month_from_notification() -> None:
    assert decision_due(D(2024, 1, 31), POLICY) == D(2024, 2, 29)
    assert decision_due(D(2024, 5, 14), Policy(decision_months=2)) == D(2024, 7, 14)


def test_completion_target_six_months_from_the_decision_net_of_pauses() -> None:
    assert completion_target(D(2024, 8, 31), POLICY).on == D(2025, 2, 28)
    trial = [pause(D(2024, 10, 1), D(2024, 12, 1))]
    assert completion_target(D(2024, 8, 31), POLICY, trial, [extension(14)]).on == D(2025, 5, 14)
    assert completion_target(D(2024, 8, 31), Policy(completion_months=9)).on == D(2025, 5, 31)


def test_request_due_in_weeks() -> None:
    assert request_due(D(2024, 3, 1), POLICY) == D(2024, 4, 26)
    assert request_due(D(2024, 3, 1), POLICY, weeks=6) == D(2024, 4, 12)
    with pytest.raises(ValueError, match="at least one week, not 0"):
        request_due(D(2024, 3, 1), POLICY, weeks=0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"decision_months": 0}, "decision_months must be a positive number, not 0"),
        ({"request_weeks": -1}, "request_weeks must be a positive number"),
        ({"amber_days": -1}, "amber_days must not be negative"),
        ({"amber_last_percent": 101}, "between 0 and 100, not 101"),
    ],
)
def test_policy_refuses_nonsense(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**changes)  # type: ignore[arg-type]


# RAG

TODAY = D(2024, 6, 1)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (TODAY + timedelta(days=15), Rag.GREEN),
        (TODAY + timedelta(days=14), Rag.AMBER),
        (TODAY + timedelta(days=1), Rag.AMBER),
        (TODAY, Rag.AMBER),
        (TODAY - timedelta(days=1), Rag.RED),
    ],
)
def test_rag_boundaries(due: date, expected: Rag) -> None:
    assert rag(due, TODAY, POLICY) == expected


def test_done_on_or_before_the_due_date_is_complete_and_not_late() -> None:
    assert rag(TODAY, TODAY, POLICY, done_on=TODAY) == Rag.COMPLETE
    assert days_late(TODAY, TODAY - timedelta(days=3)) == 0


def test_done_late_is_complete_with_lateness_reported_apart() -> None:
    due = TODAY - timedelta(days=10)
    assert rag(due, TODAY, POLICY, done_on=TODAY - timedelta(days=4)) == Rag.COMPLETE
    assert days_late(due, TODAY - timedelta(days=4)) == 6
    assert days_late(None, TODAY) == 0


def test_done_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match=r"completion date \(02 Jun 2024\) is after today \(01 Jun 2024\)"):
        rag(TODAY, TODAY, POLICY, done_on=TODAY + timedelta(days=1))


def test_paused_is_shown_unless_already_overdue() -> None:
    assert rag(None, TODAY, POLICY, paused=True) == Rag.PAUSED
    assert rag(TODAY + timedelta(days=3), TODAY, POLICY, paused=True) == Rag.PAUSED
    assert rag(TODAY - timedelta(days=1), TODAY, POLICY, paused=True) == Rag.RED


def test_a_deadline_without_a_due_date_must_be_paused_or_done() -> None:
    with pytest.raises(ValueError, match="must be paused or done"):
        rag(None, TODAY, POLICY)
    assert rag(None, TODAY, POLICY, done_on=TODAY) == Rag.COMPLETE


def test_amber_narrows_to_the_last_fifth_of_a_short_allowance() -> None:
    assert amber_window(POLICY) == 14
    assert amber_window(POLICY, 184) == 14
    assert amber_window(POLICY, 31) == 6
    assert amber_window(POLICY, 14) == 2
    assert rag(TODAY + timedelta(days=3), TODAY, POLICY, allowance_days=14) == Rag.GREEN
    assert rag(TODAY + timedelta(days=2), TODAY, POLICY, allowance_days=14) == Rag.AMBER
    assert amber_window(Policy(amber_last_percent=100), 14) == 14


def test_action_target_is_rag_against_today() -> None:
    assert action_target(TODAY + timedelta(days=30), TODAY, POLICY) == Rag.GREEN
    assert action_target(TODAY - timedelta(days=1), TODAY, POLICY) == Rag.RED
    assert action_target(TODAY - timedelta(days=1), TODAY, POLICY, done_on=TODAY) == Rag.COMPLETE


def test_worst_orders_red_amber_paused_green_complete() -> None:
    assert worst([Rag.GREEN, Rag.RED, Rag.AMBER]) == Rag.RED
    assert worst([Rag.GREEN, Rag.PAUSED, Rag.COMPLETE]) == Rag.PAUSED
    assert worst([Rag.PAUSED, Rag.AMBER]) == Rag.AMBER
    assert worst([Rag.COMPLETE, Rag.GREEN]) == Rag.GREEN
    assert worst(iter([Rag.COMPLETE])) == Rag.COMPLETE
    with pytest.raises(ValueError, match="at least one status"):
        worst([])


# The clock


def test_clock_of_a_review_paused_for_a_trial_and_resumed() -> None:
    decided = D(2024, 1, 15)
    trial = [pause(D(2024, 3, 1), D(2024, 5, 1))]
    c = clock(decided, D(2024, 6, 1), Allowance(months=6), POLICY, pauses=trial)
    assert (c.elapsed_days, c.active_days, c.paused_days) == (138, 77, 61)
    assert not c.paused
    assert c.due.on == D(2024, 9, 14)
    assert c.days_remaining == 105
    assert c.rag == Rag.GREEN


def test_clock_while_an_open_pause_holds_it() -> None:
    c = clock(D(2024, 1, 15), D(2024, 6, 1), Allowance(months=6), POLICY, pauses=[pause(D(2024, 3, 1), None)])
    assert c.paused
    assert c.due.on is None
    assert c.days_remaining is None
    assert (c.active_days, c.paused_days) == (46, 92)
    assert c.rag == Rag.PAUSED


def test_clock_inside_a_closed_pause_is_paused() -> None:
    trial = [pause(D(2024, 5, 20), D(2024, 7, 1))]
    c = clock(D(2024, 1, 15), D(2024, 6, 1), Allowance(months=6), POLICY, pauses=trial)
    assert c.paused
    assert c.due.on == D(2024, 8, 26)
    assert c.rag == Rag.PAUSED


def test_clock_overdue_has_negative_days_remaining() -> None:
    c = clock(D(2024, 1, 1), D(2024, 2, 5), Allowance(months=1), POLICY)
    assert c.days_remaining == -4
    assert c.rag == Rag.RED


def test_clock_stops_when_the_work_is_done() -> None:
    c = clock(D(2024, 1, 1), D(2024, 6, 1), Allowance(months=1), POLICY, done_on=D(2024, 2, 5))
    assert c.on == D(2024, 2, 5)
    assert c.elapsed_days == 35
    assert c.days_remaining is None
    assert c.days_late == 4
    assert c.rag == Rag.COMPLETE


def test_clock_with_an_extension_is_amber_near_its_new_date() -> None:
    c = clock(D(2024, 1, 1), D(2024, 2, 5), Allowance(months=1), POLICY, extensions=[extension(10)])
    assert c.due.on == D(2024, 2, 11)
    assert c.days_remaining == 6
    assert c.rag == Rag.AMBER


def test_clock_on_its_start_day() -> None:
    c = clock(D(2024, 1, 1), D(2024, 1, 1), Allowance(months=6), POLICY)
    assert (c.elapsed_days, c.active_days, c.paused_days) == (0, 0, 0)
    assert c.rag == Rag.GREEN


def test_clock_refuses_today_or_done_before_the_start() -> None:
    with pytest.raises(ValueError, match=r"Today \(31 Dec 2023\) is before the start \(01 Jan 2024\)"):
        clock(D(2024, 1, 1), D(2023, 12, 31), Allowance(months=1), POLICY)
    with pytest.raises(ValueError, match=r"completion date \(31 Dec 2023\) is before the start"):
        clock(D(2024, 1, 1), D(2024, 2, 1), Allowance(months=1), POLICY, done_on=D(2023, 12, 31))
    with pytest.raises(ValueError, match=r"completion date \(02 Feb 2024\) is after today"):
        clock(D(2024, 1, 1), D(2024, 2, 1), Allowance(months=1), POLICY, done_on=D(2024, 2, 2))


# Properties, checked on seeded random cases against a day-by-day reference


def random_pauses(rng: random.Random, start: date, count: int) -> list[Pause]:
    pauses = []
    for _ in range(count):
        begin = start + timedelta(days=rng.randint(-30, 200))
        end = None if rng.random() < 0.1 else begin + timedelta(days=rng.randint(0, 60))
        pauses.append(pause(begin, end, rng.choice(list(PauseReason))))
    return pauses


def reference_due(start: date, allowed: int, pauses: list[Pause]) -> date | None:
    """Walk day by day: the first unpaused day with ``allowed`` active days before it."""
    day, active = start, 0
    for _ in range(1500):
        if not is_paused(day, pauses) and active >= allowed:
            return day
        active += not is_paused(day, pauses)
        day += timedelta(days=1)
    return None


@pytest.mark.parametrize("seed", range(150))
def test_property_active_plus_paused_is_elapsed(seed: int) -> None:
    rng = random.Random(seed)
    start = D(2024, 1, 1) + timedelta(days=rng.randint(0, 400))
    pauses = random_pauses(rng, start, rng.randint(0, 4))
    until = start + timedelta(days=rng.randint(0, 300))
    expected_paused = sum(is_paused(start + timedelta(days=n), pauses) for n in range((until - start).days))
    assert paused_days(start, until, pauses) == expected_paused
    assert active_days(start, until, pauses) + paused_days(start, until, pauses) == (until - start).days


@pytest.mark.parametrize("seed", range(150, 300))
def test_property_pauses_only_ever_push_the_due_date_later(seed: int) -> None:
    """Compared with a day-by-day walk; an extra pause never brings the due date forward."""
    rng = random.Random(seed)
    start = D(2024, 1, 1) + timedelta(days=rng.randint(0, 400))
    allowance = Allowance(months=rng.randint(0, 6), days=rng.randint(1, 40))
    extensions = [extension(rng.randint(1, 20)) for _ in range(rng.randint(0, 2))]
    pauses = random_pauses(rng, start, rng.randint(0, 4))
    without = due_date(start, allowance, extensions=extensions)
    due = due_date(start, allowance, pauses, extensions)
    assert without.on is not None
    assert due.on is None or due.on >= without.on
    assert due.on == reference_due(start, due.allowance_days, pauses)
    assert due.paused == (due.on is None)
    one_more = due_date(start, allowance, [*pauses, *random_pauses(rng, start, 1)], extensions)
    assert due.on is None or one_more.on is None or one_more.on >= due.on
    assert not (due.on is None and one_more.on is not None)
