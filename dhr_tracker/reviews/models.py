"""Reviews: the notification, the people involved, the lifecycle record, pauses, the chair,
the panel, the terms of reference, the family, meetings and reminders.

Personal data of the people in a review (real names, dates of birth, addresses, contact details)
is sealed with ``dhr_tracker.fieldcrypto``, bound to its row's ``uid`` and column, and looked up
through keyed hashes (``dhr_tracker.blindindex``). Every other page shows pseudonyms.
"""

import uuid
from datetime import date
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from dhr_tracker import fieldcrypto
from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.reviews.deadlines import PauseReason
from dhr_tracker.reviews.lifecycle import FINAL, LABELS, State
from sharing.models import Document, Space


def _choices(enum: Any, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(member.value, labels[member]) for member in enum]


STATE_CHOICES = _choices(State, LABELS)
PAUSE_REASON_CHOICES = [(reason.value, reason.label) for reason in PauseReason]


class NotifierKind(models.TextChoices):
    POLICE = "police", "Police"
    OTHER_AGENCY = "other_agency", "Another agency"
    FAMILY = "family", "Family or friend"
    PROFESSIONAL = "professional", "A professional"


class DeathType(models.TextChoices):
    HOMICIDE = "homicide", "Homicide"
    SUSPECTED_SUICIDE = "suspected_suicide", "Suspected suicide"
    UNEXPLAINED = "unexplained", "Unexplained death"
    OTHER = "other", "Other"


class Relationship(models.TextChoices):
    PARTNER = "partner", "Current intimate partner"
    FORMER_PARTNER = "former_partner", "Former intimate partner"
    FAMILY = "family", "Relative"
    HOUSEHOLD = "household", "Member of the same household"
    OTHER = "other", "Other"


class CriminalStatus(models.TextChoices):
    NONE = "none", "No criminal proceedings"
    INVESTIGATION = "investigation", "Under investigation"
    CHARGED = "charged", "Charged, awaiting trial"
    TRIAL = "trial", "Trial under way"
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    PERPETRATOR_DIED = "perpetrator_died", "Alleged perpetrator has died"


class Criterion(models.TextChoices):
    """The statutory test (DHR.md s2), one box each, for the decision record."""

    AGED_16 = "aged_16", "The person who died was aged 16 or over"
    ABUSE = "abuse", "The death has, or appears to have, resulted from violence, abuse or neglect"
    RELATIONSHIP = "relationship", "By a relative, a current or former intimate partner, or a household member"
    SUICIDE_CONCERN = "suicide_concern", "A suicide where there is concern about abuse (for example coercive control)"
    LESSONS = "lessons", "There are lessons to be learned by agencies working together"


class ReviewQuerySet(models.QuerySet["Review"]):
    def open(self) -> "ReviewQuerySet":
        return self.exclude(state__in=[state.value for state in FINAL])


