"""Reminders of the closing dates of open funding streams, e-mailed daily by Celery beat (``funding.tasks``).

Each day, for every stream open that day and every partnership it serves (``services.streams.serves``)
that has no application to it beyond a draft, the partnership's current CSP chairs and coordinators
are e-mailed once per stage: the stages are the review reminders' (``REVIEW_REMINDER_DAYS`` before
the closing date, ``reviews.reminders.stage_of``), but a closed stream has no overdue stage: it
just closes.

Sending once is the review reminders' machinery (``reviews.reminders.deliver``): a ``ReminderSent``
row keyed by stream, closing date, stage, partnership and recipient, the audit event and the send
in one transaction. A changed closing date starts the reminders afresh. E-mails carry the funder,
the fund's name, its dates and a link to it behind sign-in, never anything of a review.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Partnership, PartnershipRoleKind, User
from dhr_tracker.funding.models import Application, ApplicationStatus, FundingStream
from dhr_tracker.funding.services.streams import serves
from dhr_tracker.reviews.reminders import Outgoing, deliver, roles_by_partnership, stage_of, unsent_keys


@dataclass(frozen=True)
class StreamReminder:
    """One e-mail due today: a stream's closing date at a stage, to one manager of one partnership."""

    stream: FundingStream
    partnership: Partnership
    stage: str
    days_left: int
    has_draft: bool
    recipient: User

    @property
    def key(self) -> str:
        return (
            f"funding:{self.stream.pk}:{self.stream.closes_on.isoformat()}:{self.stage}:"
            f"{self.partnership.pk}:{self.recipient.pk}"
        )


def due_stream_reminders(today: date) -> list[StreamReminder]:
    """The reminders due on ``today``, sent or not, in four queries whatever the number of partnerships."""
    thresholds = settings.REVIEW_REMINDER_DAYS
    staged = [
        (stream, stage)
        for stream in FundingStream.objects.open_on(today).order_by("closes_on", "pk")
        if (stage := stage_of((stream.closes_on - today).days, thresholds)) is not None
    ]
    if not staged:
        return []
    partnerships = Partnership.objects.order_by("name")
    if all(stream.partnership_id is not None for stream, _ in staged):
        partnerships = partnerships.filter(pk__in={stream.partnership_id for stream, _ in staged})
    candidates = list(partnerships)
    drafts: set[tuple[int, int]] = set()
    applied: set[tuple[int, int]] = set()
    statuses = Application.objects.filter(stream__in=[stream for stream, _ in staged]).values_list(
        "stream_id", "partnership_id", "status"
    )
    for stream_id, partnership_id, status in statuses:
        (drafts if status == ApplicationStatus.DRAFT else applied).add((stream_id, partnership_id))
    roles = roles_by_partnership(partnership.pk for partnership in candidates)
    reminders: list[StreamReminder] = []
    for stream, stage in staged:
        for partnership in candidates:
            pair = (stream.pk, partnership.pk)
            if pair in applied or not serves(stream, partnership):
                continue
            managers = roles.get((partnership.pk, PartnershipRoleKind.CSP_CHAIR), []) + roles.get(
                (partnership.pk, PartnershipRoleKind.CSP_COORDINATOR), []
            )
            reminders.extend(
                StreamReminder(stream, partnership, stage, (stream.closes_on - today).days, pair in drafts, recipient)
                for recipient in {user.pk: user for user in managers}.values()
            )
    return reminders


def _subject(reminder: StreamReminder) -> str:
    days = reminder.days_left
    when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"{settings.SITE_NAME}: {reminder.stream.name} closes {when}"


def _message(reminder: StreamReminder) -> EmailMessage:
    context = {
        "recipient": reminder.recipient,
        "stream": reminder.stream,
        "partnership": reminder.partnership,
        "days_left": reminder.days_left,
        "has_draft": reminder.has_draft,
        "link": f"{settings.SITE_URL}{reverse('funding:stream', args=[reminder.stream.pk])}",
        "site_name": settings.SITE_NAME,
    }
    return EmailMessage(
        subject=_subject(reminder),
        body=render_to_string("funding/streams_reminder_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.recipient.email],
    )


def send_stream_reminders(today: date | None = None) -> int:
    """E-mail every stream reminder due today that has not been sent; return how many were sent.

    Raises ``reviews.reminders.DeliveryFailed`` once the others are sent if any could not be, so
    the task is retried; what was sent is not sent again.
    """
    due = due_stream_reminders(today or timezone.localdate())
    unsent = unsent_keys([reminder.key for reminder in due])
    return deliver(
        Outgoing(
            reminder.key,
            _message(reminder),
            None,
            reminder.recipient,
            "funding.reminder_sent",
            reminder.partnership,
            reminder.partnership.pk,
            {
                "stream": reminder.stream.pk,
                "closes_on": reminder.stream.closes_on.isoformat(),
                "stage": reminder.stage,
                "recipient": reminder.recipient.pk,
                "has_draft": reminder.has_draft,
            },
        )
        for reminder in due
        if reminder.key in unsent
    )
