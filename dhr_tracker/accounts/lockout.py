"""Lock-out after repeated failed passwords or codes, per account and per client address.

An account (keyed by the e-mail typed, whether or not it exists) locks after
``LOCKOUT_ACCOUNT_FAILURES`` failures within ``LOCKOUT_WINDOW_MINUTES``; an address after
``LOCKOUT_ADDRESS_FAILURES``. A lock lasts ``LOCKOUT_MINUTES`` or until a site administrator
lifts it. Success clears the account's counter but never the address's, so one working account
cannot be used to reset the address limit while guessing at others.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dhr_tracker.accounts.models import SignInThrottle, normalise_email

Scope = SignInThrottle.Scope


@dataclass(frozen=True)
class Lock:
    scope: str
    until: datetime


def locked(email: str, ip: str) -> Lock | None:
    """Return the lock that applies to this e-mail or address now, if any."""
    now = timezone.now()
    rows = SignInThrottle.objects.filter(locked_until__gt=now).filter(
        Q(scope=Scope.ACCOUNT, key=normalise_email(email)) | Q(scope=Scope.ADDRESS, key=ip)
    )
    row = rows.order_by("-locked_until").first()
    return Lock(row.scope, row.locked_until) if row and row.locked_until else None


def register_failure(email: str, ip: str) -> Lock | None:
    """Count a failed password or code; return the lock it caused, if it caused one."""
    limits = (
        (Scope.ACCOUNT, normalise_email(email), settings.LOCKOUT_ACCOUNT_FAILURES),
        (Scope.ADDRESS, ip, settings.LOCKOUT_ADDRESS_FAILURES),
    )
    now = timezone.now()
    window = timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES)
    caused = None
    with transaction.atomic():
        for scope, key, limit in limits:
            if not key:
                continue
            row, _ = SignInThrottle.objects.select_for_update().get_or_create(scope=scope, key=key)
            if row.window_started_at < now - window or (row.locked_until and row.locked_until <= now):
                row.failures = 0
                row.window_started_at = now
                row.locked_until = None
            row.failures += 1
            if row.failures >= limit and not row.locked_until:
                row.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
                caused = Lock(scope, row.locked_until)
            row.save()
    return caused


def clear_account(email: str) -> bool:
    """Reset an account's counter and lock; return whether it had been locked."""
    now = timezone.now()
    key = normalise_email(email)
    was_locked = SignInThrottle.objects.filter(scope=Scope.ACCOUNT, key=key, locked_until__gt=now).exists()
    SignInThrottle.objects.filter(scope=Scope.ACCOUNT, key=key).delete()
    return was_locked