class Review(models.Model):
    """One death notified to a partnership, and the review (or decision not to review) that follows.

    ``version`` is bumped by every change, so a form opened before someone else's save is refused
    instead of silently overwriting it (optimistic locking, see ``services.locked``).
    """

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="reviews")
    reference = models.CharField(max_length=40)
    state = models.CharField(max_length=30, choices=STATE_CHOICES, default=State.NOTIFIED)
    paused_from = models.CharField(max_length=30, choices=STATE_CHOICES, blank=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    # Notification (DHR.md s3, s20).
    notified_on = models.DateField()
    notifier_kind = models.CharField(max_length=20, choices=NotifierKind.choices)
    notifier_name = models.CharField(
        max_length=200, help_text="The agency or the role of the person who notified, never a family member's name."
    )
    died_on = models.DateField()
    place_of_death_enc = models.TextField(blank=True)
    death_type = models.CharField(max_length=20, choices=DeathType.choices)
    coroner_involved = models.BooleanField(default=False)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    relationship_detail = models.CharField(max_length=200, blank=True)
    police_force = models.CharField(max_length=200, blank=True)
    senior_investigating_officer = models.CharField(max_length=200, blank=True)
    criminal_status = models.CharField(max_length=20, choices=CriminalStatus.choices, default=CriminalStatus.NONE)
    other_partnerships = models.TextField(blank=True)

    # Decision (DHR.md s3, s20).
    decided_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_reasons = models.TextField(blank=True)
    criteria_met = models.JSONField(default=list, blank=True)
    partners_consulted = models.TextField(blank=True)
    home_office_told_on = models.DateField(null=True, blank=True)
    home_office_method = models.CharField(max_length=100, blank=True)
    home_office_response = models.TextField(blank=True)
    directed_on = models.DateField(null=True, blank=True)
    # Milestones the clocks and statistics read, set by the lifecycle steps.
    submitted_on = models.DateField(null=True, blank=True)
    published_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    # The review's secure space for documents (sharing), opened once it is commissioned.
    space = models.OneToOneField(Space, on_delete=models.PROTECT, null=True, blank=True, related_name="review")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ("-notified_on", "reference")
        constraints = (
            models.UniqueConstraint(fields=("partnership", "reference"), name="reviews_reference_per_partnership"),
        )
        indexes = (models.Index(fields=("partnership", "state")),)

    def __str__(self) -> str:
        return self.reference

    @property
    def audit_label(self) -> str:
        return self.reference

    @property
    def title(self) -> str:
        """The reference with the partnership's name for a review ("DHR 2026/01"), unless it already starts with it."""
        label = self.partnership.review_type_label
        return self.reference if self.reference.upper().startswith(label.upper()) else f"{label} {self.reference}"

    @property
    def state_label(self) -> str:
        return LABELS[State(self.state)]

    def _context(self, column: str) -> str:
        return f"reviews.review.{column}:{self.uid}"

    @property
    def place_of_death(self) -> str:
        if not self.place_of_death_enc:
            return ""
        return fieldcrypto.decrypt(self.place_of_death_enc, context=self._context("place")).decode()

    @place_of_death.setter
    def place_of_death(self, value: str) -> None:
        self.place_of_death_enc = fieldcrypto.encrypt(value.encode(), context=self._context("place")) if value else ""


class PersonRole(models.TextChoices):
    VICTIM = "victim", "Victim"
    PERPETRATOR = "perpetrator", "Alleged perpetrator"
    CHILD = "child", "Child"
    OTHER = "other", "Other"


class SealedPerson(models.Model):
    """Real name, date of birth and address, sealed at field level, with blind indexes."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    pseudonym = models.CharField(max_length=100)
    name_enc = models.TextField(blank=True)
    birth_date_enc = models.TextField(blank=True)
    address_enc = models.TextField(blank=True)
    # Keyed hashes of the normalised name and of the date of birth, for duplicate detection.
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    birth_date_index = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def audit_label(self) -> str:
        return self.pseudonym

    def _context(self, column: str) -> str:
        return f"{self._meta.label_lower}.{column}:{self.uid}"

    def unseal(self, column: str) -> str:
        """Return the real value of a sealed column; callers audit the reveal."""
        stored = getattr(self, f"{column}_enc")
        return fieldcrypto.decrypt(stored, context=self._context(column)).decode() if stored else ""

    def seal(self, column: str, value: str) -> None:
        sealed = fieldcrypto.encrypt(value.encode(), context=self._context(column)) if value else ""
        setattr(self, f"{column}_enc", sealed)

    @property
    def birth_date(self) -> date | None:
        text = self.unseal("birth_date")
        return date.fromisoformat(text) if text else None


class Person(SealedPerson):
    """Someone involved in the death: the victim, the alleged perpetrator, children, others."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="people")
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "role", "pseudonym")
        constraints = (
            models.UniqueConstraint(fields=("review", "pseudonym"), name="reviews_pseudonym_unique_per_review"),
        )


