"""Reminders of deadlines and the weekly digest, e-mailed by Celery beat (``reviews.tasks``).

Every open deadline with a due date has a stage on each day: the smallest threshold of
``REVIEW_REMINDER_DAYS`` (14, 7 and 1 days by default) that its days remaining are within, or
``overdue`` once the due date has passed. Its owner is e-mailed once per stage. Only the current
stage is sent: if beat was down for days, the owner hears where the deadline stands now, not
every stage they missed. A paused deadline (no due date) and one further off than every threshold
have no stage.

"Once" rests on ``ReminderSent``'s unique key: the row is inserted, the e-mail sent and the audit
event recorded in one transaction per e-mail. A second run, a retry, a restarted worker or a
second worker running at the same time inserts the same key, gets an ``IntegrityError`` and sends
nothing; a failed send rolls the row back, so the next run tries again. The one gap is a process
that dies after the mail server accepted the e-mail but before the commit: that e-mail is sent
again (at least once, never silently lost).

The key holds the due date, so an extension or a pause that moves a deadline starts its
reminders afresh. E-mails carry no personal data: the review's reference, the victim's pseudonym,
deadline labels, dates and a link to the review, behind sign-in.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.models import Outcome
from audit.trail import record
from dhr_tracker.accounts.models import Partnership, PartnershipRole, PartnershipRoleKind, User
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.deadlines import Rag
from dhr_tracker.reviews.models import Participant, ParticipantKind, Person, PersonRole, ReminderSent, Review
from dhr_tracker.reviews.schedule import Deadline, Status

logger = logging.getLogger(__name__)

OVERDUE = "overdue"
# Reviews read per batch: a handful of queries each, and memory bounded at national scale.
CHUNK_SIZE = 500
# The digest lists the reviews needing attention first.
RED_FIRST = (Rag.RED, Rag.AMBER, Rag.PAUSED, Rag.GREEN, Rag.COMPLETE)


class DeliveryFailed(Exception):
    """Some e-mails could not be sent; they were not marked sent, so a retry sends them."""


@dataclass(frozen=True)
class Reminder:
    """One e-mail due today: a deadline at a stage, to one recipient."""

    review: Review
    deadline: Deadline
    due: date
    stage: str  # a threshold in days, as text, or OVERDUE
    days_remaining: int
    recipient: User

    @property
    def key(self) -> str:
        return f"{self.review.uid}:{self.deadline.key}:{self.due.isoformat()}:{self.stage}:{self.recipient.pk}"


def stage_of(days_remaining: int, thresholds: Iterable[int]) -> str | None:
    """Return the reminder stage of a deadline ``days_remaining`` away, or None when none is due."""
    if days_remaining < 0:
        return OVERDUE
    within = [threshold for threshold in thresholds if days_remaining <= threshold]
    return str(min(within)) if within else None


def _scheduled(today: date) -> Iterator[list[tuple[Review, Status]]]:
    """Yield the open reviews with their status on ``today``, a chunk at a time."""
    ids = list(Review.objects.open().order_by("partnership_id", "pk").values_list("pk", flat=True))
    victims = Prefetch("people", queryset=Person.objects.filter(role=PersonRole.VICTIM), to_attr="victims")
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = schedule.with_schedule(Review.objects.filter(pk__in=ids[start : start + CHUNK_SIZE]))
        chunk = chunk.select_related("partnership").prefetch_related(victims).order_by("partnership_id", "pk")
        yield [(review, schedule.status_of(review, today)) for review in chunk]


def roles_by_partnership(partnership_ids: Iterable[int]) -> dict[tuple[int, str], list[User]]:
    """The active CSP chairs and coordinators of each partnership."""
    found: dict[tuple[int, str], list[User]] = defaultdict(list)
    roles = PartnershipRole.objects.current().filter(
        partnership_id__in=set(partnership_ids),
        role__in=(PartnershipRoleKind.CSP_CHAIR, PartnershipRoleKind.CSP_COORDINATOR),
        user__is_active=True,
    )
    for role in roles.select_related("user").order_by("user_id"):
        found[role.partnership_id, role.role].append(role.user)
    return found


@dataclass(frozen=True)
class _Owners:
    roles: dict[tuple[int, str], list[User]]
    chairs: dict[int, list[User]]
    contributors: dict[tuple[int, int], list[User]]
    users: dict[int, User]

    def of(self, review: Review, owner: str) -> list[User]:
        """The people to remind of a deadline ``owner`` holds; the coordinators when that is nobody.

        A deadline whose owner has no active account (no CSP chair recorded, no independent
        chair yet, an action owner who has left, an agency with no contributor on the review)
        falls to the coordinators, who chase what is late: a reminder that reaches nobody is
        the failure this module exists to prevent.
        """
        if owner == "csp_chair":
            found = self.roles.get((review.partnership_id, PartnershipRoleKind.CSP_CHAIR), [])
        elif owner == "independent_chair":
            found = self.chairs.get(review.pk, [])
        elif owner.startswith("user:"):
            user = self.users.get(int(owner.removeprefix("user:")))
            found = [user] if user else []
        elif owner.startswith("agency:"):
            found = self.contributors.get((review.pk, int(owner.removeprefix("agency:"))), [])
        else:
            found = []
        return found or self.roles.get((review.partnership_id, PartnershipRoleKind.CSP_COORDINATOR), [])


def _owners(chunk: list[tuple[Review, Status]]) -> _Owners:
    """Look up everyone who may own a deadline in ``chunk``, in three queries."""
    review_ids = [review.pk for review, _ in chunk]
    chairs: dict[int, list[User]] = defaultdict(list)
    contributors: dict[tuple[int, int], list[User]] = defaultdict(list)
    participants = Participant.objects.current().filter(
        review_id__in=review_ids,
        kind__in=(ParticipantKind.INDEPENDENT_CHAIR, ParticipantKind.AGENCY_CONTRIBUTOR),
        user__is_active=True,
    )
    for participant in participants.select_related("user").order_by("user_id"):
        if participant.kind == ParticipantKind.INDEPENDENT_CHAIR:
            chairs[participant.review_id].append(participant.user)
        elif participant.agency_id is not None:
            contributors[participant.review_id, participant.agency_id].append(participant.user)
    user_ids = {
        int(deadline.owner.removeprefix("user:"))
        for _, status in chunk
        for deadline in status.deadlines
        if deadline.owner.startswith("user:")
    }
    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids, is_active=True)}
    return _Owners(roles_by_partnership(review.partnership_id for review, _ in chunk), chairs, contributors, users)


def due_reminders(today: date) -> list[Reminder]:
    """Return the reminders due on ``today``, sent or not: one per open deadline's stage and recipient."""
    thresholds = settings.REVIEW_REMINDER_DAYS
    reminders: list[Reminder] = []
    for chunk in _scheduled(today):
        owners = _owners(chunk)
        for review, status in chunk:
            for deadline in status.deadlines:
                if deadline.done_on is not None or deadline.due is None:
                    continue
                remaining = (deadline.due - today).days
                stage = stage_of(remaining, thresholds)
                if stage is None:
                    continue
                reminders.extend(
                    Reminder(review, deadline, deadline.due, stage, remaining, recipient)
                    for recipient in owners.of(review, deadline.owner)
                )
    return reminders


