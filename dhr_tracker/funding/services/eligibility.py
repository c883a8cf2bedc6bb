"""The facts an application's eligibility is checked against, read from the database.

Three queries whatever the number of reviews covered: the reviews, the partnership's count of
reviews commenced in the stream's year, and the costs. The rules themselves are pure
(``funding.eligibility``).
"""

from datetime import date

from django.db.models import Q, QuerySet, Sum

from dhr_tracker.accounts.models import Nation, Partnership
from dhr_tracker.funding import eligibility
from dhr_tracker.funding.models import Application, ApplicationCost, FundingStream
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import DeathType, Review

# A decision not to review commences nothing, unless the Home Office then directs a review.
_DECLINED = (State.NOT_COMMISSIONED, State.CLOSED_NO_REVIEW)


def commenced_in(partnership_id: int, year: FinancialYear) -> QuerySet[Review]:
    """The partnership's reviews commenced in ``year``: their T1 (``schedule.completion_start``) falls in it."""
    within = (year.start, year.end)
    directed = Q(directed_on__range=within)
    decided = Q(directed_on__isnull=True, decided_on__range=within) & ~Q(state__in=_DECLINED)
    return Review.objects.filter(directed | decided, partnership_id=partnership_id)


def rules_of(stream: FundingStream) -> eligibility.Rules:
    return eligibility.Rules(
        year=stream.year,
        opens_on=stream.opens_on,
        closes_on=stream.closes_on,
        max_award_pence=stream.max_award_pence,
        min_reviews_commenced=stream.min_reviews_commenced,
        death_types={code: DeathType(code).label for code in stream.death_types},
        nations={code: Nation(code).label for code in stream.nations},
        reviews_in_year=stream.reviews_in_year,
    )


def facts_of(application: Application, today: date) -> eligibility.Facts:
    partnership: Partnership = application.partnership
    reviews = Review.objects.filter(funding_applications__application=application).select_related("partnership")
    covered = tuple(
        eligibility.CoveredReview(
            title=review.title,
            theirs=review.partnership_id == partnership.pk,
            commenced_on=schedule.completion_start(review),
            death_type=review.death_type,
            death_type_label=review.get_death_type_display(),
        )
        for review in reviews.order_by("reference")
    )
    costs = ApplicationCost.objects.filter(application=application).aggregate(total=Sum("amount_pence"))["total"]
    return eligibility.Facts(
        today=today,
        partnership=partnership.name,
        nation=partnership.nation,
        nation_label=partnership.get_nation_display(),
        commenced_in_year=commenced_in(partnership.pk, application.stream.year).count(),
        reviews=covered,
        requested_pence=application.requested_pence,
        costs_pence=costs or 0,
    )


def check(application: Application, today: date) -> list[eligibility.Failure]:
    """Every rule of its stream the application fails today; empty when it may be submitted."""
    return eligibility.check(rules_of(application.stream), facts_of(application, today))
