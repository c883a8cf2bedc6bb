"""Pages for site administrators: people, their roles, memberships, lock-outs and devices.

A site administrator manages accounts and organisations, never review content. Dangerous
changes (roles, national oversight, second factors) need sudo mode.
"""

import contextlib

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dhr_tracker.accounts import services
from dhr_tracker.accounts.access import access_user, can_manage_users
from dhr_tracker.accounts.forms import GrantRoleForm, MembershipForm, NewUserForm, UserSearchForm
from dhr_tracker.accounts.models import (
    AgencyMembership,
    BackupCodeDevice,
    PartnershipRole,
    SignInThrottle,
    TOTPDevice,
    User,
)
from dhr_tracker.accounts.rules import SignedInRequest, sudo_required, verified
from dhr_tracker.forms import posted, render_form, submit

USERS_PER_PAGE = 50


@verified(can_manage_users)
def user_list(request: SignedInRequest) -> HttpResponse:
    search = UserSearchForm(request.GET or None)
    users = User.objects.order_by("full_name", "email")
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if query:
        users = users.filter(Q(full_name__icontains=query) | Q(email__icontains=query))
    page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
    locked = set(
        SignInThrottle.objects.filter(
            scope=SignInThrottle.Scope.ACCOUNT, locked_until__gt=timezone.now(), key__in=[u.email for u in page]
        ).values_list("key", flat=True)
    )
    return render(request, "accounts/manage/user_list.html", {"page": page, "query": query, "locked": locked})


@verified(can_manage_users)
def user_new(request: SignedInRequest) -> HttpResponse:
    form = NewUserForm(posted(request))
    user = submit(form, lambda data: services.create_user(actor=request.user, request=request, **data))
    if user is not None:
        return redirect("accounts:manage_user", user_id=user.pk)
    return render_form(request, "accounts/manage/user_new.html", {"form": form})


@verified(can_manage_users)
def user_detail(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=False)
    lock = SignInThrottle.objects.filter(
        scope=SignInThrottle.Scope.ACCOUNT, key=person.email, locked_until__gt=timezone.now()
    ).first()
    context = {
        "person": person,
        "roles": PartnershipRole.objects.current().filter(user=person).select_related("partnership"),
        "memberships": AgencyMembership.objects.filter(user=person, ended_at__isnull=True).select_related("agency"),
        "lock": lock,
        "has_totp": TOTPDevice.objects.filter(user=person, confirmed=True).exists(),
        "has_backup": BackupCodeDevice.objects.filter(user=person).exists(),
        "role_form": GrantRoleForm(),
        "membership_form": MembershipForm(),
    }
    return render(request, "accounts/manage/user_detail.html", context)


@verified(can_manage_users)
@sudo_required
def grant_role(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    form = GrantRoleForm(posted(request))
    if submit(form, lambda data: services.grant_partnership_role(person, actor=request.user, request=request, **data)):
        return redirect("accounts:manage_user", user_id=person.pk)
    return render_form(request, "accounts/manage/grant_role.html", {"person": person, "form": form})


@verified(can_manage_users)
@sudo_required
@require_POST
def revoke_role(request: SignedInRequest, role_id: int) -> HttpResponse:
    grant = PartnershipRole.objects.current().select_related("user").filter(pk=role_id).first()
    if grant is None:
        raise Http404
    services.revoke_partnership_role(grant, actor=request.user, request=request)
    return redirect("accounts:manage_user", user_id=grant.user_id)


@verified(can_manage_users)
@sudo_required
@require_POST
def set_national_oversight(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    # A second click finds it already done: the page shows it as it is.
    with contextlib.suppress(ValidationError):
        services.set_national_oversight(
            person, actor=request.user, granted=request.POST.get("national_oversight") == "1", request=request
        )
    return redirect("accounts:manage_user", user_id=person.pk)


@verified(can_manage_users)
def add_membership(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    form = MembershipForm(posted(request))
    if submit(form, lambda data: services.add_agency_membership(person, actor=request.user, request=request, **data)):
        return redirect("accounts:manage_user", user_id=person.pk)
    return render_form(request, "accounts/manage/add_membership.html", {"person": person, "form": form})


@verified(can_manage_users)
@require_POST
def end_membership(request: SignedInRequest, membership_id: int) -> HttpResponse:
    membership = AgencyMembership.objects.filter(pk=membership_id, ended_at__isnull=True).select_related("user").first()
    if membership is None:
        raise Http404
    services.end_agency_membership(membership, actor=request.user, request=request)
    return redirect("accounts:manage_user", user_id=membership.user_id)


@verified(can_manage_users)
@require_POST
def unlock(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    services.unlock_account(person, actor=request.user, request=request)
    return redirect("accounts:manage_user", user_id=person.pk)


@verified(can_manage_users)
@sudo_required
def reset_second_factor(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    if request.method == "POST":
        services.reset_second_factor(person, actor=request.user, request=request)
        return redirect("accounts:manage_user", user_id=person.pk)
    return render(request, "accounts/manage/reset_second_factor.html", {"person": person})


@verified(can_manage_users)
@require_POST
def set_active(request: SignedInRequest, user_id: int) -> HttpResponse:
    person = access_user(request.user, user_id, for_write=True)
    try:
        services.set_user_active(person, actor=request.user, active=request.POST.get("active") == "1", request=request)
    except ValidationError:
        return render(request, "accounts/manage/cannot_deactivate_self.html", {"person": person}, status=400)
    return redirect("accounts:manage_user", user_id=person.pk)
