"""Two partnerships with reviews commenced either side of the financial years' boundaries, and two
funding streams.

Dates are relative to today, so the boundaries are always in the past: ``last`` is the financial
year before the current one (``this``).

- Exampleshire (``personas.partnership``): ``first`` commenced on 1 April of ``last``, ``second``
  on 31 March of ``last`` (both in ``last``), ``third`` on 1 April of ``this`` (a suspected
  suicide), and ``pending``, notified but not yet decided.
- Otherborough (``personas.other_partnership``, whose CSP chair is ``personas.outsider``):
  ``lone``, the only review it commenced in ``last``.
- ``national``: the Home Office's fund for ``last``, open to every partnership until a month from
  today, up to £20,000 for a partnership commencing at least two reviews in that year, for
  reviews commenced in it.
- ``local``: Exampleshire's police and crime commissioner's fund for ``this``, up to £5,000, no rules.

``space()`` opens a secure space of Exampleshire (a protocol between the council and Agency A)
with the coordinator and the CSP chair as members, acting for the council, for supporting
documents and decision letters.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, Partnership, User
from dhr_tracker.funding.models import FundingStream
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import Criterion, Review
from dhr_tracker.reviews.services import notifications, steps
from sharing.models import Space
from sharing.services import protocols as sharing_services
from tests.conftest import Personas
from tests.factories import AgencyFactory, AgencyMembershipFactory
from tests.reviews.conftest import PERPETRATOR, VICTIM, notification_fields
from tests.sharing.conftest import protocol_fields

POUND = 100


def notify(actor: User, partnership: Partnership, reference: str, notified_on: date, **fields: Any) -> Review:
    """Record a notification, as the partnership's coordinator or chair would."""
    return notifications.record_notification(
        actor=actor,
        partnership_id=partnership.pk,
        fields=notification_fields(
            reference=reference, notified_on=notified_on, died_on=notified_on - timedelta(days=3), **fields
        ),
        place_of_death="1 Real Street, Exampletown EX1 1AA",
        people=[VICTIM, PERPETRATOR],
        not_a_duplicate=True,
        request=None,
    )


def commence(review: Review, *, coordinator: User, chair: User, on: date) -> Review:
    """Scope, brief and decide to review on ``on``: the review's T1."""
    for name in ("start_scoping", "brief_chair"):
        steps.take_step(review, name, actor=coordinator, rationale="", version=None, request=None)
        review.refresh_from_db()
    steps.decide(
        review,
        actor=chair,
        commission=True,
        decided_on=on,
        reasons="The criteria are met.",
        criteria=[Criterion.AGED_16, Criterion.ABUSE, Criterion.RELATIONSHIP],
        partners_consulted="Police, health",
        version=None,
        request=None,
    )
    review.refresh_from_db()
    return review


def commenced(
    partnership: Partnership, reference: str, on: date, *, coordinator: User, chair: User, **fields: Any
) -> Review:
    review = notify(coordinator, partnership, reference, on - timedelta(days=5), **fields)
    return commence(review, coordinator=coordinator, chair=chair, on=on)


@dataclass
class FundingWorld:
    personas: Personas
    this: FinancialYear
    last: FinancialYear
    first: Review
    second: Review
    third: Review
    pending: Review
    lone: Review
    national: FundingStream
    local: FundingStream
    client: Callable[..., Client]

    @property
    def coordinator(self) -> User:
        return self.personas.coordinator

    @property
    def csp_chair(self) -> User:
        return self.personas.csp_chair

    @property
    def partnership(self) -> Partnership:
        return self.personas.partnership

    def space(self) -> Space:
        """A secure space of Exampleshire, the coordinator and the CSP chair members for the council."""
        council = AgencyFactory.create(name="Exampleshire Council", kind="other")
        police = Agency.objects.get(name="Agency A Police")
        for agency in (council, police):
            agency.partnerships.add(self.partnership)
        for user in (self.coordinator, self.csp_chair):
            AgencyMembershipFactory.create(user=user, agency=council, job_title="Community safety")
        protocol = sharing_services.draft_protocol(
            actor=self.coordinator,
            scope_id=self.partnership.pk,
            fields=protocol_fields(),
            parties=[
                sharing_services.PartyLine(council.pk, self.csp_chair.pk, "Director"),
                sharing_services.PartyLine(police.pk, self.personas.contributor_a.pk, "Data Protection Officer"),
            ],
            request=None,
        )
        for party in protocol.parties.all():
            sharing_services.sign_protocol(party, actor=party.signatory, request=None)
        protocol.refresh_from_db()
        space = sharing_services.create_space(
            protocol, actor=self.coordinator, name="Exampleshire funding", request=None
        )
        for user in (self.coordinator, self.csp_chair):
            sharing_services.add_member(
                space, actor=self.coordinator, user_id=user.pk, party_id=council.pk, request=None
            )
        return space


@pytest.fixture
def funding_world(personas: Personas, verified_client: Callable[..., Client]) -> FundingWorld:
    today = timezone.localdate()
    this = FinancialYear.of(today)
    last = this.previous()
    partnership, other = personas.partnership, personas.other_partnership
    ours = {"coordinator": personas.coordinator, "chair": personas.csp_chair}
    first = commenced(partnership, "DHR-A", last.start, **ours)
    second = commenced(partnership, "DHR-B", last.end, **ours)
    third = commenced(partnership, "DHR-C", this.start, death_type="suspected_suicide", **ours)
    pending = notify(personas.coordinator, partnership, "DHR-D", today - timedelta(days=10))
    lone = commenced(
        other, "OTH-1", last.start + timedelta(days=40), coordinator=personas.outsider, chair=personas.outsider
    )
    national = FundingStream.objects.create(
        funder="Home Office",
        name="Domestic Homicide Review fund",
        financial_year=last.start_year,
        total_pot_pence=150_000 * POUND,
        max_award_pence=20_000 * POUND,
        opens_on=last.start,
        closes_on=today + timedelta(days=30),
        criteria="For partnerships commencing more than one review in the year.",
        min_reviews_commenced=2,
        reviews_in_year=True,
        created_by=personas.site_admin,
    )
    local = FundingStream.objects.create(
        partnership=partnership,
        funder="Exampleshire Police and Crime Commissioner",
        name="Review costs contribution",
        financial_year=this.start_year,
        total_pot_pence=20_000 * POUND,
        max_award_pence=5_000 * POUND,
        opens_on=this.start,
        closes_on=today + timedelta(days=60),
        created_by=personas.coordinator,
    )
    return FundingWorld(personas, this, last, first, second, third, pending, lone, national, local, verified_client)
