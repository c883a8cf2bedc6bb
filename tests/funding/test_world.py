"""The funding world: reviews commenced either side of the financial years' boundaries."""

from django.utils import timezone

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.funding.models import Application, ApplicationCost, ApplicationReview, CostCategory
from dhr_tracker.funding.services.eligibility import check, commenced_in
from dhr_tracker.reviews.models import Review
from tests.funding.conftest import POUND, FundingWorld


def test_reviews_are_counted_in_the_year_of_their_decision(funding_world: FundingWorld) -> None:
    world = funding_world
    assert set(commenced_in(world.partnership.pk, world.last)) == {world.first, world.second}
    assert set(commenced_in(world.partnership.pk, world.this)) == {world.third}
    assert set(commenced_in(world.personas.other_partnership.pk, world.last)) == {world.lone}


def _application(world: FundingWorld, reviews: list[Review], partnership: Partnership) -> Application:
    application = Application.objects.create(
        partnership=partnership,
        stream=world.national,
        requested_pence=15_000 * POUND,
        created_by=world.coordinator,
    )
    for review in reviews:
        ApplicationReview.objects.create(application=application, review=review)
    ApplicationCost.objects.create(application=application, category=CostCategory.CHAIR, amount_pence=24_000 * POUND)
    return application


def test_two_reviews_in_the_year_pass_and_a_lone_review_fails(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    assert check(_application(world, [world.first, world.second], world.partnership), today) == []
    lone = check(_application(world, [world.lone], world.personas.other_partnership), today)
    assert [failure.rule for failure in lone] == ["reviews_commenced"]
