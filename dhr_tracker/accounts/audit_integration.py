"""What the generic audit app needs from this project (see audit/integration.py)."""

from typing import Any

from django.db.models import Q

from dhr_tracker.accounts.models import AgencyMembership, PartnershipRole, PartnershipRoleKind, User
from dhr_tracker.accounts.rules import View, sudo_required, verified

ORGANISATION_MAX = 200


def actor_organisation(user: Any) -> str:
    """The agencies the user currently works for, as a snapshot for the trail."""
    names = AgencyMembership.objects.filter(user=user, ended_at__isnull=True).values_list("agency__name", flat=True)
    return "; ".join(sorted(names))[:ORGANISATION_MAX]


def audited_partnerships(user: Any) -> list[int]:
    """The partnerships whose trail ``user`` may read: those where they are an auditor."""
    if not (user.is_authenticated and user.is_active):
        return []
    return list(
        PartnershipRole.objects.current()
        .filter(user=user, role=PartnershipRoleKind.AUDITOR)
        .values_list("partnership_id", flat=True)
    )


def is_auditor(user: Any) -> bool:
    return bool(audited_partnerships(user))


def event_scope(user: Any) -> Q | None:
    """The events ``user`` may read, or ``None`` if they are not an auditor.

    An auditor of a partnership sees that partnership's events, and the partnership-less
    events (sign-ins, account changes) of the people who work in it: holders of its roles and
    members of its agencies.
    """
    partnerships = audited_partnerships(user)
    if not partnerships:
        return None
    people = (
        User.objects.filter(
            Q(partnership_roles__partnership__in=partnerships)
            | Q(agency_memberships__agency__partnerships__in=partnerships)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    ids = list(people)
    return Q(partnership_id__in=partnerships) | Q(partnership_id__isnull=True) & (
        Q(actor_id__in=ids) | Q(target_type="accounts.user", target_id__in=[str(pk) for pk in ids])
    )


def auditor_view(view: View) -> View:
    return verified(is_auditor)(view)


def fresh_second_factor(view: View) -> View:
    return sudo_required(view)
