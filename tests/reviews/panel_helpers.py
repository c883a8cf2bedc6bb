"""A review set up with its secure space, a confirmed independent chair and a panel, for any test."""

from django.utils import timezone

from dhr_tracker.reviews.models import ChairAppointment, ParticipantKind, Review, Seniority
from dhr_tracker.reviews.services import panel
from tests.reviews.conftest import ReviewWorld

CHAIR_DECLARATION = "I have no current or past involvement with the agencies or the people in this review."
PANEL_DECLARATION = "I was not involved in the case and do not manage anyone who was."


def appoint_chair(world: ReviewWorld) -> ChairAppointment:
    """The coordinator appoints ``world.independent_chair``, not yet declared or confirmed."""
    return panel.appoint_chair(
        world.refresh(),
        actor=world.personas.coordinator,
        chair_id=world.independent_chair.pk,
        accreditation="AAFDA chair training, 2024",
        procurement="Three quotes sought; the lowest met the specification",
        fee_pence=450_000,
        budget_pence=600_000,
        starts_on=timezone.localdate(),
        ends_on=None,
        author_id=None,
        version=None,
        request=None,
    )


def form_panel(world: ReviewWorld) -> Review:
    """Open the space on ``world.protocol``, confirm the chair, scope agencies A and B, add the panel member for A."""
    coordinator = world.personas.coordinator
    review = world.in_setup()
    panel.open_space(review, actor=coordinator, protocol_id=world.protocol.pk, request=None)
    appointment = appoint_chair(world)
    panel.record_independence(appointment, actor=coordinator, statement=CHAIR_DECLARATION, confirmed=True, request=None)
    panel.confirm_chair(appointment, actor=coordinator, request=None)
    review = world.refresh()
    for agency in (world.agency_a, world.agency_b):
        panel.scope_agency(review, actor=coordinator, agency_id=agency.pk, request=None)
    panel.add_participant(
        review,
        actor=coordinator,
        user_id=world.panel_member.pk,
        agency_id=world.agency_a.pk,
        kind=ParticipantKind.PANEL_MEMBER,
        role_title="Head of public protection",
        seniority=Seniority.SENIOR_MANAGER,
        independence_statement=PANEL_DECLARATION,
        independence_declared_on=timezone.localdate(),
        confidentiality_declared_on=timezone.localdate(),
        request=None,
    )
    return world.refresh()
