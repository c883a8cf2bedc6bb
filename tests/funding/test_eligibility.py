"""The eligibility check says exactly which rule fails, and passes when none does."""

from dataclasses import replace
from datetime import date

from dhr_tracker.funding.eligibility import CoveredReview, Facts, Rules, check
from dhr_tracker.funding.years import FinancialYear

YEAR = FinancialYear(2025)
RULES = Rules(
    year=YEAR,
    opens_on=date(2025, 4, 1),
    closes_on=date(2026, 5, 31),
    max_award_pence=2_000_000,
    min_reviews_commenced=2,
    death_types={"homicide": "Homicide"},
    nations={"england": "England"},
    reviews_in_year=True,
)
FIRST = CoveredReview("DHR 2025/01", True, date(2025, 4, 1), "homicide", "Homicide")
SECOND = CoveredReview("DHR 2025/02", True, date(2026, 3, 31), "homicide", "Homicide")
FACTS = Facts(
    today=date(2026, 5, 1),
    partnership="Exampleshire CSP",
    nation="england",
    nation_label="England",
    commenced_in_year=2,
    reviews=(FIRST, SECOND),
    requested_pence=1_500_000,
    costs_pence=2_400_000,
)


def rules_failed(facts: Facts, rules: Rules = RULES) -> list[str]:
    return [failure.rule for failure in check(rules, facts)]


def messages(facts: Facts, rules: Rules = RULES) -> list[str]:
    return [failure.message for failure in check(rules, facts)]


def test_two_reviews_commenced_on_the_years_first_and_last_days_are_eligible() -> None:
    assert check(RULES, FACTS) == []


def test_a_partnership_with_one_review_in_the_year_is_told_how_many_it_needs() -> None:
    assert messages(replace(FACTS, commenced_in_year=1, reviews=(FIRST,))) == [
        "Exampleshire CSP commenced 1 review in 2025-26 (1 April 2025 to 31 March 2026); this fund needs at least 2"
    ]


def test_no_reviews_commenced_is_said_in_the_plural() -> None:
    assert "commenced 0 reviews in 2025-26" in messages(replace(FACTS, commenced_in_year=0))[0]


def test_a_review_commenced_on_1_april_after_the_year_is_outside_it() -> None:
    late = CoveredReview("DHR 2026/01", True, date(2026, 4, 1), "homicide", "Homicide")
    assert messages(replace(FACTS, reviews=(FIRST, late))) == [
        "DHR 2026/01 commenced on 1 April 2026, in 2026-27; this fund is for reviews commenced in 2025-26 "
        "(1 April 2025 to 31 March 2026)"
    ]


def test_a_review_commenced_on_31_march_before_the_year_is_outside_it() -> None:
    early = CoveredReview("DHR 2024/09", True, date(2025, 3, 31), "homicide", "Homicide")
    assert rules_failed(replace(FACTS, reviews=(early, SECOND))) == ["review_year"]


def test_the_year_of_reviews_is_not_checked_unless_the_stream_says_so() -> None:
    late = CoveredReview("DHR 2026/01", True, date(2026, 4, 1), "homicide", "Homicide")
    assert check(replace(RULES, reviews_in_year=False), replace(FACTS, reviews=(FIRST, late))) == []


def test_a_review_of_a_type_the_fund_does_not_cover_is_named() -> None:
    suicide = CoveredReview("DHR 2025/03", True, date(2025, 6, 1), "suspected_suicide", "Suspected suicide")
    assert messages(replace(FACTS, reviews=(FIRST, suicide))) == [
        "DHR 2025/03 is a review of a death recorded as suspected suicide; this fund is for reviews of: homicide"
    ]


def test_a_partnership_in_another_nation_is_refused() -> None:
    assert messages(replace(FACTS, nation="wales", nation_label="Wales")) == [
        "This fund is for partnerships in England; Exampleshire CSP is in Wales"
    ]


def test_rules_left_empty_do_not_apply() -> None:
    open_to_all = replace(RULES, min_reviews_commenced=None, death_types={}, nations={})
    suicide = CoveredReview("DHR 2025/03", True, date(2025, 6, 1), "suspected_suicide", "Suspected suicide")
    facts = replace(FACTS, commenced_in_year=0, nation="wales", nation_label="Wales", reviews=(suicide,))
    assert check(open_to_all, facts) == []


def test_another_partnerships_review_and_one_not_commenced_are_named() -> None:
    theirs = CoveredReview("OTH 1", False, date(2025, 6, 1), "homicide", "Homicide")
    pending = CoveredReview("DHR 2025/09", True, None, "homicide", "Homicide")
    assert messages(replace(FACTS, reviews=(theirs, pending))) == [
        "OTH 1 is not one of Exampleshire CSP's reviews",
        "DHR 2025/09 has not commenced: the decision to review has not been made",
    ]


def test_an_application_for_no_review_is_refused() -> None:
    assert messages(replace(FACTS, reviews=())) == ["Choose at least one review this application is for"]


def test_amounts_over_the_maximum_award_or_the_costs_are_refused() -> None:
    assert messages(replace(FACTS, requested_pence=2_500_000)) == [
        "The amount requested, £25,000.00, is more than this fund's maximum award of £20,000.00",
        "The amount requested, £25,000.00, is more than the costs set out, £24,000.00",
    ]
    assert rules_failed(replace(FACTS, requested_pence=2_000_000)) == []
    assert rules_failed(replace(FACTS, requested_pence=2_000_001)) == ["max_award"]


def test_an_application_asking_for_nothing_is_refused() -> None:
    assert messages(replace(FACTS, requested_pence=0)) == ["Enter the amount requested"]


def test_submissions_are_taken_from_the_opening_day_to_the_closing_day() -> None:
    assert rules_failed(replace(FACTS, today=RULES.opens_on)) == []
    assert rules_failed(replace(FACTS, today=RULES.closes_on)) == []
    assert messages(replace(FACTS, today=date(2026, 6, 1))) == [
        "This fund closed on 31 May 2026: applications can no longer be submitted"
    ]
    assert messages(replace(FACTS, today=date(2025, 3, 31))) == [
        "This fund opens on 1 April 2025: applications cannot be submitted yet"
    ]


def test_every_failing_rule_is_listed_at_once() -> None:
    everything_wrong = replace(
        FACTS, today=date(2026, 6, 1), commenced_in_year=1, nation="wales", nation_label="Wales", requested_pence=0
    )
    assert rules_failed(everything_wrong) == ["window", "reviews_commenced", "nation", "amount"]
