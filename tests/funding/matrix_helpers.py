"""The world of the funding access matrix: the two partnerships of ``funding_world`` with one of
everything each, and an Exampleshire review with an independent chair and a panel member.

- Exampleshire: its local fund, an empty draft to it (submitting it is refused: nothing is asked
  for), a submitted and an approved application to the national fund, a cost and a contribution
  on the ledger of ``first``; ``panel``, a review set up with its chair and panel
  (``form_panel``), and ``pending``, which has not commenced and so has no ledger.
- Otherborough: a fund of its own, an empty draft to the national fund, a cost and a
  contribution on the ledger of ``lone``.

Everything is made through the services, but the streams, which ``funding_world`` also puts in
place directly.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.funding.models import CostCategory, CostKind, FundingStream, PartnerKind
from dhr_tracker.funding.services import applications as application_services
from dhr_tracker.funding.services import ledger as ledger_services
from sharing.models import Document, DocumentVersion
from tests.funding.conftest import POUND, FundingWorld
from tests.funding.test_applications import decide, submitted
from tests.funding.test_ledger import add_contribution, add_cost
from tests.reports.matrix_helpers import rows_of
from tests.reviews.conftest import ReviewWorld
from tests.reviews.panel_helpers import form_panel


@dataclass
class Matrix:
    """The people by role, and the URL parameters of each object, by the object's name."""

    users: dict[str, User]
    objects: dict[str, dict[str, Any]]


def _otherborough(world: FundingWorld) -> dict[str, dict[str, Any]]:
    """Otherborough's fund, draft, cost and contribution, made by its CSP chair."""
    outsider, other = world.personas.outsider, world.personas.other_partnership
    today = timezone.localdate()
    stream = FundingStream.objects.create(
        partnership=other,
        funder="Otherborough Police and Crime Commissioner",
        name="Review support",
        financial_year=world.this.start_year,
        total_pot_pence=10_000 * POUND,
        max_award_pence=2_000 * POUND,
        opens_on=world.this.start,
        closes_on=today + timedelta(days=60),
        created_by=outsider,
    )
    draft = application_services.create_application(
        world.national, actor=outsider, partnership_id=other.pk, request=None
    )
    cost = ledger_services.add_cost(
        world.lone,
        actor=outsider,
        kind=CostKind.COMMITMENT,
        category=CostCategory.VENUE,
        description="Panel meetings",
        supplier="Otherborough Town Hall",
        on=today,
        amount_pence=300 * POUND,
        against_id=None,
        request=None,
    )
    contribution = ledger_services.add_contribution(
        world.lone,
        actor=outsider,
        partner_kind=PartnerKind.PARTNERSHIP,
        partner_name="",
        amount_pence=300 * POUND,
        agreed_on=today,
        received_pence=0,
        received_on=None,
        note="",
        request=None,
    )
    return {
        "other_stream": {"stream_id": stream.pk},
        "other_draft": {"application_id": draft.pk},
        "lone": {"review_id": world.lone.pk},
        "other_cost": {"entry_id": cost.pk},
        "other_contribution": {"contribution_id": contribution.pk},
        "otherborough": {"partnership_id": other.pk},
    }


def build(world: FundingWorld, panel: ReviewWorld) -> Matrix:
    """One of everything of each partnership, and the people, by role."""
    panel_review = form_panel(panel)
    space = world.space()
    draft = application_services.create_application(
        world.local, actor=world.coordinator, partnership_id=world.partnership.pk, request=None
    )
    awaiting = submitted(world)
    approved = decide(world, submitted(world), space)
    personas = world.personas
    users = {
        "csp_chair": personas.csp_chair,
        "coordinator": personas.coordinator,
        "independent_chair": panel.independent_chair,
        "panel_member": panel.panel_member,
        "contributor_a": personas.contributor_a,
        "contributor_b": personas.contributor_b,
        "auditor": personas.auditor,
        "site_admin": personas.site_admin,
        "outsider": personas.outsider,
    }
    objects = {
        "local": {"stream_id": world.local.pk},
        "national": {"stream_id": world.national.pk},
        "draft": {"application_id": draft.pk},
        "submitted": {"application_id": awaiting.pk},
        "approved": {"application_id": approved.pk},
        "first": {"review_id": world.first.pk},
        "panel": {"review_id": panel_review.pk},
        "pending": {"review_id": world.pending.pk},
        "cost": {"entry_id": add_cost(world, world.first).pk},
        "contribution": {"contribution_id": add_contribution(world, world.first).pk},
        "exampleshire": {"partnership_id": world.partnership.pk},
        **_otherborough(world),
    }
    return Matrix(users=users, objects=objects)


def snapshot() -> dict[str, Any]:
    """Every row of every funding model (their many-to-many tables too) and of the secure spaces' documents."""
    return rows_of([*apps.get_app_config("funding").get_models(include_auto_created=True), Document, DocumentVersion])
