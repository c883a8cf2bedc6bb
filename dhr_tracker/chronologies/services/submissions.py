"""Chronology submissions: the agency's draft and its entries, submitting it, and the panel's decision.

An agency starts version 1 of its chronology as a draft, adds, changes and deletes entries by
form (or replaces them all by import, ``imports``), and submits it, which freezes the version.
Those who run the review then accept it, which puts its entries into the combined chronology,
or return it with comments, which opens version n+1 as a copy for the agency to correct.

Rows are locked in one order, request then submission, so two changes never deadlock; every
check is made again on the locked rows. A frozen version is refused by every route here and by
the import's save.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.importing import (
    ACTION_OR_OUTCOME,
    EVENT,
    LIMITS,
    PRACTITIONER_ROLE,
    SOURCE_RECORD,
    risk_lookup,
)
from dhr_tracker.chronologies.models import (
    SUBJECT_CHOICES,
    AgencyRequest,
    Entry,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.chronologies.partialdates import DateError, PartialDate, parse_date, parse_time
from dhr_tracker.chronologies.services.requests import locked_request, set_status
from dhr_tracker.reviews.services import record_change

# Rows written per INSERT when a version's entries are copied or imported.
BATCH = 1_000
COMMENTS_LIMIT = 10_000
STALE_MESSAGE = (
    "Someone else changed this chronology after you opened this page, so your changes have not been saved. "
    "Open the page again to see their changes, then make yours."
)
NO_ENTRIES_MESSAGE = (
    "Add at least one entry before you submit the chronology. If your agency had no contact with the "
    "people in this review in the period, send a nil return instead"
)
# The form's fields, and the limits of the text ones (the template's, so a typed entry and an imported one agree).
TEXT_FIELDS = {
    "source_record": (SOURCE_RECORD, LIMITS[SOURCE_RECORD]),
    "practitioner_role": (PRACTITIONER_ROLE, LIMITS[PRACTITIONER_ROLE]),
    "event": (EVENT, LIMITS[EVENT]),
    "action_or_outcome": (ACTION_OR_OUTCOME, LIMITS[ACTION_OR_OUTCOME]),
}
SUBJECTS = frozenset(value for value, _ in SUBJECT_CHOICES)


@dataclass(frozen=True)
class EntryFields:
    """An entry as typed into the form: the date and time as text, read here."""

    on: str
    at: str
    subject: str
    source_record: str
    practitioner_role: str
    event: str
    action_or_outcome: str
    risks: tuple[str, ...]


@dataclass(frozen=True)
class CheckedEntry:
    """An entry's fields once read and checked, ready to store."""

    on: PartialDate
    at: time | None
    subject: str
    source_record: str
    practitioner_role: str
    event: str
    action_or_outcome: str
    risks: str


def risk_indicators() -> list[str]:
    """The configured risk indicators, in the order the form and the template show them."""
    return list(risk_lookup(settings.CHRONOLOGY_RISK_INDICATORS).values())


def frozen_message(submission: Submission) -> str:
    return f"Version {submission.number} is {submission.get_status_display().lower()}, so it can no longer be changed"


def _text(value: str) -> str:
    """Browsers send line breaks as CR LF; count and keep them as one character, as the import does."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def check_entry(fields: EntryFields) -> CheckedEntry:
    """Return the entry read and checked, or refuse naming every field that is wrong."""
    errors: dict[str, str] = {}
    on: PartialDate | None = None
    at: time | None = None
    if not fields.on.strip():
        errors["on"] = "Enter the date of the event, or the month or year if that is all the record says"
    else:
        try:
            on = parse_date(fields.on)
        except DateError as error:
            errors["on"] = error.message
    try:
        at = parse_time(fields.at, on=on)
    except DateError as error:
        errors["at"] = error.message
    if fields.subject not in SUBJECTS:
        errors["subject"] = "Choose who the event is about"
    texts = {name: _text(getattr(fields, name)) for name in TEXT_FIELDS}
    for name, (label, limit) in TEXT_FIELDS.items():
        if len(texts[name]) > limit:
            errors[name] = f"{label} must be {limit:,} characters or fewer"
    if not texts["event"] and "event" not in errors:
        errors["event"] = "Enter what happened"
    allowed = risk_indicators()
    if set(fields.risks) - set(allowed):
        errors["risks"] = "Choose risk indicators from the list"
    if errors or on is None:
        raise ValidationError(errors)
    return CheckedEntry(
        on=on,
        at=at,
        subject=fields.subject,
        risks=Entry.stored_risks([name for name in allowed if name in fields.risks]),
        **texts,
    )


def _locked_request_row(request_id: int) -> AgencyRequest:
    """The request's row locked for a change to its chronology that leaves the request itself as it is."""
    return AgencyRequest.objects.select_for_update().select_related("review", "agency").get(pk=request_id)


