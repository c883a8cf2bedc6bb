"""A partnership's two agencies sharing under a protocol, and helpers to reach each state."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dhr_tracker.accounts.models import Agency
from sharing.models import Classification, LegalBasis, Protocol, Space
from sharing.services import protocols as services
from tests.conftest import Personas


@dataclass
class World:
    personas: Personas
    agency_a: Agency
    agency_b: Agency
    protocol: Protocol

    def sign_all(self) -> Protocol:
        for party in self.protocol.parties.select_related("protocol"):
            services.sign_protocol(party, actor=party.signatory, request=None)
        self.protocol.refresh_from_db()
        return self.protocol

    def space(self) -> Space:
        """An active protocol's space with contributor A (agency A) and B (agency B) as members."""
        if self.protocol.status == "draft":
            self.sign_all()
        p = self.personas
        space = services.create_space(self.protocol, actor=p.coordinator, name="Review 2026-01", request=None)
        services.add_member(
            space, actor=p.coordinator, user_id=p.contributor_a.pk, party_id=self.agency_a.pk, request=None
        )
        services.add_member(
            space, actor=p.coordinator, user_id=p.contributor_b.pk, party_id=self.agency_b.pk, request=None
        )
        return space


def protocol_fields(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "title": "Exampleshire DHR information sharing",
        "purposes": "Domestic homicide reviews",
        "legal_bases": [LegalBasis.DVCVA_2004_S9, LegalBasis.UK_GDPR_6_1_E],
        "legal_basis_other": "",
        "max_classification": Classification.OFFICIAL_SENSITIVE,
        "data_categories": "Health, police and social care records",
        "retention_months": 24,
        "valid_from": today - timedelta(days=1),
        "valid_to": today + timedelta(days=365),
        "review_date": today + timedelta(days=180),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def world(personas: Personas) -> World:
    agency_a = Agency.objects.get(name="Agency A Police")
    agency_b = Agency.objects.get(name="Agency B Health")
    agency_a.partnerships.add(personas.partnership)
    agency_b.partnerships.add(personas.partnership)
    protocol = services.draft_protocol(
        actor=personas.coordinator,
        scope_id=personas.partnership.pk,
        fields=protocol_fields(),
        parties=[
            services.PartyLine(agency_a.pk, personas.contributor_a.pk, "Data Protection Officer"),
            services.PartyLine(agency_b.pk, personas.contributor_b.pk, "Caldicott Guardian"),
        ],
        request=None,
    )
    return World(personas, agency_a, agency_b, protocol)
