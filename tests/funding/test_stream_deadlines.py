"""The deadlines of open funding streams: on the dashboard, and in the reminders e-mailed before they close."""

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Nation, Partnership, PartnershipRoleKind, User
from dhr_tracker.funding import reminders, tasks
from dhr_tracker.funding.models import Application, ApplicationStatus, FundingStream
from dhr_tracker.reviews.models import ReminderSent
from dhr_tracker.reviews.reminders import DeliveryFailed
from tests.conftest import EventLog
from tests.factories import PartnershipFactory, PartnershipRoleFactory, UserFactory
from tests.funding.conftest import POUND, FundingWorld

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message, as an SMTP outage does."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise ConnectionRefusedError("the mail server is down")


def stream(world: FundingWorld, name: str, opens_on: date, closes_on: date, **fields: Any) -> FundingStream:
    values: dict[str, Any] = {
        "funder": "Home Office",
        "name": name,
        "financial_year": world.this.start_year,
        "total_pot_pence": 10_000 * POUND,
        "max_award_pence": 1_000 * POUND,
        "opens_on": opens_on,
        "closes_on": closes_on,
        "created_by": world.personas.site_admin,
    }
    values.update(fields)
    return FundingStream.objects.create(**values)


def apply(world: FundingWorld, to: FundingStream, status: str, partnership: Partnership | None = None) -> Application:
    return Application.objects.create(
        partnership=partnership or world.partnership, stream=to, status=status, created_by=world.coordinator
    )


def recipients() -> list[str]:
    return sorted(message.to[0] for message in mail.outbox)


def exampleshire(world: FundingWorld) -> list[str]:
    return sorted([world.csp_chair.email, world.coordinator.email])


# The dashboard --------------------------------------------------------------------------------


def test_the_dashboard_lists_open_funds_soonest_closing_first_with_days_left_and_links(
    funding_world: FundingWorld,
) -> None:
    world = funding_world

    page = world.client(world.coordinator).get(reverse("home"))

    assert page.status_code == 200
    text = page.text
    assert "Funding deadlines" in text
    national_at = text.index(reverse("funding:stream", args=[world.national.pk]))
    local_at = text.index(reverse("funding:stream", args=[world.local.pk]))
    assert national_at < local_at
    assert "30 days left" in text
    assert "60 days left" in text
    assert text.count("No application yet") == 2
    assert reverse("funding:streams") in text
    assert reverse("funding:applications") in text
    assert reverse("funding:partnership_ledger", args=[world.partnership.pk]) in text
    assert reverse("funding:partnership_ledger", args=[world.personas.other_partnership.pk]) not in text


def test_the_dashboard_shows_where_each_application_stands(funding_world: FundingWorld) -> None:
    world = funding_world
    draft = apply(world, world.national, ApplicationStatus.DRAFT)

    text = world.client(world.csp_chair).get(reverse("home")).text

    assert reverse("funding:application", args=[draft.pk]) in text
    assert "Draft" in text
    assert text.count("No application yet") == 1


