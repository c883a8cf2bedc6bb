"""Amounts typed in pounds become whole pence, or a message saying what is wrong; shares add up."""

from decimal import Decimal

import pytest

from dhr_tracker.funding.money import MAX_PENCE, MoneyError, as_decimal, parse_pounds, plain, pounds, split


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("1250", 125_000),
        ("£1,250.50", 125_050),
        (" 1 250.5 ", 125_050),
        ("0.99", 99),
        (".5", 50),
        ("0", 0),
        ("12,500,000.01", 1_250_000_001),
        ("£0.1", 10),
    ],
)
def test_amounts_are_read_as_whole_pence(typed: str, pence: int) -> None:
    assert parse_pounds(typed) == pence


def test_a_tenth_of_a_penny_is_never_lost_to_floating_point() -> None:
    assert parse_pounds("0.10") + parse_pounds("0.20") == parse_pounds("0.30")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The amount requested cannot be negative"),
        ("£-5", "The amount requested cannot be negative"),
        ("(5.00)", "The amount requested cannot be negative"),
        ("", "Enter the amount requested"),
        ("£", "Enter the amount requested"),
        ("ten pounds", "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ("1e5", "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ("12,50", "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ("1.2.3", "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ("NaN", "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ("12.345", "Enter the amount requested to the nearest penny, with no more than 2 decimal places"),
        ("1000000000", "The amount requested must be less than £1,000,000,000.00"),
    ],
)
def test_bad_amounts_are_refused_with_a_message_naming_the_field(typed: str, message: str) -> None:
    with pytest.raises(MoneyError) as refused:
        parse_pounds(typed, "the amount requested")
    assert str(refused.value) == message


def test_the_largest_amount_accepted_is_a_penny_under_the_limit() -> None:
    assert parse_pounds(plain(MAX_PENCE - 1)) == MAX_PENCE - 1


@pytest.mark.parametrize(
    ("pence", "shown", "plain_text"),
    [(0, "£0.00", "0.00"), (5, "£0.05", "0.05"), (125_050, "£1,250.50", "1250.50"), (-2_000, "-£20.00", "-20.00")],
)
def test_pence_are_shown_in_pounds(pence: int, shown: str, plain_text: str) -> None:
    assert pounds(pence) == shown
    assert plain(pence) == plain_text
    assert as_decimal(pence) == Decimal(plain_text)


def test_an_award_split_between_reviews_adds_up_to_the_penny() -> None:
    assert split(1_000_001, [1, 1]) == [500_001, 500_000]
    assert split(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(split(999_999, [3, 7, 11])) == 999_999


def test_a_split_follows_the_weights() -> None:
    assert split(10_000, [7_500, 2_500]) == [7_500, 2_500]
    assert split(300, [0, 0, 0]) == [100, 100, 100]
    assert split(0, [5, 5]) == [0, 0]
    assert split(500, []) == []


def test_a_negative_total_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        split(-1, [1])
