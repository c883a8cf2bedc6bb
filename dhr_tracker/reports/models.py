"""Reports, sign-off, the action plan, Home Office quality assurance, anonymisation and publication.

DHR.md sections 10-12 and 20. Drafts are documents in the review's secure space (``sharing``):
a ``ReportVersion`` names the ``DocumentVersion`` that holds it, so its content is encrypted
like every other document and only the space's members open it. What is published is public:
a ``PublishedItem`` keeps its PDF in the database, so publishing is one transaction and a
failed publication leaves nothing behind.

Real names appear in two places only, both sealed at field level and bound to their row: the
extra entries of the pseudonym register (``KnownIdentifier``) and what the anonymisation check
found (``Hit``). A candidate publication is held encrypted (``Candidate.content_enc``) until it
is published or replaced.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dhr_tracker import fieldcrypto
from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.reviews.models import FamilyMember, Review
from sharing.models import Document, DocumentVersion

# Drafts ---------------------------------------------------------------------------------------


class ReportKind(models.TextChoices):
    OVERVIEW = "overview", "Overview report"
    SUMMARY = "summary", "Executive summary"


class Report(models.Model):
    """The overview report or the executive summary of a review: one of each, with its versions."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "kind")
        constraints = (models.UniqueConstraint(fields=("review", "kind"), name="reports_one_report_per_kind"),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.review.reference}"

    @property
    def audit_label(self) -> str:
        return f"{self.get_kind_display()} of review {self.review_id}"


class ReportVersion(models.Model):
    """One version of a report: an uploaded document version in the review's secure space."""

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    document_version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True, help_text="What changed in this version.")
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("report", "-number")
        constraints = (models.UniqueConstraint(fields=("report", "number"), name="reports_version_number"),)

    def __str__(self) -> str:
        return f"version {self.number} of {self.report}"

    @property
    def audit_label(self) -> str:
        return f"Version {self.number} of report {self.report_id}"


class CommentRound(models.Model):
    """A version circulated to the panel for comments by a due date; closed by the chair."""

    version = models.ForeignKey(ReportVersion, on_delete=models.PROTECT, related_name="rounds")
    due_on = models.DateField()
    message = models.TextField(blank=True)
    circulated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    circulated_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-circulated_at",)
        constraints = (
            models.UniqueConstraint(
                fields=("version",), condition=Q(closed_at__isnull=True), name="reports_one_open_round_per_version"
            ),
        )

    def __str__(self) -> str:
        return f"comments on {self.version}"

    @property
    def audit_label(self) -> str:
        return f"Comment round {self.pk}"


class CommentStatus(models.TextChoices):
    OPEN = "open", "Awaiting the chair"
    RESOLVED = "resolved", "Resolved"
    NOT_RESOLVED = "not_resolved", "Not taken up"


class Comment(models.Model):
    """A panel member's comment on one section of the circulated version."""

    round = models.ForeignKey(CommentRound, on_delete=models.PROTECT, related_name="comments")
    # A key of ``reports.sections``: the report's section the comment is about.
    section = models.CharField(max_length=40)
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=CommentStatus.choices, default=CommentStatus.OPEN)
    response = models.TextField(blank=True, help_text="The chair's answer: what was changed, or why not.")
    resolved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("round", "section", "created_at")

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.section}"

    @property
    def audit_label(self) -> str:
        return f"Comment {self.pk}"


