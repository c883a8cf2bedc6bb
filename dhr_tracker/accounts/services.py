"""Every change to accounts, roles and second factors, each with its acting user.

Each function checks access, changes rows inside one transaction, and announces its security
event inside that transaction; e-mail goes out on commit.
"""

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.accounts import events, lockout
from dhr_tracker.accounts.access import can_manage_users
from dhr_tracker.accounts.models import (
    Agency,
    AgencyMembership,
    BackupCodeDevice,
    Partnership,
    PartnershipRole,
    TOTPDevice,
    User,
    new_totp_secret,
    normalise_email,
)
from dhr_tracker.accounts.tasks import send_password_email

TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def _require_manager(actor: Any) -> None:
    if not can_manage_users(actor):
        raise PermissionDenied


# Second factors -------------------------------------------------------------------------------


def start_totp_enrolment(*, actor: User) -> TOTPDevice:
    """Return the user's pending authenticator, creating it with a fresh secret if none.

    Reusing the pending one means reloading the set-up page keeps the QR code already scanned.
    Nothing is announced: an unconfirmed device cannot be used to sign in.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
        if device is None:
            device = TOTPDevice(user=actor, name=TOTP_DEVICE_NAME, confirmed=False)
            device.set_secret(new_totp_secret())
            device.save()
    return device


def confirm_totp_enrolment(device: TOTPDevice, *, actor: User, token: str, request: HttpRequest) -> list[str] | None:
    """Confirm ``device`` with a current code; return new backup codes, or ``None`` if wrong.

    Confirming replaces any earlier authenticator: one person, one app.
    """
    if device.user_id != actor.pk or device.confirmed:
        raise PermissionDenied
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(token):
            return None
        TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _issue_backup_codes(actor)
        events.emit("auth.device_added", outcome=events.ALLOWED, request=request, actor=actor, target=actor)
    return codes


def _issue_backup_codes(user: User) -> list[str]:
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": BACKUP_DEVICE_NAME, "confirmed": True}
    )
    return device.issue_codes()


def regenerate_backup_codes(*, actor: User, request: HttpRequest) -> list[str]:
    """Replace the user's backup codes; the old ones stop working at once."""
    with transaction.atomic():
        codes = _issue_backup_codes(actor)
        events.emit("auth.backup_codes_regenerated", outcome=events.ALLOWED, request=request, actor=actor, target=actor)
    return codes


def reset_second_factor(user: User, *, actor: User, request: HttpRequest) -> None:
    """Remove every second factor of ``user`` and end their sessions; they must enrol again."""
    _require_manager(actor)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
        User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
        events.emit("auth.device_removed", outcome=events.ALLOWED, request=request, actor=actor, target=user)


# Sessions and passwords ----------------------------------------------------------------------


def sign_out_everywhere(*, actor: User, request: HttpRequest) -> None:
    """End every session of ``actor``, on every device, including this one."""
    with transaction.atomic():
        User.objects.filter(pk=actor.pk).update(session_generation=F("session_generation") + 1)
        events.emit("auth.signed_out_everywhere", outcome=events.ALLOWED, request=request, actor=actor, target=actor)


def set_password(user: User, *, actor: User | None, password: str, request: HttpRequest, action: str) -> None:
    """Set a new password (change or reset); other sessions end because the hash changes."""
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        lockout.clear_account(user.email)
        events.emit(action, outcome=events.ALLOWED, request=request, actor=actor or user, target=user)


# Users, roles, memberships and organisations (site administrators) ----------------------------


def save_organisation(
    organisation: Partnership | Agency, *, actor: User, changed: list[str], request: HttpRequest
) -> None:
    """Create or change a partnership or an agency (the Django admin's form calls this)."""
    _require_manager(actor)
    created = organisation.pk is None
    with transaction.atomic():
        organisation.save()
        events.emit(
            f"{organisation._meta.model_name}.{'created' if created else 'changed'}",
            outcome=events.ALLOWED,
            request=request,
            actor=actor,
            target=organisation,
            changed=sorted(changed),
        )


