"""Reminders of deadlines, once per stage, and the weekly digest to coordinators."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import PartnershipRoleKind, User
from dhr_tracker.reviews import reminders, schedule, tasks
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import (
    Meeting,
    MeetingAction,
    Participant,
    ParticipantKind,
    PersonRole,
    ReminderSent,
    Review,
)
from dhr_tracker.reviews.reminders import DeliveryFailed, due_reminders, send_digests, send_reminders
from dhr_tracker.reviews.services import notifications, steps
from dhr_tracker.reviews.services.notifications import PersonLine
from tests.conftest import EventLog
from tests.factories import PartnershipRoleFactory, UserFactory
from tests.reviews.conftest import VICTIM, ReviewWorld, notification_fields

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message, as an SMTP outage does."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("the mail server is down")


def due_on(review: Review, key: str, today: date) -> date:
    """The due date of one of the review's deadlines, as the schedule sees it on ``today``."""
    deadline = next(d for d in schedule.status_of(Review.objects.get(pk=review.pk), today).deadlines if d.key == key)
    assert deadline.due is not None
    return deadline.due


def sent_to(user: User) -> list[Any]:
    return [message for message in mail.outbox if message.to == [user.email]]


def keys() -> list[str]:
    return sorted(ReminderSent.objects.values_list("key", flat=True))


def notify(world: ReviewWorld, reference: str, *, days_ago: int = 20, actor: User | None = None) -> Review:
    """Another review notified ``days_ago`` days ago, by default to the world's partnership."""
    actor = actor or world.personas.coordinator
    partnership = world.personas.other_partnership if actor == world.personas.outsider else world.personas.partnership
    today = timezone.localdate()
    victim = PersonLine(PersonRole.VICTIM, f"Adult {reference}", f"Person {reference}", date(1990, 1, 1), "")
    return notifications.record_notification(
        actor=actor,
        partnership_id=partnership.pk,
        fields=notification_fields(
            reference=reference,
            notified_on=today - timedelta(days=days_ago),
            died_on=today - timedelta(days=days_ago + 2),
        ),
        place_of_death="",
        people=[victim],
        not_a_duplicate=True,
        request=None,
    )


def add_action(
    world: ReviewWorld, owner: User, due: date, text: str = "Ask the GP practice for its records"
) -> MeetingAction:
    meeting = Meeting.objects.create(
        review=world.review, held_on=world.review.notified_on, recorded_by=world.personas.coordinator
    )
    return MeetingAction.objects.create(meeting=meeting, text=text, owner=owner, due_on=due)


def appoint_chair(world: ReviewWorld) -> None:
    Participant.objects.create(
        review=world.review,
        user=world.independent_chair,
        kind=ParticipantKind.INDEPENDENT_CHAIR,
        agency=world.chairs_agency,
        added_by=world.personas.coordinator,
    )


@pytest.mark.parametrize(
    ("days_remaining", "stage"),
    [(30, None), (15, None), (14, "14"), (8, "14"), (7, "7"), (2, "7"), (1, "1"), (0, "1"), (-1, "overdue")],
)
def test_the_stage_is_the_smallest_threshold_not_yet_passed(days_remaining: int, stage: str | None) -> None:
    assert reminders.stage_of(days_remaining, [1, 14, 7]) == stage


def test_the_csp_chair_gets_the_14_day_reminder_of_the_decision_once(
    review_world: ReviewWorld, security_events: EventLog
) -> None:
    chair = review_world.personas.csp_chair
    today = due_on(review_world.review, "decision", timezone.localdate()) - timedelta(days=14)

    assert send_reminders(today=today) == 1
    assert send_reminders(today=today) == 0

    assert len(mail.outbox) == 1
    message = sent_to(chair)[0]
    assert message.subject.endswith("DHR-2026-01 has a deadline in 14 days")
    assert "CSP chair's decision" in message.body
    assert "due in 14 days" in message.body
    event = security_events.find("reviews.reminder_sent")
    assert event.actor_id is None
    assert event.target_id == str(review_world.review.pk)
    assert event.partnership_id == review_world.personas.partnership.pk
    assert event.details == {"deadline": "decision", "stage": "14", "recipient": chair.pk}
    assert security_events.actions().count("reviews.reminder_sent") == 1


