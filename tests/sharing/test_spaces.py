"""Secure spaces: who creates them, who joins, and who sees them."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from dhr_tracker.accounts.models import Agency
from sharing.models import SpaceMember
from sharing.services import protocols as services
from tests.conftest import EventLog
from tests.sharing.conftest import World

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]


def test_coordinator_creates_a_space_and_adds_members_from_the_pages(
    world: World, verified_client: ClientFor, security_events: EventLog
) -> None:
    protocol = world.sign_all()
    client = verified_client(world.personas.coordinator)
    response = client.post(f"/sharing/protocols/{protocol.pk}/spaces/new/", {"name": "Review of the death of Adult A"})
    assert response.status_code == 302
    space_url = response["Location"]
    add = client.post(f"{space_url}members/add/", {"member": f"{world.personas.contributor_a.pk}:{world.agency_a.pk}"})
    assert add.status_code == 302
    page = client.get(space_url)
    assert world.personas.contributor_a.full_name in page.text
    assert "sharing.space_created" in security_events.actions()
    assert "sharing.member_added" in security_events.actions()


def test_members_must_act_for_a_party_they_work_for(world: World) -> None:
    space = world.space()
    p = world.personas
    outsider_agency = Agency.objects.create(name="Agency C Housing", kind="housing")
    with pytest.raises(ValidationError, match="must be a party"):
        services.add_member(
            space, actor=p.coordinator, user_id=p.csp_chair.pk, party_id=outsider_agency.pk, request=None
        )
    with pytest.raises(ValidationError, match="must work for the agency"):
        services.add_member(
            space, actor=p.coordinator, user_id=p.csp_chair.pk, party_id=world.agency_a.pk, request=None
        )
    with pytest.raises(ValidationError, match="already a member"):
        services.add_member(
            space, actor=p.coordinator, user_id=p.contributor_a.pk, party_id=world.agency_a.pk, request=None
        )


def test_only_members_and_managers_see_a_space(world: World, verified_client: ClientFor) -> None:
    space = world.space()
    p = world.personas
    assert verified_client(p.contributor_a).get(f"/sharing/spaces/{space.pk}/").status_code == 200
    assert verified_client(p.coordinator).get(f"/sharing/spaces/{space.pk}/").status_code == 200
    assert verified_client(p.outsider).get(f"/sharing/spaces/{space.pk}/").status_code == 404
    assert verified_client(p.auditor).get(f"/sharing/spaces/{space.pk}/").status_code == 404
    # Members cannot manage the membership.
    assert verified_client(p.contributor_a).get(f"/sharing/spaces/{space.pk}/members/add/").status_code == 403


def test_removed_member_loses_the_space_at_once(world: World, verified_client: ClientFor) -> None:
    space = world.space()
    p = world.personas
    member = SpaceMember.objects.current().get(space=space, user=p.contributor_b)
    client = verified_client(p.coordinator)
    assert client.post(f"/sharing/spaces/{space.pk}/members/{member.pk}/remove/").status_code == 302
    assert verified_client(p.contributor_b).get(f"/sharing/spaces/{space.pk}/").status_code == 404
    member.refresh_from_db()
    assert member.removed_by == p.coordinator
