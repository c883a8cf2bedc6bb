"""A review ready to gather information: its panel formed, its terms of reference approved, and a
contributor for each of agencies A and B; plus helpers that send requests as the coordinator would.

``ChronologyWorld.contributor_a`` acts for Agency A Police, ``contributor_b`` for Agency B Health;
the panel member also works for agency A but is not a contributor, so sees only what the panel sees.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.chronologies.models import AgencyRequest, RequestKind
from dhr_tracker.chronologies.services import requests
from dhr_tracker.reviews.models import ParticipantKind, Review
from dhr_tracker.reviews.services import panel, terms
from sharing.models import ProtocolParty
from tests.factories import AgencyFactory, AgencyMembershipFactory, UserFactory
from tests.reviews.conftest import ReviewWorld, review_world, terms_fields
from tests.reviews.panel_helpers import form_panel

__all__ = ["review_world"]  # a fixture, used by name


@dataclass
class ChronologyWorld:
    reviews: ReviewWorld
    contributor_a: User
    contributor_b: User
    # Further agencies added by ``add_agency``, with their contributors.
    more: dict[str, tuple[Agency, User]] = field(default_factory=dict)

    @property
    def review(self) -> Review:
        return self.reviews.review

    @property
    def agency_a(self) -> Agency:
        return self.reviews.agency_a

    @property
    def agency_b(self) -> Agency:
        return self.reviews.agency_b

    @property
    def coordinator(self) -> User:
        return self.reviews.personas.coordinator

    @property
    def csp_chair(self) -> User:
        return self.reviews.personas.csp_chair

    @property
    def independent_chair(self) -> User:
        return self.reviews.independent_chair

    @property
    def panel_member(self) -> User:
        return self.reviews.panel_member

    @property
    def client(self) -> Callable[..., Client]:
        return self.reviews.client

    def refresh(self) -> Review:
        return self.reviews.refresh()

    def fields(self, **changes: object) -> requests.RequestFields:
        died_on = self.review.died_on
        values: dict[str, object] = {
            "period_start": died_on - timedelta(days=730),
            "period_end": died_on,
            "subjects": ("Adult A", "Adult B"),
            "due_on": timezone.localdate() + timedelta(days=56),
            "instructions": "Secure your records. Give every contact in the period, with pseudonyms only.",
        }
        values.update(changes)
        return requests.RequestFields(**values)  # type: ignore[arg-type]

    def send(self, agency: Agency, kind: str = RequestKind.CHRONOLOGY, **changes: object) -> AgencyRequest:
        """The coordinator sends ``agency`` a request of ``kind``."""
        return requests.send_request(
            self.refresh(),
            actor=self.coordinator,
            agency_id=agency.pk,
            kind=kind,
            fields=self.fields(**changes),
            request=None,
        )

    def add_agency(self, name: str) -> tuple[Agency, User]:
        """A further agency, party to the protocol's partnership, scoped in, with a contributor of its own.

        The protocol's parties are fixed once signed, so the agency joins through a new protocol
        version in real life; here it is added as a party directly, which is what that achieves.
        """
        reviews = self.reviews
        agency = AgencyFactory.create(name=name)
        agency.partnerships.add(reviews.personas.partnership)
        contributor = UserFactory.create(email=f"contributor@{name.lower().replace(' ', '-')}.example")
        AgencyMembershipFactory.create(user=contributor, agency=agency)
        ProtocolParty.objects.create(
            protocol=reviews.protocol,
            party=agency,
            signatory=contributor,
            signatory_role="Data Protection Officer",
            signed_at=timezone.now(),
        )
        panel.scope_agency(self.refresh(), actor=self.coordinator, agency_id=agency.pk, request=None)
        _contribute(reviews, contributor, agency)
        self.more[name] = (agency, contributor)
        return agency, contributor


def _contribute(world: ReviewWorld, user: User, agency: Agency) -> None:
    panel.add_participant(
        world.refresh(),
        actor=world.personas.coordinator,
        user_id=user.pk,
        agency_id=agency.pk,
        kind=ParticipantKind.AGENCY_CONTRIBUTOR,
        role_title="Safeguarding lead",
        seniority="",
        independence_statement="",
        independence_declared_on=None,
        confidentiality_declared_on=timezone.localdate(),
        request=None,
    )


def approve_terms(world: ReviewWorld) -> None:
    review = world.refresh()
    draft = terms.draft_terms(
        review,
        actor=world.personas.coordinator,
        fields=terms_fields(world),
        agency_ids=[world.agency_a.pk, world.agency_b.pk],
        subjects=["Adult A", "Adult B"],
        request=None,
    )
    agreed = terms.record_agreement(draft, actor=world.independent_chair, agreed_on=timezone.localdate(), request=None)
    terms.approve_terms(agreed, actor=world.personas.csp_chair, request=None)


@pytest.fixture
def chronology_world(review_world: ReviewWorld) -> ChronologyWorld:
    form_panel(review_world)
    approve_terms(review_world)
    personas = review_world.personas
    _contribute(review_world, personas.contributor_a, review_world.agency_a)
    _contribute(review_world, personas.contributor_b, review_world.agency_b)
    review_world.refresh()
    return ChronologyWorld(review_world, personas.contributor_a, personas.contributor_b)
