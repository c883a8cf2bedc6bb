"""Funding streams, applications to them, and the cost ledger of each review (DHR.md s16, s20).

Money is whole pence in ``BigIntegerField`` columns named ``*_pence`` (``funding.money``), never a
float. Financial years run April to March and are stored as the calendar year they start in
(``funding.years``): 2025 is 2025-26.

A stream belongs to one partnership (a local fund, such as the police and crime commissioner's)
or, with no partnership, is open to every partnership (a national fund, kept by site
administrators). Its eligibility rules are columns the app evaluates (``funding.eligibility``),
beside the funder's criteria in words.

An application is a draft until the CSP chair submits it; after that only its outcome, payment or
withdrawal are recorded, never its content. The ledger of a review holds its budget by category,
its commitments and actual costs, and the contributions of its partners; awarded funds become
contributions when the award is recorded. Entries are never deleted: a mistake is cancelled with a
reason and stays on the record.
"""

from datetime import date
from typing import TypeVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from dhr_tracker.accounts.models import Partnership, User
from dhr_tracker.funding.money import pounds
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import Review
from sharing.models import Document


class CostCategory(models.TextChoices):
    CHAIR = "chair", "Independent chair"
    AUTHOR = "author", "Report author"
    ADVOCACY = "advocacy", "Advocacy"
    ADMINISTRATION = "administration", "Administration"
    TRANSLATION = "translation", "Translation and interpreting"
    LEGAL = "legal", "Legal"
    VENUE = "venue", "Venue"
    PUBLICATION = "publication", "Publication"
    OTHER = "other", "Other"


# Streams --------------------------------------------------------------------------------------


class StreamQuerySet(models.QuerySet["FundingStream"]):
    def open_on(self, day: date) -> "StreamQuerySet":
        """Streams taking submissions on ``day``."""
        return self.filter(opens_on__lte=day, closes_on__gte=day)


