"""Who may do what with users, partnerships and agencies.

Predicates ``can_<verb>(user, ...)`` answer for templates and services; fetchers
``access_<model>(user, pk, *, for_write)`` return the object or raise. Deny by default.
"""

from typing import Any

from django.http import Http404

from dhr_tracker.accounts.models import PARTNERSHIP_ROLE_DUTIES, PartnershipRoleKind, User


def is_verified_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_verified())


def can_manage_users(user: Any) -> bool:
    """Site administrators manage accounts, roles and agencies (never review content)."""
    if not is_verified_user(user):
        return False
    return bool(user.is_site_admin)


def access_user(actor: Any, user_id: int, *, for_write: bool) -> User:
    """Return the user ``user_id`` if ``actor`` may manage users; otherwise 404."""
    if not can_manage_users(actor):
        raise Http404
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def partnership_roles(user: Any) -> list[tuple[str, str, str]]:
    """Return ``(role, partnership name, what the role allows)`` for each current role of ``user``."""
    if not user.is_authenticated:
        return []
    return [
        (PartnershipRoleKind(role).label, name, PARTNERSHIP_ROLE_DUTIES[PartnershipRoleKind(role)])
        for role, name in user.partnership_roles.current()
        .order_by("partnership__name", "role")
        .values_list("role", "partnership__name")
    ]
