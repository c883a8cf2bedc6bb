"""Terms of reference: drafted, changed while a draft, agreed by the panel, approved by the CSP
chair, superseded by later versions, and downloaded as Word and PDF with pseudonyms only."""

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from pypdf import PdfReader

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews import exports
from dhr_tracker.reviews.lifecycle import Fact
from dhr_tracker.reviews.models import (
    Participant,
    ParticipantKind,
    PersonRole,
    ScopedAgency,
    TermsOfReference,
    TermsStatus,
)
from dhr_tracker.reviews.services import STALE_MESSAGE, notifications, steps
from dhr_tracker.reviews.services import terms as services
from dhr_tracker.reviews.services.notifications import PersonLine
from tests.conftest import EventLog
from tests.reviews.conftest import ReviewWorld
from tests.reviews.conftest import terms_fields as fields

pytestmark = pytest.mark.django_db

REAL_NAMES = ("Jane Realname", "John Realname")
HEADINGS = (
    "Period under review",
    "Why the period starts then",
    "Subjects of the review",
    "Agencies",
    "Key lines of enquiry",
    "Equality and diversity",
    "Involvement of family, friends and colleagues",
    "Involvement of the perpetrator",
    "Parallel processes",
    "Method",
    "Timetable",
)


@pytest.fixture
def world(review_world: ReviewWorld) -> ReviewWorld:
    """A review in set-up with agencies A and B scoped, a confirmed independent chair and a panel member."""
    review_world.in_setup()
    coordinator = review_world.personas.coordinator
    for agency in (review_world.agency_a, review_world.agency_b):
        ScopedAgency.objects.create(review=review_world.review, agency=agency, added_by=coordinator)
    Participant.objects.create(
        review=review_world.review,
        user=review_world.independent_chair,
        kind=ParticipantKind.INDEPENDENT_CHAIR,
        agency=review_world.chairs_agency,
        added_by=coordinator,
    )
    Participant.objects.create(
        review=review_world.review,
        user=review_world.panel_member,
        kind=ParticipantKind.PANEL_MEMBER,
        agency=review_world.agency_a,
        added_by=coordinator,
    )
    return review_world


def client_for(world: ReviewWorld, user: User) -> Client:
    return world.client(user)


def url(name: str, world: ReviewWorld, *args: object) -> str:
    return reverse(f"reviews:{name}", args=[world.review.pk, *args])


def form_data(world: ReviewWorld, **changes: Any) -> dict[str, Any]:
    """The same content as the form posts it."""
    data: dict[str, Any] = {
        name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in fields(world).items()
    }
    data |= {"subjects": ["Adult A", "Adult B"], "agencies": [world.agency_a.pk]}
    data.update(changes)
    return data


def drafted(world: ReviewWorld, **changes: Any) -> TermsOfReference:
    return services.draft_terms(
        world.refresh(),
        actor=world.personas.coordinator,
        fields=fields(world, **changes),
        agency_ids=[world.agency_a.pk],
        subjects=["Adult A", "Adult B"],
        request=None,
    )


def agreed(world: ReviewWorld, terms: TermsOfReference) -> TermsOfReference:
    return services.record_agreement(terms, actor=world.independent_chair, agreed_on=timezone.localdate(), request=None)


def approved(world: ReviewWorld, **changes: Any) -> TermsOfReference:
    terms = agreed(world, drafted(world, **changes))
    return services.approve_terms(terms, actor=world.personas.csp_chair, request=None)


def snapshot(terms: TermsOfReference) -> dict[str, Any]:
    row = TermsOfReference.objects.get(pk=terms.pk)
    return {
        **{name: getattr(row, name) for name in services.TERMS_FIELDS},
        "status": row.status,
        "subjects": row.subjects,
        "agencies": sorted(row.agencies.values_list("pk", flat=True)),
    }


# The whole path ---------------------------------------------------------------------------------


