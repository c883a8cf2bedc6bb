"""The independent chair, scoped agencies and the panel, and how they keep the secure space in step."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.reviews import access
from dhr_tracker.reviews.forms.panel import MoneyField
from dhr_tracker.reviews.models import (
    ChairAppointment,
    Meeting,
    Participant,
    ParticipantKind,
    Review,
    ScopedAgency,
    Seniority,
)
from dhr_tracker.reviews.services import STALE_MESSAGE, panel
from sharing import access as sharing_access
from sharing.models import Space, SpaceMember
from sharing.services import protocols as sharing_services
from tests.factories import AgencyFactory, AgencyMembershipFactory, UserFactory
from tests.reviews.conftest import ReviewWorld
from tests.reviews.panel_helpers import CHAIR_DECLARATION, PANEL_DECLARATION, appoint_chair, form_panel
from tests.sharing.conftest import protocol_fields

pytestmark = pytest.mark.django_db

ClientFor = Callable[..., Client]


def today() -> Any:
    return timezone.localdate()


def with_space(world: ReviewWorld) -> Review:
    review = world.in_setup()
    panel.open_space(review, actor=world.personas.coordinator, protocol_id=world.protocol.pk, request=None)
    return world.refresh()


def agency_c(world: ReviewWorld) -> Agency:
    """An agency serving the partnership that is not a party to the protocol."""
    agency: Agency = AgencyFactory.create(name="Agency C Housing", kind="housing")
    agency.partnerships.add(world.personas.partnership)
    return agency


def worker(agency: Agency, name: str) -> User:
    user: User = UserFactory.create(full_name=name)
    AgencyMembershipFactory.create(user=user, agency=agency)
    return user


def add(world: ReviewWorld, user: User, agency: Agency, **overrides: Any) -> Participant:
    fields: dict[str, Any] = {
        "user_id": user.pk,
        "agency_id": agency.pk,
        "kind": ParticipantKind.PANEL_MEMBER,
        "role_title": "Safeguarding lead",
        "seniority": Seniority.SENIOR_MANAGER,
        "independence_statement": PANEL_DECLARATION,
        "independence_declared_on": today(),
        "confidentiality_declared_on": today(),
    }
    fields.update(overrides)
    return panel.add_participant(world.refresh(), actor=world.personas.coordinator, request=None, **fields)


def sees_space(user: User, review: Review) -> bool:
    assert review.space is not None
    return sharing_access.visible_spaces(user).filter(pk=review.space.pk).exists()


def sees_review(user: User, review: Review) -> bool:
    return access.visible_reviews(user).filter(pk=review.pk).exists()


# The secure space ----------------------------------------------------------------------------


def test_coordinator_opens_the_space_on_the_partnerships_protocol(
    review_world: ReviewWorld, security_events: Any
) -> None:
    review = review_world.in_setup()
    space = panel.open_space(
        review, actor=review_world.personas.coordinator, protocol_id=review_world.protocol.pk, request=None
    )
    review = review_world.refresh()
    assert review.space == space
    assert space.protocol == review_world.protocol
    assert space.name == "DHR-2026-01"
    event = security_events.find("reviews.space_opened")
    assert event.details == {"space": space.pk, "protocol": review_world.protocol.pk}


def test_space_cannot_be_opened_before_the_review_is_commissioned(review_world: ReviewWorld) -> None:
    with pytest.raises(ValidationError, match="once the review is commissioned"):
        panel.open_space(
            review_world.review,
            actor=review_world.personas.coordinator,
            protocol_id=review_world.protocol.pk,
            request=None,
        )
    assert review_world.refresh().space is None
    assert not Space.objects.exists()


def test_space_is_opened_once(review_world: ReviewWorld) -> None:
    review = with_space(review_world)
    with pytest.raises(ValidationError, match="already open"):
        panel.open_space(
            review, actor=review_world.personas.coordinator, protocol_id=review_world.protocol.pk, request=None
        )
    assert Space.objects.count() == 1


def test_space_needs_an_active_protocol_of_the_partnership(review_world: ReviewWorld) -> None:
    p = review_world.personas
    review = review_world.in_setup()
    draft = sharing_services.draft_protocol(
        actor=p.coordinator,
        scope_id=p.partnership.pk,
        fields=protocol_fields(title="Not yet signed"),
        parties=[
            sharing_services.PartyLine(review_world.agency_a.pk, p.contributor_a.pk, "Data Protection Officer"),
            sharing_services.PartyLine(review_world.agency_b.pk, p.contributor_b.pk, "Caldicott Guardian"),
        ],
        request=None,
    )
    with pytest.raises(ValidationError) as refused:
        panel.open_space(review, actor=p.coordinator, protocol_id=draft.pk, request=None)
    assert refused.value.message_dict == {
        "protocol": ["Choose an active information-sharing protocol of the partnership"]
    }
    assert review_world.refresh().space is None


def test_only_the_partnership_opens_the_space(review_world: ReviewWorld) -> None:
    review = review_world.in_setup()
    for user in (review_world.personas.outsider, review_world.personas.contributor_a, review_world.panel_member):
        with pytest.raises(PermissionDenied):
            panel.open_space(review, actor=user, protocol_id=review_world.protocol.pk, request=None)
    assert review_world.refresh().space is None


# The independent chair -----------------------------------------------------------------------


def test_appointing_a_chair_records_the_appointment(review_world: ReviewWorld, security_events: Any) -> None:
    with_space(review_world)
    appointment = appoint_chair(review_world)
    assert appointment.chair == review_world.independent_chair
    assert (appointment.fee_pence, appointment.budget_pence) == (450_000, 600_000)
    assert appointment.confirmed_at is None
    event = security_events.find("reviews.chair_appointed")
    assert event.details["chair"] == review_world.independent_chair.pk
    assert event.details["fee_pence"] == 450_000
    # Appointed but not confirmed: the chair does not yet see the review.
    assert not sees_review(review_world.independent_chair, review_world.review)


def test_a_second_chair_waits_for_the_first_to_end(review_world: ReviewWorld) -> None:
    with_space(review_world)
    appoint_chair(review_world)
    with pytest.raises(ValidationError, match="End the current chair's appointment first"):
        appoint_chair(review_world)
    assert ChairAppointment.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"fee_pence": -1}, "fee_pence", "The fee must be £0 or more"),
        ({"budget_pence": -100}, "budget_pence", "The budget must be £0 or more"),
        ({"ends_on_days": -1}, "ends_on", "The end of the appointment must be on or after its start"),
        ({"chair": "outsider"}, "chair", "Choose a chair who works for one of the partnership's agencies"),
    ],
)
def test_bad_appointments_are_refused_naming_the_field(
    review_world: ReviewWorld, overrides: dict[str, Any], field: str, message: str
) -> None:
    review = with_space(review_world)
    fields: dict[str, Any] = {
        "chair_id": review_world.independent_chair.pk,
        "accreditation": "",
        "procurement": "",
        "fee_pence": 0,
        "budget_pence": 0,
        "starts_on": today(),
        "ends_on": today() + timedelta(days=overrides.pop("ends_on_days", 180)),
        "author_id": None,
    }
    if overrides.pop("chair", None):
        fields["chair_id"] = review_world.personas.outsider.pk
    fields.update(overrides)
    with pytest.raises(ValidationError) as refused:
        panel.appoint_chair(
            review, actor=review_world.personas.coordinator, version=review.version, request=None, **fields
        )
    assert refused.value.message_dict == {field: [message]}
    assert not ChairAppointment.objects.exists()


def test_appointment_from_a_stale_page_is_refused(review_world: ReviewWorld) -> None:
    review = with_space(review_world)
    stale = review.version
    panel.scope_agency(
        review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
    )
    with pytest.raises(ValidationError, match="Someone else changed this review"):
        panel.appoint_chair(
            review_world.refresh(),
            actor=review_world.personas.coordinator,
            chair_id=review_world.independent_chair.pk,
            accreditation="",
            procurement="",
            fee_pence=0,
            budget_pence=0,
            starts_on=today(),
            ends_on=None,
            author_id=None,
            version=stale,
            request=None,
        )
    assert not ChairAppointment.objects.exists()


def test_confirmation_needs_the_independence_declaration(review_world: ReviewWorld) -> None:
    with_space(review_world)
    appointment = appoint_chair(review_world)
    with pytest.raises(ValidationError) as refused:
        panel.confirm_chair(appointment, actor=review_world.personas.coordinator, request=None)
    assert refused.value.message_dict == {
        "independence_statement": ["Record the chair's independence declaration before confirming the appointment"]
    }
    appointment.refresh_from_db()
    assert appointment.confirmed_at is None
    assert not Participant.objects.exists()
    assert not SpaceMember.objects.exists()


def test_the_declaration_needs_a_statement_and_the_signature(review_world: ReviewWorld) -> None:
    with_space(review_world)
    appointment = appoint_chair(review_world)
    with pytest.raises(ValidationError) as refused:
        panel.record_independence(
            appointment, actor=review_world.personas.coordinator, statement=" ", confirmed=False, request=None
        )
    assert refused.value.message_dict == {
        "independence_statement": ["Enter the chair's independence declaration"],
        "confirmed": ["Confirm that the chair has signed the declaration"],
    }
    appointment.refresh_from_db()
    assert appointment.declared_at is None


def test_confirming_the_chair_gives_them_the_review_and_the_space(
    review_world: ReviewWorld, security_events: Any
) -> None:
    coordinator = review_world.personas.coordinator
    review = with_space(review_world)
    appointment = appoint_chair(review_world)
    panel.record_independence(appointment, actor=coordinator, statement=CHAIR_DECLARATION, confirmed=True, request=None)
    participant = panel.confirm_chair(appointment, actor=coordinator, request=None)
    assert participant.kind == ParticipantKind.INDEPENDENT_CHAIR
    assert participant.agency == review_world.chairs_agency
    assert participant.space_member is not None
    assert participant.space_member.party_id == review_world.chairs_agency.pk
    assert sees_review(review_world.independent_chair, review)
    assert sees_space(review_world.independent_chair, review)
    assert security_events.find("reviews.chair_declared")
    assert security_events.find("reviews.chair_confirmed").details["agency"] == "Independent Review Chairs Ltd"
    with pytest.raises(ValidationError, match="can no longer be changed"):
        panel.record_independence(appointment, actor=coordinator, statement="Changed", confirmed=True, request=None)


def test_chair_whose_agency_is_not_party_to_the_protocol_is_not_confirmed(review_world: ReviewWorld) -> None:
    coordinator = review_world.personas.coordinator
    review = with_space(review_world)
    outside_chair = worker(agency_c(review_world), "Olive Outside")
    appointment = panel.appoint_chair(
        review,
        actor=coordinator,
        chair_id=outside_chair.pk,
        accreditation="",
        procurement="",
        fee_pence=0,
        budget_pence=0,
        starts_on=today(),
        ends_on=None,
        author_id=None,
        version=None,
        request=None,
    )
    panel.record_independence(appointment, actor=coordinator, statement=CHAIR_DECLARATION, confirmed=True, request=None)
    with pytest.raises(ValidationError, match='protocol "Exampleshire DHR information sharing"'):
        panel.confirm_chair(appointment, actor=coordinator, request=None)
    assert not Participant.objects.exists()
    assert not sees_review(outside_chair, review)


def test_confirmation_needs_the_space(review_world: ReviewWorld) -> None:
    coordinator = review_world.personas.coordinator
    review_world.in_setup()
    appointment = appoint_chair(review_world)
    panel.record_independence(appointment, actor=coordinator, statement=CHAIR_DECLARATION, confirmed=True, request=None)
    with pytest.raises(ValidationError, match="Open the review's secure space first"):
        panel.confirm_chair(appointment, actor=coordinator, request=None)


def test_ending_the_chair_ends_their_role_and_space_membership_at_once(
    review_world: ReviewWorld, security_events: Any
) -> None:
    review = form_panel(review_world)
    chair = review_world.independent_chair
    appointment = ChairAppointment.objects.get(review=review)
    panel.end_chair(appointment, actor=review_world.personas.coordinator, reason="Moved abroad", request=None)
    appointment.refresh_from_db()
    assert appointment.ended_at is not None
    assert not sees_review(chair, review)
    assert not sees_space(chair, review)
    assert not Participant.objects.current().filter(user=chair).exists()
    assert security_events.find("reviews.chair_ended").details["reason"] == "Moved abroad"
    assert security_events.find("sharing.member_removed").details["user"] == chair.pk
    # A new chair can now be appointed.
    assert appoint_chair(review_world).ended_at is None


def test_ending_the_chair_needs_a_reason(review_world: ReviewWorld) -> None:
    review = form_panel(review_world)
    appointment = ChairAppointment.objects.get(review=review)
    with pytest.raises(ValidationError) as refused:
        panel.end_chair(appointment, actor=review_world.personas.coordinator, reason="", request=None)
    assert refused.value.message_dict == {"reason": ["Enter the reason the appointment ends"]}
    assert sees_review(review_world.independent_chair, review)


def test_the_independent_chair_cannot_change_the_chair_or_the_panel(review_world: ReviewWorld) -> None:
    """Sharing lets only the partnership change a space's members, so the chair asks the coordinator."""
    review = form_panel(review_world)
    chair = review_world.independent_chair
    appointment = ChairAppointment.objects.get(review=review)
    with pytest.raises(PermissionDenied):
        panel.end_chair(appointment, actor=chair, reason="Stepping down", request=None)
    with pytest.raises(PermissionDenied):
        panel.scope_agency(review, actor=chair, agency_id=review_world.chairs_agency.pk, request=None)
    with pytest.raises(PermissionDenied):
        panel.remove_participant(
            Participant.objects.get(user=review_world.panel_member), actor=chair, reason="x", request=None
        )
    assert not access.can_manage_panel(chair, review)