class FamilyCopy(models.Model):
    """A version shared with the family (DHR.md s8, s19 state 9), and its return.

    The family's response may be personal; it is sealed like the family's contact log.
    """

    version = models.ForeignKey(ReportVersion, on_delete=models.PROTECT, related_name="family_copies")
    member = models.ForeignKey(FamilyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    shared_on = models.DateField()
    returned_on = models.DateField(null=True, blank=True)
    response_enc = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ("-shared_on", "-recorded_at")

    def __str__(self) -> str:
        return f"family copy of {self.version}"

    @property
    def audit_label(self) -> str:
        return f"Family copy {self.pk}"

    def _context(self) -> str:
        return f"reports.familycopy.response:{self.uid}"

    def seal_response(self, text: str) -> None:
        self.response_enc = fieldcrypto.encrypt(text.encode(), context=self._context()) if text else ""

    def response(self) -> str:
        return fieldcrypto.decrypt(self.response_enc, context=self._context()).decode() if self.response_enc else ""


class SignOffKind(models.TextChoices):
    PANEL = "panel", "Panel agreement"
    CSP = "csp", "CSP chair approval"


class SignOff(models.Model):
    """The panel's agreement to, or the CSP chair's approval of, the report (DHR.md s19 state 10).

    ``person`` agreed or approved (for the panel, who spoke for it, usually the independent chair);
    ``recorded_by`` entered it. A sign-off is withdrawn, never deleted, if a new version needs another.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="signoffs")
    kind = models.CharField(max_length=10, choices=SignOffKind.choices)
    overview = models.ForeignKey(ReportVersion, on_delete=models.PROTECT, related_name="+")
    summary = models.ForeignKey(ReportVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_on = models.DateField()
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("review", "-signed_on", "-recorded_at")
        constraints = (
            models.UniqueConstraint(
                fields=("review", "kind"), condition=Q(withdrawn_at__isnull=True), name="reports_one_live_signoff"
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.review_id}"

    @property
    def audit_label(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


# The action plan ------------------------------------------------------------------------------


class Scope(models.TextChoices):
    LOCAL = "local", "Local"
    REGIONAL = "regional", "Regional"
    NATIONAL = "national", "National"


class Recommendation(models.Model):
    """A recommendation of the review (DHR.md s10, s20). National ones name the department addressed."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="recommendations")
    number = models.PositiveIntegerField()
    text = models.TextField()
    scope = models.CharField(max_length=10, choices=Scope.choices)
    multi_agency = models.BooleanField(default=False)
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    department = models.CharField(max_length=200, blank=True, help_text="The government department addressed.")
    target_on = models.DateField()
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("review", "number")
        constraints = (models.UniqueConstraint(fields=("review", "number"), name="reports_recommendation_number"),)

    def __str__(self) -> str:
        return f"recommendation {self.number} of {self.review_id}"

    @property
    def audit_label(self) -> str:
        return f"Recommendation {self.number} of review {self.review_id}"


class RAG(models.TextChoices):
    """An action's status: red overdue, amber due soon or at risk, green on track, complete done."""

    RED = "red", "Red: overdue"
    AMBER = "amber", "Amber: at risk or due soon"
    GREEN = "green", "Green: on track"
    COMPLETE = "complete", "Complete"


class Action(models.Model):
    """An action that carries out a recommendation, with its owner, milestones and evidence."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="actions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="report_actions")
    milestones = models.TextField(blank=True, help_text="Key milestones achieved.")
    target_on = models.DateField()
    completed_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    # The owner's judgement; the RAG shown is red when overdue whatever this says.
    at_risk = models.BooleanField(default=False)
    evidence = models.ManyToManyField(Document, related_name="+", blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("recommendation", "number")
        constraints = (models.UniqueConstraint(fields=("recommendation", "number"), name="reports_action_number"),)

    def __str__(self) -> str:
        return f"action {self.number} of {self.recommendation}"

    @property
    def audit_label(self) -> str:
        return f"Action {self.pk}"

    def rag(self, today: date) -> RAG:
        if self.completed_on is not None:
            return RAG.COMPLETE
        if self.target_on < today:
            return RAG.RED
        if self.at_risk or (self.target_on - today).days <= settings.REVIEW_AMBER_DAYS:
            return RAG.AMBER
        return RAG.GREEN


class ActionUpdate(models.Model):
    """A progress note by the action's owner (or those who run the review), kept as its history."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="updates")
    text = models.TextField()
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("action", "-at")

    def __str__(self) -> str:
        return f"update {self.pk} of {self.action}"


# Themes, for learning across reviews ----------------------------------------------------------


class ReviewTheme(models.Model):
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="themes")
    theme = models.CharField(max_length=100)

    class Meta:
        ordering = ("review", "theme")
        constraints = (models.UniqueConstraint(fields=("review", "theme"), name="reports_review_theme"),)

    def __str__(self) -> str:
        return self.theme


class RecommendationTheme(models.Model):
    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="themes")
    theme = models.CharField(max_length=100)

    class Meta:
        ordering = ("recommendation", "theme")
        constraints = (
            models.UniqueConstraint(fields=("recommendation", "theme"), name="reports_recommendation_theme"),
        )

    def __str__(self) -> str:
        return self.theme


# Home Office quality assurance ----------------------------------------------------------------


class QAOutcome(models.TextChoices):
    """The panel's verdict (DHR.md s11); the wording shown comes from ``REPORT_QA_OUTCOME_WORDING``."""

    PUBLISH = "publish", "May be published"
    PUBLISH_WITH_CHANGES = "publish_with_changes", "May be published once changes are made"
    RESUBMIT = "resubmit", "Revise and resubmit"


