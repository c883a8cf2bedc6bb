"""Requests to agencies, their chronology submissions and entries, IMRs, and the combined chronology.

- ``AgencyRequest``: what the review asks of one agency (scoping, chronology, IMR or short
  report), its period, subjects, due date and status. A nil return answers any kind.
- ``Submission``: one version of an agency's chronology for a request. Drafts change; a submitted
  version is frozen; a return opens the next version as a copy for the agency to correct.
- ``Entry``: one line of a submission. ``on`` keeps the date as precise as the record
  (``partialdates``); ``order_key`` puts entries in the combined chronology's order, so the
  first page of 100,000 entries is an index range scan rather than a sort. ``combined`` is set
  when the submission is accepted: the combined chronology is every combined entry of a review.
- ``ImportJob``: an uploaded file on its way through the import task, with its progress and
  every problem found. The file is held encrypted (``fieldcrypto``) and dropped once read.
- ``IMR``: the record of an individual management review or short report; the document itself is
  in the review's secure space. ``IMRFeedback`` holds the panel's rounds.
- ``PanelNote`` and ``Release``: the panel's notes on entries, and the release of the combined
  chronology to the agencies' contributors.

Entry text is written with pseudonyms (the template and the form say so); it is not encrypted at
field level because the combined chronology is filtered by its text. Real names, dates of birth
and addresses stay in ``reviews`` (encrypted), never here.
"""

import uuid
from datetime import date, time

from django.db import models
from django.db.models import Q
from django.utils import timezone

from dhr_tracker import fieldcrypto
from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.chronologies.importing import LIMITS, PRACTITIONER_ROLE, SOURCE_RECORD, Subject
from dhr_tracker.chronologies.partialdates import PartialDate, Precision
from dhr_tracker.reviews.models import Review, TermsOfReference
from sharing.models import Document

SUBJECT_LABELS = {
    Subject.VICTIM: "Victim",
    Subject.PERPETRATOR: "Perpetrator",
    Subject.CHILD: "Child",
    Subject.OTHER: "Other",
}
SUBJECT_CHOICES = [(subject.value, label) for subject, label in SUBJECT_LABELS.items()]
# Risk indicators are stored one per line between line breaks ("\nMARAC referral\nPregnancy\n"),
# so a filter on one is a plain substring match on every database, with no join.
RISK_BREAK = "\n"


class RequestKind(models.TextChoices):
    SCOPING = "scoping", "Scoping: did you have contact?"
    CHRONOLOGY = "chronology", "Chronology"
    IMR = "imr", "Individual management review (IMR)"
    SHORT_REPORT = "short_report", "Short report"


REPORT_KINDS = (RequestKind.IMR, RequestKind.SHORT_REPORT)


class RequestStatus(models.TextChoices):
    OPEN = "open", "Awaiting the agency"
    SUBMITTED = "submitted", "Submitted, awaiting the panel"
    RETURNED = "returned", "Returned to the agency"
    COMPLETE = "complete", "Complete"
    NIL_RETURN = "nil_return", "Nil return"
    CANCELLED = "cancelled", "Cancelled"


# The agency owes an answer: these count against the due date.
AWAITING_AGENCY = (RequestStatus.OPEN, RequestStatus.RETURNED)
CLOSED_STATUSES = (RequestStatus.COMPLETE, RequestStatus.NIL_RETURN, RequestStatus.CANCELLED)