def locked_draft(submission: Submission, *, actor: Any, version: int | None = None, bump: bool = True) -> Submission:
    """Lock the request and the draft (in that order) and check the actor may still change it.

    ``version`` is the draft's version the person's form was built from (``None`` when nothing
    typed can be overwritten); ``bump`` marks the draft changed, for the forms open on it.
    """
    current_request = _locked_request_row(submission.request_id)
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    current.request = current_request
    if not access.acts_for(actor, current_request):
        raise PermissionDenied
    if current.frozen:
        raise ValidationError(frozen_message(current), code="frozen")
    if not access.can_edit_draft(actor, current):
        raise PermissionDenied
    if version is not None and current.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if bump:
        current.version += 1
        current.save(update_fields=["version"])
        submission.version = current.version
    return current


def _locked_decision(submission: Submission, *, actor: Any, version: int | None) -> Submission:
    """Lock the request (bumping its version, as its status changes) and the submission, checking the decider."""
    current_request = locked_request(submission.request, version=None)
    current = Submission.objects.select_for_update().get(pk=submission.pk)
    current.request = current_request
    if not access.can_decide_submission(actor, current):
        raise PermissionDenied
    if version is not None and current.version != version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    current.version += 1
    current.save(update_fields=["version"])
    submission.version = current.version
    return current


def next_position(submission: Submission) -> int:
    return (submission.entries.aggregate(last=Max("position"))["last"] or 0) + 1


def new_entry(submission: Submission, position: int, checked: CheckedEntry) -> Entry:
    """An unsaved entry of ``submission`` (whose request and agency are loaded) at ``position``."""
    agency_request = submission.request
    entry = Entry(
        submission=submission,
        review_id=agency_request.review_id,
        agency_id=agency_request.agency_id,
        position=position,
        subject=checked.subject,
        source_record=checked.source_record,
        practitioner_role=checked.practitioner_role,
        event=checked.event,
        action_or_outcome=checked.action_or_outcome,
        risks=checked.risks,
    )
    entry.set_date(checked.on, checked.at, agency_request.agency.name)
    return entry


# What an entry says, as typed or imported; then with where it goes (a copy keeps its position and key).
_TYPED = ("on", "at", "subject", "source_record", "practitioner_role", "event", "action_or_outcome", "risks")
_CONTENT = ("position", *_TYPED, "starts_on", "ends_on", "order_key")
# The fields an entry is inserted with: all but the panel's significance marking, unset on a new entry.
_INSERTED = ("submission", "review", "agency", *_CONTENT, "combined", "significant")


def save_in_batches(entries: Iterable[Entry]) -> int:
    """Insert ``entries`` a batch at a time, never holding more than a batch; return how many.

    An import or a return writes up to 100,000 entries at once. ``bulk_create`` spends most of its
    time preparing every field of every row in Python (5.6 s for the 50,000 rows of the import
    benchmark); here each row goes to the driver's ``executemany`` with only its dates and time
    adapted, as Django's fields would adapt them (1.0 s).
    """
    adapters: dict[type, Callable[[Any], Any]] = {
        models.DateField: connection.ops.adapt_datefield_value,
        models.TimeField: connection.ops.adapt_timefield_value,
    }
    fields = [field for field in Entry._meta.concrete_fields if field.name in _INSERTED]
    columns = [(field.attname, adapters.get(type(field))) for field in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.get_attname_column()[1] or field.attname) for field in fields)
    # Only the model's own table and column names, quoted, go into the text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(Entry._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    count = 0
    pending = iter(entries)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(pending, BATCH)):
            rows = [
                [getattr(entry, name) if adapt is None else adapt(getattr(entry, name)) for name, adapt in columns]
                for entry in batch
            ]
            cursor.executemany(sql, rows)
            count += len(rows)
    return count


# The agency's draft ---------------------------------------------------------------------------


def start_draft(agency_request: AgencyRequest, *, actor: Any, request: HttpRequest | None) -> Submission:
    """Start version 1 of the agency's chronology for the request, as an empty draft."""
    with transaction.atomic():
        current = _locked_request_row(agency_request.pk)
        if current.submissions.exists():
            raise ValidationError("This chronology has already been started. Open it from the request's page")
        if not access.can_start_draft(actor, current):
            raise PermissionDenied
        submission = Submission.objects.create(request=current, number=1, created_by=actor)
        record_change(
            "chronologies.draft_started",
            actor=actor,
            review=current.review,
            target=submission,
            request=request,
            agency_request=current.pk,
            number=1,
        )
    return submission


def add_entry(submission: Submission, *, actor: Any, fields: EntryFields, request: HttpRequest | None) -> Entry:
    """Add an entry to the agency's draft, after its last one."""
    checked = check_entry(fields)
    with transaction.atomic():
        current = locked_draft(submission, actor=actor, version=None)
        entry = new_entry(current, next_position(current), checked)
        entry.save()
        record_change(
            "chronologies.entry_added",
            actor=actor,
            review=current.request.review,
            target=entry,
            request=request,
            submission=current.pk,
            precision=entry.precision.name.lower(),
        )
    return entry