def test_each_stage_is_sent_once_and_overdue_only_once(review_world: ReviewWorld) -> None:
    due = due_on(review_world.review, "decision", timezone.localdate())
    sent_on: dict[int, int] = {}

    for offset in range(-20, 10):
        sent_on[offset] = send_reminders(today=due + timedelta(days=offset))

    assert {offset: count for offset, count in sent_on.items() if count} == {-14: 1, -7: 1, -1: 1, 1: 1}
    assert [message.subject.split(" has ")[-1] for message in mail.outbox] == [
        "a deadline in 14 days",
        "a deadline in 7 days",
        "a deadline in 1 day",
        "an overdue deadline",
    ]
    assert "1 day overdue" in mail.outbox[-1].body


def test_a_run_that_read_the_reminder_as_unsent_does_not_send_it_again(
    review_world: ReviewWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once both see the reminder unsent; the unique key lets only the first send it."""
    today = due_on(review_world.review, "decision", timezone.localdate()) - timedelta(days=7)
    assert send_reminders(today=today) == 1
    # As if this run read the sent keys before the first one committed: every key looks unsent.
    monkeypatch.setattr(reminders, "unsent_keys", set)

    assert send_reminders(today=today) == 0

    assert len(mail.outbox) == 1
    assert ReminderSent.objects.count() == 1


def test_after_beat_was_down_only_the_current_stage_is_sent(review_world: ReviewWorld) -> None:
    """Three days left: the 14-day reminder was missed, the 7-day one is current; the owner gets that alone."""
    due = due_on(review_world.review, "decision", timezone.localdate())

    assert send_reminders(today=due - timedelta(days=3)) == 1

    [key] = keys()
    assert key.endswith(f":decision:{due.isoformat()}:7:{review_world.personas.csp_chair.pk}")
    assert "due in 3 days" in mail.outbox[0].body


def test_an_extension_moving_the_due_date_starts_the_reminders_afresh(review_world: ReviewWorld) -> None:
    review = review_world.review
    due = due_on(review, "decision", timezone.localdate())
    today = due - timedelta(days=1)
    assert send_reminders(today=today) == 1

    steps.extend(
        review,
        actor=review_world.personas.csp_chair,
        clock="decision",
        days=10,
        reason="Late scoping returns",
        request=None,
    )

    assert due_on(review, "decision", today) == due + timedelta(days=10)
    assert send_reminders(today=today) == 1
    assert "due in 11 days" in mail.outbox[-1].body
    assert send_reminders(today=today) == 0


def test_a_paused_completion_clock_sends_no_reminders(review_world: ReviewWorld) -> None:
    review = review_world.in_setup()
    appoint_chair(review_world)
    assert review.decided_on is not None
    today = due_on(review, "completion", timezone.localdate()) - timedelta(days=1)
    assert [(r.deadline.key, r.recipient) for r in due_reminders(today)] == [
        ("completion", review_world.independent_chair)
    ]

    steps.pause_review(
        review,
        actor=review_world.personas.csp_chair,
        reason="criminal_trial",
        body="Crown Court",
        reference="T2026001",
        started_on=review.decided_on + timedelta(days=2),
        expected_end_on=None,
        requested_by=review_world.personas.coordinator,
        rationale="The trial must finish first",
        version=None,
        request=None,
    )

    assert due_reminders(today) == []
    assert send_reminders(today=today) == 0
    assert mail.outbox == []


def test_the_completion_deadline_goes_to_the_coordinators_until_a_chair_is_appointed(review_world: ReviewWorld) -> None:
    review = review_world.in_setup()
    today = due_on(review, "completion", timezone.localdate()) - timedelta(days=7)

    assert send_reminders(today=today) == 1
    assert sent_to(review_world.personas.coordinator)[0].subject.endswith("a deadline in 7 days")

    appoint_chair(review_world)
    assert send_reminders(today=today) == 1
    assert "Overview report to the Home Office" in sent_to(review_world.independent_chair)[0].body


def test_a_meeting_action_owner_gets_their_own_reminder(review_world: ReviewWorld) -> None:
    today = timezone.localdate()
    action = add_action(review_world, review_world.panel_member, today + timedelta(days=7))

    send_reminders(today=today)

    [message] = sent_to(review_world.panel_member)
    assert "Meeting action: Ask the GP practice for its records" in message.body
    assert "due in 7 days" in message.body
    assert f":action:{action.pk}:" in next(key for key in keys() if key.endswith(f":{review_world.panel_member.pk}"))
    assert sent_to(review_world.personas.coordinator) == []


def test_the_action_of_an_owner_who_left_goes_to_the_coordinators(review_world: ReviewWorld) -> None:
    today = timezone.localdate()
    add_action(review_world, review_world.panel_member, today - timedelta(days=2))
    User.objects.filter(pk=review_world.panel_member.pk).update(is_active=False)

    send_reminders(today=today)

    assert sent_to(review_world.panel_member) == []
    [message] = sent_to(review_world.personas.coordinator)
    assert "2 days overdue" in message.body


def test_a_done_action_sends_nothing(review_world: ReviewWorld) -> None:
    today = timezone.localdate()
    action = add_action(review_world, review_world.panel_member, today)
    MeetingAction.objects.filter(pk=action.pk).update(done_on=today, done_by=review_world.panel_member)

    send_reminders(today=today)

    assert sent_to(review_world.panel_member) == []


def test_withdrawn_and_closed_reviews_get_no_reminders(review_world: ReviewWorld) -> None:
    personas = review_world.personas
    today = due_on(review_world.review, "decision", timezone.localdate()) + timedelta(days=3)
    add_action(review_world, review_world.panel_member, today)
    steps.take_step(
        review_world.review,
        "withdraw",
        actor=personas.csp_chair,
        rationale="Duplicate of another review",
        version=None,
        request=None,
    )
    closed = notify(review_world, "DHR-2026-02")
    Review.objects.filter(pk=closed.pk).update(state=State.CLOSED, ended_on=today)

    assert due_reminders(today) == []
    assert send_reminders(today=today) == 0
    assert mail.outbox == []


def test_emails_name_the_review_by_reference_and_pseudonym_only(review_world: ReviewWorld, settings: Any) -> None:
    review = review_world.review
    today = due_on(review, "decision", timezone.localdate()) + timedelta(days=1)

    send_reminders(today=today)
    send_digests(today=today)

    assert len(mail.outbox) == 2
    link = f"{settings.SITE_URL}{reverse('reviews:review', args=[review.pk])}"
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert "DHR-2026-01" in text
        assert f"DHR-2026-01 ({VICTIM.pseudonym})" in text
        assert link in text
        for secret in ("Jane Realname", "John Realname", "Real Street", "1980"):
            assert secret not in text


def test_a_failed_send_is_not_marked_sent_and_the_next_run_sends_it(
    review_world: ReviewWorld, settings: Any, security_events: EventLog
) -> None:
    today = due_on(review_world.review, "decision", timezone.localdate()) - timedelta(days=7)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    with pytest.raises(DeliveryFailed):
        send_reminders(today=today)

    assert ReminderSent.objects.count() == 0
    assert "reviews.reminder_sent" not in security_events.actions()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_reminders(today=today) == 1
    assert len(mail.outbox) == 1


def test_one_failed_send_does_not_stop_the_others(review_world: ReviewWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused address fails alone: the others are sent, and the failure is raised for a retry."""
    today = timezone.localdate()
    add_action(review_world, review_world.panel_member, today + timedelta(days=1))
    real_send = EmailMessage.send

    def refuse_the_panel_member(message: EmailMessage, fail_silently: bool = False) -> int:
        if message.to == [review_world.panel_member.email]:
            raise ConnectionResetError("recipient refused")
        return real_send(message, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", refuse_the_panel_member)

    with pytest.raises(DeliveryFailed, match="1 e-mail"):
        send_reminders(today=today)

    assert [message.to for message in mail.outbox] == [[review_world.personas.csp_chair.email]]
    assert [key.split(":")[1] for key in keys()] == ["decision"]


def test_reminders_are_found_across_chunks_in_bounded_queries(
    review_world: ReviewWorld, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    personas = review_world.personas
    for number in range(2, 6):
        review = notify(review_world, f"DHR-2026-0{number}")
        Meeting.objects.create(
            review=review, held_on=review.notified_on, recorded_by=personas.coordinator
        ).actions.create(text="Send the chronology", owner=review_world.panel_member, due_on=timezone.localdate())
    monkeypatch.setattr(reminders, "CHUNK_SIZE", 2)

    with django_assert_max_num_queries(1 + 3 * 11):
        found = due_reminders(timezone.localdate())

    assert sorted((r.review.reference, r.deadline.key.split(":")[0], r.recipient.email) for r in found) == sorted(
        [("DHR-2026-01", "decision", personas.csp_chair.email)]
        + [
            (f"DHR-2026-0{n}", key, email)
            for n in range(2, 6)
            for key, email in (("decision", personas.csp_chair.email), ("action", review_world.panel_member.email))
        ]
    )


def test_each_coordinator_gets_the_digest_once_a_week(review_world: ReviewWorld, security_events: EventLog) -> None:
    personas = review_world.personas
    second = UserFactory.create(email="coordinator-2@csp.example")
    PartnershipRoleFactory.create(
        user=second, partnership=personas.partnership, role=PartnershipRoleKind.CSP_COORDINATOR
    )
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())

    assert send_digests(today=monday) == 2
    assert send_digests(today=monday + timedelta(days=3)) == 0
    assert send_digests(today=monday + timedelta(days=7)) == 2

    assert sorted(message.to[0] for message in mail.outbox) == sorted([personas.coordinator.email, second.email] * 2)
    assert sent_to(personas.csp_chair) == []
    event = security_events.find("reviews.digest_sent")
    assert event.partnership_id == personas.partnership.pk
    assert event.details["reviews"] == 1
    assert security_events.actions().count("reviews.digest_sent") == 4


def test_the_digest_lists_overdue_reviews_first_and_only_the_partnership_s_own(review_world: ReviewWorld) -> None:
    personas = review_world.personas
    today = timezone.localdate()

    Review.objects.filter(pk=review_world.review.pk).update(notified_on=today - timedelta(days=27))
    late = notify(review_world, "DHR-2026-LATE", days_ago=45)
    notify(review_world, "DHR-2026-NEW", days_ago=1)
    notify(review_world, "OTHER-2026-01", days_ago=45, actor=personas.outsider)

    assert send_digests(today=today) == 1

    body = mail.outbox[0].body
    assert "3 open, 1 overdue, 1 due soon" in body
    assert body.index("DHR-2026-LATE") < body.index("DHR-2026-01") < body.index("DHR-2026-NEW")
    assert "Red, overdue\n  Next deadline: CSP chair's decision" in body
    assert f"{(today - due_on(late, 'decision', today)).days} days overdue" in body
    assert "Amber, due soon" in body
    assert "OTHER-2026-01" not in body


def test_beat_runs_the_tasks_which_send_todays_reminders_and_this_week_s_digest(
    review_world: ReviewWorld, settings: Any
) -> None:
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.send_reminders.name, tasks.send_digests.name} <= scheduled

    assert tasks.send_reminders.delay().get() == 1
    assert tasks.send_digests.delay().get() == 1

    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [review_world.personas.csp_chair.email, review_world.personas.coordinator.email]
    )