def test_terms_are_drafted_changed_agreed_approved_and_superseded_by_a_new_version(
    world: ReviewWorld, security_events: EventLog
) -> None:
    coordinator = client_for(world, world.personas.coordinator)
    chair = client_for(world, world.independent_chair)
    csp_chair = client_for(world, world.personas.csp_chair)
    assert "There are no terms of reference yet" in coordinator.get(url("terms", world)).text

    response = coordinator.post(url("terms_new", world), form_data(world))
    first = TermsOfReference.objects.get(review=world.review)
    assert response.status_code == 302
    assert response["Location"] == url("terms_detail", world, first.pk)
    assert (first.version, first.status, first.subjects) == (1, TermsStatus.DRAFT, ["Adult A", "Adult B"])
    assert list(first.agencies.all()) == [world.agency_a]
    assert security_events.find("reviews.terms_drafted").details == {"review": "DHR-2026-01", "version": 1}

    edit = url("terms_edit", world, first.pk)
    assert coordinator.get(edit).status_code == 200
    changed = form_data(world, lines_of_enquiry="Information sharing", version=world.refresh().version)
    assert coordinator.post(edit, changed).status_code == 302
    assert TermsOfReference.objects.get(pk=first.pk).lines_of_enquiry == "Information sharing"
    assert security_events.find("reviews.terms_changed").details["fields"] == ["lines_of_enquiry"]

    today = timezone.localdate().isoformat()
    assert chair.get(url("terms_agree", world, first.pk)).status_code == 200
    assert chair.post(url("terms_agree", world, first.pk), {"agreed_on": today}).status_code == 302
    first.refresh_from_db()
    assert (first.status, first.agreed_on, first.agreed_recorded_by) == (
        TermsStatus.AGREED,
        timezone.localdate(),
        world.independent_chair,
    )
    assert security_events.find("reviews.terms_agreed").details["agreed_on"] == today
    assert Fact.TERMS_APPROVED not in steps.facts_of(world.refresh())

    assert csp_chair.get(url("terms_approve", world, first.pk)).status_code == 200
    assert csp_chair.post(url("terms_approve", world, first.pk)).status_code == 302
    first.refresh_from_db()
    assert (first.status, first.approved_by) == (TermsStatus.APPROVED, world.personas.csp_chair)
    assert Fact.TERMS_APPROVED in steps.facts_of(world.refresh())
    assert "approved on" in coordinator.get(url("terms", world)).text

    response = coordinator.post(url("terms_new_version", world, first.pk))
    second = TermsOfReference.objects.get(review=world.review, version=2)
    assert response["Location"] == url("terms_edit", world, second.pk)
    assert {**snapshot(second), "status": "-"} == {**snapshot(first), "status": "-"}
    assert second.status == TermsStatus.DRAFT
    assert security_events.find("reviews.terms_drafted").details["copied_from"] == 1

    changed = form_data(world, timetable="Eight months.", version=world.refresh().version)
    assert coordinator.post(url("terms_edit", world, second.pk), changed).status_code == 302
    assert coordinator.post(url("terms_agree", world, second.pk), {"agreed_on": today}).status_code == 302
    assert csp_chair.post(url("terms_approve", world, second.pk)).status_code == 302

    statuses = dict(TermsOfReference.objects.filter(review=world.review).values_list("version", "status"))
    assert statuses == {1: TermsStatus.SUPERSEDED, 2: TermsStatus.APPROVED}
    assert security_events.find("reviews.terms_approved").details["superseded"] == [1]
    assert Fact.TERMS_APPROVED in steps.facts_of(world.refresh())


def test_a_new_version_is_only_started_from_the_latest_once_the_draft_is_agreed(world: ReviewWorld) -> None:
    first = agreed(world, drafted(world))
    second = services.new_terms_version(first, actor=world.personas.coordinator, request=None)

    with pytest.raises(ValidationError, match="Version 2 is still a draft"):
        services.new_terms_version(second, actor=world.personas.coordinator, request=None)
    with pytest.raises(ValidationError, match="Version 2 is still a draft"):
        drafted(world)
    agreed(world, second)
    with pytest.raises(ValidationError, match="Start the new version from the latest one, version 2"):
        services.new_terms_version(first, actor=world.personas.coordinator, request=None)
    assert TermsOfReference.objects.filter(review=world.review).count() == 2