def test_the_dashboard_leaves_out_closed_future_and_other_nations_funds(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    closed = stream(world, "Closed fund", today - timedelta(days=30), today - timedelta(days=1))
    future = stream(world, "Future fund", today + timedelta(days=1), today + timedelta(days=30))
    welsh = stream(world, "Welsh fund", today, today + timedelta(days=5), nations=[Nation.WALES])

    text = world.client(world.coordinator).get(reverse("home")).text

    for hidden in (closed, future, welsh):
        assert reverse("funding:stream", args=[hidden.pk]) not in text


def test_a_fund_closing_today_says_so(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    stream(world, "Last day fund", today - timedelta(days=3), today)

    assert "Closes today" in world.client(world.coordinator).get(reverse("home")).text


def test_another_partnerships_chair_sees_the_national_fund_but_not_exampleshires(funding_world: FundingWorld) -> None:
    world = funding_world

    text = world.client(world.personas.outsider).get(reverse("home")).text

    assert reverse("funding:stream", args=[world.national.pk]) in text
    assert reverse("funding:stream", args=[world.local.pk]) not in text
    assert reverse("funding:partnership_ledger", args=[world.personas.other_partnership.pk]) in text


def test_someone_managing_two_partnerships_sees_each_ones_status(funding_world: FundingWorld) -> None:
    world = funding_world
    other = world.personas.other_partnership
    PartnershipRoleFactory.create(user=world.coordinator, partnership=other, role=PartnershipRoleKind.CSP_COORDINATOR)
    apply(world, world.national, ApplicationStatus.SUBMITTED, partnership=other)

    text = world.client(world.coordinator).get(reverse("home")).text

    assert f"{other.name}: <a" in text
    assert f"{world.partnership.name}: No application yet" in text


def test_a_site_administrator_gets_a_link_to_the_streams_and_no_deadlines(funding_world: FundingWorld) -> None:
    text = funding_world.client(funding_world.personas.site_admin).get(reverse("home")).text

    assert reverse("funding:streams") in text
    assert "Funding deadlines" not in text
    assert reverse("funding:stream", args=[funding_world.national.pk]) not in text


@pytest.mark.parametrize("who", ["auditor", "contributor_a"])
def test_people_who_keep_no_funds_see_nothing_of_funding(funding_world: FundingWorld, who: str) -> None:
    text = funding_world.client(getattr(funding_world.personas, who)).get(reverse("home")).text

    assert "Funding deadlines" not in text
    assert "/funding/" not in text


def test_the_dashboard_takes_the_same_queries_however_many_funds_and_applications(
    funding_world: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = funding_world
    client = world.client(world.coordinator)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    today = timezone.localdate()
    for number in range(10):
        more = stream(world, f"Fund {number}", today, today + timedelta(days=number))
        apply(world, more, ApplicationStatus.DRAFT)
        apply(world, more, ApplicationStatus.WITHDRAWN)

    with django_assert_max_num_queries(len(few)):
        text = client.get(reverse("home")).text

    assert text.count("Withdrawn") == 10
    assert [
        query["sql"].split(" FROM ")[1].split()[0] for query in few.captured_queries if "funding_" in query["sql"]
    ] == [
        '"funding_fundingstream"',
        '"funding_application"',
    ]


# Reminders ------------------------------------------------------------------------------------


def test_the_managers_of_every_partnership_hear_of_a_national_fund_14_days_before_it_closes_once(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    today = world.national.closes_on - timedelta(days=14)

    assert reminders.send_stream_reminders(today=today) == 3
    assert reminders.send_stream_reminders(today=today) == 0
    assert reminders.send_stream_reminders(today=today + timedelta(days=1)) == 0

    assert recipients() == sorted([*exampleshire(world), world.personas.outsider.email])
    events = [event for event in security_events.rows() if event.action == "funding.reminder_sent"]
    assert len(events) == 3
    mine = next(event for event in events if event.details["recipient"] == world.coordinator.pk)
    assert mine.actor_id is None
    assert mine.partnership_id == world.partnership.pk
    assert mine.details == {
        "stream": world.national.pk,
        "closes_on": world.national.closes_on.isoformat(),
        "stage": "14",
        "recipient": world.coordinator.pk,
        "has_draft": False,
    }


def test_the_reminder_names_the_fund_its_closing_date_and_links_to_it(funding_world: FundingWorld) -> None:
    world = funding_world
    national = world.national
    apply(world, national, ApplicationStatus.DRAFT)

    reminders.send_stream_reminders(today=national.closes_on - timedelta(days=7))

    message = next(message for message in mail.outbox if message.to == [world.coordinator.email])
    assert message.subject == f"{settings.SITE_NAME}: Domestic Homicide Review fund closes in 7 days"
    assert "Funder: Home Office" in message.body
    assert f"Closes: {national.closes_on.day} {national.closes_on:%B %Y}" in message.body
    assert "closes in 7 days" in message.body
    assert "has a draft application" in message.body
    assert f"{settings.SITE_URL}{reverse('funding:stream', args=[national.pk])}" in message.body
    for review in (world.first, world.second, world.third, world.pending):
        assert review.reference not in message.body
    outsiders = next(message for message in mail.outbox if message.to == [world.personas.outsider.email])
    assert "has not started an application" in outsiders.body


def test_each_stage_is_sent_once_and_nothing_after_the_fund_closes(funding_world: FundingWorld) -> None:
    world = funding_world
    closes = world.national.closes_on
    sent: dict[int, int] = {}

    for offset in range(-20, 5):
        sent[offset] = reminders.send_stream_reminders(today=closes + timedelta(days=offset))

    assert {offset: count for offset, count in sent.items() if count} == {-14: 3, -7: 3, -1: 3}
    assert ReminderSent.objects.count() == 9


def test_a_partnership_that_submitted_hears_no_more_and_one_with_a_draft_does(funding_world: FundingWorld) -> None:
    world = funding_world
    national = world.national
    apply(world, national, ApplicationStatus.SUBMITTED, partnership=world.personas.other_partnership)
    apply(world, national, ApplicationStatus.DRAFT)

    assert reminders.send_stream_reminders(today=national.closes_on - timedelta(days=1)) == 2

    assert recipients() == exampleshire(world)


@pytest.mark.parametrize(
    "status", [ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED, ApplicationStatus.WITHDRAWN]
)
def test_any_application_beyond_a_draft_stops_the_reminders(funding_world: FundingWorld, status: str) -> None:
    world = funding_world
    apply(world, world.local, status)

    assert reminders.send_stream_reminders(today=world.local.closes_on - timedelta(days=7)) == 0


def test_a_local_fund_reminds_its_own_partnership_only(funding_world: FundingWorld) -> None:
    world = funding_world

    assert reminders.send_stream_reminders(today=world.local.closes_on - timedelta(days=7)) == 2

    assert recipients() == exampleshire(world)


def test_a_national_fund_for_one_nation_reminds_only_its_partnerships(funding_world: FundingWorld) -> None:
    world = funding_world
    Partnership.objects.filter(pk=world.personas.other_partnership.pk).update(nation=Nation.WALES)
    FundingStream.objects.filter(pk=world.national.pk).update(nations=[Nation.WALES])

    assert reminders.send_stream_reminders(today=world.national.closes_on - timedelta(days=7)) == 1

    assert recipients() == [world.personas.outsider.email]


def test_nothing_is_sent_for_a_fund_not_open_yet_or_closed(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    stream(world, "Not open yet", today + timedelta(days=3), today + timedelta(days=7))
    stream(world, "Closed yesterday", today - timedelta(days=30), today - timedelta(days=1))

    assert reminders.due_stream_reminders(today) == []
    assert reminders.send_stream_reminders(today=today) == 0
    assert mail.outbox == []


def test_a_changed_closing_date_starts_the_reminders_afresh(funding_world: FundingWorld) -> None:
    world = funding_world
    local = world.local
    today = local.closes_on - timedelta(days=7)
    assert reminders.send_stream_reminders(today=today) == 2

    FundingStream.objects.filter(pk=local.pk).update(closes_on=local.closes_on + timedelta(days=3))

    assert reminders.send_stream_reminders(today=today) == 2
    assert "closes in 10 days" in mail.outbox[-1].body


def test_managers_who_left_or_were_deactivated_are_not_reminded(funding_world: FundingWorld) -> None:
    world = funding_world
    User.objects.filter(pk=world.csp_chair.pk).update(is_active=False)

    assert reminders.send_stream_reminders(today=world.local.closes_on - timedelta(days=1)) == 1

    assert recipients() == [world.coordinator.email]


def test_the_reminders_are_found_in_the_same_queries_for_many_partnerships(funding_world: FundingWorld) -> None:
    world = funding_world
    today = world.national.closes_on - timedelta(days=7)
    with CaptureQueriesContext(connection) as few:
        assert len(reminders.due_stream_reminders(today)) == 3
    for number in range(30):
        partnership = PartnershipFactory.create()
        for role in (PartnershipRoleKind.CSP_CHAIR, PartnershipRoleKind.CSP_COORDINATOR):
            PartnershipRoleFactory.create(user=UserFactory.create(), partnership=partnership, role=role)
        if number % 3 == 0:
            apply(world, world.national, ApplicationStatus.DRAFT, partnership=partnership)

    with CaptureQueriesContext(connection) as many:
        assert len(reminders.due_stream_reminders(today)) == 63

    assert len(many) == len(few) <= 4


def test_a_failed_send_is_not_marked_sent_and_goes_on_the_next_run(
    funding_world: FundingWorld, settings: Any, security_events: EventLog
) -> None:
    world = funding_world
    today = world.local.closes_on - timedelta(days=7)
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"

    with pytest.raises(DeliveryFailed):
        reminders.send_stream_reminders(today=today)

    assert ReminderSent.objects.count() == 0
    assert "funding.reminder_sent" not in security_events.actions()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_stream_reminders(today=today) == 2


def test_the_daily_task_is_scheduled_and_sends_todays_reminders(funding_world: FundingWorld) -> None:
    world = funding_world
    today = timezone.localdate()
    stream(world, "Closing soon", today - timedelta(days=10), today + timedelta(days=7), partnership=world.partnership)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert tasks.send_stream_reminders.name in scheduled
    assert tasks.send_stream_reminders.delay().get() == 2
    assert tasks.send_stream_reminders.delay().get() == 0
    assert recipients() == exampleshire(world)