class AgencyRequest(models.Model):
    """What a review asks of one agency (DHR.md s7, s20: IMR request, scoping return)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="agency_requests")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    subjects = models.JSONField(default=list, help_text="Pseudonyms of the people the agency is asked about.")
    due_on = models.DateField()
    instructions = models.TextField(blank=True)
    terms = models.ForeignKey(TermsOfReference, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    status_changed_at = models.DateTimeField(default=timezone.now)
    completed_on = models.DateField(null=True, blank=True)
    # A nil return: the agency found no record of contact in the period.
    nil_reason = models.TextField(blank=True)
    # A scoping answer.
    had_contact = models.BooleanField(null=True, blank=True)
    contact_summary = models.TextField(blank=True)
    records_secured = models.BooleanField(null=True, blank=True)
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    sent_on = models.DateField(default=timezone.localdate)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("review", "due_on", "agency__name", "kind")
        constraints = (
            models.UniqueConstraint(
                fields=("review", "agency", "kind"),
                condition=~Q(status="cancelled"),
                name="chronologies_one_live_request_per_kind",
            ),
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")), name="chronologies_period"),
        )
        indexes = (models.Index(fields=("review", "status")), models.Index(fields=("agency", "status")))

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.agency}"

    @property
    def audit_label(self) -> str:
        return f"{self.review.reference} request {self.pk}"

    @property
    def awaiting_agency(self) -> bool:
        return self.status in AWAITING_AGENCY

    def is_overdue(self, today: date) -> bool:
        return self.awaiting_agency and self.due_on < today


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned with comments"
    ACCEPTED = "accepted", "Accepted"


class Submission(models.Model):
    """One version of an agency's chronology for a request; frozen once submitted."""

    request = models.ForeignKey(AgencyRequest, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    comments = models.TextField(blank=True, help_text="The panel's comments on a return, or a note on acceptance.")
    # The file the entries last came from, if they were imported.
    imported_file = models.CharField(max_length=200, blank=True)
    imported_sha256 = models.CharField(max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("request", "-number")
        constraints = (
            models.UniqueConstraint(fields=("request", "number"), name="chronologies_submission_number"),
            models.UniqueConstraint(
                fields=("request",), condition=Q(status="draft"), name="chronologies_one_draft_per_request"
            ),
        )

    def __str__(self) -> str:
        return f"Version {self.number}"

    @property
    def audit_label(self) -> str:
        return f"{self.request.review.reference} request {self.request_id} v{self.number}"

    @property
    def frozen(self) -> bool:
        return self.status != SubmissionStatus.DRAFT


def order_key(on: PartialDate, at: time | None, agency_name: str, agency_id: int, position: int) -> str:
    """The text that sorts entries as ``partialdates.sort_key`` does, tied by agency then position.

    Fixed-width parts: the period's first day, its precision (vaguer first), then no time before
    a time and times in order; then the agency's name (cut to 60 characters, case evened out),
    its id, and the entry's position in its submission, which make every key unique.
    """
    clock = "0000000" if at is None else f"1{at:%H%M%S}"
    name = agency_name.casefold()[:60].ljust(60)
    return f"{on.start:%Y%m%d}{on.precision.value}{clock}{name}{agency_id:09d}{position:07d}"


class Entry(models.Model):
    """One line of an agency's chronology (DHR.md s7, s20)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="entries")
    # The review and agency again, so the combined chronology filters without joins.
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    on = models.CharField(max_length=10, help_text="2019-12-31, 2019-12 or 2019: only as precise as the record.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    at = models.TimeField(null=True, blank=True)
    subject = models.CharField(max_length=20, choices=SUBJECT_CHOICES)
    source_record = models.CharField(max_length=LIMITS[SOURCE_RECORD], blank=True)
    practitioner_role = models.CharField(max_length=LIMITS[PRACTITIONER_ROLE], blank=True)
    event = models.TextField()
    action_or_outcome = models.TextField(blank=True)
    risks = models.TextField(blank=True)
    combined = models.BooleanField(default=False)
    order_key = models.CharField(max_length=100)
    significant = models.BooleanField(default=False)
    significance_set_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    significance_set_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("submission", "position")
        constraints = (models.UniqueConstraint(fields=("submission", "position"), name="chronologies_entry_position"),)
        indexes = (
            models.Index(fields=("review", "combined", "order_key"), name="chronologies_combined_order"),
            models.Index(fields=("submission", "order_key"), name="chronologies_submission_order"),
        )

    def __str__(self) -> str:
        return f"{self.date}: {self.event[:60]}"

    @property
    def audit_label(self) -> str:
        return f"entry {self.pk}"

    @property
    def date(self) -> PartialDate:
        return PartialDate.from_storage(self.on)

    @property
    def precision(self) -> Precision:
        return self.date.precision

    @property
    def risk_indicators(self) -> list[str]:
        return [name for name in self.risks.split(RISK_BREAK) if name]

    @staticmethod
    def stored_risks(indicators: "list[str] | tuple[str, ...]") -> str:
        return f"{RISK_BREAK}{RISK_BREAK.join(indicators)}{RISK_BREAK}" if indicators else ""

    def set_date(self, on: PartialDate, at: time | None, agency_name: str) -> None:
        """Set the date, its period and the order key together."""
        self.on = on.to_storage()
        self.starts_on, self.ends_on, self.at = on.start, on.end, at
        self.order_key = order_key(on, at, agency_name, self.agency_id, self.position)

    @property
    def subject_label(self) -> str:
        return SUBJECT_LABELS[Subject(self.subject)]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    READING = "reading", "Checking the rows"
    SAVING = "saving", "Saving the entries"
    DONE = "done", "Imported"
    PROBLEMS = "problems", "Not imported: rows need correcting"
    REFUSED = "refused", "Not imported: the file was refused"
    FAILED = "failed", "Not imported: something went wrong"


IMPORT_FINISHED = (ImportStatus.DONE, ImportStatus.PROBLEMS, ImportStatus.REFUSED, ImportStatus.FAILED)


class ImportJob(models.Model):
    """An uploaded chronology on its way into a draft, with the progress the page shows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # The file itself, encrypted, until the task has read it; emptied as soon as it finishes.
    content_enc = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    entries_saved = models.PositiveIntegerField(default=0)
    # [{"row": 9, "column": "Date", "message": "..."}], and [[3, 9], ...] for rows that look the same.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    duplicates = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.file_name

    @property
    def audit_label(self) -> str:
        return f"import of {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in IMPORT_FINISHED

    def _context(self) -> str:
        return f"chronologies.importjob.content:{self.id}"

    def hold(self, content: bytes) -> None:
        self.content_enc = fieldcrypto.encrypt(content, context=self._context())

    def held(self) -> bytes:
        return fieldcrypto.decrypt(self.content_enc, context=self._context())


class IMRStatus(models.TextChoices):
    DRAFT = "draft", "Being written"
    SUBMITTED = "submitted", "Submitted, awaiting the panel"
    FEEDBACK = "feedback", "Returned with the panel's feedback"
    ACCEPTED = "accepted", "Accepted"


class IMR(models.Model):
    """An agency's individual management review or short report (DHR.md s7); the document is in the space."""

    request = models.OneToOneField(AgencyRequest, on_delete=models.PROTECT, related_name="imr")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    author = models.CharField(max_length=200, blank=True, help_text="Name and role of the author.")
    independence_statement = models.TextField(blank=True)
    signed_off_by = models.CharField(max_length=200, blank=True, help_text="Name and role of the senior manager.")
    signed_off_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=IMRStatus.choices, default=IMRStatus.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("request",)

    def __str__(self) -> str:
        return f"{self.request.get_kind_display()} from {self.request.agency}"

    @property
    def audit_label(self) -> str:
        return f"{self.request.review.reference} IMR {self.pk}"


class IMRFeedback(models.Model):
    """One round of the panel's feedback on an IMR, and the agency's response to it."""

    imr = models.ForeignKey(IMR, on_delete=models.PROTECT, related_name="feedback")
    number = models.PositiveIntegerField()
    feedback = models.TextField()
    given_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("imr", "number")
        constraints = (models.UniqueConstraint(fields=("imr", "number"), name="chronologies_feedback_round"),)

    def __str__(self) -> str:
        return f"Feedback round {self.number}"


class PanelNote(models.Model):
    """A note by the panel on one entry of the combined chronology; agencies never see these."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("entry", "created_at", "pk")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def audit_label(self) -> str:
        return f"note {self.pk}"


class Release(models.Model):
    """The combined chronology released to the review's agency contributors, until withdrawn."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="chronology_releases")
    released_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    withdrawn_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("review", "-released_at")
        constraints = (
            models.UniqueConstraint(
                fields=("review",), condition=Q(withdrawn_at__isnull=True), name="chronologies_one_live_release"
            ),
        )

    def __str__(self) -> str:
        return f"Released {self.released_at:%d %b %Y}"

    @property
    def audit_label(self) -> str:
        return f"{self.review.reference} release {self.pk}"