def test_approving_a_version_supersedes_an_earlier_one_agreed_but_never_approved(world: ReviewWorld) -> None:
    first = agreed(world, drafted(world))
    second = agreed(world, services.new_terms_version(first, actor=world.personas.coordinator, request=None))

    services.approve_terms(second, actor=world.personas.csp_chair, request=None)

    first.refresh_from_db()
    assert first.status == TermsStatus.SUPERSEDED


def test_new_draft_page_leads_to_the_existing_draft(world: ReviewWorld) -> None:
    draft = drafted(world)
    coordinator = client_for(world, world.personas.coordinator)

    response = coordinator.get(url("terms_new", world))

    assert response["Location"] == url("terms_edit", world, draft.pk)


# Frozen versions and bad input ------------------------------------------------------------------


@pytest.mark.parametrize("approve", [False, True])
def test_agreed_and_approved_versions_cannot_be_changed(world: ReviewWorld, approve: bool) -> None:
    terms = agreed(world, drafted(world))
    if approve:
        terms = services.approve_terms(terms, actor=world.personas.csp_chair, request=None)
    before = snapshot(terms)
    coordinator = client_for(world, world.personas.coordinator)

    with pytest.raises(ValidationError, match=f"Version 1 is {terms.get_status_display().lower()}"):
        services.update_terms(
            terms,
            actor=world.personas.coordinator,
            fields=fields(world, method="Changed"),
            agency_ids=[],
            subjects=["Adult A"],
            version=world.refresh().version,
            request=None,
        )
    edit = url("terms_edit", world, terms.pk)
    response = coordinator.post(edit, form_data(world, method="Changed", version=world.refresh().version))

    assert response.status_code == 409
    assert "so it can no longer be changed" in response.text
    assert coordinator.get(edit).status_code == 409
    assert snapshot(terms) == before


