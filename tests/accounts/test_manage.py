"""Site administrators manage people and roles; nobody else can, and the dangerous needs sudo."""

from typing import Any

import pytest
from django.core import mail

from dhr_tracker.accounts.models import AgencyMembership, PartnershipRole, PartnershipRoleKind, User
from tests.accounts.helpers import current_code

pytestmark = pytest.mark.django_db

MANAGE_PAGES = ["/manage/users/", "/manage/users/new/", "/manage/users/{pk}/"]


@pytest.mark.parametrize("persona", ["csp_chair", "coordinator", "auditor", "contributor_a", "outsider"])
@pytest.mark.parametrize("page", MANAGE_PAGES)
def test_only_site_admins_reach_management_pages(
    personas: Any, verified_client: Any, security_events: Any, persona: str, page: str
) -> None:
    response = verified_client(getattr(personas, persona)).get(page.format(pk=personas.csp_chair.pk))
    assert response.status_code == 403
    assert "You do not have permission" in response.text
    assert security_events.find("access.denied").outcome == "denied"


def test_site_admin_lists_and_searches_users(
    personas: Any, verified_client: Any, django_assert_max_num_queries: Any
) -> None:
    client = verified_client(personas.site_admin)
    with django_assert_max_num_queries(12):
        listing = client.get("/manage/users/")
    assert personas.csp_chair.email in listing.text
    found = client.get("/manage/users/?q=coordinator")
    assert personas.coordinator.email in found.text
    assert personas.csp_chair.email not in found.text


def test_user_list_is_paginated(personas: Any, verified_client: Any) -> None:
    User.objects.bulk_create(User(email=f"bulk{n}@x.example", full_name=f"Zz Bulk {n:03d}") for n in range(60))
    client = verified_client(personas.site_admin)
    first = client.get("/manage/users/")
    assert "Page 1 of 2" in first.text
    second = client.get("/manage/users/?page=2")
    assert "Zz Bulk 059" in second.text