# Scoped agencies -----------------------------------------------------------------------------


def test_scoping_an_agency_that_is_a_party(review_world: ReviewWorld, security_events: Any) -> None:
    review = with_space(review_world)
    panel.scope_agency(
        review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
    )
    assert list(ScopedAgency.objects.values_list("agency__name", flat=True)) == ["Agency A Police"]
    assert security_events.find("reviews.agency_scoped").details == {"agency": "Agency A Police"}
    with pytest.raises(ValidationError, match="already scoped"):
        panel.scope_agency(
            review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
        )


def test_agency_not_party_to_the_protocol_is_refused(review_world: ReviewWorld) -> None:
    review = with_space(review_world)
    housing = agency_c(review_world)
    with pytest.raises(ValidationError) as refused:
        panel.scope_agency(review, actor=review_world.personas.coordinator, agency_id=housing.pk, request=None)
    assert refused.value.message_dict == {
        "agency": [
            'Agency C Housing is not a party to the information-sharing protocol "Exampleshire DHR information '
            'sharing" yet. Add it to the protocol before scoping it into this review.'
        ]
    }
    assert not ScopedAgency.objects.exists()


def test_scoping_needs_the_space(review_world: ReviewWorld) -> None:
    review = review_world.in_setup()
    with pytest.raises(ValidationError) as refused:
        panel.scope_agency(
            review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
        )
    assert refused.value.message_dict == {"agency": ["Open the review's secure space first"]}


