"""The reviews dashboard: who sees which reviews, their status and clocks, filters, pages and queries."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import PartnershipRoleKind, User
from dhr_tracker.reviews.models import Meeting, MeetingAction, Participant, ParticipantKind, PersonRole, Review
from dhr_tracker.reviews.services import notifications, steps
from dhr_tracker.reviews.services.notifications import PersonLine
from tests.factories import PartnershipRoleFactory
from tests.reviews.conftest import PERPETRATOR, ReviewWorld, notification_fields

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]
URL = "/reviews/"


def notify(actor: User, partnership_id: int, reference: str, *, victim: str = "Adult C", days_ago: int = 10) -> Review:
    """Record another notification, as the coordinator would."""
    today = timezone.localdate()
    return notifications.record_notification(
        actor=actor,
        partnership_id=partnership_id,
        fields=notification_fields(
            reference=reference,
            notified_on=today - timedelta(days=days_ago),
            died_on=today - timedelta(days=days_ago + 2),
        ),
        place_of_death="",
        people=[PersonLine(PersonRole.VICTIM, victim, "", None, ""), PERPETRATOR],
        not_a_duplicate=True,
        request=None,
    )


def pause(world: ReviewWorld, started_on: date) -> None:
    steps.pause_review(
        world.refresh(),
        actor=world.personas.csp_chair,
        reason="inquest",
        body="",
        reference="",
        started_on=started_on,
        expected_end_on=None,
        requested_by=world.personas.coordinator,
        rationale="The inquest comes first",
        version=None,
        request=None,
    )


def references(response: Any) -> list[str]:
    return [row["review"].reference for row in response.context["rows"]]


def test_partnership_sees_its_reviews_and_never_another_partnerships(
    review_world: ReviewWorld, verified_client: ClientFor
) -> None:
    p = review_world.personas
    notify(p.outsider, p.other_partnership.pk, "OTHER-01")
    for user in (p.csp_chair, p.coordinator):
        response = verified_client(user).get(URL)
        assert response.status_code == 200
        assert references(response) == ["DHR-2026-01"]
        assert "OTHER-01" not in response.text
        assert "Adult A" in response.text
        # One partnership: no partnership column.
        assert ">Partnership</th>" not in response.text
    response = verified_client(p.outsider).get(URL)
    assert references(response) == ["OTHER-01"]
    assert "DHR-2026-01" not in response.text


@pytest.mark.parametrize("kind", [ParticipantKind.INDEPENDENT_CHAIR, ParticipantKind.PANEL_MEMBER])
def test_participant_sees_only_the_review_they_hold_a_role_on(
    review_world: ReviewWorld, verified_client: ClientFor, kind: str
) -> None:
    p = review_world.personas
    notify(p.coordinator, p.partnership.pk, "DHR-2026-02")
    user = review_world.panel_member
    Participant.objects.create(review=review_world.review, user=user, kind=kind, added_by=p.coordinator)
    response = verified_client(user).get(URL)
    assert references(response) == ["DHR-2026-01"]
    assert "DHR-2026-02" not in response.text
    assert "Record a notification" not in response.text
    assert "Partnership statistics" not in response.text


def test_removed_participant_no_longer_sees_the_review(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    p = review_world.personas
    Participant.objects.create(
        review=review_world.review,
        user=review_world.panel_member,
        kind=ParticipantKind.PANEL_MEMBER,
        added_by=p.coordinator,
        removed_at=timezone.now(),
        removed_by=p.coordinator,
    )
    response = verified_client(review_world.panel_member).get(URL)
    assert references(response) == []
    assert "There are no reviews for you to see yet" in response.text


@pytest.mark.parametrize("persona", ["auditor", "contributor_a", "site_admin"])
def test_auditor_contributor_and_site_admin_see_no_review(
    review_world: ReviewWorld, verified_client: ClientFor, persona: str
) -> None:
    response = verified_client(getattr(review_world.personas, persona)).get(URL)
    assert response.status_code == 200
    assert "There are no reviews for you to see yet" in response.text
    assert "DHR-2026-01" not in response.text
    assert "Adult A" not in response.text
    assert "Record a notification" not in response.text


def test_without_a_second_factor_the_dashboard_is_not_shown(
    review_world: ReviewWorld, password_only_client: Callable[[User], Client]
) -> None:
    response = password_only_client(review_world.personas.coordinator).get(URL)
    assert response.status_code == 302
    assert "DHR-2026-01" not in response.text


def test_managers_are_offered_to_record_a_notification(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    response = verified_client(review_world.personas.coordinator).get(URL)
    assert 'href="/reviews/new/">Record a notification</a>' in response.text
    assert 'href="/reviews/statistics/">Partnership statistics</a>' in response.text


def test_manager_without_reviews_is_told_how_to_start(personas: Any, verified_client: ClientFor) -> None:
    response = verified_client(personas.coordinator).get(URL)
    assert "There are no reviews for you to see yet" in response.text
    assert "record the notification" in response.text
    assert "Record a notification" in response.text


def test_overdue_decision_is_red_with_the_decision_as_next_deadline(
    review_world: ReviewWorld, verified_client: ClientFor
) -> None:
    today = timezone.localdate()
    Review.objects.filter(pk=review_world.review.pk).update(
        notified_on=today - timedelta(days=40), died_on=today - timedelta(days=45)
    )
    response = verified_client(review_world.personas.coordinator).get(URL)
    [row] = response.context["rows"]
    status = row["status"]
    assert status.rag == "red"
    assert status.next_due.key == "decision"
    assert (status.active_days, status.paused_days) == (40, 0)
    due = status.next_due.due
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in response.text
    assert f"CSP chair&#x27;s decision: {due.day} {due:%B %Y}" in response.text


def test_paused_review_shows_paused_time_apart(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    today = timezone.localdate()
    review_world.in_setup()
    pause(review_world, today - timedelta(days=5))
    response = verified_client(review_world.personas.coordinator).get(URL)
    [row] = response.context["rows"]
    assert row["status"].rag == "paused"
    assert (row["status"].active_days, row["status"].paused_days) == (15, 5)
    assert '<strong class="govuk-tag govuk-tag--grey">Paused</strong>' in response.text
    assert "On hold while paused" in response.text
    assert '<td class="govuk-table__cell">Paused</td>' in response.text


def test_pseudonyms_are_escaped(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    p = review_world.personas
    notify(p.coordinator, p.partnership.pk, "DHR-2026-02", victim="<script>alert(1)</script>")
    response = verified_client(p.coordinator).get(URL)
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_filters_by_stage_status_and_open_only(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    p = review_world.personas
    review_world.decide()
    late = notify(p.coordinator, p.partnership.pk, "DHR-2026-02", days_ago=40)
    gone = notify(p.coordinator, p.partnership.pk, "DHR-2026-03")
    steps.take_step(gone, "withdraw", actor=p.csp_chair, rationale="Notified in error", version=None, request=None)
    client = verified_client(p.coordinator)
    # Open reviews only unless asked, most recently notified first.
    assert references(client.get(URL)) == ["DHR-2026-01", "DHR-2026-02"]
    assert sorted(references(client.get(URL, {"show": "all"}))) == ["DHR-2026-01", "DHR-2026-02", "DHR-2026-03"]
    assert references(client.get(URL, {"stage": "commissioned"})) == ["DHR-2026-01"]
    assert references(client.get(URL, {"rag": "red"})) == [late.reference]
    assert references(client.get(URL, {"rag": "red", "stage": "commissioned"})) == []
    assert references(client.get(URL, {"show": "all", "stage": "withdrawn"})) == ["DHR-2026-03"]
    response = client.get(URL, {"rag": "amber"})
    assert "No reviews match these filters" in response.text


def test_unknown_filter_values_are_refused_and_ignored(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    response = verified_client(review_world.personas.coordinator).get(URL, {"stage": "nonsense", "rag": "purple"})
    assert response.status_code == 200
    assert references(response) == ["DHR-2026-01"]
    assert "Choose from the list" in response.text


def test_user_of_two_partnerships_sees_and_filters_both(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    p = review_world.personas
    notify(p.outsider, p.other_partnership.pk, "OTHER-01")
    PartnershipRoleFactory.create(
        user=p.coordinator, partnership=p.other_partnership, role=PartnershipRoleKind.CSP_COORDINATOR
    )
    client = verified_client(p.coordinator)
    response = client.get(URL)
    assert sorted(references(response)) == ["DHR-2026-01", "OTHER-01"]
    assert ">Partnership</th>" in response.text
    assert p.other_partnership.name in response.text
    assert references(client.get(URL, {"partnership": p.other_partnership.pk})) == ["OTHER-01"]
    # The outsider still sees only their own.
    assert references(verified_client(p.outsider).get(URL)) == ["OTHER-01"]
    assert "Partnership" not in verified_client(p.outsider).get(URL).context["form"].fields


def test_pages_keep_the_filters(
    review_world: ReviewWorld, verified_client: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = review_world.personas
    monkeypatch.setattr("dhr_tracker.reviews.views.dashboard.PAGE_SIZE", 2)
    for number in range(2, 6):
        notify(p.coordinator, p.partnership.pk, f"DHR-2026-{number:02d}", days_ago=number)
    client = verified_client(p.coordinator)
    first = client.get(URL, {"stage": "notified"})
    assert first.context["page"].paginator.count == 5
    assert len(references(first)) == 2
    assert 'href="?stage=notified&amp;page=2"' in first.text
    third = client.get(URL, {"stage": "notified", "page": "3"})
    assert references(third) == ["DHR-2026-01"]
    seen = {ref for number in "123" for ref in references(client.get(URL, {"stage": "notified", "page": number}))}
    assert len(seen) == 5


def test_queries_do_not_grow_with_the_number_of_reviews(
    review_world: ReviewWorld, verified_client: ClientFor, django_assert_max_num_queries: Any
) -> None:
    p = review_world.personas
    today = timezone.localdate()
    review_world.in_setup()
    pause(review_world, today - timedelta(days=3))
    for number in range(2, 31):
        # Notified recently, so each review's status is its meeting action, due today: amber.
        review = notify(p.coordinator, p.partnership.pk, f"DHR-2026-{number:02d}", days_ago=number % 10 + 1)
        meeting = Meeting.objects.create(review=review, held_on=today, recorded_by=p.coordinator)
        MeetingAction.objects.create(meeting=meeting, text="Chase the records", owner=p.coordinator, due_on=today)
    client = verified_client(p.coordinator)
    with django_assert_max_num_queries(18):
        response = client.get(URL, {"rag": "amber"})
    assert len(response.context["rows"]) == 29
    with django_assert_max_num_queries(18):
        response = client.get(URL, {"show": "all"})
    assert response.context["page"].paginator.count == 30