Changes = Callable[[date, date], dict[str, Any]]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            lambda died_on, today: {"period_end": (died_on - timedelta(days=800)).isoformat()},
            "period_end",
            "The end of the period under review must be after its start",
        ),
        (
            lambda died_on, today: {"period_end": (died_on + timedelta(days=1)).isoformat()},
            "period_end",
            "The end of the period under review must be on or before the date of death",
        ),
        (
            lambda died_on, today: {"period_start": (today + timedelta(days=1)).isoformat()},
            "period_start",
            "The start of the period under review must be today or in the past",
        ),
        (lambda died_on, today: {"period_start": ""}, "period_start", "Enter the start of the period under review"),
        (
            lambda died_on, today: {"subjects": ["Jane Realname"]},
            "subjects",
            "Choose subjects from the people recorded in this review",
        ),
        (lambda died_on, today: {"subjects": []}, "subjects", "Select at least one subject of the review"),
        (
            lambda died_on, today: {"agencies": ["999999"]},
            "agencies",
            "Choose agencies from those scoped into this review",
        ),
        (lambda died_on, today: {"method": "  "}, "method", "Enter the method of the review"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(
    world: ReviewWorld, changes: Changes, field: str, message: str
) -> None:
    terms = drafted(world)
    before = snapshot(terms)
    coordinator = client_for(world, world.personas.coordinator)
    data = form_data(world, version=world.refresh().version, **changes(world.review.died_on, timezone.localdate()))

    response = coordinator.post(url("terms_edit", world, terms.pk), data)

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.text
    assert message in response.text
    assert snapshot(terms) == before


def test_service_refuses_subjects_not_recorded_in_the_review(world: ReviewWorld) -> None:
    with pytest.raises(ValidationError) as refused:
        services.draft_terms(
            world.refresh(),
            actor=world.personas.coordinator,
            fields=fields(world),
            agency_ids=[],
            subjects=["Adult A", "Jane Realname"],
            request=None,
        )

    assert refused.value.message_dict == {"subjects": ["Choose subjects from the people recorded in this review"]}
    assert not TermsOfReference.objects.exists()


def test_service_refuses_agencies_not_scoped_into_the_review(world: ReviewWorld) -> None:
    with pytest.raises(ValidationError) as refused:
        services.draft_terms(
            world.refresh(),
            actor=world.personas.coordinator,
            fields=fields(world),
            agency_ids=[world.chairs_agency.pk],
            subjects=["Adult A"],
            request=None,
        )

    assert refused.value.message_dict == {"agencies": ["Choose agencies from those scoped into this review"]}


def test_a_stale_form_is_refused_and_the_other_change_kept(world: ReviewWorld) -> None:
    terms = drafted(world)
    opened_at = world.refresh().version
    services.update_terms(
        terms,
        actor=world.independent_chair,
        fields=fields(world, method="The chair's method"),
        agency_ids=[],
        subjects=["Adult A"],
        version=opened_at,
        request=None,
    )
    coordinator = client_for(world, world.personas.coordinator)

    response = coordinator.post(
        url("terms_edit", world, terms.pk), form_data(world, method="The coordinator's method", version=opened_at)
    )

    assert response.status_code == 400
    assert STALE_MESSAGE.split(",")[0] in response.text
    assert TermsOfReference.objects.get(pk=terms.pk).method == "The chair's method"


def test_without_scoped_agencies_the_form_says_where_they_are_scoped(world: ReviewWorld) -> None:
    ScopedAgency.objects.filter(review=world.review).delete()
    coordinator = client_for(world, world.personas.coordinator)

    page = coordinator.get(url("terms_new", world))
    response = coordinator.post(url("terms_new", world), form_data(world, agencies=[]))

    assert "Agencies are scoped on the" in page.text
    assert url("panel", world) in page.text
    assert response.status_code == 302
    assert not TermsOfReference.objects.get(review=world.review).agencies.exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "The date the panel agreed must be today or in the past"), (-1, "must be on or after")],
)
def test_agreement_date_is_checked(world: ReviewWorld, days: int, message: str) -> None:
    terms = drafted(world)
    coordinator = client_for(world, world.personas.coordinator)
    agreed_on = (timezone.localdate() + timedelta(days=days)).isoformat()

    response = coordinator.post(url("terms_agree", world, terms.pk), {"agreed_on": agreed_on})

    assert response.status_code == 400
    assert message in response.text
    assert snapshot(terms)["status"] == TermsStatus.DRAFT


def test_a_draft_cannot_be_approved_before_the_panel_agrees_it(world: ReviewWorld, security_events: EventLog) -> None:
    terms = drafted(world)
    csp_chair = client_for(world, world.personas.csp_chair)

    response = csp_chair.post(url("terms_approve", world, terms.pk))

    assert response.status_code == 400
    assert "The panel must agree version 1 before it can be approved" in response.text
    assert snapshot(terms)["status"] == TermsStatus.DRAFT
    assert "reviews.terms_approved" not in security_events.actions()


def test_steps_out_of_order_are_refused_with_a_message(world: ReviewWorld) -> None:
    """Two people acting on the same version at once: the second is told, nothing is doubled."""
    first = approved(world)
    coordinator = client_for(world, world.personas.coordinator)
    csp_chair = client_for(world, world.personas.csp_chair)
    services.new_terms_version(first, actor=world.personas.coordinator, request=None)

    again = coordinator.post(url("terms_new_version", world, first.pk))
    reapproved = csp_chair.post(url("terms_approve", world, first.pk))
    reagreed = coordinator.post(url("terms_agree", world, first.pk), {"agreed_on": timezone.localdate().isoformat()})

    assert again.status_code == 400
    assert "Version 2 is still a draft" in again.text
    assert reapproved.status_code == 400
    assert "Version 1 is approved already" in reapproved.text
    assert reagreed.status_code == 400
    assert "only a draft is agreed" in reagreed.text
    assert TermsOfReference.objects.filter(review=world.review).count() == 2
    with pytest.raises(PermissionDenied):
        services.export_terms(first, actor=world.personas.outsider, fmt="pdf", request=None)