def review_link(review: Review) -> str:
    return f"{settings.SITE_URL}{reverse('reviews:review', args=[review.pk])}"


def deadline_link(review: Review, deadline: Deadline) -> str:
    """The deadline's own page for its owner, or the review's."""
    return f"{settings.SITE_URL}{deadline.page}" if deadline.page else review_link(review)


def victim_pseudonym(review: Review) -> str:
    victims = getattr(review, "victims", [])
    return victims[0].pseudonym if victims else ""


def _reminder_subject(reminder: Reminder) -> str:
    reference = reminder.review.reference
    if reminder.days_remaining < 0:
        return f"{settings.SITE_NAME}: {reference} has an overdue deadline"
    if reminder.days_remaining == 0:
        return f"{settings.SITE_NAME}: {reference} has a deadline today"
    days = reminder.days_remaining
    return f"{settings.SITE_NAME}: {reference} has a deadline in {days} day{'s' if days != 1 else ''}"


def _reminder_message(reminder: Reminder) -> EmailMessage:
    context = {
        "recipient": reminder.recipient,
        "review": reminder.review,
        "victim": victim_pseudonym(reminder.review),
        "deadline": reminder.deadline,
        "days_remaining": reminder.days_remaining,
        "days_overdue": -reminder.days_remaining,
        "link": deadline_link(reminder.review, reminder.deadline),
        "site_name": settings.SITE_NAME,
    }
    return EmailMessage(
        subject=_reminder_subject(reminder),
        body=render_to_string("reviews/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.recipient.email],
    )


@dataclass(frozen=True)
class Outgoing:
    """One e-mail to send once, with its key and its audit event."""

    key: str
    message: EmailMessage
    review: Review | None
    recipient: User
    action: str
    target: Review | Partnership
    partnership_id: int
    details: dict[str, Any]


def _send_once(item: Outgoing) -> bool:
    """Send the e-mail unless its key was sent before; False when it was.

    The ``ReminderSent`` row, the audit event and the send share one transaction: a send that
    raises rolls both back (so the next run sends it), and a concurrent run inserting the same
    key waits on the unique index, then fails with ``IntegrityError`` and sends nothing.
    """
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=item.key, review=item.review, recipient=item.recipient)
            record(
                item.action,
                outcome=Outcome.ALLOWED,
                actor=None,
                target=item.target,
                partnership_id=item.partnership_id,
                details=item.details,
            )
            item.message.send()
    except IntegrityError:
        return False
    return True


