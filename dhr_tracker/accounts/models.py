"""Users, partnerships, agencies, memberships, roles and second-factor devices."""

import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device
from django_otp.oath import TOTP

from dhr_tracker import fieldcrypto

# Apps whose admin pages a site administrator may use. Review content never appears here:
# the site administrator manages people and organisations, not cases.
SITE_ADMIN_APPS = frozenset({"accounts"})


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("Users need an e-mail address")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields["is_site_admin"] = True
        return self.create_user(email, password, **fields)


def normalise_email(email: str) -> str:
    """Lower-case and strip an e-mail address; addresses are compared case-insensitively."""
    return email.strip().lower()


class User(AbstractBaseUser):
    """A person who signs in. Keyed by e-mail; every user needs a second factor."""

    email = models.EmailField("e-mail address", max_length=254, unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_site_admin = models.BooleanField(
        default=False,
        help_text="Manages users, partnerships and agencies. Does not by itself see any review.",
    )
    national_oversight = models.BooleanField(
        default=False,
        help_text="Sees the learning from every partnership's recommendations (national oversight); no review itself.",
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session hash: bumping it ends every session of this user at once.
    session_generation = models.PositiveIntegerField(default=0)

    objects = UserManager()

    # Installed on each request's user by django-otp's OTPMiddleware.
    otp_device: Any
    is_verified: Callable[[], bool]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ("full_name", "email")
        constraints = (models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),)

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def get_full_name(self) -> str:
        """Django's name for it, which generic apps (sharing) use."""
        return self.full_name

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)

    @property
    def audit_label(self) -> str:
        return self.email

    @property
    def is_staff(self) -> bool:
        """Let Django's admin in only site administrators."""
        return self.is_site_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_site_admin and perm.split(".", 1)[0] in SITE_ADMIN_APPS

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_site_admin and app_label in SITE_ADMIN_APPS

    def get_session_auth_hash(self) -> str:
        """Tie sessions to the password and to the session generation."""
        return salted_hmac(
            "dhr_tracker.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield salted_hmac(
                "dhr_tracker.accounts.User.get_session_auth_hash",
                f"{self.password}:{self.session_generation}",
                secret=fallback_secret,
                algorithm="sha256",
            ).hexdigest()


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    WALES = "wales", "Wales"


