"""Drafting, signing, suspending, withdrawing and expiring protocols, and who may do each."""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from sharing.models import Protocol, ProtocolStatus
from sharing.services import protocols as services
from tests.conftest import EventLog
from tests.sharing.conftest import World, protocol_fields

pytestmark = pytest.mark.django_db
ClientFor = Callable[..., Client]


def form_data(world: World, **overrides: Any) -> dict[str, Any]:
    fields = protocol_fields()
    data: dict[str, Any] = {
        **{k: v for k, v in fields.items() if k != "legal_bases"},
        "legal_bases": fields["legal_bases"],
        "parties-TOTAL_FORMS": "3",
        "parties-INITIAL_FORMS": "0",
        "parties-0-party": world.agency_a.pk,
        "parties-0-signatory": world.personas.contributor_a.pk,
        "parties-0-signatory_role": "Data Protection Officer",
        "parties-1-party": world.agency_b.pk,
        "parties-1-signatory": world.personas.contributor_b.pk,
        "parties-1-signatory_role": "Caldicott Guardian",
    }
    data.update(overrides)
    return data


def test_coordinator_drafts_a_protocol_from_the_page(
    world: World, verified_client: ClientFor, security_events: EventLog
) -> None:
    client = verified_client(world.personas.coordinator)
    assert client.get("/sharing/protocols/new/").status_code == 200
    response = client.post("/sharing/protocols/new/", form_data(world, title="Second protocol"))
    assert response.status_code == 302
    protocol = Protocol.objects.get(title="Second protocol")
    assert protocol.status == ProtocolStatus.DRAFT
    assert sorted(protocol.parties.values_list("signatory_role", flat=True)) == [
        "Caldicott Guardian",
        "Data Protection Officer",
    ]
    event = security_events.find("sharing.protocol_drafted")
    assert (event.target_id, event.partnership_id) == (str(protocol.pk), world.personas.partnership.pk)


def test_a_protocol_needs_two_parties_and_an_explained_other_basis(world: World, verified_client: ClientFor) -> None:
    client = verified_client(world.personas.coordinator)
    one_party = form_data(world, **{"parties-1-party": "", "parties-1-signatory": "", "parties-1-signatory_role": ""})
    response = client.post("/sharing/protocols/new/", one_party)
    assert response.status_code == 400
    assert "A protocol needs at least two parties" in response.text
    response = client.post("/sharing/protocols/new/", form_data(world, legal_bases=["other"]))
    assert response.status_code == 400
    assert "Describe the other legal basis" in response.text
    assert Protocol.objects.count() == 1


def test_signatory_must_work_for_the_agency_they_sign_for(world: World) -> None:
    p = world.personas
    with pytest.raises(ValidationError, match="must work for the agency"):
        services.draft_protocol(
            actor=p.coordinator,
            scope_id=p.partnership.pk,
            fields=protocol_fields(),
            parties=[
                services.PartyLine(world.agency_a.pk, p.contributor_b.pk, "DPO"),
                services.PartyLine(world.agency_b.pk, p.contributor_b.pk, "DPO"),
            ],
            request=None,
        )


def test_outsiders_neither_see_nor_draft_another_partnerships_protocols(
    world: World, verified_client: ClientFor
) -> None:
    client = verified_client(world.personas.outsider)
    assert client.get(f"/sharing/protocols/{world.protocol.pk}/").status_code == 404
    assert world.protocol.title not in client.get("/sharing/protocols/").text
    with pytest.raises(PermissionDenied):
        services.draft_protocol(
            actor=world.personas.outsider,
            scope_id=world.personas.partnership.pk,
            fields=protocol_fields(),
            parties=[],
            request=None,
        )


def test_two_people_editing_the_same_draft_cannot_overwrite_each_other(
    world: World, verified_client: ClientFor, security_events: EventLog
) -> None:
    """Both open the edit page; the first save wins and the second is refused, losing nothing of the first."""
    url = f"/sharing/protocols/{world.protocol.pk}/edit/"
    edit = partial(form_data, world, **{"parties-INITIAL_FORMS": "2"})
    chair, coordinator = verified_client(world.personas.csp_chair), verified_client(world.personas.coordinator)
    seen = {'name="revision" value="0"' in client.get(url).text for client in (chair, coordinator)}
    assert seen == {True}

    assert chair.post(url, edit(title="Protocol as the chair saved it", revision="0")).status_code == 302
    refused = coordinator.post(url, edit(purposes="The coordinator's purposes", revision="0"))

    assert refused.status_code == 400
    assert "Someone else saved this protocol while you were editing it" in refused.text
    world.protocol.refresh_from_db()
    assert (world.protocol.title, world.protocol.revision) == ("Protocol as the chair saved it", 1)
    assert world.protocol.purposes == protocol_fields()["purposes"]
    assert security_events.actions().count("sharing.protocol_updated") == 1
    reopened = coordinator.get(url).text
    assert 'name="revision" value="1"' in reopened
    saved = coordinator.post(url, edit(purposes="The coordinator's purposes", revision="1"))
    assert saved.status_code == 302
    world.protocol.refresh_from_db()
    assert world.protocol.purposes == "The coordinator's purposes"