def test_agency_of_another_partnership_cannot_be_scoped(review_world: ReviewWorld) -> None:
    review = with_space(review_world)
    elsewhere = AgencyFactory.create(name="Otherborough Council")
    elsewhere.partnerships.add(review_world.personas.other_partnership)
    with pytest.raises(ValidationError, match="Choose one of the partnership's agencies"):
        panel.scope_agency(review, actor=review_world.personas.coordinator, agency_id=elsewhere.pk, request=None)


# The panel and contributors ------------------------------------------------------------------


def test_joining_the_panel_adds_the_space_membership(review_world: ReviewWorld, security_events: Any) -> None:
    review = form_panel(review_world)
    member = review_world.panel_member
    participant = Participant.objects.get(review=review, user=member)
    assert participant.kind == ParticipantKind.PANEL_MEMBER
    assert participant.agency == review_world.agency_a
    assert participant.independence_declared_at is not None
    assert participant.confidentiality_declared_at is not None
    assert participant.space_member is not None
    assert participant.space_member.party_id == review_world.agency_a.pk
    assert sees_space(member, review)
    assert sees_review(member, review)
    event = security_events.find("reviews.participant_added")
    assert (event.details["kind"], event.details["agency"]) == ("panel_member", "Agency A Police")


def test_contributors_need_only_the_confidentiality_agreement(review_world: ReviewWorld) -> None:
    review = form_panel(review_world)
    contributor = review_world.personas.contributor_b
    participant = add(
        review_world,
        contributor,
        review_world.agency_b,
        kind=ParticipantKind.AGENCY_CONTRIBUTOR,
        role_title="",
        seniority="",
        independence_statement="",
        independence_declared_on=None,
    )
    assert participant.independence_declared_at is None
    assert sees_space(contributor, review)
    # Contributors reach the review only through their requests, never this page.
    assert not sees_review(contributor, review)
    with pytest.raises(ValidationError) as refused:
        add(
            review_world,
            review_world.personas.contributor_a,
            review_world.agency_a,
            kind=ParticipantKind.AGENCY_CONTRIBUTOR,
            confidentiality_declared_on=None,
        )
    assert refused.value.message_dict == {
        "confidentiality_declared_on": ["Enter the date the confidentiality agreement was signed"]
    }