def create_user(*, actor: User, email: str, full_name: str, request: HttpRequest) -> User:
    """Create an account and e-mail the person a link to choose their password."""
    _require_manager(actor)
    email = normalise_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "An account with this e-mail address already exists"})
    with transaction.atomic():
        user = User.objects.create_user(email=email, full_name=full_name.strip())
        events.emit("user.created", outcome=events.ALLOWED, request=request, actor=actor, target=user)
        # Robust: with the task queue down the account is still created (the error is logged); the
        # person can ask for a password-reset link from the sign-in page.
        transaction.on_commit(lambda: send_password_email.delay(user.pk, purpose="invitation"), robust=True)
    return user


def set_user_active(user: User, *, actor: User, active: bool, request: HttpRequest) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    _require_manager(actor)
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=active, session_generation=F("session_generation") + 1)
        action = "user.reactivated" if active else "user.deactivated"
        events.emit(action, outcome=events.ALLOWED, request=request, actor=actor, target=user)


def unlock_account(user: User, *, actor: User, request: HttpRequest) -> None:
    """Lift a lock-out on ``user``'s account (and reset its count of failures)."""
    _require_manager(actor)
    with transaction.atomic():
        was_locked = lockout.clear_account(user.email)
        events.emit(
            "auth.unlocked", outcome=events.ALLOWED, request=request, actor=actor, target=user, was_locked=was_locked
        )


def grant_partnership_role(
    user: User, *, actor: User, partnership: Partnership, role: str, request: HttpRequest
) -> PartnershipRole:
    """Give ``user`` a role in ``partnership``."""
    _require_manager(actor)
    with transaction.atomic():
        if PartnershipRole.objects.current().filter(user=user, partnership=partnership, role=role).exists():
            raise ValidationError({"role": "This person already has that role in that partnership"})
        grant = PartnershipRole.objects.create(user=user, partnership=partnership, role=role, granted_by=actor)
        events.emit(
            "role.granted",
            outcome=events.ALLOWED,
            request=request,
            actor=actor,
            target=user,
            partnership_id=partnership.pk,
            role=role,
        )
    return grant


def set_national_oversight(user: User, *, actor: User, granted: bool, request: HttpRequest) -> None:
    """Give or remove national oversight: the learning page across every partnership's reviews."""
    _require_manager(actor)
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, national_oversight=not granted).update(national_oversight=granted)
        if not updated:
            raise ValidationError(
                "This person already has national oversight" if granted else "This person has no national oversight"
            )
        action = "national_oversight.granted" if granted else "national_oversight.removed"
        events.emit(action, outcome=events.ALLOWED, request=request, actor=actor, target=user)


def revoke_partnership_role(grant: PartnershipRole, *, actor: User, request: HttpRequest) -> None:
    """End a partnership role at once."""
    _require_manager(actor)
    with transaction.atomic():
        updated = (
            PartnershipRole.objects.current().filter(pk=grant.pk).update(revoked_at=timezone.now(), revoked_by=actor)
        )
        if not updated:
            raise ValidationError("That role has already been removed")
        events.emit(
            "role.revoked",
            outcome=events.ALLOWED,
            request=request,
            actor=actor,
            target=grant.user,
            partnership_id=grant.partnership_id,
            role=grant.role,
        )


def add_agency_membership(
    user: User, *, actor: User, agency: Agency, job_title: str, request: HttpRequest
) -> AgencyMembership:
    """Record that ``user`` works for ``agency``."""
    _require_manager(actor)
    with transaction.atomic():
        if AgencyMembership.objects.filter(user=user, agency=agency, ended_at__isnull=True).exists():
            raise ValidationError({"agency": "This person is already a member of that agency"})
        membership = AgencyMembership.objects.create(user=user, agency=agency, job_title=job_title.strip())
        events.emit(
            "membership.added", outcome=events.ALLOWED, request=request, actor=actor, target=user, agency_id=agency.pk
        )
    return membership


def end_agency_membership(membership: AgencyMembership, *, actor: User, request: HttpRequest) -> None:
    """End a membership at once; the record is kept."""
    _require_manager(actor)
    with transaction.atomic():
        updated = AgencyMembership.objects.filter(pk=membership.pk, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
        if not updated:
            raise ValidationError("That membership has already ended")
        events.emit(
            "membership.ended",
            outcome=events.ALLOWED,
            request=request,
            actor=actor,
            target=membership.user,
            agency_id=membership.agency_id,
        )
