"""What the generic sharing app needs from this project (see sharing/integration.py).

Parties are agencies and scopes are partnerships: a partnership's CSP chairs and coordinators
draft its protocols and run its spaces, and people act for the agencies they work for.
"""

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from dhr_tracker.accounts.models import Agency, AgencyMembership, PartnershipRole, PartnershipRoleKind
from dhr_tracker.accounts.rules import SUDO_SESSION_KEY, View, sudo_required, verified

MANAGING_ROLES = (PartnershipRoleKind.CSP_CHAIR, PartnershipRoleKind.CSP_COORDINATOR)


def parties_of(user: Any) -> set[int]:
    if not (user.is_authenticated and user.is_active):
        return set()
    return set(AgencyMembership.objects.filter(user=user, ended_at__isnull=True).values_list("agency_id", flat=True))


def managed_scopes(user: Any) -> set[int]:
    if not (user.is_authenticated and user.is_active):
        return set()
    roles = PartnershipRole.objects.current().filter(user=user, role__in=MANAGING_ROLES)
    return set(roles.values_list("partnership_id", flat=True))


def manages_scope(user: Any, scope_id: int) -> bool:
    return scope_id in managed_scopes(user)


def party_choices(scope_id: int) -> list[tuple[int, str]]:
    return list(Agency.objects.filter(partnerships=scope_id).order_by("name").values_list("pk", "name"))


def people_of_party(party_id: int) -> list[tuple[int, str]]:
    memberships = (
        AgencyMembership.objects.filter(agency_id=party_id, ended_at__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name")
    )
    return [(m.user_id, f"{m.user.full_name} ({m.user.email})") for m in memberships]


def signed_in_view(view: View) -> View:
    return verified()(view)


def fresh_second_factor(view: View) -> View:
    return sudo_required(view)


def second_factor_at(request: HttpRequest) -> float | None:
    # Set at sign-in and at every sudo prompt: the last time this session proved a code.
    proved_at = request.session.get(SUDO_SESSION_KEY)
    return proved_at if isinstance(proved_at, float) else None


def ask_second_factor(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('accounts:sudo')}?{urlencode({'next': request.get_full_path()})}")