@pytest.mark.parametrize(
    ("missing", "field", "message"),
    [
        (
            {"confidentiality_declared_on": None},
            "confidentiality_declared_on",
            "Enter the date the confidentiality agreement was signed",
        ),
        (
            {"independence_declared_on": None},
            "independence_declared_on",
            "Enter the date the independence declaration was signed",
        ),
        (
            {"independence_statement": ""},
            "independence_statement",
            "Enter their declaration of independence from the case",
        ),
        (
            {"independence_declared_on_days": 1},
            "independence_declared_on",
            "The date the independence declaration was signed must be today or in the past",
        ),
    ],
)
def test_panel_member_without_a_declaration_is_refused_and_nothing_changes(
    review_world: ReviewWorld, missing: dict[str, Any], field: str, message: str
) -> None:
    review = with_space(review_world)
    panel.scope_agency(
        review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
    )
    version = review_world.refresh().version
    if "independence_declared_on_days" in missing:
        missing = {"independence_declared_on": today() + timedelta(days=missing["independence_declared_on_days"])}
    with pytest.raises(ValidationError) as refused:
        add(review_world, review_world.panel_member, review_world.agency_a, **missing)
    assert refused.value.message_dict == {field: [message]}
    assert not Participant.objects.exists()
    assert not SpaceMember.objects.exists()
    assert review_world.refresh().version == version
    assert not sees_space(review_world.panel_member, review)