# Who may do what --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["coordinator", "independent_chair"])
def test_only_the_csp_chair_approves(world: ReviewWorld, who: str) -> None:
    terms = agreed(world, drafted(world))
    user = world.personas.coordinator if who == "coordinator" else world.independent_chair
    client = client_for(world, user)

    assert client.get(url("terms_approve", world, terms.pk)).status_code == 403
    assert client.post(url("terms_approve", world, terms.pk)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.approve_terms(terms, actor=user, request=None)
    assert snapshot(terms)["status"] == TermsStatus.AGREED
    assert "Approve version 1" not in client.get(url("terms_detail", world, terms.pk)).text


def every_terms_url(world: ReviewWorld, terms: TermsOfReference) -> list[tuple[str, str]]:
    """Each terms URL with the method that reaches its view (new-version takes only POST)."""
    urls = [url("terms", world), url("terms_new", world)]
    for name in ("terms_detail", "terms_edit", "terms_agree", "terms_approve"):
        urls.append(url(name, world, terms.pk))
    urls += [url("terms_export", world, terms.pk, "docx"), url("terms_export", world, terms.pk, "pdf")]
    pairs = [(method, address) for address in urls for method in ("get", "post")]
    return [*pairs, ("post", url("terms_new_version", world, terms.pk))]


@pytest.mark.parametrize("who", ["outsider", "auditor", "contributor_a", "site_admin", "unconfirmed_chair"])
def test_people_outside_the_review_get_not_found_on_every_terms_url(
    world: ReviewWorld, who: str, security_events: EventLog
) -> None:
    terms = approved(world)
    if who == "unconfirmed_chair":
        Participant.objects.filter(user=world.independent_chair).delete()
        user = world.independent_chair
    else:
        user = getattr(world.personas, who)
    client = client_for(world, user)

    for method, address in every_terms_url(world, terms):
        assert getattr(client, method)(address).status_code == 404, (method, address)
    assert "reviews.terms_exported" not in security_events.actions()


def test_panel_member_reads_and_downloads_but_cannot_change(world: ReviewWorld) -> None:
    terms = agreed(world, drafted(world))
    panel = client_for(world, world.panel_member)

    assert panel.get(url("terms", world)).status_code == 200
    detail = panel.get(url("terms_detail", world, terms.pk))
    assert detail.status_code == 200
    assert "Record the panel" not in detail.text
    assert "Start version" not in detail.text
    assert panel.get(url("terms_export", world, terms.pk, "docx")).status_code == 200
    for name in ("terms_edit", "terms_agree", "terms_approve"):
        for method in ("get", "post"):
            assert getattr(panel, method)(url(name, world, terms.pk)).status_code == 403, (name, method)
    assert panel.get(url("terms_new", world)).status_code == 403
    assert panel.post(url("terms_new_version", world, terms.pk)).status_code == 403
    assert snapshot(terms)["status"] == TermsStatus.AGREED
    assert TermsOfReference.objects.count() == 1


def test_versions_page_makes_a_bounded_number_of_queries(
    world: ReviewWorld, django_assert_max_num_queries: Any
) -> None:
    terms = approved(world)
    for _ in range(4):
        terms = agreed(world, services.new_terms_version(terms, actor=world.personas.coordinator, request=None))
    coordinator = client_for(world, world.personas.coordinator)

    with django_assert_max_num_queries(12):
        response = coordinator.get(url("terms", world))

    assert response.status_code == 200
    assert response.text.count("Agreed by the panel</strong>") == 4


# Downloads --------------------------------------------------------------------------------------


def test_word_document_has_the_sections_and_pseudonyms_but_no_real_names(
    world: ReviewWorld, security_events: EventLog
) -> None:
    terms = approved(world)
    coordinator = client_for(world, world.personas.coordinator)

    response = coordinator.get(url("terms_export", world, terms.pk, "docx"))

    assert response.status_code == 200
    assert response["Content-Type"] == exports.FORMATS["docx"].content_type
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"DHR-2026-01-terms-v1.docx\"; filename*=UTF-8''DHR-2026-01-terms-v1.docx"
    )
    assert "no-store" in response["Cache-Control"]
    document = Document(io.BytesIO(response.content))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    text = "\n".join(paragraphs)
    assert paragraphs[0] == "DHR-2026-01: terms of reference, version 1"
    assert headings == list(HEADINGS)
    assert "Adult A (victim)" in paragraphs
    assert "Adult B (alleged perpetrator)" in paragraphs
    assert "Agency A Police" in paragraphs
    assert f"Status: approved on {timezone.localdate().day}" in text
    # Each line of the reason stays its own paragraph.
    assert "Adult A and Adult B met then." in paragraphs
    assert "The first call to the police followed soon after." in paragraphs
    assert document.sections[0].header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert document.sections[0].footer.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    for name in REAL_NAMES:
        assert name not in text
    event = security_events.find("reviews.terms_exported")
    assert event.details == {"review": "DHR-2026-01", "version": 1, "format": "docx"}
    assert event.actor_id == world.personas.coordinator.pk