class QASubmission(models.Model):
    """A submission to the Home Office quality assurance panel; number 2 and on are resubmissions."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="qa_submissions")
    number = models.PositiveIntegerField()
    submitted_on = models.DateField()
    versions = models.ManyToManyField(ReportVersion, related_name="qa_submissions")
    action_plan_sent = models.BooleanField(default=True)
    commissioner_copied_on = models.DateField(
        null=True, blank=True, help_text="When the Domestic Abuse Commissioner was sent a copy."
    )
    panel_met_on = models.DateField(null=True, blank=True)
    letter = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    letter_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=QAOutcome.choices, blank=True)
    strengths = models.TextField(blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    outcome_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("review", "-number")
        constraints = (models.UniqueConstraint(fields=("review", "number"), name="reports_qa_submission_number"),)

    def __str__(self) -> str:
        return f"submission {self.number} of {self.review_id}"

    @property
    def audit_label(self) -> str:
        return f"Home Office submission {self.number} of review {self.review_id}"

    @property
    def turnaround_days(self) -> int | None:
        """Days from the submission to the letter: the Home Office's turnaround."""
        if self.letter_on is None:
            return None
        return (self.letter_on - self.submitted_on).days


class AreaForDevelopment(models.Model):
    """One numbered "area for final development" of a quality assurance letter, tracked to done."""

    submission = models.ForeignKey(QASubmission, on_delete=models.PROTECT, related_name="areas")
    number = models.PositiveIntegerField()
    text = models.TextField()
    done_on = models.DateField(null=True, blank=True)
    how_addressed = models.TextField(blank=True)
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("submission", "number")
        constraints = (models.UniqueConstraint(fields=("submission", "number"), name="reports_area_number"),)

    def __str__(self) -> str:
        return f"area {self.number} of {self.submission}"

    @property
    def audit_label(self) -> str:
        return f"Area for development {self.number} of submission {self.submission_id}"


# Anonymisation --------------------------------------------------------------------------------


class IdentifierKind(models.TextChoices):
    """What an entry of the pseudonym register is, beyond the review's people and family."""

    NAME = "name", "Name or known variant"
    BIRTH_DATE = "birth_date", "Date of birth"
    ADDRESS = "address", "Address"
    PHONE = "phone", "Phone number"
    REFERENCE = "reference", "Reference number"
    OTHER = "other", "Other identifying detail"