def test_parties_members_read_the_protocol_but_cannot_edit_it(world: World, verified_client: ClientFor) -> None:
    client = verified_client(world.personas.contributor_a)
    assert client.get(f"/sharing/protocols/{world.protocol.pk}/").status_code == 200
    assert client.get(f"/sharing/protocols/{world.protocol.pk}/edit/").status_code == 403


def test_signing_needs_sudo_mode_and_the_signatory(world: World, verified_client: ClientFor) -> None:
    party_a, party_b = list(world.protocol.parties.order_by("pk"))
    url = f"/sharing/protocols/{world.protocol.pk}/sign/{party_a.pk}/"
    response = verified_client(world.personas.contributor_a).post(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/confirm-it-is-you/?next=")
    party_a.refresh_from_db()
    assert party_a.signed_at is None
    other = f"/sharing/protocols/{world.protocol.pk}/sign/{party_b.pk}/"
    assert verified_client(world.personas.contributor_a, sudo=True).post(other).status_code == 403


def test_protocol_becomes_active_when_every_party_has_signed(
    world: World, verified_client: ClientFor, security_events: EventLog
) -> None:
    party_a, party_b = list(world.protocol.parties.order_by("pk"))
    client_a = verified_client(world.personas.contributor_a, sudo=True)
    assert client_a.post(f"/sharing/protocols/{world.protocol.pk}/sign/{party_a.pk}/").status_code == 302
    world.protocol.refresh_from_db()
    assert world.protocol.status == ProtocolStatus.DRAFT
    # Once anyone has signed, the text is fixed.
    assert (
        verified_client(world.personas.coordinator).get(f"/sharing/protocols/{world.protocol.pk}/edit/").status_code
        == 403
    )
    client_b = verified_client(world.personas.contributor_b, sudo=True)
    assert client_b.post(f"/sharing/protocols/{world.protocol.pk}/sign/{party_b.pk}/").status_code == 302
    world.protocol.refresh_from_db()
    assert world.protocol.status == ProtocolStatus.ACTIVE
    assert world.protocol.in_force()
    assert security_events.actions().count("sharing.protocol_signed") == 2
    assert "sharing.protocol_activated" in security_events.actions()


def test_suspend_reinstate_withdraw_and_redraft(
    world: World, verified_client: ClientFor, security_events: EventLog
) -> None:
    protocol = world.sign_all()
    client = verified_client(world.personas.coordinator, sudo=True)
    response = client.post(f"/sharing/protocols/{protocol.pk}/suspend/", {"reason": ""})
    assert response.status_code == 400
    assert "Enter the reason" in response.text
    client.post(f"/sharing/protocols/{protocol.pk}/suspend/", {"reason": "Data breach under investigation"})
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.SUSPENDED
    assert not protocol.in_force()
    client.post(f"/sharing/protocols/{protocol.pk}/reinstate/")
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.ACTIVE
    client.post(f"/sharing/protocols/{protocol.pk}/withdraw/", {"reason": "Replaced"})
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.WITHDRAWN
    response = client.post(f"/sharing/protocols/{protocol.pk}/new-version/")
    draft = Protocol.objects.get(previous=protocol)
    assert response["Location"] == f"/sharing/protocols/{draft.pk}/edit/"
    assert (draft.version, draft.status) == (2, ProtocolStatus.DRAFT)
    assert draft.parties.count() == 2
    assert not draft.parties.filter(signed_at__isnull=False).exists()
    for action in ("suspended", "reinstated", "withdrawn"):
        assert f"sharing.protocol_{action}" in security_events.actions()


def test_contributors_cannot_suspend(world: World, verified_client: ClientFor) -> None:
    protocol = world.sign_all()
    client = verified_client(world.personas.contributor_a, sudo=True)
    assert client.post(f"/sharing/protocols/{protocol.pk}/suspend/", {"reason": "x"}).status_code == 403
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.ACTIVE


def test_protocols_past_their_end_expire(world: World, security_events: EventLog) -> None:
    protocol = world.sign_all()
    assert services.expire_protocols(today=protocol.valid_to) == 0
    assert services.expire_protocols(today=protocol.valid_to + timedelta(days=1)) == 1
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.EXPIRED
    assert "sharing.protocol_expired" in security_events.actions()


def test_register_warns_of_protocols_ending_soon(world: World, verified_client: ClientFor) -> None:
    protocol = world.sign_all()
    Protocol.objects.filter(pk=protocol.pk).update(valid_to=timezone.localdate() + timedelta(days=20))
    page = verified_client(world.personas.coordinator).get("/sharing/protocols/")
    assert page.status_code == 200
    assert "Ends soon" in page.text


def test_draft_page_and_register_do_not_query_per_row(
    world: World, verified_client: ClientFor, django_assert_max_num_queries: Any
) -> None:
    client = verified_client(world.personas.coordinator)
    active = world.sign_all()
    for _ in range(3):
        services.redraft_protocol(active, actor=world.personas.coordinator, request=None)
    with django_assert_max_num_queries(15):
        assert client.get("/sharing/protocols/new/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get("/sharing/protocols/").status_code == 200
