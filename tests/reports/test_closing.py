"""Closing a review (DHR.md s19, the last step): the CSP chair alone, once every action of the plan
is complete; after that the plan is final and its actions take no more updates."""

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from dhr_tracker.reports.models import Action
from dhr_tracker.reviews.lifecycle import FACT_MESSAGES, Fact, State
from dhr_tracker.reviews.models import Review
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reports.test_actions import add_action, add_recommendation, complete, fresh_action, update

pytestmark = pytest.mark.django_db


def monitoring(world: ReportWorld) -> tuple[Action, Action]:
    """A review monitoring its plan: one recommendation, two actions owned by agency contributors."""
    recommendation = add_recommendation(world)
    first = add_action(world, recommendation, world.contributor_a)
    second = add_action(world, recommendation, world.contributor_b)
    Review.objects.filter(pk=world.review.pk).update(state=State.ACTION_MONITORING)
    return first, second


def close(world: ReportWorld, who: str) -> Any:
    review = world.refresh()
    client = world.client(getattr(world, who))
    return client.post(reverse("reviews:step", args=[review.pk, "close"]), {"version": review.version, "rationale": ""})


def test_the_csp_chair_cannot_close_while_an_action_is_open(report_world: ReportWorld) -> None:
    first, _ = monitoring(report_world)
    complete(first, report_world.contributor_a)

    response = close(report_world, "csp_chair")

    assert response.status_code == 400
    assert FACT_MESSAGES[Fact.ACTIONS_CLOSED] in response.text
    assert report_world.refresh().state == State.ACTION_MONITORING


@pytest.mark.parametrize("who", ["coordinator", "independent_chair"])
def test_only_the_csp_chair_may_close(report_world: ReportWorld, who: str) -> None:
    for action in monitoring(report_world):
        complete(action, action.owner)

    response = close(report_world, who)

    assert response.status_code == 403
    assert report_world.refresh().state == State.ACTION_MONITORING


def test_the_review_closes_once_every_action_is_complete_and_its_plan_is_then_final(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    first, second = monitoring(report_world)
    for action in (first, second):
        complete(action, action.owner)

    response = close(report_world, "csp_chair")

    assert response.status_code == 302
    assert report_world.refresh().state == State.CLOSED
    owner = report_world.client(report_world.contributor_a)
    page = owner.get(reverse("reports:action", args=[first.pk]))
    refused = owner.post(
        reverse("reports:action_update", args=[first.pk]), {"note": "Reopen", "at_risk": "no", "version": 2}
    )
    assert page.status_code == 200
    assert "Update the action" not in page.text
    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        update(first, report_world.independent_chair, completed_on=None, note="Reopen")
    assert fresh_action(first).completed_on is not None
    coordinator = report_world.client(report_world.coordinator)
    plan = coordinator.get(reverse("reports:action_plan", args=[report_world.review.pk]))
    assert plan.status_code == 200
    assert reverse("reports:recommendation_new", args=[report_world.review.pk]) not in plan.text
    assert coordinator.get(reverse("reports:recommendation_new", args=[report_world.review.pk])).status_code == 403