class StepRecord(models.Model):
    """One move of a review through its lifecycle: the timeline's facts."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="steps")
    name = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30, choices=STATE_CHOICES)
    to_state = models.CharField(max_length=30, choices=STATE_CHOICES)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    rationale = models.TextField(blank=True)

    class Meta:
        ordering = ("review", "at", "pk")

    def __str__(self) -> str:
        return f"{self.name}: {self.from_state} to {self.to_state}"


class Pause(models.Model):
    """Parallel proceedings (or a family request) stopping the review's clock."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="pauses")
    reason = models.CharField(max_length=30, choices=PAUSE_REASON_CHOICES)
    body = models.CharField(max_length=200, blank=True, help_text="For example the Crown Court or the coroner.")
    reference = models.CharField(max_length=100, blank=True)
    started_on = models.DateField()
    expected_end_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "started_on")
        constraints = (
            models.UniqueConstraint(
                fields=("review",), condition=Q(ended_on__isnull=True), name="reviews_one_open_pause"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="reviews_pause_ends_after_start",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_reason_display()} from {self.started_on:%d %b %Y}"


class ClockKind(models.TextChoices):
    DECISION = "decision", "Decision"
    COMPLETION = "completion", "Completion"


class Extension(models.Model):
    """Extra days for a review's clock, with the reason."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="extensions")
    clock = models.CharField(max_length=20, choices=ClockKind.choices)
    days = models.PositiveIntegerField()
    reason = models.TextField()
    granted_on = models.DateField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ("review", "granted_on")
        constraints = (models.CheckConstraint(condition=Q(days__gt=0), name="reviews_extension_positive"),)

    def __str__(self) -> str:
        return f"{self.days} days on the {self.clock} deadline"


class ChairAppointment(models.Model):
    """The independent chair of a review; confirmed only with an independence declaration."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="chair_appointments")
    chair = models.ForeignKey(User, on_delete=models.PROTECT, related_name="chair_appointments")
    accreditation = models.CharField(max_length=300, blank=True)
    procurement = models.TextField(blank=True, help_text="How the chair was procured, for example the quotes sought.")
    fee_pence = models.PositiveBigIntegerField(default=0)
    budget_pence = models.PositiveBigIntegerField(default=0)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    independence_statement = models.TextField(blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "-created_at")
        constraints = (
            models.UniqueConstraint(
                fields=("review",), condition=Q(ended_at__isnull=True), name="reviews_one_current_chair"
            ),
        )

    def __str__(self) -> str:
        return f"{self.chair.full_name}, independent chair"


class ParticipantKind(models.TextChoices):
    """Review-level roles, granted on a review (partnership roles live in accounts)."""

    INDEPENDENT_CHAIR = "independent_chair", "Independent chair"
    PANEL_MEMBER = "panel_member", "Panel member"
    AGENCY_CONTRIBUTOR = "agency_contributor", "Agency contributor"


class Seniority(models.TextChoices):
    DIRECTOR = "director", "Director or head of service"
    SENIOR_MANAGER = "senior_manager", "Senior manager"
    MANAGER = "manager", "Manager"
    PRACTITIONER = "practitioner", "Practitioner or specialist"


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def current(self) -> "ParticipantQuerySet":
        return self.filter(removed_at__isnull=True)


class Participant(models.Model):
    """A person holding a review-level role; panel members and contributors act for an agency.

    The review's secure space follows: a current participant who acts for an agency is a member
    of the space (``space_member``), and removal ends that membership in the same transaction.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="participants")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="review_roles")
    kind = models.CharField(max_length=20, choices=ParticipantKind.choices)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    role_title = models.CharField(max_length=200, blank=True)
    seniority = models.CharField(max_length=20, choices=Seniority.choices, blank=True)
    independence_declared_at = models.DateTimeField(null=True, blank=True)
    independence_statement = models.TextField(blank=True)
    confidentiality_declared_at = models.DateTimeField(null=True, blank=True)
    space_member = models.ForeignKey(
        "sharing.SpaceMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.TextField(blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ("review", "kind", "agency__name")
        constraints = (
            models.UniqueConstraint(
                fields=("review", "user", "kind"),
                condition=Q(removed_at__isnull=True),
                name="reviews_one_current_role_per_kind",
            ),
        )
        indexes = (models.Index(fields=("user", "removed_at")),)

    def __str__(self) -> str:
        return f"{self.user.full_name}, {self.get_kind_display()}"


class ScopedAgency(models.Model):
    """An agency asked to take part in a review (it must be a party to the space's protocol)."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="scoped_agencies")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "agency__name")
        constraints = (models.UniqueConstraint(fields=("review", "agency"), name="reviews_agency_scoped_once"),)

    def __str__(self) -> str:
        return str(self.agency)


class TermsStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AGREED = "agreed", "Agreed by the panel"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class TermsOfReference(models.Model):
    """One version of a review's terms of reference (DHR.md s6). Agreed and approved versions are frozen."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="terms")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=TermsStatus.choices, default=TermsStatus.DRAFT)
    period_start = models.DateField()
    period_end = models.DateField()
    period_start_reason = models.TextField()
    subjects = models.JSONField(default=list, help_text="Pseudonyms of the subjects of the review.")
    agencies = models.ManyToManyField(Agency, related_name="+", blank=True)
    lines_of_enquiry = models.TextField()
    equality_and_diversity = models.TextField()
    family_involvement = models.TextField()
    perpetrator_involvement = models.TextField(blank=True)
    parallel_processes = models.TextField(blank=True)
    method = models.TextField()
    timetable = models.TextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    agreed_on = models.DateField(null=True, blank=True)
    agreed_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("review", "-version")
        constraints = (models.UniqueConstraint(fields=("review", "version"), name="reviews_terms_version_unique"),)

    def __str__(self) -> str:
        return f"Terms of reference, version {self.version}"

    @property
    def audit_label(self) -> str:
        return f"{self.review.reference} terms v{self.version}"


class Consent(models.TextChoices):
    NOT_ASKED = "not_asked", "Not asked yet"
    GIVEN = "given", "Consents to take part"
    DECLINED = "declined", "Declined to take part"
    WITHDRAWN = "withdrawn", "Withdrew consent"


class ContactMethod(models.TextChoices):
    ADVOCATE = "advocate", "Through their advocate"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Telephone"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"


class FamilyMember(SealedPerson):
    """A family member, friend or colleague of the victim; personal data sealed like ``Person``."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="family")
    relationship = models.CharField(max_length=100)
    contact_details_enc = models.TextField(blank=True)
    advocate = models.CharField(
        max_length=200, blank=True, help_text="For example AAFDA or another specialist service."
    )
    consent = models.CharField(max_length=20, choices=Consent.choices, default=Consent.NOT_ASKED)
    consent_on = models.DateField(null=True, blank=True)
    preferred_contact = models.CharField(max_length=20, choices=ContactMethod.choices, blank=True)
    draft_shared_on = models.DateField(null=True, blank=True)
    draft_returned_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "pseudonym")
        verbose_name = "family member, friend or colleague"


class FamilyContact(models.Model):
    """One entry of the contact log with a family member; the summary is sealed."""

    member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, related_name="contacts")
    contacted_on = models.DateField()
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    summary_enc = models.TextField()
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ("member", "-contacted_on", "-pk")

    def __str__(self) -> str:
        return f"Contact on {self.contacted_on:%d %b %Y}"

    def _context(self) -> str:
        return f"reviews.familycontact.summary:{self.uid}"

    @property
    def summary(self) -> str:
        return fieldcrypto.decrypt(self.summary_enc, context=self._context()).decode()

    @summary.setter
    def summary(self, value: str) -> None:
        self.summary_enc = fieldcrypto.encrypt(value.encode(), context=self._context())


class Meeting(models.Model):
    """A panel meeting: who attended, what was decided, and the minutes in the secure space."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField()
    title = models.CharField(max_length=200, default="Panel meeting")
    attendees = models.ManyToManyField(Participant, related_name="meetings_attended", blank=True)
    decisions = models.TextField(blank=True)
    minutes = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "-held_on")

    def __str__(self) -> str:
        return f"{self.title}, {self.held_on:%d %b %Y}"


class MeetingAction(models.Model):
    """An action agreed at a meeting, with its owner and due date."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    text = models.TextField()
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="meeting_actions")
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("meeting", "due_on", "pk")

    def __str__(self) -> str:
        return self.text[:80]


class ReminderSent(models.Model):
    """A reminder e-mailed once: the unique key makes sending idempotent across retries and restarts."""

    key = models.CharField(max_length=200, unique=True)
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sent_at",)

    def __str__(self) -> str:
        return self.key
