"""Family, friends and colleagues: sealed details, the contact log, the draft report dates, the
audited reveal in sudo mode, and who may see and change what."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews.models import Consent, FamilyContact, FamilyMember, Participant, ParticipantKind, Review
from dhr_tracker.reviews.services import STALE_MESSAGE
from dhr_tracker.reviews.services import family as services
from tests.conftest import EventLog
from tests.reviews.conftest import ReviewWorld

pytestmark = pytest.mark.django_db

Clients = Callable[..., Client]
REAL_NAME = "Jane Family"
CONTACT_DETAILS = "07700 900123, 3 Family Lane"
SUMMARY = "Jane Family talked about the last weekend before the death"
TOMORROW = timezone.localdate() + timedelta(days=1)


@pytest.fixture
def world(review_world: ReviewWorld) -> ReviewWorld:
    """The review with its independent chair and a panel member from agency A."""
    coordinator = review_world.personas.coordinator
    for user, kind, agency in (
        (review_world.independent_chair, ParticipantKind.INDEPENDENT_CHAIR, review_world.chairs_agency),
        (review_world.panel_member, ParticipantKind.PANEL_MEMBER, review_world.agency_a),
    ):
        Participant.objects.create(
            review=review_world.review, user=user, kind=kind, agency=agency, added_by=coordinator
        )
    return review_world


def details(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "pseudonym": "Sister S",
        "name": REAL_NAME,
        "relationship": "Sister",
        "contact_details": CONTACT_DETAILS,
        "advocate": "AAFDA",
        "consent": Consent.GIVEN,
        "consent_on": timezone.localdate() - timedelta(days=3),
        "preferred_contact": "advocate",
    }
    fields.update(overrides)
    return fields


def add(world: ReviewWorld, **overrides: Any) -> FamilyMember:
    return services.add_family_member(
        world.review, actor=world.personas.coordinator, request=None, **details(**overrides)
    )


def posted(**fields: Any) -> dict[str, str]:
    """The form data a browser sends for these fields."""
    return {name: "" if value is None else str(value) for name, value in fields.items()}


def member_url(name: str, member: FamilyMember) -> str:
    return reverse(f"reviews:{name}", args=[member.review_id, member.pk])


def audit_text(security_events: EventLog) -> str:
    return str([(event.target_label, event.details_json) for event in security_events.rows()])


def test_coordinator_adds_a_family_member_whose_name_is_sealed(
    world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    client = verified_client(world.personas.coordinator)
    url = reverse("reviews:family_add", args=[world.review.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, posted(**details()))
    member = FamilyMember.objects.get(review=world.review)
    assert response.status_code == 302
    assert response["Location"] == member_url("family_member", member)
    assert (member.pseudonym, member.relationship, member.consent) == ("Sister S", "Sister", Consent.GIVEN)
    assert member.unseal("name") == REAL_NAME
    assert member.unseal("contact_details") == CONTACT_DETAILS
    assert "Jane" not in member.name_enc + member.contact_details_enc
    assert member.name_index
    event = security_events.find("reviews.family_added")
    assert event.details == {"review": world.review.reference, "pseudonym": "Sister S", "consent": "given"}
    assert REAL_NAME not in audit_text(security_events)
    assert "07700" not in audit_text(security_events)


def test_independent_chair_adds_a_family_member(world: ReviewWorld) -> None:
    member = services.add_family_member(
        world.review, actor=world.independent_chair, request=None, **details(pseudonym="Friend F")
    )
    assert member.added_by == world.independent_chair


def test_family_pages_show_pseudonyms_never_real_details(
    world: ReviewWorld, verified_client: Clients, django_assert_max_num_queries: Any
) -> None:
    member = add(world)
    services.log_contact(
        member,
        actor=world.personas.coordinator,
        contacted_on=timezone.localdate(),
        method="phone",
        summary=SUMMARY,
        request=None,
    )
    for index in range(3):
        add(world, pseudonym=f"Colleague {index}", name=f"Colleague Realname {index}")
    for user in (world.personas.coordinator, world.panel_member):
        client = verified_client(user)
        with django_assert_max_num_queries(12):
            listing = client.get(reverse("reviews:family", args=[world.review.pk]))
        page = client.get(member_url("family_member", member))
        for response in (listing, page):
            assert response.status_code == 200
            assert "Sister S" in response.text
            assert REAL_NAME not in response.text
            assert "Realname" not in response.text
            assert "07700" not in response.text
            assert "last weekend" not in response.text
        assert "Colleague 2" in listing.text
        assert "Telephone" in page.text


def test_pseudonym_is_unique_in_the_review_among_family_and_people(world: ReviewWorld) -> None:
    add(world)
    version = world.refresh().version
    for taken in ("sister s", "Adult A"):
        with pytest.raises(ValidationError) as refused:
            add(world, pseudonym=taken)
        assert refused.value.message_dict == {"pseudonym": ["Someone else in this review has this pseudonym"]}
    assert FamilyMember.objects.count() == 1
    assert world.refresh().version == version


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_on": None}, "consent_on", "Enter the date they gave, declined or withdrew consent"),
        ({"consent": "withdrawn", "consent_on": None}, "consent_on", "Enter the date they gave"),
        ({"consent_on": TOMORROW}, "consent_on", "must be today or in the past"),
        ({"pseudonym": " "}, "pseudonym", "Enter the agreed pseudonym"),
        ({"name": ""}, "name", "Enter their full name"),
        ({"relationship": ""}, "relationship", "Enter their relationship"),
        ({"consent": "maybe"}, "consent", "Select whether they consent"),
    ],
)
def test_bad_details_are_refused_naming_the_field(
    world: ReviewWorld, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add(world, **overrides)
    assert message in refused.value.message_dict[field][0]
    assert not FamilyMember.objects.exists()


def test_consent_date_is_dropped_when_not_asked(world: ReviewWorld) -> None:
    member = add(world, consent=Consent.NOT_ASKED)
    assert member.consent_on is None


def test_bad_details_on_the_page_show_the_error_and_save_nothing(world: ReviewWorld, verified_client: Clients) -> None:
    client = verified_client(world.personas.coordinator)
    future = timezone.localdate() + timedelta(days=1)
    response = client.post(reverse("reviews:family_add", args=[world.review.pk]), posted(**details(consent_on=future)))
    assert response.status_code == 400
    assert "The date of consent must be today or in the past" in response.text
    assert not FamilyMember.objects.exists()


def edit_data(world: ReviewWorld, **overrides: Any) -> dict[str, str]:
    fields = details(name="", contact_details="", version=world.refresh().version)
    fields.update(overrides)
    return posted(**fields)


def test_editing_keeps_sealed_details_unless_replaced(
    world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    member = add(world)
    client = verified_client(world.personas.coordinator)
    page = client.get(member_url("family_edit", member))
    assert page.status_code == 200
    assert REAL_NAME not in page.text
    assert "07700" not in page.text
    response = client.post(member_url("family_edit", member), edit_data(world, relationship="Older sister"))
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.relationship, member.unseal("name"), member.unseal("contact_details")) == (
        "Older sister",
        REAL_NAME,
        CONTACT_DETAILS,
    )
    assert security_events.find("reviews.family_changed").details["fields"] == ["relationship"]
    client.post(member_url("family_edit", member), edit_data(world, relationship="Older sister", name="Jane Newname"))
    member.refresh_from_db()
    assert member.unseal("name") == "Jane Newname"
    assert security_events.find("reviews.family_changed").details["fields"] == ["name"]
    assert "Newname" not in audit_text(security_events)


def test_edit_based_on_a_stale_version_is_refused(world: ReviewWorld, verified_client: Clients) -> None:
    member = add(world)
    stale = edit_data(world, relationship="Cousin")
    services.update_family_member(
        member,
        actor=world.personas.csp_chair,
        name=None,
        contact_details=None,
        version=world.refresh().version,
        request=None,
        **{**{k: v for k, v in details().items() if k not in ("name", "contact_details")}, "advocate": "Local service"},
    )
    response = verified_client(world.personas.coordinator).post(member_url("family_edit", member), stale)
    assert response.status_code == 400
    assert STALE_MESSAGE.split(",")[0] in response.text
    member.refresh_from_db()
    assert (member.relationship, member.advocate) == ("Sister", "Local service")


def test_contact_is_logged_with_a_sealed_summary(
    world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    member = add(world)
    client = verified_client(world.independent_chair)
    url = member_url("family_contact_add", member)
    assert client.get(url).status_code == 200
    today = timezone.localdate()
    response = client.post(url, posted(contacted_on=today, method="in_person", summary=SUMMARY))
    assert response.status_code == 302
    contact = FamilyContact.objects.get(member=member)
    assert (contact.contacted_on, contact.method, contact.summary) == (today, "in_person", SUMMARY)
    assert "weekend" not in contact.summary_enc
    event = security_events.find("reviews.family_contacted")
    assert event.details["pseudonym"] == "Sister S"
    assert "weekend" not in audit_text(security_events)
    assert REAL_NAME not in audit_text(security_events)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contacted_on": TOMORROW}, "The date of contact must be today or in the past"),
        ({"summary": " "}, "Enter a summary of the contact"),
        ({"method": "pigeon"}, "Select how they were contacted"),
    ],
)
def test_bad_contact_is_refused(world: ReviewWorld, fields: dict[str, Any], message: str) -> None:
    member = add(world)
    given: dict[str, Any] = {"contacted_on": timezone.localdate(), "method": "phone", "summary": SUMMARY, **fields}
    with pytest.raises(ValidationError, match=message):
        services.log_contact(member, actor=world.personas.coordinator, request=None, **given)
    assert not FamilyContact.objects.exists()


def test_draft_report_shared_then_returned(
    world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    member = add(world)
    client = verified_client(world.personas.coordinator)
    url = member_url("family_draft", member)
    today = timezone.localdate()
    assert client.get(url).status_code == 200
    early = client.post(url, {"step": "returned", "returned_on": today.isoformat()})
    assert early.status_code == 400
    assert "Record the date the draft was shared before the date it came back" in early.text
    assert (
        client.post(url, {"step": "shared", "shared_on": (today - timedelta(days=10)).isoformat()}).status_code == 302
    )
    before = client.post(url, {"step": "returned", "returned_on": (today - timedelta(days=11)).isoformat()})
    assert before.status_code == 400
    assert "must be on or after the date it was shared" in before.text
    assert client.post(url, {"step": "returned", "returned_on": today.isoformat()}).status_code == 302
    member.refresh_from_db()
    assert (member.draft_shared_on, member.draft_returned_on) == (today - timedelta(days=10), today)
    assert (
        security_events.find("reviews.family_draft_shared").details["shared_on"]
        == (today - timedelta(days=10)).isoformat()
    )
    assert security_events.find("reviews.family_draft_returned").details["returned_on"] == today.isoformat()


def test_draft_dates_cannot_be_in_the_future_or_out_of_order(world: ReviewWorld) -> None:
    member = add(world)
    coordinator, today = world.personas.coordinator, timezone.localdate()
    with pytest.raises(ValidationError, match="shared must be today or in the past"):
        services.record_draft_shared(member, actor=coordinator, shared_on=today + timedelta(days=1), request=None)
    services.record_draft_shared(member, actor=coordinator, shared_on=today - timedelta(days=5), request=None)
    with pytest.raises(ValidationError, match="returned must be today or in the past"):
        services.record_draft_returned(member, actor=coordinator, returned_on=today + timedelta(days=1), request=None)
    services.record_draft_returned(member, actor=coordinator, returned_on=today - timedelta(days=2), request=None)
    with pytest.raises(ValidationError) as refused:
        services.record_draft_shared(member, actor=coordinator, shared_on=today - timedelta(days=1), request=None)
    assert "shared_on" in refused.value.message_dict
    member.refresh_from_db()
    assert (member.draft_shared_on, member.draft_returned_on) == (today - timedelta(days=5), today - timedelta(days=2))


def test_reveal_needs_sudo_mode_and_is_audited(
    world: ReviewWorld, verified_client: Clients, security_events: EventLog
) -> None:
    member = add(world)
    services.log_contact(
        member,
        actor=world.personas.coordinator,
        contacted_on=timezone.localdate(),
        method="phone",
        summary=SUMMARY,
        request=None,
    )
    url = member_url("family_reveal", member)
    without = verified_client(world.personas.coordinator).get(url)
    assert without.status_code == 302
    assert without["Location"].startswith(reverse("accounts:sudo"))
    assert "reviews.family_revealed" not in security_events.actions()
    for user in (world.personas.coordinator, world.independent_chair):
        page = verified_client(user, sudo=True).get(url)
        assert page.status_code == 200
        assert REAL_NAME in page.text
        assert "07700 900123" in page.text
        assert "last weekend before the death" in page.text
    event = security_events.find("reviews.family_revealed")
    assert (event.target_id, event.target_label) == (str(member.pk), "Sister S")
    assert REAL_NAME not in audit_text(security_events)


def test_panel_member_reads_but_changes_and_reveals_nothing(world: ReviewWorld, verified_client: Clients) -> None:
    member = add(world)
    client = verified_client(world.panel_member, sudo=True)
    for url in (reverse("reviews:family", args=[world.review.pk]), member_url("family_member", member)):
        assert client.get(url).status_code == 200
    urls = [
        reverse("reviews:family_add", args=[world.review.pk]),
        member_url("family_edit", member),
        member_url("family_contact_add", member),
        member_url("family_draft", member),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, posted(**details())).status_code == 403, url
    assert client.get(member_url("family_reveal", member)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.reveal_family_member(member, actor=world.panel_member, request=None)
    with pytest.raises(PermissionDenied):
        services.add_family_member(world.review, actor=world.panel_member, request=None, **details(pseudonym="P"))
    assert FamilyMember.objects.count() == 1


def test_outsiders_auditors_and_contributors_get_404_everywhere(world: ReviewWorld, verified_client: Clients) -> None:
    member = add(world)
    p = world.personas
    urls = [
        reverse("reviews:family", args=[world.review.pk]),
        reverse("reviews:family_add", args=[world.review.pk]),
        *(
            member_url(name, member)
            for name in ("family_member", "family_edit", "family_reveal", "family_contact_add", "family_draft")
        ),
    ]
    users: list[User] = [p.outsider, p.auditor, p.contributor_a, p.site_admin]
    for user in users:
        client = verified_client(user, sudo=True)
        for url in urls:
            assert client.get(url).status_code == 404, (user.email, url)
            assert client.post(url, posted(**details())).status_code == 404, (user.email, url)
    assert FamilyMember.objects.count() == 1


def test_a_member_of_another_review_is_not_found_through_this_one(world: ReviewWorld, verified_client: Clients) -> None:
    member = add(world)
    other = Review.objects.create(
        partnership=world.personas.partnership,
        reference="DHR-2026-99",
        notified_on=world.review.notified_on,
        notifier_kind="police",
        notifier_name="Police",
        died_on=world.review.died_on,
        death_type="homicide",
        relationship="partner",
        created_by=world.personas.coordinator,
    )
    client = verified_client(world.personas.coordinator, sudo=True)
    assert client.get(reverse("reviews:family_reveal", args=[other.pk, member.pk])).status_code == 404
