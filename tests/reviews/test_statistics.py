"""Partnership statistics: medians between milestones against the targets, paused days apart, and who may see them."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings

from dhr_tracker.accounts.models import PartnershipRoleKind
from dhr_tracker.reviews import statistics
from dhr_tracker.reviews.models import Pause, Review
from tests.factories import PartnershipRoleFactory
from tests.reviews.conftest import ReviewWorld
from tests.reviews.test_dashboard import notify
from tests.reviews.test_timeline import parse

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
URL = "/reviews/statistics/"


def dated(review: Review, **dates: Any) -> None:
    Review.objects.filter(pk=review.pk).update(**dates)


@pytest.fixture
def history(review_world: ReviewWorld) -> ReviewWorld:
    """Three reviews with known dates besides the world's, which is still awaiting its decision.

    - A: decided in 10 days, submitted 180 days later, published 90 days after that.
    - B: decided in 20 days, submitted 365 days later of which 150 were paused for a trial; not yet published.
    - C: decided in 40 days, still gathering information.
    """
    p = review_world.personas
    a, b, c = (notify(p.coordinator, p.partnership.pk, f"DHR-2025-0{n}") for n in (1, 2, 3))
    dated(
        a,
        state="published",
        notified_on=date(2025, 1, 1),
        decided_on=date(2025, 1, 11),
        submitted_on=date(2025, 7, 10),
        published_on=date(2025, 10, 8),
    )
    dated(
        b,
        state="submitted_to_ho",
        notified_on=date(2025, 2, 1),
        decided_on=date(2025, 2, 21),
        submitted_on=date(2026, 2, 21),
    )
    Pause.objects.create(
        review=b,
        reason="criminal_trial",
        started_on=date(2025, 5, 1),
        ended_on=date(2025, 9, 28),
        requested_by=p.coordinator,
        approved_by=p.csp_chair,
    )
    dated(c, state="information_gathering", notified_on=date(2025, 3, 1), decided_on=date(2025, 4, 10))
    # Another partnership's slow review never counts here.
    other = notify(p.outsider, p.other_partnership.pk, "OTHER-01")
    dated(other, state="commissioned", notified_on=date(2025, 1, 1), decided_on=date(2025, 12, 1))
    return review_world


def test_medians_targets_and_paused_days(history: ReviewWorld) -> None:
    decision, completion, publication = statistics.figures(history.personas.partnership.pk).intervals
    assert decision == statistics.Interval("Notification to decision", 20, 0, 3, 1, 30, 1)
    # B's 150 paused days are left out of its 365 and reported apart.
    assert completion == statistics.Interval("Decision to submission to the Home Office", 197.5, 75, 2, 1, 183, 6)
    assert publication == statistics.Interval("Submission to publication", 90, 0, 1, 1, None, None)


def test_a_directed_review_counts_from_the_direction(history: ReviewWorld) -> None:
    """After a decision not to review, the Home Office's direction starts the completion clock."""
    review = history.review
    dated(
        review,
        state="submitted_to_ho",
        decided_on=review.notified_on,
        directed_on=date(2025, 6, 1),
        submitted_on=date(2025, 11, 28),
    )
    _, completion, _ = statistics.figures(history.personas.partnership.pk).intervals
    assert completion.counted == 3
    assert completion.median_days == 180


@override_settings(REVIEW_DECISION_MONTHS=2, REVIEW_COMPLETION_MONTHS=9)
def test_targets_follow_the_settings(history: ReviewWorld) -> None:
    decision, completion, _ = statistics.figures(history.personas.partnership.pk).intervals
    assert (decision.target_days, completion.target_days) == (61, 274)


def test_a_partnership_without_reviews_has_no_medians(personas: Any) -> None:
    figures = statistics.figures(personas.partnership.pk)
    assert [interval.median_days for interval in figures.intervals] == [None, None, None]
    assert "no review has got this far yet" in str(figures.chart)


def test_chart_is_well_formed_and_labelled(history: ReviewWorld) -> None:
    root = parse(str(statistics.figures(history.personas.partnership.pk).chart))
    svg = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"{svg}title[@id='{title_id}']") is not None
    description = root.findtext(f"{svg}desc[@id='{desc_id}']") or ""
    assert "Notification to decision: median 20 days over 3 reviews; target about 30 days." in description
    assert "Submission to publication: median 90 days over 1 review; no target." in description
    words = ["".join(text.itertext()) for text in root.iter(f"{svg}text")]
    assert "Median 197.5 days" in words
    assert "Target about 183 days" in words
    assert "No target" in words
    bars = [rect for rect in root.iter(f"{svg}rect") if rect.get("class") == "app-chart__bar"]
    targets = [rect for rect in root.iter(f"{svg}rect") if rect.get("class") == "app-chart__target"]
    assert (len(bars), len(targets)) == (3, 2)
    # The longest bar is the 197.5-day median.
    assert max(float(bar.get("width") or 0) for bar in bars) == float(bars[1].get("width") or 0)


def test_coordinator_sees_the_page_with_chart_and_table(
    history: ReviewWorld, verified_client: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = verified_client(history.personas.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    assert history.personas.partnership.name in response.text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="app-chart__svg"' in response.text
    assert "197.5" in response.text
    assert "About 183 days (6 months)" in response.text
    assert "About 30 days (1 month)" in response.text
    assert "No target" in response.text
    assert "OTHER-01" not in response.text


def test_manager_of_two_partnerships_chooses_one(history: ReviewWorld, verified_client: ClientFor) -> None:
    p = history.personas
    PartnershipRoleFactory.create(
        user=p.coordinator, partnership=p.other_partnership, role=PartnershipRoleKind.CSP_COORDINATOR
    )
    client = verified_client(p.coordinator)
    chooser = client.get(URL)
    assert f'href="?partnership={p.other_partnership.pk}"' in chooser.text
    assert f'href="?partnership={p.partnership.pk}"' in chooser.text
    other = client.get(URL, {"partnership": p.other_partnership.pk})
    assert other.status_code == 200
    decision = other.context["figures"].intervals[0]
    assert (decision.counted, decision.median_days) == (1, 334)
    assert "Choose another partnership" in other.text


@pytest.mark.parametrize("value", ["other", "999999", "abc"])
def test_a_partnership_the_user_does_not_manage_is_not_found(
    history: ReviewWorld, verified_client: ClientFor, value: str
) -> None:
    p = history.personas
    chosen = {"other": str(p.other_partnership.pk)}.get(value, value)
    assert verified_client(p.coordinator).get(URL, {"partnership": chosen}).status_code == 404


def test_outsider_cannot_see_our_statistics(history: ReviewWorld, verified_client: ClientFor) -> None:
    p = history.personas
    client = verified_client(p.outsider)
    assert client.get(URL, {"partnership": p.partnership.pk}).status_code == 404
    own = client.get(URL)
    assert own.status_code == 200
    assert own.context["partnership"] == p.other_partnership


@pytest.mark.parametrize("persona", ["auditor", "contributor_a", "site_admin", "panel_member"])
def test_people_who_manage_no_partnership_are_refused(
    history: ReviewWorld, verified_client: ClientFor, persona: str
) -> None:
    user = history.panel_member if persona == "panel_member" else getattr(history.personas, persona)
    client = verified_client(user)
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"partnership": history.personas.partnership.pk}).status_code == 403
