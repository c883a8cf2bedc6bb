"""Panel meetings: who attended, what was decided, the minutes in the secure space, and the
actions agreed, each with an owner and a due date (open actions feed ``schedule.status_of``).

Audit details carry dates, counts and ids, never the decisions or the text of an action, which
may name people.
"""

from collections.abc import Collection
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from dhr_tracker.reviews import access
from dhr_tracker.reviews.models import Meeting, MeetingAction, Participant, Review
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change
from sharing import access as sharing_access
from sharing.models import Document


def minutes_choices(review: Review, user: Any) -> list[tuple[int, str]]:
    """The documents of the review's secure space the user may open, newest first."""
    if review.space is None:
        return []
    documents = sharing_access.visible_documents(user, review.space).order_by("-created_at")
    return list(documents.values_list("pk", "title"))


def _check_meeting(review: Review, *, held_on: date, title: str) -> None:
    check_not_future(held_on, "held_on", "The date of the meeting")
    check_not_before(
        held_on, review.notified_on, "held_on", "The date of the meeting must be on or after the date notified"
    )
    if not title:
        raise ValidationError({"title": "Enter the title of the meeting"})


def _attendees(review: Review, ids: Collection[int], *, already: Collection[int] = ()) -> list[Participant]:
    """Current participants of the review, or people who attended already (they may have left since)."""
    wanted = set(ids)
    allowed = Participant.objects.filter(review=review, pk__in=wanted)
    found = [p for p in allowed if p.removed_at is None or p.pk in already]
    if len(found) != len(wanted):
        raise ValidationError({"attendees": "Choose the attendees from the people on the review's panel"})
    return found


def _minutes(review: Review, actor: Any, document_id: int | None, *, kept: int | None = None) -> Document | None:
    """The minutes, if the actor may open them in the review's space; a document already attached may stay."""
    if document_id is None:
        return None
    if document_id == kept:
        return Document.objects.get(pk=document_id)
    if review.space is not None:
        document = sharing_access.visible_documents(actor, review.space).filter(pk=document_id).first()
        if document is not None:
            return document
    raise ValidationError({"minutes": "Choose the minutes from the documents in the review's secure space"})


def record_meeting(
    review: Review,
    *,
    actor: Any,
    held_on: date,
    title: str,
    attendee_ids: Collection[int],
    decisions: str,
    minutes_document_id: int | None,
    request: HttpRequest | None,
) -> Meeting:
    """Record a panel meeting that has taken place."""
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_record_meetings(actor, r))
        _check_meeting(current, held_on=held_on, title=title.strip())
        attendees = _attendees(current, attendee_ids)
        minutes = _minutes(current, actor, minutes_document_id)
        meeting = Meeting.objects.create(
            review=current,
            held_on=held_on,
            title=title.strip(),
            decisions=decisions.strip(),
            minutes=minutes,
            recorded_by=actor,
        )
        meeting.attendees.set(attendees)
        record_change(
            "reviews.meeting_recorded",
            actor=actor,
            review=current,
            target=meeting,
            request=request,
            held_on=held_on.isoformat(),
            attendees=len(attendees),
            minutes=minutes.pk if minutes else None,
        )
    return meeting


def update_meeting(
    meeting: Meeting,
    *,
    actor: Any,
    held_on: date,
    title: str,
    attendee_ids: Collection[int],
    decisions: str,
    minutes_document_id: int | None,
    version: int,
    request: HttpRequest | None,
) -> Meeting:
    """Correct a meeting's record; refused if someone else changed the review since the form was opened."""
    with transaction.atomic():
        current = locked(meeting.review, version=version, allowed=lambda r: access.can_record_meetings(actor, r))
        row = Meeting.objects.select_for_update().get(pk=meeting.pk, review=current)
        _check_meeting(current, held_on=held_on, title=title.strip())
        if row.actions.filter(due_on__lt=held_on).exists():
            raise ValidationError(
                {"held_on": "The date of the meeting must be on or before the due dates of its actions"}
            )
        before = set(row.attendees.values_list("pk", flat=True))
        attendees = _attendees(current, attendee_ids, already=before)
        minutes = _minutes(current, actor, minutes_document_id, kept=row.minutes_id)
        new = {"held_on": held_on, "title": title.strip(), "decisions": decisions.strip(), "minutes": minutes}
        changed = [field for field, value in new.items() if getattr(row, field) != value]
        if before != {p.pk for p in attendees}:
            changed.append("attendees")
        for field, value in new.items():
            setattr(row, field, value)
        row.save()
        row.attendees.set(attendees)
        record_change(
            "reviews.meeting_changed", actor=actor, review=current, target=row, request=request, fields=changed
        )
    return row


def action_owners(review: Review) -> set[int]:
    """Who may own an action: the review's current participants, and the people who run it."""
    participants = Participant.objects.current().filter(review=review).values_list("user_id", flat=True)
    return {*participants, *access.managers_and_chair(review)}


def add_action(
    meeting: Meeting,
    *,
    actor: Any,
    text: str,
    owner_id: int,
    due_on: date,
    request: HttpRequest | None,
) -> MeetingAction:
    """Add an action agreed at the meeting, with its owner and due date."""
    if not text.strip():
        raise ValidationError({"text": "Enter the action"})
    check_not_before(due_on, meeting.held_on, "due_on", "The due date must be on or after the date of the meeting")
    with transaction.atomic():
        current = locked(meeting.review, version=None, allowed=lambda r: access.can_record_meetings(actor, r))
        if owner_id not in action_owners(current):
            raise ValidationError({"owner": "Choose an owner from the people on the review"})
        action = MeetingAction.objects.create(meeting=meeting, text=text.strip(), owner_id=owner_id, due_on=due_on)
        record_change(
            "reviews.meeting_action_added",
            actor=actor,
            review=current,
            target=action,
            request=request,
            meeting=meeting.pk,
            owner=owner_id,
            due_on=due_on.isoformat(),
        )
    return action


def complete_action(action: MeetingAction, *, actor: Any, done_on: date, request: HttpRequest | None) -> MeetingAction:
    """Mark an action done, by its owner or by those who run the review."""
    check_not_future(done_on, "done_on", "The date the action was done")
    check_not_before(
        done_on,
        action.meeting.held_on,
        "done_on",
        "The date the action was done must be on or after the date of the meeting",
    )
    with transaction.atomic():
        current = locked(
            action.meeting.review, version=None, allowed=lambda r: access.can_complete_action(actor, r, action.owner_id)
        )
        row = MeetingAction.objects.select_for_update().get(pk=action.pk, meeting__review=current)
        if row.done_on is not None:
            raise ValidationError({"done_on": "This action is already marked as done"})
        row.done_on, row.done_by = done_on, actor
        row.save(update_fields=["done_on", "done_by"])
        record_change(
            "reviews.meeting_action_done",
            actor=actor,
            review=current,
            target=row,
            request=request,
            meeting=row.meeting_id,
            done_on=done_on.isoformat(),
        )
    return row