class KnownIdentifier(models.Model):
    """An entry of the review's pseudonym register: a real identifier and whose it is, sealed.

    The review's people and family members bring their own real names, dates of birth and
    addresses to the register; these are the rest (nicknames, former names, other people, places,
    numbers). Decrypted only for the anonymisation check and, in sudo mode, to be read.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="known_identifiers")
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    pseudonym = models.CharField(max_length=100, help_text="Whose identifier this is, by pseudonym.")
    value_enc = models.TextField()
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ("review", "pseudonym", "kind", "added_at")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.pseudonym}"

    @property
    def audit_label(self) -> str:
        return f"Register entry {self.pk} ({self.pseudonym})"

    def _context(self) -> str:
        return f"reports.knownidentifier.value:{self.uid}"

    def seal(self, value: str) -> None:
        self.value_enc = fieldcrypto.encrypt(value.encode(), context=self._context())

    def value(self) -> str:
        return fieldcrypto.decrypt(self.value_enc, context=self._context()).decode()


class PublicationItemKind(models.TextChoices):
    """What is published (DHR.md s12, s20), in the order shown on the public page."""

    SUMMARY = "summary", "Executive summary"
    OVERVIEW = "overview", "Overview report"
    ACTION_PLAN = "action_plan", "Action plan summary"
    QA_LETTER = "qa_letter", "Home Office quality assurance letter"


class CandidateStatus(models.TextChoices):
    CLEAR = "clear", "No identifiers found"
    HITS = "hits", "Identifiers found"
    UNREADABLE = "unreadable", "Cannot be checked"


class Candidate(models.Model):
    """A candidate publication, as uploaded for the anonymisation check; held encrypted.

    A new upload for the same item supersedes the last. ``status`` is the check's result;
    publication needs every hit resolved, or an override with its reason (in sudo mode).
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="candidates")
    item = models.CharField(max_length=20, choices=PublicationItemKind.choices)
    number = models.PositiveIntegerField()
    file_name = models.CharField(max_length=200)
    file_type = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content_enc = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=CandidateStatus.choices)
    message = models.TextField(blank=True, help_text="Why the file cannot be checked, when it cannot.")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    superseded_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    overridden_at = models.DateTimeField(null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ("review", "item", "-number")
        constraints = (
            models.UniqueConstraint(fields=("review", "item", "number"), name="reports_candidate_number"),
            models.UniqueConstraint(
                fields=("review", "item"), condition=Q(superseded_at__isnull=True), name="reports_one_live_candidate"
            ),
        )

    def __str__(self) -> str:
        return f"candidate {self.number} of {self.item} for {self.review_id}"

    @property
    def audit_label(self) -> str:
        return f"Candidate {self.get_item_display()} {self.number} of review {self.review_id}"

    def _context(self) -> str:
        return f"reports.candidate.content:{self.uid}"

    def hold(self, content: bytes) -> None:
        self.content_enc = fieldcrypto.encrypt(content, context=self._context())

    def held(self) -> bytes:
        return fieldcrypto.decrypt(self.content_enc, context=self._context())


class HitResolution(models.TextChoices):
    OPEN = "open", "To resolve"
    FALSE_POSITIVE = "false_positive", "Not identifying (false positive)"
    FIXED = "fixed", "To be fixed in a new upload"


class Hit(models.Model):
    """Something the check found: what kind, where, and the text around it, sealed."""

    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="hits")
    # A kind of ``reports.anonymisation`` (name, birth_date, address, postcode, phone, nhs_number...).
    kind = models.CharField(max_length=30)
    # Where: "Page 3", "Paragraph 12", "Table 1, row 2", "Line 40".
    location = models.CharField(max_length=100)
    # Whose identifier it matched, by pseudonym, when the register said.
    pseudonym = models.CharField(max_length=100, blank=True)
    found_enc = models.TextField()
    context_enc = models.TextField()
    resolution = models.CharField(max_length=20, choices=HitResolution.choices, default=HitResolution.OPEN)
    note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ("candidate", "pk")

    def __str__(self) -> str:
        return f"hit {self.pk} ({self.kind})"

    @property
    def audit_label(self) -> str:
        return f"Hit {self.pk} of candidate {self.candidate_id}"

    def _context(self, column: str) -> str:
        return f"reports.hit.{column}:{self.uid}"

    def seal(self, found: str, context: str) -> None:
        self.found_enc = fieldcrypto.encrypt(found.encode(), context=self._context("found"))
        self.context_enc = fieldcrypto.encrypt(context.encode(), context=self._context("context"))

    def found(self) -> str:
        return fieldcrypto.decrypt(self.found_enc, context=self._context("found")).decode()

    def context(self) -> str:
        return fieldcrypto.decrypt(self.context_enc, context=self._context("context")).decode()


# Publication ----------------------------------------------------------------------------------


class Publication(models.Model):
    """The publication of a review: the family told, what was published and when, and its removal."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="publication")
    family_told_on = models.DateField(null=True, blank=True)
    family_told_how = models.CharField(max_length=200, blank=True)
    family_told_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    media_note = models.TextField(blank=True, help_text="Media lines agreed before publication.")
    published_on = models.DateField(null=True, blank=True)
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The public summary shown on the list: pseudonymous, checked with the items.
    title = models.CharField(max_length=200, blank=True)
    # When it comes down (the partnership's period after publication); empty once kept on request.
    remove_on = models.DateField(null=True, blank=True)
    unpublished_at = models.DateTimeField(null=True, blank=True)
    unpublished_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unpublish_reason = models.TextField(blank=True)
    library_submitted_on = models.DateField(null=True, blank=True, help_text="Sent to the Home Office DHR library.")

    class Meta:
        ordering = ("-published_on",)

    def __str__(self) -> str:
        return f"publication of {self.review_id}"

    @property
    def audit_label(self) -> str:
        return f"Publication of review {self.review_id}"

    @property
    def is_live(self) -> bool:
        return self.published_on is not None and self.unpublished_at is None


class PublishedItem(models.Model):
    """A published PDF, public and unencrypted by design, with the SHA-256 shown beside it."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="items")
    item = models.CharField(max_length=20, choices=PublicationItemKind.choices)
    candidate = models.OneToOneField(Candidate, on_delete=models.PROTECT, related_name="published")
    file_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("publication", "item")
        constraints = (models.UniqueConstraint(fields=("publication", "item"), name="reports_one_item_per_kind"),)

    def __str__(self) -> str:
        return f"{self.get_item_display()} of {self.publication}"
