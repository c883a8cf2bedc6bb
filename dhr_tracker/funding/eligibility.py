"""Whether an application meets its stream's rules, and if not, exactly which rule fails and why.

Pure: ``check(rules, facts)`` takes what the services read from the database and returns every
failure, each with a stable ``rule`` code and a sentence a coordinator can act on. An empty list
means the application may be submitted. The rules:

- the stream takes submissions today (between its opening and closing dates);
- the application covers at least one review, each of them the partnership's and commenced (T1:
  the decision to review, or the Home Office's direction);
- the partnership commenced at least ``min_reviews_commenced`` reviews in the stream's financial
  year (the Home Office's 2012-13 fund was for partnerships commencing more than one);
- each review covered is of a type the stream funds (``death_types``);
- the partnership is in a nation the stream serves (``nations``);
- each review covered commenced in the stream's financial year, when the stream says so;
- an amount is requested, no more than the stream's maximum award, nor the costs set out.
"""

from dataclasses import dataclass
from datetime import date

from dhr_tracker.funding.money import pounds
from dhr_tracker.funding.years import FinancialYear, long_date


@dataclass(frozen=True)
class Rules:
    year: FinancialYear
    opens_on: date
    closes_on: date
    max_award_pence: int
    min_reviews_commenced: int | None
    death_types: dict[str, str]  # code: label; empty for any
    nations: dict[str, str]  # code: label; empty for any
    reviews_in_year: bool


@dataclass(frozen=True)
class CoveredReview:
    title: str
    theirs: bool  # the applying partnership's review
    commenced_on: date | None
    death_type: str
    death_type_label: str


@dataclass(frozen=True)
class Facts:
    today: date
    partnership: str
    nation: str
    nation_label: str
    commenced_in_year: int
    reviews: tuple[CoveredReview, ...]
    requested_pence: int
    costs_pence: int


@dataclass(frozen=True)
class Failure:
    rule: str
    message: str


def _window(rules: Rules, facts: Facts) -> list[Failure]:
    if facts.today < rules.opens_on:
        return [
            Failure("window", f"This fund opens on {long_date(rules.opens_on)}: applications cannot be submitted yet")
        ]
    if facts.today > rules.closes_on:
        return [
            Failure(
                "window", f"This fund closed on {long_date(rules.closes_on)}: applications can no longer be submitted"
            )
        ]
    return []


def _reviews(rules: Rules, facts: Facts) -> list[Failure]:
    if not facts.reviews:
        return [Failure("reviews", "Choose at least one review this application is for")]
    failures = []
    for review in facts.reviews:
        if not review.theirs:
            failures.append(Failure("partnership", f"{review.title} is not one of {facts.partnership}'s reviews"))
            continue
        if review.commenced_on is None:
            failures.append(
                Failure("commenced", f"{review.title} has not commenced: the decision to review has not been made")
            )
            continue
        if rules.death_types and review.death_type not in rules.death_types:
            funded = ", ".join(label.lower() for label in rules.death_types.values())
            failures.append(
                Failure(
                    "review_type",
                    f"{review.title} is a review of a death recorded as {review.death_type_label.lower()}; "
                    f"this fund is for reviews of: {funded}",
                )
            )
        commenced_year = FinancialYear.of(review.commenced_on)
        if rules.reviews_in_year and commenced_year != rules.year:
            failures.append(
                Failure(
                    "review_year",
                    f"{review.title} commenced on {long_date(review.commenced_on)}, in {commenced_year}; "
                    f"this fund is for reviews commenced in {rules.year} ({rules.year.span})",
                )
            )
    return failures


def _partnership(rules: Rules, facts: Facts) -> list[Failure]:
    failures = []
    minimum = rules.min_reviews_commenced
    if minimum is not None and facts.commenced_in_year < minimum:
        counted = f"{facts.commenced_in_year} review" + ("" if facts.commenced_in_year == 1 else "s")
        failures.append(
            Failure(
                "reviews_commenced",
                f"{facts.partnership} commenced {counted} in {rules.year} ({rules.year.span}); "
                f"this fund needs at least {minimum}",
            )
        )
    if rules.nations and facts.nation not in rules.nations:
        served = " or ".join(rules.nations.values())
        failures.append(
            Failure(
                "nation", f"This fund is for partnerships in {served}; {facts.partnership} is in {facts.nation_label}"
            )
        )
    return failures


def _amount(rules: Rules, facts: Facts) -> list[Failure]:
    requested = facts.requested_pence
    if requested <= 0:
        return [Failure("amount", "Enter the amount requested")]
    failures = []
    if requested > rules.max_award_pence:
        failures.append(
            Failure(
                "max_award",
                f"The amount requested, {pounds(requested)}, is more than this fund's maximum award of "
                f"{pounds(rules.max_award_pence)}",
            )
        )
    if requested > facts.costs_pence:
        failures.append(
            Failure(
                "costs",
                f"The amount requested, {pounds(requested)}, is more than the costs set out, {pounds(facts.costs_pence)}",
            )
        )
    return failures


def check(rules: Rules, facts: Facts) -> list[Failure]:
    """Every rule the application fails, in the order a person would fix them; empty when eligible."""
    return [*_window(rules, facts), *_reviews(rules, facts), *_partnership(rules, facts), *_amount(rules, facts)]
