"""Information-sharing protocols, the secure spaces bound to them, and the documents shared there.

Rows are changed only by ``sharing/services/``. Nothing here is ever deleted: a withdrawn
protocol, a removed member, a revoked grant and a shredded document all stay as records.
"""

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Classification(models.TextChoices):
    """Government Security Classifications, lowest first."""

    OFFICIAL = "official", "OFFICIAL"
    OFFICIAL_SENSITIVE = "official_sensitive", "OFFICIAL-SENSITIVE"


CLASSIFICATION_RANK = {Classification.OFFICIAL: 0, Classification.OFFICIAL_SENSITIVE: 1}


class LegalBasis(models.TextChoices):
    DVCVA_2004_S9 = "dvcva_2004_s9", "Domestic Violence, Crime and Victims Act 2004, section 9"
    CDA_1998_S115 = "cda_1998_s115", "Crime and Disorder Act 1998, section 115"
    UK_GDPR_6_1_E = "uk_gdpr_6_1_e", "UK GDPR Article 6(1)(e): public task"
    UK_GDPR_9_2_G = (
        "uk_gdpr_9_2_g",
        "UK GDPR Article 9(2)(g) with Data Protection Act 2018 Schedule 1: substantial public interest",
    )
    COMMON_LAW = "common_law", "Common-law duty of confidentiality: public interest"
    OTHER = "other", "Other legal basis (described below)"


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Protocol(models.Model):
    """An information-sharing protocol: who shares what, why, under which law, for how long.

    Editable only as a draft with no signatures; it becomes active when every party has signed.
    A change after that is a new version, drafted from this one.
    """

    scope = models.ForeignKey(settings.SHARING_SCOPE_MODEL, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    # Saves of the draft so far: the edit page carries it, so two people saving at once cannot
    # overwrite each other (``version`` numbers the protocol's content, not its saves).
    revision = models.PositiveIntegerField(default=0)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    purposes = models.TextField()
    legal_bases = models.JSONField(default=list)
    legal_basis_other = models.TextField(blank=True)
    max_classification = models.CharField(max_length=20, choices=Classification.choices)
    data_categories = models.TextField()
    retention_months = models.PositiveIntegerField()
    valid_from = models.DateField()
    valid_to = models.DateField()
    review_date = models.DateField()
    status = models.CharField(max_length=10, choices=ProtocolStatus.choices, default=ProtocolStatus.DRAFT)
    status_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("valid_to", "title", "version")
        constraints = (
            models.CheckConstraint(condition=Q(valid_from__lte=models.F("valid_to")), name="sharing_protocol_dates"),
        )

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def audit_label(self) -> str:
        return f"Protocol {self.pk} version {self.version}"

    def in_force(self, today: date | None = None) -> bool:
        """Whether sharing under this protocol is allowed today: active and within its dates."""
        today = today or timezone.localdate()
        return self.status == ProtocolStatus.ACTIVE and self.valid_from <= today <= self.valid_to

    def allows(self, classification: str) -> bool:
        return (
            CLASSIFICATION_RANK[Classification(classification)]
            <= CLASSIFICATION_RANK[Classification(self.max_classification)]
        )

    def legal_basis_labels(self) -> list[str]:
        return [LegalBasis(code).label for code in self.legal_bases]


class ProtocolParty(models.Model):
    """A party to a protocol and the person who signs for it."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="parties")
    party = models.ForeignKey(settings.SHARING_PARTY_MODEL, on_delete=models.PROTECT, related_name="+")
    signatory = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signatory_role = models.CharField(max_length=200)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("protocol", "pk")
        constraints = (models.UniqueConstraint(fields=("protocol", "party"), name="sharing_one_row_per_party"),)

    def __str__(self) -> str:
        return f"{self.party} in {self.protocol}"


class Space(models.Model):
    """A secure workspace bound to one protocol; a review gets one and keeps its members in step."""

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="spaces")
    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return f"Space {self.pk}"


class MemberQuerySet(models.QuerySet["SpaceMember"]):
    def current(self) -> "MemberQuerySet":
        return self.filter(removed_at__isnull=True)


class SpaceMember(models.Model):
    """A user in a space, acting for one party to its protocol. Removed members are kept."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(settings.SHARING_PARTY_MODEL, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ("space", "added_at")
        constraints = (
            models.UniqueConstraint(
                fields=("space", "user"), condition=Q(removed_at__isnull=True), name="sharing_one_current_membership"
            ),
        )

    def __str__(self) -> str:
        return f"member {self.user_id} of space {self.space_id}"


class Document(models.Model):
    """A document in a space, owned by one party. Its content lives in its versions."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_party = models.ForeignKey(settings.SHARING_PARTY_MODEL, on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(max_length=20, choices=Classification.choices)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    retention_ends_on = models.DateField()
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.title

    @property
    def audit_label(self) -> str:
        # Titles may name people; the trail carries only the id.
        return f"Document {self.pk}"


class VersionStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    PENDING = "pending", "Being checked and stored"
    REFUSED = "refused", "Refused"
    DAMAGED = "damaged", "Failed its integrity check"
    SHREDDED = "shredded", "Destroyed"


class DocumentVersion(models.Model):
    """One uploaded version: the encrypted object, its wrapped data key, and its receipt.

    ``id`` is bound into every chunk of the ciphertext and into the wrapping of its data key,
    so neither can be moved to another version. ``sha256`` is of the plaintext: the uploader's
    integrity receipt, checked again on every download.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file_name = models.CharField(max_length=200)
    file_type = models.CharField(max_length=10)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    object_name = models.CharField(max_length=100, blank=True)
    wrapped_key = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=VersionStatus.choices)
    status_detail = models.CharField(max_length=200, blank=True)
    # When a store attempt took the version on (a lease, so only one attempt works at a time).
    store_started_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("document", "-number")
        constraints = (models.UniqueConstraint(fields=("document", "number"), name="sharing_version_number"),)

    def __str__(self) -> str:
        return f"version {self.number} of document {self.document_id}"

    @property
    def audit_label(self) -> str:
        return f"Document {self.document_id} version {self.number}"


class GrantQuerySet(models.QuerySet["Grant"]):
    def live(self) -> "GrantQuerySet":
        now = timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)


class Grant(models.Model):
    """Access to a document for another member, or for every member acting for another party."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    party = models.ForeignKey(settings.SHARING_PARTY_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ("document", "-granted_at")
        constraints = (
            models.CheckConstraint(
                condition=Q(user__isnull=False, party__isnull=True) | Q(user__isnull=True, party__isnull=False),
                name="sharing_grant_to_user_or_party",
            ),
        )

    def __str__(self) -> str:
        return f"grant {self.pk} on document {self.document_id}"

    @property
    def audit_label(self) -> str:
        return f"Grant {self.pk} on document {self.document_id}"