def test_only_people_of_scoped_agencies_join(review_world: ReviewWorld) -> None:
    review = with_space(review_world)
    coordinator = review_world.personas.coordinator
    with pytest.raises(ValidationError, match="Choose an agency scoped into this review"):
        add(review_world, review_world.panel_member, review_world.agency_a)
    panel.scope_agency(review, actor=coordinator, agency_id=review_world.agency_a.pk, request=None)
    with pytest.raises(ValidationError) as refused:
        add(review_world, review_world.personas.contributor_b, review_world.agency_a)
    assert refused.value.message_dict == {"user": ["Choose someone who works for Agency A Police"]}
    assert not Participant.objects.exists()


def test_the_same_role_is_held_once(review_world: ReviewWorld) -> None:
    form_panel(review_world)
    with pytest.raises(ValidationError, match="Pat Panel is already a panel member of this review"):
        add(review_world, review_world.panel_member, review_world.agency_a)
    assert Participant.objects.filter(user=review_world.panel_member).count() == 1


def test_leaving_the_panel_removes_the_space_membership_at_once(
    review_world: ReviewWorld, security_events: Any
) -> None:
    review = form_panel(review_world)
    member = review_world.panel_member
    participant = Participant.objects.get(review=review, user=member)
    panel.remove_participant(
        participant, actor=review_world.personas.coordinator, reason="Left the police", request=None
    )
    participant.refresh_from_db()
    assert participant.removed_at is not None
    assert participant.removal_reason == "Left the police"
    assert not sees_space(member, review)
    assert not sees_review(member, review)
    event = security_events.find("reviews.participant_removed")
    assert (event.details["kind"], event.details["agency"]) == ("panel_member", "Agency A Police")
    with pytest.raises(ValidationError, match="already left"):
        panel.remove_participant(participant, actor=review_world.personas.coordinator, reason="Again", request=None)


