"""A partnership with a notified review, its agencies under an active protocol, and the
review-level personas: an independent chair and a panel member.

``ReviewWorld`` advances the review through services, step by step, as the people would.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.reviews.models import Criterion, PersonRole, Review
from dhr_tracker.reviews.services import notifications, steps
from dhr_tracker.reviews.services.notifications import PersonLine
from sharing.models import Protocol
from sharing.services import protocols as sharing_services
from tests.conftest import Personas
from tests.factories import AgencyFactory, AgencyMembershipFactory, UserFactory
from tests.sharing.conftest import protocol_fields


def notification_fields(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "reference": "DHR-2026-01",
        "notified_on": today - timedelta(days=20),
        "notifier_kind": "police",
        "notifier_name": "Agency A Police, major crime team",
        "died_on": today - timedelta(days=25),
        "death_type": "homicide",
        "coroner_involved": True,
        "relationship": "partner",
        "relationship_detail": "",
        "police_force": "Exampleshire Police",
        "senior_investigating_officer": "DCI Example",
        "criminal_status": "charged",
        "other_partnerships": "",
    }
    fields.update(overrides)
    return fields


VICTIM = PersonLine(
    PersonRole.VICTIM, "Adult A", "Jane Realname", date(1980, 5, 17), "1 Real Street, Exampletown EX1 1AA"
)
PERPETRATOR = PersonLine(
    PersonRole.PERPETRATOR, "Adult B", "John Realname", date(1978, 2, 1), "1 Real Street, Exampletown EX1 1AA"
)


def terms_fields(world: "ReviewWorld", **changes: Any) -> dict[str, Any]:
    """The content of a version as the services take it."""
    died_on = world.review.died_on
    values: dict[str, Any] = {
        "period_start": died_on - timedelta(days=730),
        "period_end": died_on,
        "period_start_reason": "Adult A and Adult B met then.\nThe first call to the police followed soon after.",
        "lines_of_enquiry": "Risk assessment (DASH, MARAC)\nCoercive control and economic abuse",
        "equality_and_diversity": "The protected characteristics of Adult A.",
        "family_involvement": "Adult A's sister, through her AAFDA advocate.",
        "perpetrator_involvement": "Adult B will be invited after the trial.",
        "parallel_processes": "Criminal trial; liaison with the SIO.",
        "method": "IMRs and a combined chronology.",
        "timetable": "Six months from commissioning.",
    }
    values.update(changes)
    return values


@dataclass
class ReviewWorld:
    personas: Personas
    agency_a: Agency
    agency_b: Agency
    chairs_agency: Agency
    protocol: Protocol
    independent_chair: User
    panel_member: User
    review: Review
    # Signs a person in with a verified second factor (the verified_client fixture).
    client: Callable[..., Client]

    def refresh(self) -> Review:
        self.review = Review.objects.get(pk=self.review.pk)
        return self.review

    def decide(self, *, commission: bool = True, on: date | None = None) -> Review:
        """The CSP chair decides (one day after notification unless ``on``)."""
        review = self.refresh()
        steps.take_step(
            review, "start_scoping", actor=self.personas.coordinator, rationale="", version=None, request=None
        )
        steps.take_step(
            review, "brief_chair", actor=self.personas.coordinator, rationale="", version=None, request=None
        )
        steps.decide(
            review,
            actor=self.personas.csp_chair,
            commission=commission,
            decided_on=on or review.notified_on + timedelta(days=1),
            reasons="The criteria are met and agencies knew the family.",
            criteria=[Criterion.AGED_16, Criterion.ABUSE, Criterion.RELATIONSHIP] if commission else [],
            partners_consulted="Police, health, adult social care",
            version=None,
            request=None,
        )
        return self.refresh()

    def tell_home_office(self) -> Review:
        review = self.refresh()
        assert review.decided_on is not None
        steps.record_home_office(
            review,
            actor=self.personas.coordinator,
            told_on=review.decided_on,
            method="E-mail to the Home Office DHR mailbox",
            response="",
            version=None,
            request=None,
        )
        return self.refresh()

    def in_setup(self) -> Review:
        """Commissioned, the Home Office told, and setting up."""
        self.decide()
        self.tell_home_office()
        steps.take_step(
            self.review, "begin_setup", actor=self.personas.coordinator, rationale="", version=None, request=None
        )
        return self.refresh()


@pytest.fixture
def review_world(personas: Personas, verified_client: Callable[..., Client]) -> ReviewWorld:
    agency_a = Agency.objects.get(name="Agency A Police")
    agency_b = Agency.objects.get(name="Agency B Health")
    chairs = AgencyFactory.create(name="Independent Review Chairs Ltd", kind="other")
    for agency in (agency_a, agency_b, chairs):
        agency.partnerships.add(personas.partnership)
    independent_chair = UserFactory.create(email="chair@independent.example", full_name="Ivy Independent")
    AgencyMembershipFactory.create(user=independent_chair, agency=chairs, job_title="Independent chair")
    panel_member = UserFactory.create(email="panel@agency-a.example", full_name="Pat Panel")
    AgencyMembershipFactory.create(user=panel_member, agency=agency_a, job_title="Head of public protection")
    protocol = sharing_services.draft_protocol(
        actor=personas.coordinator,
        scope_id=personas.partnership.pk,
        fields=protocol_fields(),
        parties=[
            sharing_services.PartyLine(agency_a.pk, personas.contributor_a.pk, "Data Protection Officer"),
            sharing_services.PartyLine(agency_b.pk, personas.contributor_b.pk, "Caldicott Guardian"),
            sharing_services.PartyLine(chairs.pk, independent_chair.pk, "Director"),
        ],
        request=None,
    )
    for party in protocol.parties.all():
        sharing_services.sign_protocol(party, actor=party.signatory, request=None)
    protocol.refresh_from_db()
    review = notifications.record_notification(
        actor=personas.coordinator,
        partnership_id=personas.partnership.pk,
        fields=notification_fields(),
        place_of_death="1 Real Street, Exampletown EX1 1AA",
        people=[VICTIM, PERPETRATOR],
        not_a_duplicate=False,
        request=None,
    )
    return ReviewWorld(
        personas, agency_a, agency_b, chairs, protocol, independent_chair, panel_member, review, verified_client
    )
