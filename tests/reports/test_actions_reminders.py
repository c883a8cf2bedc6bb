"""Open actions of the plan are deadlines of their review: they colour its status, and the reminders
job e-mails each action's owner, with a link to the action's page, until it is complete."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.deadlines import Rag
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.reminders import send_reminders
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reports.test_actions import add_action, add_recommendation, complete

pytestmark = pytest.mark.django_db


def action_deadlines(review: Review, today: date) -> list[schedule.Deadline]:
    status = schedule.status_of(Review.objects.get(pk=review.pk), today)
    return [deadline for deadline in status.deadlines if deadline.key.startswith("plan_action:")]


def test_an_open_action_is_a_deadline_of_its_review_owned_by_its_owner(report_world: ReportWorld) -> None:
    action = add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    overdue_day = action.target_on + timedelta(days=1)

    [deadline] = action_deadlines(report_world.review, overdue_day)

    assert deadline.owner == f"user:{report_world.contributor_a.pk}"
    assert deadline.label == "Action 1.1 of the action plan"
    assert deadline.due == action.target_on
    assert deadline.rag == Rag.RED
    assert deadline.page == reverse("reports:action", args=[action.pk])
    assert schedule.status_of(report_world.refresh(), overdue_day).rag == Rag.RED


def test_the_owner_is_emailed_about_an_overdue_action_with_a_link_to_it(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    owner = report_world.contributor_a
    action = add_action(report_world, add_recommendation(report_world), owner)
    today = action.target_on + timedelta(days=2)

    send_reminders(today=today)

    [message] = [message for message in mail.outbox if message.to == [owner.email]]
    assert message.subject.endswith("has an overdue deadline")
    assert "Action 1.1 of the action plan" in message.body
    assert "2 days overdue" in message.body
    assert f"{settings.SITE_URL}{reverse('reports:action', args=[action.pk])}" in message.body
    assert "Train the public protection unit" not in message.body
    reminded = [e for e in security_events.rows() if e.action == "reviews.reminder_sent"]
    assert {"deadline": f"plan_action:{action.pk}", "stage": "overdue", "recipient": owner.pk} in [
        e.details for e in reminded
    ]


def test_a_complete_action_sends_nothing(report_world: ReportWorld) -> None:
    owner = report_world.contributor_a
    action = add_action(report_world, add_recommendation(report_world), owner)
    complete(action, owner)
    today = action.target_on + timedelta(days=2)

    send_reminders(today=today)

    assert action_deadlines(report_world.review, today) == []
    assert not [message for message in mail.outbox if message.to == [owner.email]]


def test_an_action_due_soon_is_amber_and_reminded_at_its_stage(report_world: ReportWorld) -> None:
    owner = report_world.contributor_b
    action = add_action(
        report_world, add_recommendation(report_world), owner, target_on=timezone.localdate() + timedelta(days=7)
    )

    [deadline] = action_deadlines(report_world.review, timezone.localdate())
    send_reminders(today=timezone.localdate())

    assert deadline.rag == Rag.AMBER
    [message] = [message for message in mail.outbox if message.to == [owner.email]]
    assert message.subject.endswith("has a deadline in 7 days")
    assert reverse("reports:action", args=[action.pk]) in message.body


def test_the_schedule_reads_the_plan_in_a_fixed_number_of_queries(report_world: ReportWorld) -> None:
    """However many recommendations and actions, the status reads only what ``with_schedule`` fetched."""
    today = timezone.localdate()
    reviews = Review.objects.filter(pk=report_world.review.pk)
    add_action(report_world, add_recommendation(report_world), report_world.contributor_a)
    with CaptureQueriesContext(connection) as one:
        list(schedule.with_schedule(reviews))
    for _ in range(3):
        recommendation = add_recommendation(report_world)
        for owner in (report_world.contributor_a, report_world.contributor_b):
            add_action(report_world, recommendation, owner)

    with CaptureQueriesContext(connection) as seven:
        [review] = schedule.with_schedule(reviews)
    with CaptureQueriesContext(connection) as status:
        found = [d for d in schedule.status_of(review, today).deadlines if d.key.startswith("plan_action:")]

    assert len(seven) == len(one)
    assert len(status) == 0
    assert len(found) == 7