def _locked_entry(current: Submission, entry: Entry) -> Entry:
    found = Entry.objects.select_for_update().filter(pk=entry.pk, submission=current).first()
    if found is None:
        raise ValidationError(STALE_MESSAGE, code="stale")
    return found


def change_entry(
    entry: Entry, *, actor: Any, fields: EntryFields, version: int | None, request: HttpRequest | None
) -> Entry:
    """Change an entry of the agency's draft; refused if the draft changed since the form was opened."""
    checked = check_entry(fields)
    with transaction.atomic():
        current = locked_draft(entry.submission, actor=actor, version=version)
        row = _locked_entry(current, entry)
        updated = new_entry(current, row.position, checked)
        changed = [name for name in _TYPED if getattr(row, name) != getattr(updated, name)]
        for name in _CONTENT:
            setattr(row, name, getattr(updated, name))
        row.save()
        record_change(
            "chronologies.entry_changed",
            actor=actor,
            review=current.request.review,
            target=row,
            request=request,
            submission=current.pk,
            fields=changed,
        )
    return row


def delete_entry(entry: Entry, *, actor: Any, version: int | None, request: HttpRequest | None) -> Submission:
    """Delete an entry of the agency's draft; return the draft."""
    with transaction.atomic():
        current = locked_draft(entry.submission, actor=actor, version=version)
        row = _locked_entry(current, entry)
        record_change(
            "chronologies.entry_deleted",
            actor=actor,
            review=current.request.review,
            target=row,
            request=request,
            submission=current.pk,
            position=row.position,
        )
        row.delete()
    return current


def submit(submission: Submission, *, actor: Any, version: int | None, request: HttpRequest | None) -> Submission:
    """Submit the draft to the panel, freezing it; the request then awaits the panel's decision."""
    with transaction.atomic():
        current = locked_draft(submission, actor=actor, version=version)
        entries = current.entries.count()
        if not entries:
            raise ValidationError(NO_ENTRIES_MESSAGE, code="empty")
        current.status = SubmissionStatus.SUBMITTED
        current.submitted_by = actor
        current.submitted_at = timezone.now()
        current.save(update_fields=["status", "submitted_by", "submitted_at"])
        agency_request = locked_request(current.request, version=None)
        set_status(agency_request, RequestStatus.SUBMITTED)
        record_change(
            "chronologies.submission_submitted",
            actor=actor,
            review=agency_request.review,
            target=current,
            request=request,
            number=current.number,
            entries=entries,
        )
    return current


# The panel's decision -------------------------------------------------------------------------


def _copies(returned: Submission, draft: Submission) -> Iterator[Entry]:
    """The returned version's entries as new, unsaved entries of ``draft``, in their positions."""
    fields = ("review_id", "agency_id", *_CONTENT)
    for values in returned.entries.order_by("position").values(*fields).iterator(chunk_size=BATCH):
        yield Entry(submission=draft, **values)


def return_submission(
    submission: Submission, *, actor: Any, comments: str, version: int | None, request: HttpRequest | None
) -> Submission:
    """Return a submitted version with comments, opening the next version as a copy for the agency to correct."""
    comments = _text(comments)
    if not comments:
        raise ValidationError({"comments": "Enter your comments: what the agency should correct or add"})
    if len(comments) > COMMENTS_LIMIT:
        raise ValidationError({"comments": f"Comments must be {COMMENTS_LIMIT:,} characters or fewer"})
    with transaction.atomic():
        current = _locked_decision(submission, actor=actor, version=version)
        current.status = SubmissionStatus.RETURNED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.comments = comments
        current.save(update_fields=["status", "decided_by", "decided_at", "comments"])
        draft = Submission.objects.create(request=current.request, number=current.number + 1, created_by=actor)
        copied = save_in_batches(_copies(current, draft))
        set_status(current.request, RequestStatus.RETURNED)
        record_change(
            "chronologies.submission_returned",
            actor=actor,
            review=current.request.review,
            target=current,
            request=request,
            number=current.number,
            new_number=draft.number,
            entries_copied=copied,
        )
    return draft


def accept(
    submission: Submission, *, actor: Any, comments: str, version: int | None, request: HttpRequest | None
) -> Submission:
    """Accept a submitted version: its entries join the combined chronology and the request is complete."""
    comments = _text(comments)
    if len(comments) > COMMENTS_LIMIT:
        raise ValidationError({"comments": f"The note must be {COMMENTS_LIMIT:,} characters or fewer"})
    with transaction.atomic():
        current = _locked_decision(submission, actor=actor, version=version)
        current.status = SubmissionStatus.ACCEPTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.comments = comments
        current.save(update_fields=["status", "decided_by", "decided_at", "comments"])
        combined = Entry.objects.filter(submission=current).update(combined=True)
        set_status(current.request, RequestStatus.COMPLETE, completed_on=timezone.localdate())
        record_change(
            "chronologies.submission_accepted",
            actor=actor,
            review=current.request.review,
            target=current,
            request=request,
            number=current.number,
            entries=combined,
        )
    return current
