"""Requests to agencies: sending, changing and cancelling them, nil returns and scoping answers, and
their pages, for the people who may and the people who may not (404 for other agencies)."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.models import AgencyRequest, RequestKind, RequestStatus
from dhr_tracker.chronologies.services import requests as services
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review, TermsOfReference, TermsStatus
from dhr_tracker.reviews.services import STALE_MESSAGE
from tests.chronologies.conftest import ChronologyWorld, _contribute
from tests.conftest import EventLog
from tests.factories import AgencyFactory
from tests.reviews.conftest import ReviewWorld
from tests.reviews.panel_helpers import form_panel
from tests.reviews.test_reminders import notify

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(name: str, *args: int) -> str:
    return reverse(f"chronologies:{name}", args=args)


def fresh(agency_request: AgencyRequest) -> AgencyRequest:
    return AgencyRequest.objects.get(pk=agency_request.pk)


def outsiders(world: ChronologyWorld) -> list[User]:
    """People who must not learn that a request exists: another partnership, the auditor, the site admin."""
    personas = world.reviews.personas
    return [personas.outsider, personas.auditor, personas.site_admin]


def form_data(world: ChronologyWorld, **changes: Any) -> dict[str, Any]:
    fields = world.fields()
    data: dict[str, Any] = {
        "period_start": fields.period_start.isoformat(),
        "period_end": fields.period_end.isoformat(),
        "subjects": list(fields.subjects),
        "due_on": fields.due_on.isoformat(),
        "instructions": fields.instructions,
    }
    data.update(changes)
    return data


def answer_scoping(
    agency_request: AgencyRequest, actor: User, *, had_contact: bool, summary: str, secured: bool | None
) -> AgencyRequest:
    return services.answer_scoping(
        agency_request,
        actor=actor,
        had_contact=had_contact,
        summary=summary,
        records_secured=secured,
        version=agency_request.version,
        request=None,
    )


# Sending ---------------------------------------------------------------------------------------


def test_coordinator_sends_a_chronology_request_carrying_the_approved_terms(
    chronology_world: ChronologyWorld, security_events: EventLog
) -> None:
    sent = chronology_world.send(chronology_world.agency_a)

    terms = TermsOfReference.objects.get(review=chronology_world.review, status=TermsStatus.APPROVED)
    assert (sent.status, sent.terms, sent.sent_on, sent.created_by) == (
        RequestStatus.OPEN,
        terms,
        TODAY,
        chronology_world.coordinator,
    )
    assert sent.subjects == ["Adult A", "Adult B"]
    event = security_events.find("chronologies.request_sent")
    assert event.details == {
        "review": "DHR-2026-01",
        "agency": chronology_world.agency_a.pk,
        "kind": "chronology",
        "due_on": sent.due_on.isoformat(),
        "terms_version": terms.version,
    }


@pytest.fixture
def unapproved(review_world: ReviewWorld) -> ReviewWorld:
    """A review with its panel formed and contributors, but no approved terms of reference."""
    form_panel(review_world)
    _contribute(review_world, review_world.personas.contributor_a, review_world.agency_a)
    review_world.refresh()
    return review_world


@pytest.mark.parametrize("kind", [RequestKind.CHRONOLOGY, RequestKind.IMR, RequestKind.SHORT_REPORT])
def test_chronologies_and_reports_need_approved_terms(unapproved: ReviewWorld, kind: str) -> None:
    world = ChronologyWorld(unapproved, unapproved.personas.contributor_a, unapproved.personas.contributor_b)

    with pytest.raises(ValidationError) as refused:
        world.send(world.agency_a, kind)

    assert "terms of reference must be approved" in refused.value.message_dict["kind"][0]
    assert not AgencyRequest.objects.exists()


def test_a_scoping_request_goes_before_the_terms_are_approved(unapproved: ReviewWorld) -> None:
    world = ChronologyWorld(unapproved, unapproved.personas.contributor_a, unapproved.personas.contributor_b)

    sent = world.send(world.agency_a, RequestKind.SCOPING)

    assert (sent.kind, sent.terms) == (RequestKind.SCOPING, None)


def test_a_second_live_request_of_a_kind_is_refused_until_the_first_is_cancelled(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    first = world.send(world.agency_a)
    with pytest.raises(ValidationError) as refused:
        world.send(world.agency_a)
    assert "already has a request of this kind" in refused.value.message_dict["kind"][0]
    world.send(world.agency_a, RequestKind.IMR)  # another kind is fine

    services.cancel_request(
        first, actor=world.coordinator, reason="Sent with the wrong period", version=first.version, request=None
    )
    second = world.send(world.agency_a)

    assert AgencyRequest.objects.filter(agency=world.agency_a, kind=RequestKind.CHRONOLOGY).count() == 2
    assert second.status == RequestStatus.OPEN


def test_an_agency_not_scoped_into_the_review_cannot_be_asked(chronology_world: ChronologyWorld) -> None:
    stranger = AgencyFactory.create(name="Agency Z Housing")

    with pytest.raises(ValidationError) as refused:
        chronology_world.send(stranger)

    assert "Choose an agency scoped into the review" in refused.value.message_dict["agency"][0]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"period_start": date(2025, 1, 2), "period_end": date(2025, 1, 1)}, "period_end", "on or after its start"),
        ({"due_on": TODAY - timedelta(days=1)}, "due_on", "on or after the day the request was sent"),
        ({"subjects": ()}, "subjects", "Choose at least one person"),
        ({"subjects": ("Adult A", "Jane Realname")}, "subjects", "Choose the subjects from the people of the review"),
        ({"instructions": "x" * 10_001}, "instructions", "10,000 characters or fewer"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    chronology_world: ChronologyWorld, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        chronology_world.send(chronology_world.agency_a, **changes)

    assert message in refused.value.message_dict[field][0]
    assert not AgencyRequest.objects.exists()


@pytest.mark.parametrize("who", ["panel_member", "contributor_a"])
def test_only_those_who_run_the_review_send_requests(chronology_world: ChronologyWorld, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.send_request(
            chronology_world.refresh(),
            actor=getattr(chronology_world, who),
            agency_id=chronology_world.agency_a.pk,
            kind=RequestKind.CHRONOLOGY,
            fields=chronology_world.fields(),
            request=None,
        )
    assert not AgencyRequest.objects.exists()


# Changing and cancelling -----------------------------------------------------------------------


def test_the_chair_moves_the_due_date_and_the_change_is_audited(
    chronology_world: ChronologyWorld, security_events: EventLog
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    later = sent.due_on + timedelta(days=14)

    changed = services.update_request(
        sent,
        actor=world.independent_chair,
        fields=world.fields(due_on=later, subjects=("Adult A",)),
        version=sent.version,
        request=None,
    )

    assert (fresh(sent).due_on, fresh(sent).subjects, fresh(sent).version) == (later, ["Adult A"], 2)
    assert changed.version == 2
    event = security_events.find("chronologies.request_changed")
    assert event.details == {"review": "DHR-2026-01", "changed": ["due_on", "subjects"], "due_on": later.isoformat()}


def test_a_change_from_a_stale_form_is_refused_and_nothing_changes(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    services.update_request(
        fresh(sent), actor=world.coordinator, fields=world.fields(instructions="First"), version=1, request=None
    )

    with pytest.raises(ValidationError) as refused:
        services.update_request(
            fresh(sent), actor=world.csp_chair, fields=world.fields(instructions="Second"), version=1, request=None
        )

    assert refused.value.messages == [STALE_MESSAGE]
    assert (fresh(sent).instructions, fresh(sent).version) == ("First", 2)


def test_bad_changes_are_refused(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)

    with pytest.raises(ValidationError) as refused:
        services.update_request(
            sent,
            actor=world.coordinator,
            fields=world.fields(due_on=TODAY - timedelta(days=1)),
            version=1,
            request=None,
        )

    assert "due_on" in refused.value.message_dict
    assert fresh(sent).due_on == sent.due_on


@pytest.mark.parametrize("who", ["panel_member", "contributor_a"])
def test_only_those_who_run_the_review_change_or_cancel_requests(chronology_world: ChronologyWorld, who: str) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    actor = getattr(world, who)

    with pytest.raises(PermissionDenied):
        services.update_request(sent, actor=actor, fields=world.fields(instructions="x"), version=1, request=None)
    with pytest.raises(PermissionDenied):
        services.cancel_request(sent, actor=actor, reason="No longer needed", version=1, request=None)

    assert (fresh(sent).status, fresh(sent).version, fresh(sent).instructions) == (
        RequestStatus.OPEN,
        1,
        sent.instructions,
    )


def test_a_closed_request_cannot_be_changed_or_cancelled(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    services.record_nil_return(
        sent, actor=world.contributor_a, reason="No record of either subject.", version=1, request=None
    )
    closed = fresh(sent)

    with pytest.raises(PermissionDenied):
        services.update_request(closed, actor=world.coordinator, fields=world.fields(), version=2, request=None)
    with pytest.raises(PermissionDenied):
        services.cancel_request(closed, actor=world.coordinator, reason="Too late", version=2, request=None)
    assert fresh(sent).status == RequestStatus.NIL_RETURN


def test_cancelling_needs_a_reason_and_is_audited(chronology_world: ChronologyWorld, security_events: EventLog) -> None:
    world = chronology_world
    sent = world.send(world.agency_b, RequestKind.IMR)

    with pytest.raises(ValidationError) as refused:
        services.cancel_request(sent, actor=world.coordinator, reason="  ", version=1, request=None)
    assert refused.value.message_dict == {"reason": ["Enter why the request is cancelled"]}

    services.cancel_request(sent, actor=world.coordinator, reason="A short report is enough", version=1, request=None)

    cancelled = fresh(sent)
    assert (cancelled.status, cancelled.cancel_reason, cancelled.completed_on) == (
        RequestStatus.CANCELLED,
        "A short report is enough",
        None,
    )
    event = security_events.find("chronologies.request_cancelled")
    assert event.details == {"review": "DHR-2026-01", "agency": world.agency_b.pk, "kind": "imr", "was": "open"}
    assert "short report" not in str(event.details)


# Nil returns and scoping answers ---------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RequestKind))
def test_the_agency_makes_a_nil_return_to_any_kind_of_request(
    chronology_world: ChronologyWorld, security_events: EventLog, kind: str
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, kind)

    services.record_nil_return(
        sent,
        actor=world.contributor_a,
        reason="Searched the custody and intelligence systems.",
        version=1,
        request=None,
    )

    answered = fresh(sent)
    assert (answered.status, answered.completed_on, answered.answered_by) == (
        RequestStatus.NIL_RETURN,
        TODAY,
        world.contributor_a,
    )
    assert answered.nil_reason == "Searched the custody and intelligence systems."
    event = security_events.find("chronologies.nil_return_recorded")
    assert event.details == {"review": "DHR-2026-01", "agency": world.agency_a.pk, "kind": kind}


def test_a_nil_return_comes_only_from_the_agency_asked_with_a_reason_while_owed(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)

    for stranger in (world.contributor_b, world.coordinator, world.panel_member):
        with pytest.raises(PermissionDenied):
            services.record_nil_return(sent, actor=stranger, reason="None", version=1, request=None)
    with pytest.raises(ValidationError) as refused:
        services.record_nil_return(sent, actor=world.contributor_a, reason="", version=1, request=None)
    assert "Enter what your agency searched" in refused.value.message_dict["reason"][0]
    assert fresh(sent).status == RequestStatus.OPEN

    services.record_nil_return(sent, actor=world.contributor_a, reason="None found.", version=1, request=None)
    with pytest.raises(PermissionDenied):
        services.record_nil_return(fresh(sent), actor=world.contributor_a, reason="Again", version=2, request=None)


def test_a_scoping_answer_with_contact_completes_the_request(
    chronology_world: ChronologyWorld, security_events: EventLog
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING)

    answer_scoping(sent, world.contributor_a, had_contact=True, summary="Three call-outs in 2025.", secured=True)

    answered = fresh(sent)
    assert (answered.status, answered.had_contact, answered.records_secured, answered.completed_on) == (
        RequestStatus.COMPLETE,
        True,
        True,
        TODAY,
    )
    assert answered.contact_summary == "Three call-outs in 2025."
    event = security_events.find("chronologies.scoping_answered")
    assert event.details == {
        "review": "DHR-2026-01",
        "agency": world.agency_a.pk,
        "had_contact": True,
        "records_secured": True,
        "status": "complete",
    }


def test_a_scoping_answer_of_no_contact_is_a_nil_return(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_b, RequestKind.SCOPING)

    answer_scoping(sent, world.contributor_b, had_contact=False, summary="No patient record for either.", secured=None)

    answered = fresh(sent)
    assert (answered.status, answered.had_contact, answered.nil_reason, answered.completed_on) == (
        RequestStatus.NIL_RETURN,
        False,
        "No patient record for either.",
        TODAY,
    )


@pytest.mark.parametrize(
    ("had_contact", "summary", "secured", "field"),
    [(True, "Calls in 2025", None, "records_secured"), (True, " ", True, "summary"), (False, "", None, "summary")],
)
def test_incomplete_scoping_answers_are_refused(
    chronology_world: ChronologyWorld, had_contact: bool, summary: str, secured: bool | None, field: str
) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING)

    with pytest.raises(ValidationError) as refused:
        answer_scoping(sent, world.contributor_a, had_contact=had_contact, summary=summary, secured=secured)

    assert list(refused.value.message_dict) == [field]
    assert fresh(sent).status == RequestStatus.OPEN


def test_only_a_scoping_request_takes_a_scoping_answer_and_only_from_its_agency(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    chronology = world.send(world.agency_a)
    scoping = world.send(world.agency_a, RequestKind.SCOPING)
    answer: dict[str, Any] = {
        "had_contact": True,
        "summary": "Calls",
        "records_secured": True,
        "version": 1,
        "request": None,
    }

    with pytest.raises(PermissionDenied):
        services.answer_scoping(chronology, actor=world.contributor_a, **answer)
    with pytest.raises(PermissionDenied):
        services.answer_scoping(scoping, actor=world.contributor_b, **answer)
    with pytest.raises(PermissionDenied):
        services.answer_scoping(scoping, actor=world.coordinator, **answer)
    assert fresh(scoping).status == fresh(chronology).status == RequestStatus.OPEN


# Pages -----------------------------------------------------------------------------------------


def test_a_reviews_requests_are_listed_for_its_readers_and_only_their_own_for_contributors(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    world.send(world.agency_a)
    world.send(world.agency_b, RequestKind.IMR)
    page = url("requests", world.review.pk)

    for reader in (world.coordinator, world.csp_chair, world.independent_chair, world.panel_member):
        response = world.client(reader).get(page)
        assert response.status_code == 200
        assert [row["request"].agency for row in response.context["rows"]] == [world.agency_a, world.agency_b]
    assert "Send a request" in world.client(world.coordinator).get(page).text
    assert "Send a request" not in world.client(world.panel_member).get(page).text

    own = world.client(world.contributor_b).get(page)
    assert [row["request"].agency for row in own.context["rows"]] == [world.agency_b]
    assert "Agency A Police" not in own.text
    assert "Send a request" not in own.text
    for stranger in outsiders(world):
        assert world.client(stranger).get(page).status_code == 404


def test_the_list_filters_by_agency_and_status_and_marks_overdue_requests(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    late = world.send(world.agency_a, due_on=TODAY)
    AgencyRequest.objects.filter(pk=late.pk).update(due_on=TODAY - timedelta(days=3))
    scoping = world.send(world.agency_b, RequestKind.SCOPING)
    services.record_nil_return(scoping, actor=world.contributor_b, reason="None", version=1, request=None)
    client = world.client(world.coordinator)
    page = url("requests", world.review.pk)

    everything = client.get(page)
    assert [row["overdue"] for row in everything.context["rows"]] == [True, False]
    assert "Overdue" in everything.text
    by_agency = client.get(page, {"agency": world.agency_b.pk})
    assert [row["request"].pk for row in by_agency.context["rows"]] == [scoping.pk]
    overdue = client.get(page, {"status": "overdue"})
    assert [row["request"].pk for row in overdue.context["rows"]] == [late.pk]
    nil = client.get(page, {"status": "nil_return", "agency": "not a number"})
    assert [row["request"].pk for row in nil.context["rows"]] == [scoping.pk]


def test_the_list_is_paginated_keeping_its_filters(
    chronology_world: ChronologyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = chronology_world
    for kind in RequestKind:
        world.send(world.agency_a, kind)
    monkeypatch.setattr("dhr_tracker.chronologies.views.requests.PAGE_SIZE", 2)

    first = world.client(world.coordinator).get(url("requests", world.review.pk), {"status": "open"})

    assert len(first.context["rows"]) == 2
    assert first.context["page"].paginator.num_pages == 2
    assert "?status=open&amp;page=2" in first.text


def test_the_lists_queries_do_not_grow_with_their_requests(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    world.send(world.agency_a)
    pages = [
        (world.coordinator, url("requests", world.review.pk)),
        (world.contributor_a, url("requests", world.review.pk)),
        (world.contributor_a, url("my_requests")),
    ]

    def counts() -> list[int]:
        found = []
        for user, page in pages:
            client = world.client(user)
            client.get(page)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(page).status_code == 200
            found.append(len(captured.captured_queries))
        return found

    few = counts()
    for kind in (RequestKind.SCOPING, RequestKind.IMR, RequestKind.SHORT_REPORT):
        world.send(world.agency_a, kind)
        world.send(world.agency_b, kind)
    _other_review_request(world, due_on=TODAY)

    assert counts() == few


def test_the_coordinator_sends_a_request_from_the_page_with_the_terms_defaults(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    client = world.client(world.coordinator)
    page = url("request_new", world.review.pk)
    terms = TermsOfReference.objects.get(review=world.review, status=TermsStatus.APPROVED)

    shown = client.get(page, {"kind": "scoping"})
    assert shown.status_code == 200
    initial = shown.context["form"].initial
    assert (initial["period_start"], initial["period_end"]) == (terms.period_start, terms.period_end)
    assert initial["subjects"] == ["Adult A", "Adult B"]
    assert initial["due_on"] == services.default_due(RequestKind.SCOPING, TODAY)
    assert initial["kind"] == "scoping"

    response = client.post(page, form_data(world, agency=world.agency_b.pk, kind="short_report", due_on=""))
    sent = AgencyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("request", sent.pk)
    assert (sent.agency, sent.kind, sent.due_on) == (
        world.agency_b,
        RequestKind.SHORT_REPORT,
        services.default_due(RequestKind.SHORT_REPORT, TODAY),
    )


def test_the_send_page_shows_refusals_on_the_form(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    world.send(world.agency_a)
    page = url("request_new", world.review.pk)

    response = world.client(world.coordinator).post(page, form_data(world, agency=world.agency_a.pk, kind="chronology"))

    assert response.status_code == 400
    assert "This agency already has a request of this kind" in response.text
    assert AgencyRequest.objects.count() == 1


def test_the_send_page_is_for_those_who_run_the_review(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    page = url("request_new", world.review.pk)

    assert world.client(world.panel_member).get(page).status_code == 403
    for stranger in (world.contributor_a, *outsiders(world)):
        assert world.client(stranger).get(page).status_code == 404
    assert world.client(world.contributor_a).post(page, form_data(world)).status_code == 404
    assert not AgencyRequest.objects.exists()


def test_a_request_page_shows_what_is_asked_to_its_agency_and_the_review(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, instructions="Give every contact with Adult A.")
    page = url("request", sent.pk)
    terms_link = reverse("reviews:terms_detail", args=[world.review.pk, sent.terms_id])

    coordinator = world.client(world.coordinator).get(page)
    assert coordinator.status_code == 200
    assert "Give every contact with Adult A." in coordinator.text
    assert terms_link in coordinator.text
    assert url("request_edit", sent.pk) in coordinator.text
    assert url("nil_return", sent.pk) not in coordinator.text

    contributor = world.client(world.contributor_a).get(page)
    assert contributor.status_code == 200
    assert terms_link not in contributor.text
    assert "Key lines of enquiry" in contributor.text  # the terms attached, shown in full
    assert url("nil_return", sent.pk) in contributor.text
    assert url("request_edit", sent.pk) not in contributor.text

    assert world.client(world.panel_member).get(page).status_code == 200
    for stranger in (world.contributor_b, *outsiders(world)):
        assert world.client(stranger).get(page).status_code == 404


def test_a_scoping_request_page_offers_the_scoping_answer(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING)

    page = world.client(world.contributor_a).get(url("request", sent.pk))

    assert url("scoping_answer", sent.pk) in page.text
    assert url("nil_return", sent.pk) not in page.text


def test_the_coordinator_changes_a_request_from_its_page(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    client = world.client(world.coordinator)
    page = url("request_edit", sent.pk)
    later = sent.due_on + timedelta(days=7)

    assert client.get(page).context["form"].initial["version"] == 1
    response = client.post(page, form_data(world, due_on=later.isoformat(), version=1))
    assert response.status_code == 302
    assert fresh(sent).due_on == later

    stale = client.post(page, form_data(world, instructions="Lost", version=1))
    assert stale.status_code == 400
    assert "Someone else changed this" in stale.text
    assert fresh(sent).instructions != "Lost"


def test_the_change_and_cancel_pages_refuse_the_agency_and_hide_from_others(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)

    for name in ("request_edit", "request_cancel"):
        assert world.client(world.contributor_a).get(url(name, sent.pk)).status_code == 403
        assert world.client(world.panel_member).get(url(name, sent.pk)).status_code == 403
        for stranger in (world.contributor_b, *outsiders(world)):
            assert world.client(stranger).get(url(name, sent.pk)).status_code == 404
    response = world.client(world.contributor_a).post(url("request_cancel", sent.pk), {"reason": "x", "version": 1})
    assert response.status_code == 403
    assert fresh(sent).status == RequestStatus.OPEN


def test_the_coordinator_cancels_a_request_from_its_page(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    client = world.client(world.coordinator)

    missing = client.post(url("request_cancel", sent.pk), {"reason": "", "version": 1})
    assert missing.status_code == 400
    assert "Enter why the request is cancelled" in missing.text
    response = client.post(url("request_cancel", sent.pk), {"reason": "Agency had no involvement", "version": 1})

    assert response.status_code == 302
    assert fresh(sent).status == RequestStatus.CANCELLED
    assert "Agency had no involvement" in world.client(world.contributor_a).get(url("request", sent.pk)).text


def test_the_agency_makes_a_nil_return_from_the_page(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a)
    page = url("nil_return", sent.pk)

    assert world.client(world.coordinator).get(page).status_code == 403
    for stranger in (world.contributor_b, *outsiders(world)):
        assert world.client(stranger).get(page).status_code == 404
    client = world.client(world.contributor_a)
    assert client.get(page).status_code == 200
    response = client.post(page, {"reason": "No record on any system.", "version": 1})

    assert response.status_code == 302
    assert fresh(sent).status == RequestStatus.NIL_RETURN
    shown = world.client(world.coordinator).get(url("request", sent.pk))
    assert "No record on any system." in shown.text
    assert world.client(world.contributor_a).get(page).status_code == 403  # answered: no longer owed


def test_the_agency_answers_a_scoping_request_from_the_page(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    sent = world.send(world.agency_a, RequestKind.SCOPING)
    chronology = world.send(world.agency_a)
    page = url("scoping_answer", sent.pk)
    client = world.client(world.contributor_a)

    assert client.get(url("scoping_answer", chronology.pk)).status_code == 404
    assert world.client(world.coordinator).get(page).status_code == 403
    for stranger in (world.contributor_b, *outsiders(world)):
        assert world.client(stranger).get(page).status_code == 404
    incomplete = client.post(page, {"had_contact": "yes", "summary": "Calls", "version": 1})
    assert incomplete.status_code == 400
    assert "Say whether your agency has secured its records" in incomplete.text
    response = client.post(page, {"had_contact": "yes", "summary": "Calls", "records_secured": "no", "version": 1})

    assert response.status_code == 302
    answered = fresh(sent)
    assert (answered.status, answered.had_contact, answered.records_secured) == (RequestStatus.COMPLETE, True, False)


def test_my_requests_lists_a_contributors_requests_across_reviews_soonest_first(
    chronology_world: ChronologyWorld,
) -> None:
    world = chronology_world
    later = world.send(world.agency_a, due_on=TODAY + timedelta(days=40))
    sooner = world.send(world.agency_a, RequestKind.SCOPING, due_on=TODAY + timedelta(days=5))
    world.send(world.agency_b)
    other = _other_review_request(world, due_on=TODAY - timedelta(days=2))
    done = world.send(world.agency_a, RequestKind.IMR, due_on=TODAY + timedelta(days=1))
    services.record_nil_return(done, actor=world.contributor_a, reason="None", version=1, request=None)

    response = world.client(world.contributor_a).get(url("my_requests"))

    assert response.status_code == 200
    assert [row["request"].pk for row in response.context["rows"]] == [other.pk, sooner.pk, later.pk, done.pk]
    assert [row["overdue"] for row in response.context["rows"]] == [True, False, False, False]
    assert "DHR-2026-77" in response.text
    assert "Agency B Health" not in response.text
    coordinator = world.client(world.coordinator).get(url("my_requests"))
    assert len(coordinator.context["rows"]) == 5  # this review's four, and the other review of the partnership
    for stranger in outsiders(world):
        assert world.client(stranger).get(url("my_requests")).context["rows"] == []


def _other_review_request(world: ChronologyWorld, *, due_on: date) -> AgencyRequest:
    """A request to agency A on another review, where contributor A also contributes."""
    review: Review = notify(world.reviews, "DHR-2026-77")
    Participant.objects.create(
        review=review,
        user=world.contributor_a,
        kind=ParticipantKind.AGENCY_CONTRIBUTOR,
        agency=world.agency_a,
        added_by=world.coordinator,
    )
    return AgencyRequest.objects.create(
        review=review,
        agency=world.agency_a,
        kind=RequestKind.SCOPING,
        period_start=review.died_on - timedelta(days=365),
        period_end=review.died_on,
        subjects=["Adult DHR-2026-77"],
        due_on=due_on,
        sent_on=due_on - timedelta(days=10),
        created_by=world.coordinator,
    )


def test_the_home_page_links_contributors_to_their_requests(chronology_world: ChronologyWorld) -> None:
    page = chronology_world.client(chronology_world.contributor_a).get("/")

    assert url("my_requests") in page.text