def unsent_keys(keys: list[str]) -> set[str]:
    """The keys not sent yet: the unique key decides, this only spares rebuilding what was sent."""
    sent: set[str] = set()
    for start in range(0, len(keys), CHUNK_SIZE):
        batch = keys[start : start + CHUNK_SIZE]
        sent.update(ReminderSent.objects.filter(key__in=batch).values_list("key", flat=True))
    return set(keys) - sent


def deliver(items: Iterable[Outgoing]) -> int:
    """Send each item once; return how many were sent, raising ``DeliveryFailed`` after the rest when any failed."""
    sent = failed = 0
    for item in items:
        try:
            sent += _send_once(item)
        except OSError:
            # SMTP errors are OSErrors. One bad address or a brief outage must not stop the others.
            logger.warning("reminder %s not sent", item.key, exc_info=True)
            failed += 1
    if failed:
        raise DeliveryFailed(f"{failed} e-mail(s) not sent, {sent} sent; they will be retried")
    return sent


def send_reminders(today: date | None = None) -> int:
    """E-mail every reminder due today that has not been sent; return how many were sent.

    Raises ``DeliveryFailed`` once the others are sent if any e-mail could not be, so the task
    is retried; what was sent is not sent again.
    """
    due = due_reminders(today or timezone.localdate())
    unsent = unsent_keys([reminder.key for reminder in due])
    return deliver(
        Outgoing(
            reminder.key,
            _reminder_message(reminder),
            reminder.review,
            reminder.recipient,
            "reviews.reminder_sent",
            reminder.review,
            reminder.review.partnership_id,
            {"deadline": reminder.deadline.key, "stage": reminder.stage, "recipient": reminder.recipient.pk},
        )
        for reminder in due
        if reminder.key in unsent
    )


@dataclass(frozen=True)
class DigestLine:
    """One open review as the weekly digest lists it."""

    review: Review
    victim: str
    stage: str
    rag: Rag
    next_deadline: Deadline | None
    days_overdue: int
    link: str


def _digest_lines(today: date) -> dict[int, list[DigestLine]]:
    """The open reviews of each partnership as the digest lists them, red first then by next due date."""
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    for chunk in _scheduled(today):
        for review, status in chunk:
            nearest = status.next_due
            overdue = max(0, (today - nearest.due).days) if nearest and nearest.due else 0
            lines[review.partnership_id].append(
                DigestLine(
                    review,
                    victim_pseudonym(review),
                    review.state_label,
                    status.rag,
                    nearest,
                    overdue,
                    review_link(review),
                )
            )
    for partnership_lines in lines.values():
        partnership_lines.sort(
            key=lambda line: (
                RED_FIRST.index(line.rag),
                line.next_deadline.due if line.next_deadline and line.next_deadline.due else date.max,
                line.review.reference,
            )
        )
    return lines


def _digest_message(recipient: User, lines: list[DigestLine], today: date) -> EmailMessage:
    context = {
        "recipient": recipient,
        "partnership": lines[0].review.partnership,
        "lines": lines,
        "today": today,
        "red": sum(line.rag == Rag.RED for line in lines),
        "amber": sum(line.rag == Rag.AMBER for line in lines),
        "site_name": settings.SITE_NAME,
    }
    return EmailMessage(
        subject=f"{settings.SITE_NAME}: weekly digest of {len(lines)} open review{'s' if len(lines) != 1 else ''}",
        body=render_to_string("reviews/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )


def send_digests(today: date | None = None) -> int:
    """E-mail each coordinator a digest of their partnership's open reviews, once per ISO week; return how many."""
    today = today or timezone.localdate()
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    lines = _digest_lines(today)
    roles = roles_by_partnership(lines)
    wanted = [
        (f"digest:{partnership_id}:{coordinator.pk}:{week}", partnership_lines, coordinator)
        for partnership_id, partnership_lines in lines.items()
        for coordinator in roles.get((partnership_id, PartnershipRoleKind.CSP_COORDINATOR), [])
    ]
    unsent = unsent_keys([key for key, _, _ in wanted])
    return deliver(
        Outgoing(
            key,
            _digest_message(coordinator, partnership_lines, today),
            None,
            coordinator,
            "reviews.digest_sent",
            partnership_lines[0].review.partnership,
            partnership_lines[0].review.partnership_id,
            {"week": week, "recipient": coordinator.pk, "reviews": len(partnership_lines)},
        )
        for key, partnership_lines, coordinator in wanted
        if key in unsent
    )