class Partnership(models.Model):
    """A Community Safety Partnership: the tenant. Nobody sees another partnership's reviews."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    local_authority = models.CharField(max_length=200)
    nation = models.CharField(max_length=10, choices=Nation.choices, default=Nation.ENGLAND)
    review_type_label = models.CharField(
        max_length=20,
        default="DHR",
        help_text='What the partnership calls a review, for example "DHR", "DARDR" or "SUSR".',
    )
    publication_months = models.PositiveIntegerField(
        default=12,
        help_text="How long published reviews stay on the public page before they are supplied on request.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def audit_label(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police"
    ADULT_SOCIAL_CARE = "adult_social_care", "Local authority adult social care"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Local authority children's social care"
    HOUSING = "housing", "Housing"
    HEALTH_TRUST = "health_trust", "Health trust"
    ICB_GP = "icb_gp", "Integrated care board or GP"
    AMBULANCE = "ambulance", "Ambulance service"
    MENTAL_HEALTH = "mental_health", "Mental health service"
    PROBATION = "probation", "Probation"
    FIRE_RESCUE = "fire_rescue", "Fire and rescue"
    DRUG_ALCOHOL = "drug_alcohol", "Drug and alcohol service"
    DOMESTIC_ABUSE = "domestic_abuse", "Specialist domestic abuse service"
    EDUCATION = "education", "Education"
    OTHER = "other", "Other"


class Agency(models.Model):
    """An organisation that contributes to reviews; may serve several partnerships."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    is_responsible_authority = models.BooleanField(
        default=False,
        help_text="A responsible authority of the Community Safety Partnership (Crime and Disorder Act 1998 s5).",
    )
    partnerships = models.ManyToManyField(Partnership, related_name="agencies", blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class AgencyMembership(models.Model):
    """A user working for an agency. Ended memberships are kept for the record."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="agency_memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    job_title = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("agency__name",)
        constraints = (
            models.UniqueConstraint(
                fields=("user", "agency"),
                condition=models.Q(ended_at__isnull=True),
                name="accounts_one_current_membership_per_agency",
            ),
        )

    def __str__(self) -> str:
        return f"{self.user.email} at {self.agency.name}"


class PartnershipRoleKind(models.TextChoices):
    """Roles held in a partnership.

    Review-level roles (independent chair, panel member, agency contributor) are held on a review
    and live with the reviews; they follow the same pattern of a user, a scope and a kind.
    """

    CSP_CHAIR = "csp_chair", "CSP chair"
    CSP_COORDINATOR = "csp_coordinator", "CSP coordinator"
    AUDITOR = "auditor", "Auditor"


PARTNERSHIP_ROLE_DUTIES = {
    PartnershipRoleKind.CSP_CHAIR: "Decide whether to commission reviews, approve terms of reference, sign off reports and close reviews.",
    PartnershipRoleKind.CSP_COORDINATOR: "Record notifications, run reviews, request information from agencies and chase what is late.",
    PartnershipRoleKind.AUDITOR: "Read the audit trail of this partnership: who saw and changed what. Auditors see no review content.",
}


class PartnershipRoleQuerySet(models.QuerySet["PartnershipRole"]):
    def current(self) -> "PartnershipRoleQuerySet":
        return self.filter(revoked_at__isnull=True)


class PartnershipRole(models.Model):
    """A role a user holds in one partnership. Revoked grants are kept for the record."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="partnership_roles")
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(max_length=30, choices=PartnershipRoleKind.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    objects = PartnershipRoleQuerySet.as_manager()

    class Meta:
        ordering = ("partnership__name", "role")
        constraints = (
            models.UniqueConstraint(
                fields=("user", "partnership", "role"),
                condition=models.Q(revoked_at__isnull=True),
                name="accounts_one_current_grant_per_role",
            ),
        )

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.partnership.name}"


class SignInThrottle(models.Model):
    """Failure counters for one account (by e-mail) or one client address.

    Keyed by the e-mail typed rather than by user, so an unknown address locks exactly like a
    known one and the lock-out says nothing about which accounts exist.
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account"
        ADDRESS = "address", "Address"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=254)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=("scope", "key"), name="accounts_throttle_scope_key"),)

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class TOTPDevice(Device):
    """An authenticator app (RFC 6238 TOTP) whose shared secret is encrypted at rest.

    django-otp's own TOTP device keeps the secret as plain hex, so anyone who can read the
    database could mint codes. Here the secret is sealed with ``dhr_tracker.fieldcrypto`` and
    bound to its user. ``last_t`` stops a code being used twice within its time step.
    """

    STEP = 30
    DIGITS = 6
    # One step either side absorbs clock drift on phones without widening the window much.
    TOLERANCE = 1

    encrypted_secret = models.TextField()
    last_t = models.BigIntegerField(default=-1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "authenticator app"

    @staticmethod
    def encryption_context(user_id: int) -> str:
        return f"accounts.totp:user={user_id}"

    def set_secret(self, secret: bytes) -> None:
        self.encrypted_secret = fieldcrypto.encrypt(secret, context=self.encryption_context(self.user_id))

    def secret(self) -> bytes:
        return fieldcrypto.decrypt(self.encrypted_secret, context=self.encryption_context(self.user_id))

    def totp(self) -> TOTP:
        return TOTP(self.secret(), step=self.STEP, digits=self.DIGITS)

    def verify_token(self, token: object) -> bool:
        """Accept a current code once; the caller must hold a row lock (select_for_update)."""
        code = str(token).strip().replace(" ", "")
        if not (code.isascii() and code.isdigit() and len(code) == self.DIGITS):
            return False
        totp = self.totp()
        if not totp.verify(int(code), tolerance=self.TOLERANCE, min_t=self.last_t + 1):
            return False
        self.last_t = totp.t()
        self.save(update_fields=["last_t"])
        return True


BACKUP_CODE_COUNT = 10
# 10 characters from a 32-letter alphabet: 50 bits, far beyond what the lock-out lets anyone try.
BACKUP_CODE_LENGTH = 10
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalise_backup_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def backup_code_digest(code: str) -> str:
    """Keyed digest of a backup code; the codes themselves are never stored."""
    return salted_hmac("dhr_tracker.accounts.backup-code", normalise_backup_code(code), algorithm="sha256").hexdigest()


class BackupCodeDevice(Device):
    """A set of one-time backup codes, stored only as keyed digests."""

    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "backup codes"

    def issue_codes(self) -> list[str]:
        """Replace every code with a fresh set and return them (shown to the user once)."""
        codes = [
            "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
            for _ in range(BACKUP_CODE_COUNT)
        ]
        with transaction.atomic():
            self.codes.all().delete()
            BackupCode.objects.bulk_create(BackupCode(device=self, digest=backup_code_digest(c)) for c in codes)
        return [f"{c[:5]}-{c[5:]}" for c in codes]

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def verify_token(self, token: object) -> bool:
        """Accept an unused code once; the caller must hold a row lock on the device."""
        if len(normalise_backup_code(str(token))) != BACKUP_CODE_LENGTH:
            return False
        digest = backup_code_digest(str(token))
        for code in self.codes.filter(used_at__isnull=True):
            if hmac.compare_digest(code.digest, digest):
                code.used_at = timezone.now()
                code.save(update_fields=["used_at"])
                return True
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"backup code {self.pk}"


def new_totp_secret() -> bytes:
    """Return a fresh 160-bit TOTP secret (the size RFC 4226 recommends)."""
    return secrets.token_bytes(20)