class FundingStream(models.Model):
    """A fund partnerships apply to: its funder, year, pot, maximum award, dates and rules."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funding_streams",
        help_text="The partnership whose fund this is; empty for a fund open to every partnership.",
    )
    funder = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    financial_year = models.PositiveSmallIntegerField(help_text="The year it starts in: 2025 for 2025-26.")
    total_pot_pence = models.BigIntegerField()
    max_award_pence = models.BigIntegerField()
    opens_on = models.DateField()
    closes_on = models.DateField()
    criteria = models.TextField(blank=True)
    # Eligibility rules the app evaluates; empty or None means the rule does not apply.
    min_reviews_commenced = models.PositiveSmallIntegerField(null=True, blank=True)
    death_types = models.JSONField(default=list, blank=True)
    nations = models.JSONField(default=list, blank=True)
    reviews_in_year = models.BooleanField(
        default=False, help_text="Every review covered must have commenced in the stream's financial year."
    )
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = StreamQuerySet.as_manager()

    class Meta:
        ordering = ("-financial_year", "closes_on", "name")
        constraints = (
            models.CheckConstraint(condition=Q(opens_on__lte=F("closes_on")), name="funding_stream_dates"),
            models.CheckConstraint(condition=Q(total_pot_pence__gt=0), name="funding_stream_pot_positive"),
            models.CheckConstraint(
                condition=Q(max_award_pence__gt=0, max_award_pence__lte=F("total_pot_pence")),
                name="funding_stream_max_award_within_pot",
            ),
        )

    def __str__(self) -> str:
        return f"{self.funder}: {self.name} ({self.year})"

    @property
    def audit_label(self) -> str:
        return f"Funding stream {self.pk}"

    @property
    def year(self) -> FinancialYear:
        return FinancialYear(self.financial_year)

    @property
    def national(self) -> bool:
        return self.partnership_id is None

    def is_open(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


# Applications ---------------------------------------------------------------------------------


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    PART_APPROVED = "part_approved", "Part approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    PAID = "paid", "Paid"


# What the funder decided; ``paid`` and ``withdrawn`` follow.
DECIDED = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED, ApplicationStatus.REJECTED})
AWARDED = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED, ApplicationStatus.PAID})


class Application(models.Model):
    """A partnership's application to a stream, for some of its reviews."""

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="funding_applications")
    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="applications")
    reviews = models.ManyToManyField(Review, through="ApplicationReview", related_name="+")
    status = models.CharField(max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    requested_pence = models.BigIntegerField(default=0)
    justification = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_on = models.DateField(null=True, blank=True)
    submitted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_on = models.DateField(null=True, blank=True)
    awarded_pence = models.BigIntegerField(null=True, blank=True)
    conditions = models.TextField(blank=True)
    decision_letter = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision_recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    paid_on = models.DateField(null=True, blank=True)
    paid_pence = models.BigIntegerField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(condition=Q(requested_pence__gte=0), name="funding_requested_not_negative"),
            models.CheckConstraint(
                condition=Q(awarded_pence__isnull=True) | Q(awarded_pence__gte=0), name="funding_awarded_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(paid_pence__isnull=True) | Q(paid_pence__gte=0), name="funding_paid_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"Application {self.pk} to {self.stream.name}"

    @property
    def audit_label(self) -> str:
        return f"Funding application {self.pk}"

    @property
    def requested(self) -> str:
        return pounds(self.requested_pence)


class ApplicationReview(models.Model):
    """A review an application covers, and its share of the award once one is recorded."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="covered")
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="funding_applications")
    awarded_pence = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("review__reference",)
        constraints = (
            models.UniqueConstraint(fields=("application", "review"), name="funding_review_once_per_application"),
            models.CheckConstraint(
                condition=Q(awarded_pence__isnull=True) | Q(awarded_pence__gte=0), name="funding_share_not_negative"
            ),
        )

    def __str__(self) -> str:
        return f"{self.review} in application {self.application_id}"


class ApplicationCost(models.Model):
    """One category of an application's cost breakdown."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="costs")
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    amount_pence = models.BigIntegerField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("application", "category")
        constraints = (
            models.UniqueConstraint(fields=("application", "category"), name="funding_cost_once_per_category"),
            models.CheckConstraint(condition=Q(amount_pence__gte=0), name="funding_cost_not_negative"),
        )

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {pounds(self.amount_pence)}"


class SupportingDocument(models.Model):
    """A document in one of the partnership's secure spaces, attached to an application."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("application", "added_at")
        constraints = (
            models.UniqueConstraint(fields=("application", "document"), name="funding_document_once_per_application"),
        )

    def __str__(self) -> str:
        return f"document {self.document_id} of application {self.application_id}"


# The ledger of a review -----------------------------------------------------------------------


class Ledger(models.Model):
    """The ledger of one review; its ``version`` guards the budget against two people saving at once."""

    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="ledger")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ledger of {self.review}"

    @property
    def audit_label(self) -> str:
        return f"Ledger of review {self.review_id}"


class BudgetLine(models.Model):
    """The budget of one category of a review's costs."""

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="budget")
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    amount_pence = models.BigIntegerField()

    class Meta:
        ordering = ("ledger", "category")
        constraints = (
            models.UniqueConstraint(fields=("ledger", "category"), name="funding_budget_once_per_category"),
            models.CheckConstraint(condition=Q(amount_pence__gte=0), name="funding_budget_not_negative"),
        )

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {pounds(self.amount_pence)}"


class CostKind(models.TextChoices):
    COMMITMENT = "commitment", "Commitment"
    ACTUAL = "actual", "Actual cost"


_Entry = TypeVar("_Entry", bound=models.Model)


class LiveQuerySet(models.QuerySet[_Entry]):
    def live(self) -> "LiveQuerySet[_Entry]":
        """Not cancelled."""
        return self.filter(cancelled_at__isnull=True)


class CostEntry(models.Model):
    """A commitment (an order, a contract) or an actual cost (an invoice paid) of a review.

    An actual cost may settle a commitment (``against``); what is left of each commitment once
    its actual costs are taken off is still to be spent.
    """

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(max_length=20, choices=CostKind.choices)
    category = models.CharField(max_length=20, choices=CostCategory.choices)
    description = models.CharField(max_length=200)
    supplier = models.CharField(max_length=200, blank=True)
    on = models.DateField(help_text="The date of the order or the invoice; it decides the financial year.")
    amount_pence = models.BigIntegerField()
    against = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="settled_by")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cancel_reason = models.TextField(blank=True)

    objects = LiveQuerySet["CostEntry"].as_manager()

    class Meta:
        ordering = ("ledger", "on", "pk")
        verbose_name_plural = "cost entries"
        constraints = (models.CheckConstraint(condition=Q(amount_pence__gt=0), name="funding_cost_entry_positive"),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}: {pounds(self.amount_pence)}"

    @property
    def audit_label(self) -> str:
        return f"Cost entry {self.pk}"


class PartnerKind(models.TextChoices):
    PARTNERSHIP = "partnership", "The partnership"
    PCC = "pcc", "Police and crime commissioner"
    OTHER_PARTNER = "other_partner", "Other partner"
    AWARDED_FUND = "awarded_fund", "Awarded fund"


class Contribution(models.Model):
    """What a partner puts towards a review's costs, and what of it has been received.

    Awarded funds are made by recording an application's award (``application`` set), one per
    review covered, and received when the funder pays.
    """

    ledger = models.ForeignKey(Ledger, on_delete=models.PROTECT, related_name="contributions")
    partner_kind = models.CharField(max_length=20, choices=PartnerKind.choices)
    partner_name = models.CharField(max_length=200)
    amount_pence = models.BigIntegerField()
    agreed_on = models.DateField(help_text="The date it was agreed or awarded; it decides the financial year.")
    received_pence = models.BigIntegerField(default=0)
    received_on = models.DateField(null=True, blank=True)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="contributions"
    )
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cancel_reason = models.TextField(blank=True)

    objects = LiveQuerySet["Contribution"].as_manager()

    class Meta:
        ordering = ("ledger", "agreed_on", "pk")
        constraints = (
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="funding_contribution_positive"),
            models.CheckConstraint(
                condition=Q(received_pence__gte=0, received_pence__lte=F("amount_pence")),
                name="funding_received_within_contribution",
            ),
            models.CheckConstraint(
                condition=~Q(partner_kind="awarded_fund") | Q(application__isnull=False),
                name="funding_awarded_fund_has_application",
            ),
        )

    def __str__(self) -> str:
        return f"{self.partner_name}: {pounds(self.amount_pence)}"

    @property
    def audit_label(self) -> str:
        return f"Contribution {self.pk}"