def test_a_membership_shared_by_two_roles_stays_until_both_end(review_world: ReviewWorld) -> None:
    """Someone on the panel who also contributes for their agency keeps the space while either role lasts."""
    review = form_panel(review_world)
    member = review_world.panel_member
    contributing = add(review_world, member, review_world.agency_a, kind=ParticipantKind.AGENCY_CONTRIBUTOR)
    on_panel = Participant.objects.get(user=member, kind=ParticipantKind.PANEL_MEMBER)
    assert contributing.space_member == on_panel.space_member
    panel.remove_participant(on_panel, actor=review_world.personas.coordinator, reason="Stepped down", request=None)
    assert sees_space(member, review)
    panel.remove_participant(contributing, actor=review_world.personas.coordinator, reason="Done", request=None)
    assert not sees_space(member, review)


def test_the_chair_is_not_removed_as_a_panel_member(review_world: ReviewWorld) -> None:
    review = form_panel(review_world)
    chair = Participant.objects.get(review=review, kind=ParticipantKind.INDEPENDENT_CHAIR)
    with pytest.raises(ValidationError, match="End the chair's appointment instead"):
        panel.remove_participant(chair, actor=review_world.personas.coordinator, reason="x", request=None)


# Money as typed ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "pence"),
    [
        ("4,500.00", 450_000),
        ("£350", 35_000),
        ("12.5", 1_250),
        ("0", 0),
        ("1234567.89", 123_456_789),
        (" 99.09 ", 9_909),
    ],
)
def test_money_is_read_exactly_in_pence(typed: str, pence: int) -> None:
    assert MoneyField(noun="the fee").clean(typed) == pence


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The fee must be £0 or more"),
        ("£-5.00", "The fee must be £0 or more"),
        ("four hundred", "Enter the fee in pounds and pence, for example 4,500.00"),
        ("4,50.00", "Enter the fee in pounds and pence, for example 4,500.00"),
        ("1.234", "Enter the fee in pounds and pence, for example 4,500.00"),
        ("1e3", "Enter the fee in pounds and pence, for example 4,500.00"),
        ("99999999", "The fee must be less than £10,000,000"),
    ],
)
def test_money_that_is_not_pounds_and_pence_is_refused(typed: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        MoneyField(noun="the fee").clean(typed)
    assert refused.value.messages == [message]


# Pages ---------------------------------------------------------------------------------------


def panel_url(review: Review) -> str:
    return reverse("reviews:panel", args=[review.pk])


def change_urls(review: Review) -> list[str]:
    appointment = ChairAppointment.objects.get(review=review)
    participant = Participant.objects.get(review=review, kind=ParticipantKind.PANEL_MEMBER)
    return [
        reverse("reviews:space_open", args=[review.pk]),
        reverse("reviews:chair_appoint", args=[review.pk]),
        reverse("reviews:chair_declare", args=[review.pk, appointment.pk]),
        reverse("reviews:chair_confirm", args=[review.pk, appointment.pk]),
        reverse("reviews:chair_end", args=[review.pk, appointment.pk]),
        reverse("reviews:agency_scope", args=[review.pk]),
        reverse("reviews:participant_add", args=[review.pk]),
        reverse("reviews:participant_remove", args=[review.pk, participant.pk]),
    ]


def test_outsider_auditor_and_contributor_get_404_on_every_panel_url(
    review_world: ReviewWorld, verified_client: ClientFor
) -> None:
    review = form_panel(review_world)
    p = review_world.personas
    add(review_world, p.contributor_b, review_world.agency_b, kind=ParticipantKind.AGENCY_CONTRIBUTOR)
    for user in (p.outsider, p.auditor, p.contributor_a, p.contributor_b, p.site_admin):
        client = verified_client(user)
        for url in [panel_url(review), *change_urls(review)]:
            assert client.get(url).status_code == 404, (user.email, url)
            assert client.post(url, {"reason": "x", "agency": review_world.agency_a.pk}).status_code == 404, (
                user.email,
                url,
            )
    assert Participant.objects.current().count() == 3


def test_panel_member_and_chair_see_the_page_read_only(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    review = form_panel(review_world)
    for user in (review_world.panel_member, review_world.independent_chair):
        client = verified_client(user)
        page = client.get(panel_url(review))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Ivy Independent" in text
        assert "Pat Panel" in text
        for control in (
            "Scope into the review",
            "Remove",
            "Appoint an",
            "End the appointment",
            "Add a panel member",
            'class="govuk-button',
        ):
            assert control not in text, (user.email, control)
        assert "£4,500.00" not in text
        for url in change_urls(review):
            assert client.get(url).status_code == 403, (user.email, url)
            assert client.post(url, {"reason": "x", "agency": review_world.agency_a.pk}).status_code == 403
    assert Participant.objects.current().count() == 2
    assert ChairAppointment.objects.get().ended_at is None


def test_panel_page_shows_the_panel_and_which_agencies_are_not_parties(
    review_world: ReviewWorld, verified_client: ClientFor, django_assert_max_num_queries: Any
) -> None:
    review = form_panel(review_world)
    housing = agency_c(review_world)
    for number in range(6):
        person = worker(review_world.agency_b, f"Bea Member {number}")
        add(review_world, person, review_world.agency_b)
    meeting = Meeting.objects.create(review=review, held_on=today(), recorded_by=review_world.personas.coordinator)
    meeting.attendees.set(Participant.objects.filter(user=review_world.panel_member))
    client = verified_client(review_world.personas.coordinator)
    # Seven panel members and a meeting: the count does not grow with the panel.
    with django_assert_max_num_queries(16):
        page = client.get(panel_url(review))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ivy Independent" in text
    assert "£4,500.00" in text
    assert "£6,000.00" in text
    assert "Confirmed" in text
    assert "Bea Member 5" in text
    assert "Head of public protection" in text
    assert "Senior manager" in text
    assert "Not a party yet" in text
    assert "Cannot be scoped until it is a party to the protocol" in text
    # Only the chairs' agency is a party not yet scoped; agency C, not a party, has no button.
    assert text.count("Scope into the review") == 1
    assert f'name="agency" value="{review_world.chairs_agency.pk}"' in text
    assert f'name="agency" value="{housing.pk}"' not in text
    assert page.context["participants"].get(user=review_world.panel_member).attended == 1
    assert reverse("sharing:space", args=[review.space_id]) in text


def test_opening_the_space_through_the_page(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    review = review_world.in_setup()
    client = verified_client(review_world.personas.coordinator)
    page = client.get(panel_url(review))
    assert reverse("reviews:space_open", args=[review.pk]) in page.content.decode()
    url = reverse("reviews:space_open", args=[review.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"protocol": review_world.protocol.pk})
    assert response.status_code == 302
    assert response["Location"] == panel_url(review)
    assert review_world.refresh().space is not None
    assert client.get(url).status_code == 403


def chair_form(world: ReviewWorld, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": world.refresh().version,
        "chair": world.independent_chair.pk,
        "accreditation": "AAFDA chair training",
        "procurement": "Three quotes",
        "fee_pence": "4,500.00",
        "budget_pence": "£6,000",
        "starts_on": today().isoformat(),
        "ends_on": "",
        "author": "",
    }
    data.update(overrides)
    return data


def test_appointing_declaring_and_confirming_the_chair_through_the_pages(
    review_world: ReviewWorld, verified_client: ClientFor
) -> None:
    review = with_space(review_world)
    client = verified_client(review_world.personas.coordinator)
    url = reverse("reviews:chair_appoint", args=[review.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, chair_form(review_world, fee_pence="lots"))
    assert bad.status_code == 400
    assert "Enter the chair&#x27;s fee in pounds and pence, for example 4,500.00" in bad.content.decode()
    assert client.post(url, chair_form(review_world)).status_code == 302
    appointment = ChairAppointment.objects.get()
    assert (appointment.fee_pence, appointment.budget_pence) == (450_000, 600_000)

    confirm = reverse("reviews:chair_confirm", args=[review.pk, appointment.pk])
    refused = client.post(confirm)
    assert refused.status_code == 400
    assert (
        "Record the chair&#x27;s independence declaration before confirming the appointment" in refused.content.decode()
    )

    declare = reverse("reviews:chair_declare", args=[review.pk, appointment.pk])
    assert "no current or past involvement" in client.get(declare).content.decode()
    unsigned = client.post(declare, {"independence_statement": CHAIR_DECLARATION})
    assert unsigned.status_code == 400
    assert "Confirm that the chair has signed the declaration" in unsigned.content.decode()
    assert client.post(declare, {"independence_statement": CHAIR_DECLARATION, "confirmed": "signed"}).status_code == 302
    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 302
    assert sees_review(review_world.independent_chair, review)
    assert "Confirmed" in client.get(panel_url(review)).content.decode()


def test_appointment_page_refuses_a_stale_version(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    review = with_space(review_world)
    client = verified_client(review_world.personas.coordinator)
    data = chair_form(review_world)
    panel.scope_agency(
        review, actor=review_world.personas.coordinator, agency_id=review_world.agency_a.pk, request=None
    )
    response = client.post(reverse("reviews:chair_appoint", args=[review.pk]), data)
    assert response.status_code == 400
    assert STALE_MESSAGE.replace("'", "&#x27;") in response.content.decode()
    assert not ChairAppointment.objects.exists()


def test_ending_the_chair_through_the_page(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    review = form_panel(review_world)
    appointment = ChairAppointment.objects.get()
    client = verified_client(review_world.personas.coordinator)
    url = reverse("reviews:chair_end", args=[review.pk, appointment.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Conflict of interest found"}).status_code == 302
    assert not sees_space(review_world.independent_chair, review)
    assert client.get(url).status_code == 404


def test_scoping_through_the_page_refuses_an_agency_not_party(
    review_world: ReviewWorld, verified_client: ClientFor
) -> None:
    review = with_space(review_world)
    housing = agency_c(review_world)
    client = verified_client(review_world.personas.coordinator)
    url = reverse("reviews:agency_scope", args=[review.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"agency": housing.pk})
    assert refused.status_code == 400
    assert "Agency C Housing is not a party to the information-sharing protocol" in refused.content.decode()
    assert client.post(url, {"agency": review_world.agency_a.pk}).status_code == 302
    assert ScopedAgency.objects.get().agency == review_world.agency_a


def test_adding_and_removing_a_member_through_the_pages(review_world: ReviewWorld, verified_client: ClientFor) -> None:
    review = form_panel(review_world)
    newcomer = worker(review_world.agency_b, "Nina Newcomer")
    client = verified_client(review_world.personas.coordinator)
    url = reverse("reviews:participant_add", args=[review.pk])
    assert "Nina Newcomer" in client.get(url).content.decode()
    data = {
        "agency": review_world.agency_b.pk,
        "user": newcomer.pk,
        "kind": ParticipantKind.PANEL_MEMBER,
        "role_title": "Named nurse",
        "seniority": Seniority.MANAGER,
        "independence_statement": PANEL_DECLARATION,
        "independence_declared_on": today().isoformat(),
        "confidentiality_declared_on": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Enter the date the confidentiality agreement was signed" in refused.content.decode()
    assert not sees_space(newcomer, review)
    data["confidentiality_declared_on"] = today().isoformat()
    assert client.post(url, data).status_code == 302
    assert sees_space(newcomer, review)

    participant = Participant.objects.get(user=newcomer)
    remove = reverse("reviews:participant_remove", args=[review.pk, participant.pk])
    assert "Nina Newcomer" in client.get(remove).content.decode()
    assert client.post(remove, {"reason": ""}).status_code == 400
    assert client.post(remove, {"reason": "Changed jobs"}).status_code == 302
    assert not sees_space(newcomer, review)
    assert client.get(remove).status_code == 404
