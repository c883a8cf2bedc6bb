"""Requests the agencies owe are deadlines of their review: they turn its RAG status amber and red,
and their reminders go to the agency's contributors on the review, once per stage."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.chronologies.models import AgencyRequest, RequestKind, RequestStatus
from dhr_tracker.chronologies.services import requests as services
from dhr_tracker.reviews import reminders, schedule
from dhr_tracker.reviews.deadlines import Rag
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review
from dhr_tracker.reviews.reminders import due_reminders, send_reminders
from dhr_tracker.reviews.schedule import Deadline, Status
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.test_requests import answer_scoping
from tests.conftest import EventLog
from tests.reviews.test_reminders import notify

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def status(world: ChronologyWorld, on: date = TODAY) -> Status:
    review = schedule.with_schedule(Review.objects.filter(pk=world.review.pk)).get()
    return schedule.status_of(review, on)


def request_deadline(found: Status, agency_request: AgencyRequest) -> Deadline | None:
    return next((d for d in found.deadlines if d.key == f"request:{agency_request.pk}"), None)


def test_a_request_owed_is_a_deadline_of_the_review_owned_by_the_agency(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)

    deadline = request_deadline(status(world), sent)

    assert deadline == Deadline(
        f"request:{sent.pk}",
        "Chronology from Agency A Police",
        sent.due_on,
        Rag.GREEN,
        None,
        f"agency:{world.agency_a.pk}",
        page=reverse("chronologies:request", args=[sent.pk]),
    )
    assert status(world).rag == Rag.GREEN


def test_an_overdue_request_turns_the_review_red_until_it_is_answered(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, due_on=TODAY + timedelta(days=30))
    assert status(world, sent.due_on - timedelta(days=3)).rag == Rag.AMBER
    late = sent.due_on + timedelta(days=1)

    assert request_deadline(status(world, late), sent).rag == Rag.RED  # type: ignore[union-attr]
    assert status(world, late).rag == Rag.RED

    services.record_nil_return(sent, actor=world.contributor_a, reason="No record.", version=1, request=None)

    assert request_deadline(status(world, late), sent) is None
    assert status(world, late).rag == Rag.GREEN


def test_a_scoping_request_is_not_amber_from_the_day_it_is_sent(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING, due_on=services.default_due(RequestKind.SCOPING, TODAY))

    assert request_deadline(status(world), sent).rag == Rag.GREEN  # type: ignore[union-attr]
    assert request_deadline(status(world, sent.due_on), sent).rag == Rag.AMBER  # type: ignore[union-attr]


def test_only_requests_awaiting_the_agency_are_deadlines(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    owed = world.send(world.agency_a)
    returned = world.send(world.agency_a, RequestKind.IMR)
    submitted = world.send(world.agency_b)
    cancelled = world.send(world.agency_b, RequestKind.SCOPING)
    AgencyRequest.objects.filter(pk=returned.pk).update(status=RequestStatus.RETURNED)
    AgencyRequest.objects.filter(pk=submitted.pk).update(status=RequestStatus.SUBMITTED)
    services.cancel_request(cancelled, actor=world.coordinator, reason="Not needed", version=1, request=None)

    keys = {d.key for d in status(world).deadlines if d.key.startswith("request:")}

    assert keys == {f"request:{owed.pk}", f"request:{returned.pk}"}


def test_the_status_of_an_unprefetched_review_still_counts_its_requests(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)

    found = schedule.status_of(Review.objects.get(pk=world.review.pk), TODAY)

    assert request_deadline(found, sent) is not None


def test_status_of_a_scheduled_review_needs_no_queries(
    chronology_world: ChronologyWorld, django_assert_num_queries: Any
) -> None:
    world = chronology_world
    world.send(world.agency_a)
    world.send(world.agency_b, RequestKind.IMR)
    review = schedule.with_schedule(Review.objects.filter(pk=world.review.pk)).get()

    with django_assert_num_queries(0):
        found = schedule.status_of(review, TODAY)

    assert len([d for d in found.deadlines if d.key.startswith("request:")]) == 2


def test_the_dashboard_shows_the_review_red_for_an_overdue_request(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_b, RequestKind.IMR, due_on=TODAY)
    AgencyRequest.objects.filter(pk=sent.pk).update(due_on=TODAY - timedelta(days=2))

    page = world.client(world.coordinator).get(reverse("reviews:dashboard"))

    [row] = page.context["rows"]
    assert row["status"].rag == Rag.RED
    assert row["status"].next_due.label == "IMR from Agency B Health"
    overview = world.client(world.coordinator).get(reverse("reviews:review", args=[world.review.pk]))
    assert "IMR from Agency B Health" in overview.text


def _more_reviews(world: ChronologyWorld, count: int) -> None:
    """Further reviews of the partnership, each with two requests agency A owes."""
    first = Review.objects.count()
    for number in range(first, first + count):
        review = notify(world.reviews, f"DHR-2026-{50 + number}")
        for kind in (RequestKind.SCOPING, RequestKind.CHRONOLOGY):
            AgencyRequest.objects.create(
                review=review,
                agency=world.agency_a,
                kind=kind,
                period_start=review.died_on - timedelta(days=365),
                period_end=review.died_on,
                subjects=["Adult A"],
                due_on=TODAY + timedelta(days=7),
                created_by=world.coordinator,
            )
        Participant.objects.create(
            review=review,
            user=world.contributor_a,
            kind=ParticipantKind.AGENCY_CONTRIBUTOR,
            agency=world.agency_a,
            added_by=world.coordinator,
        )


def _queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_the_dashboards_queries_do_not_grow_with_reviews_and_requests(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    world.send(world.agency_a)
    world.send(world.agency_b)
    client = world.client(world.coordinator)
    url = reverse("reviews:dashboard")
    client.get(url)
    few = _queries(lambda: client.get(url))

    _more_reviews(world, 6)
    many = _queries(lambda: client.get(url))

    assert many == few


def test_reminders_need_the_same_queries_for_each_chunk(
    chronology_world: ChronologyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = chronology_world
    Review.objects.filter(pk=world.review.pk).update(state="closed_no_review")  # only the reviews made below
    _more_reviews(world, 2)
    monkeypatch.setattr(reminders, "CHUNK_SIZE", 2)
    one_chunk = _queries(lambda: due_reminders(TODAY))

    _more_reviews(world, 4)
    three_chunks = _queries(lambda: due_reminders(TODAY))

    assert three_chunks - 1 == 3 * (one_chunk - 1)
    owed = [r for r in due_reminders(TODAY) if r.deadline.key.startswith("request:")]
    assert len(owed) == 12
    assert {(r.deadline.owner, r.recipient) for r in owed} == {(f"agency:{world.agency_a.pk}", world.contributor_a)}


def _sent_to(email: str) -> list[Any]:
    return [message for message in mail.outbox if message.to == [email]]


def test_the_agencys_contributor_is_reminded_seven_days_before_and_once_overdue(
    chronology_world: ChronologyWorld, security_events: EventLog
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, due_on=TODAY + timedelta(days=7))
    contributor = world.contributor_a.email

    assert send_reminders(today=TODAY) == 1
    assert send_reminders(today=TODAY) == 0
    assert send_reminders(today=TODAY + timedelta(days=1)) == 0  # still the seven-day stage
    [seven] = _sent_to(contributor)
    assert seven.subject.endswith("DHR-2026-01 has a deadline in 7 days")
    assert "Deadline: Chronology from Agency A Police" in seven.body
    assert f"/requests/{sent.pk}/" in seven.body
    assert "Sign in to see what is asked" in seven.body
    assert security_events.find("reviews.reminder_sent").details == {
        "deadline": f"request:{sent.pk}",
        "stage": "7",
        "recipient": world.contributor_a.pk,
    }

    late = sent.due_on + timedelta(days=1)
    assert send_reminders(today=late) == 1
    assert send_reminders(today=late + timedelta(days=3)) == 0
    assert [message.subject.split(" has ")[-1] for message in _sent_to(contributor)] == [
        "a deadline in 7 days",
        "an overdue deadline",
    ]
    assert _sent_to(world.contributor_b.email) == []
    assert _sent_to(world.coordinator.email) == []


def test_a_request_to_an_agency_without_a_contributor_reminds_the_coordinators(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    world.send(world.agency_b, due_on=TODAY + timedelta(days=7))
    Participant.objects.filter(user=world.contributor_b).update(removed_at=timezone.now())

    assert send_reminders(today=TODAY) == 1

    assert [message.to for message in mail.outbox] == [[world.coordinator.email]]


def test_an_answered_request_is_not_reminded(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING, due_on=TODAY + timedelta(days=7))
    answer_scoping(sent, world.contributor_a, had_contact=False, summary="No record.", secured=None)

    assert send_reminders(today=TODAY) == 0