def test_pdf_has_the_sections_and_any_unicode_pseudonym_but_no_real_names(
    world: ReviewWorld, security_events: EventLog
) -> None:
    notifications.add_person(
        world.refresh(),
        actor=world.personas.coordinator,
        line=PersonLine(PersonRole.CHILD, "Zoë Ł", "Real Child Name", None, ""),
        request=None,
    )
    terms = approved(world)
    services_subjects = ["Adult A", "Adult B", "Zoë Ł"]
    draft = services.new_terms_version(terms, actor=world.personas.coordinator, request=None)
    draft = services.update_terms(
        draft,
        actor=world.personas.coordinator,
        fields=fields(world),
        agency_ids=[world.agency_a.pk],
        subjects=services_subjects,
        version=world.refresh().version,
        request=None,
    )
    panel = client_for(world, world.panel_member)

    response = panel.get(url("terms_export", world, draft.pk, "pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == "attachment; filename=\"DHR-2026-01-terms-v2.pdf\"; filename*=UTF-8''DHR-2026-01-terms-v2.pdf"
    )
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "DHR-2026-01: terms of reference, version 2" in text
    assert "Status: draft, not approved" in text
    for heading in HEADINGS:
        assert heading in text
    for pseudonym in services_subjects:
        assert pseudonym in text
    assert "OFFICIAL-SENSITIVE" in text
    for name in (*REAL_NAMES, "Real Child Name"):
        assert name not in text
    assert security_events.find("reviews.terms_exported").details["format"] == "pdf"


def test_pdf_without_its_font_is_refused_clearly_and_not_recorded(
    world: ReviewWorld, security_events: EventLog, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    terms = approved(world)
    monkeypatch.setitem(exports.PDF_FONTS, "", tmp_path / "DejaVuSans.ttf")
    coordinator = client_for(world, world.personas.coordinator)

    response = coordinator.get(url("terms_export", world, terms.pk, "pdf"))

    assert response.status_code == 503
    assert "install the fonts-dejavu-core package" in response.text
    assert "reviews.terms_exported" not in security_events.actions()


def test_unknown_format_and_another_reviews_terms_are_not_found(world: ReviewWorld) -> None:
    terms = approved(world)
    coordinator = client_for(world, world.personas.coordinator)

    assert coordinator.get(url("terms_export", world, terms.pk, "odt")).status_code == 404
    assert coordinator.get(url("terms_export", world, terms.pk + 1000, "pdf")).status_code == 404