def test_site_admin_adds_a_user_who_is_invited_by_email(
    personas: Any, verified_client: Any, security_events: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = verified_client(personas.site_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/users/new/", {"full_name": "Nia New", "email": "Nia.New@Agency.example"})
    user = User.objects.get(email="nia.new@agency.example")
    assert response["Location"] == f"/manage/users/{user.pk}/"
    assert mail.outbox[-1].to == ["nia.new@agency.example"]
    assert "Choose your password here" in mail.outbox[-1].body
    assert security_events.find("user.created").target_id == str(user.pk)
    duplicate = client.post("/manage/users/new/", {"full_name": "Again", "email": "nia.new@agency.example"})
    assert duplicate.status_code == 400
    assert "An account with this e-mail address already exists" in duplicate.text


def test_granting_a_role_needs_sudo(personas: Any, verified_client: Any) -> None:
    client = verified_client(personas.site_admin)
    url = f"/manage/users/{personas.contributor_a.pk}/roles/"
    response = client.get(url)
    assert response["Location"] == f"/confirm-it-is-you/?next={url.replace('/', '%2F')}"
    page = client.post(response["Location"], {"code": current_code(personas.site_admin), "next": url})
    assert page["Location"] == url
    assert client.get(url).status_code == 200


def test_site_admin_grants_and_revokes_a_role(personas: Any, verified_client: Any, security_events: Any) -> None:
    client = verified_client(personas.site_admin, sudo=True)
    response = client.post(
        f"/manage/users/{personas.contributor_a.pk}/roles/",
        {"partnership": personas.partnership.pk, "role": PartnershipRoleKind.AUDITOR},
    )
    assert response.status_code == 302
    grant = PartnershipRole.objects.current().get(user=personas.contributor_a)
    assert grant.granted_by == personas.site_admin
    assert security_events.find("role.granted").details["role"] == "auditor"
    twice = client.post(
        f"/manage/users/{personas.contributor_a.pk}/roles/",
        {"partnership": personas.partnership.pk, "role": PartnershipRoleKind.AUDITOR},
    )
    assert "already has that role" in twice.text
    assert client.post(f"/manage/roles/{grant.pk}/revoke/").status_code == 302
    assert not PartnershipRole.objects.current().filter(user=personas.contributor_a).exists()
    assert PartnershipRole.objects.filter(user=personas.contributor_a, revoked_by=personas.site_admin).exists()
    assert "role.revoked" in security_events.actions()
    assert client.post(f"/manage/roles/{grant.pk}/revoke/").status_code == 404


def test_role_form_names_missing_choices(personas: Any, verified_client: Any) -> None:
    client = verified_client(personas.site_admin, sudo=True)
    response = client.post(f"/manage/users/{personas.contributor_a.pk}/roles/", {})
    assert response.status_code == 400
    assert "Choose a partnership" in response.text
    assert "Choose a role" in response.text


def test_memberships_are_added_and_ended(personas: Any, verified_client: Any, security_events: Any) -> None:
    client = verified_client(personas.site_admin)
    agency = AgencyMembership.objects.get(user=personas.contributor_b).agency
    client.post(
        f"/manage/users/{personas.contributor_a.pk}/memberships/", {"agency": agency.pk, "job_title": "IMR author"}
    )
    membership = AgencyMembership.objects.get(user=personas.contributor_a, agency=agency)
    assert "membership.added" in security_events.actions()
    client.post(f"/manage/memberships/{membership.pk}/end/")
    membership.refresh_from_db()
    assert membership.ended_at is not None


def test_deactivating_ends_sessions_and_admins_cannot_deactivate_themselves(
    personas: Any, verified_client: Any, security_events: Any
) -> None:
    chair = verified_client(personas.csp_chair)
    admin = verified_client(personas.site_admin)
    admin.post(f"/manage/users/{personas.csp_chair.pk}/active/", {"active": "0"})
    assert chair.get("/").status_code == 302
    assert "user.deactivated" in security_events.actions()
    own = admin.post(f"/manage/users/{personas.site_admin.pk}/active/", {"active": "0"})
    assert own.status_code == 400
    assert User.objects.get(pk=personas.site_admin.pk).is_active


def test_unknown_user_is_not_found(personas: Any, verified_client: Any) -> None:
    assert verified_client(personas.site_admin).get("/manage/users/999999/").status_code == 404


def test_django_admin_is_only_for_site_admins(personas: Any, verified_client: Any) -> None:
    assert verified_client(personas.site_admin).get("/admin/").status_code == 200
    assert verified_client(personas.site_admin).get("/admin/accounts/agency/").status_code == 200
    refused = verified_client(personas.csp_chair).get("/admin/", follow=True)
    assert refused.status_code == 403


def test_admin_changes_to_an_agency_are_audited(personas: Any, verified_client: Any, security_events: Any) -> None:
    agency = AgencyMembership.objects.get(user=personas.contributor_a).agency
    response = verified_client(personas.site_admin).post(
        f"/admin/accounts/agency/{agency.pk}/change/",
        {"name": "Agency A Constabulary", "kind": "police", "partnerships": [personas.partnership.pk]},
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "Agency A Constabulary"
    event = security_events.find("agency.changed")
    assert event.actor_id == personas.site_admin.pk
    assert (event.target_type, event.target_id) == ("accounts.agency", str(agency.pk))
    assert event.details["changed"] == ["name", "partnerships"]


def test_admin_password_change_and_sign_out_use_ours(personas: Any, verified_client: Any, security_events: Any) -> None:
    client = verified_client(personas.site_admin)
    assert client.get("/admin/password_change/")["Location"] == "/account/password/"
    assert client.post("/admin/logout/")["Location"] == "/sign-in/?signed_out=1"
    assert "auth.logout" in security_events.actions()
    assert client.get("/admin/").status_code == 302


def test_dashboard_shows_what_each_role_allows(personas: Any, verified_client: Any) -> None:
    chair = verified_client(personas.csp_chair).get("/").text
    assert "Decide whether to commission reviews" in chair
    contributor = verified_client(personas.contributor_a).get("/").text
    assert "Agency A Police" in contributor
    assert "Decide whether to commission reviews" not in contributor
    admin = verified_client(personas.site_admin).get("/").text
    assert "Manage users, roles and lock-outs" in admin
    assert "This role does not show you any review" in admin
    nobody = verified_client(personas.unverified).get("/").text
    assert "You do not have a role" in nobody
