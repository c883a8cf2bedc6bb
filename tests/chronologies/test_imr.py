"""IMRs and short reports: the document in the review's secure space, the details the tracker
records, submission (with access for the independent chair), the panel's feedback rounds and
acceptance, and who may see and do what."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.models import IMR, AgencyRequest, IMRFeedback, IMRStatus, RequestKind, RequestStatus
from dhr_tracker.chronologies.services import imr as services
from dhr_tracker.chronologies.services.imr import IMRFields
from dhr_tracker.reviews.services import STALE_MESSAGE
from sharing import access as sharing_access
from sharing.models import Classification, Document, Grant
from tests.chronologies.conftest import ChronologyWorld
from tests.conftest import EventLog

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(name: str, *args: int) -> str:
    return reverse(f"chronologies:{name}", args=args)


@dataclass
class Reports:
    world: ChronologyWorld
    request: AgencyRequest
    report: Document  # agency A's report, in the review's space
    theirs: Document  # agency B's document, in the same space

    @property
    def contributor(self) -> User:
        return self.world.contributor_a

    @property
    def chair(self) -> User:
        return self.world.independent_chair

    @property
    def coordinator(self) -> User:
        return self.world.coordinator

    def fresh(self) -> AgencyRequest:
        return AgencyRequest.objects.get(pk=self.request.pk)

    def imr(self) -> IMR:
        found = IMR.objects.select_related("request__review").get(request=self.request)
        return found


def _document(world: ChronologyWorld, title: str, owner: Any, uploader: User) -> Document:
    space = world.refresh().space
    assert space is not None
    return Document.objects.create(
        space=space,
        title=title,
        owner_party=owner,
        classification=Classification.OFFICIAL_SENSITIVE,
        retention_ends_on=TODAY + timedelta(days=3650),
        created_by=uploader,
    )


@pytest.fixture
def reports(chronology_world: ChronologyWorld) -> Reports:
    world = chronology_world
    return Reports(
        world,
        world.send(world.agency_a, RequestKind.IMR),
        _document(world, "Agency A IMR, final", world.agency_a, world.contributor_a),
        _document(world, "Agency B short report", world.agency_b, world.contributor_b),
    )


def complete_fields(reports: Reports, **changes: Any) -> IMRFields:
    values: dict[str, Any] = {
        "document_id": reports.report.pk,
        "author": "Sam Author, Detective Inspector, Professional Standards",
        "independence_statement": "I had no involvement with Adult A or Adult B and do not manage anyone who had.",
        "signed_off_by": "Alex Senior, Assistant Chief Constable",
        "signed_off_on": TODAY - timedelta(days=1),
    }
    values.update(changes)
    return IMRFields(**values)


def save(reports: Reports, version: int = 0, **changes: Any) -> IMR:
    return services.save_imr(
        reports.request,
        actor=reports.contributor,
        fields=complete_fields(reports, **changes),
        version=version,
        request=None,
    )


def submit(reports: Reports) -> IMR:
    return services.submit_imr(reports.fresh(), actor=reports.contributor, version=reports.imr().version, request=None)


# Recording and submitting ----------------------------------------------------------------------


def test_the_agency_records_its_report_as_a_draft(reports: Reports, security_events: EventLog) -> None:
    imr = save(reports, author="Sam Author", signed_off_by="", signed_off_on=None)

    assert (imr.status, imr.document, imr.author, imr.created_by, imr.version) == (
        IMRStatus.DRAFT,
        reports.report,
        "Sam Author",
        reports.contributor,
        1,
    )
    event = security_events.find("chronologies.imr_saved")
    assert event.details == {
        "review": "DHR-2026-01",
        "created": True,
        "document": reports.report.pk,
        "signed_off_on": None,
    }
    assert reports.fresh().status == RequestStatus.OPEN


def test_only_a_document_of_the_agency_it_may_open_can_be_chosen(reports: Reports) -> None:
    assert services.document_choices(reports.request, reports.contributor) == [
        (reports.report.pk, "Agency A IMR, final")
    ]

    with pytest.raises(ValidationError) as refused:
        save(reports, document_id=reports.theirs.pk)

    assert refused.value.message_dict == {"document": [services.NO_DOCUMENT]}
    assert not IMR.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"signed_off_on": TODAY + timedelta(days=1)}, "signed_off_on"),
        ({"author": "x" * 201}, "author"),
        ({"signed_off_by": "x" * 201}, "signed_off_by"),
        ({"independence_statement": "x" * 10_001}, "independence_statement"),
    ],
)
def test_bad_details_are_refused(reports: Reports, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        save(reports, **changes)

    assert list(refused.value.message_dict) == [field]
    assert not IMR.objects.exists()


def test_a_stale_form_is_refused(reports: Reports) -> None:
    save(reports, author="First")
    with pytest.raises(ValidationError) as refused:
        save(reports, author="Second")  # opened when there was no record yet
    assert refused.value.messages == [STALE_MESSAGE]
    assert reports.imr().author == "First"


@pytest.mark.parametrize("who", ["coordinator", "independent_chair", "panel_member", "contributor_b"])
def test_only_the_agency_records_its_report(reports: Reports, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.save_imr(
            reports.request,
            actor=getattr(reports.world, who),
            fields=complete_fields(reports),
            version=0,
            request=None,
        )
    assert not IMR.objects.exists()


def test_a_chronology_request_takes_no_report(chronology_world: ChronologyWorld) -> None:
    chronology = chronology_world.send(chronology_world.agency_a)

    with pytest.raises(PermissionDenied):
        services.save_imr(
            chronology,
            actor=chronology_world.contributor_a,
            fields=IMRFields(None, "A", "", "", None),
            version=0,
            request=None,
        )


def test_submitting_names_every_missing_detail(reports: Reports) -> None:
    save(reports, document_id=None, author="", independence_statement="", signed_off_by="", signed_off_on=None)

    with pytest.raises(ValidationError) as refused:
        submit(reports)

    assert refused.value.message_dict == {field: [message] for field, message in services.MISSING.items()}
    assert reports.imr().status == IMRStatus.DRAFT
    assert reports.fresh().status == RequestStatus.OPEN


def test_submitting_lets_the_independent_chair_open_the_report(reports: Reports, security_events: EventLog) -> None:
    save(reports)
    assert not sharing_access.can_open(reports.chair, reports.report)

    submitted = submit(reports)

    assert (submitted.status, submitted.submitted_by) == (IMRStatus.SUBMITTED, reports.contributor)
    assert reports.fresh().status == RequestStatus.SUBMITTED
    grant = Grant.objects.get(document=reports.report)
    assert (grant.user, grant.granted_by) == (reports.chair, reports.contributor)
    assert sharing_access.can_open(reports.chair, reports.report)
    assert not sharing_access.can_open(reports.world.contributor_b, reports.report)
    event = security_events.find("chronologies.imr_submitted")
    assert event.details == {
        "review": "DHR-2026-01",
        "document": reports.report.pk,
        "rounds": 0,
        "granted_to": [reports.chair.pk],
    }
    assert "sharing.access_granted" in security_events.actions()


def test_a_submitted_report_is_frozen_for_the_agency(reports: Reports) -> None:
    save(reports)
    submit(reports)

    with pytest.raises(PermissionDenied):
        save(reports, version=reports.imr().version, author="Changed")
    assert reports.imr().author.startswith("Sam Author")


# Feedback rounds and acceptance ----------------------------------------------------------------


def feedback(reports: Reports, text: str = "Analyse the MARAC referral against each line of enquiry.") -> IMRFeedback:
    return services.give_feedback(
        reports.imr(), actor=reports.coordinator, feedback=text, version=reports.imr().version, request=None
    )


def respond(reports: Reports, text: str = "Section 4 now analyses the referral.") -> IMRFeedback:
    return services.respond_to_feedback(
        reports.imr(), actor=reports.contributor, response=text, version=reports.imr().version, request=None
    )


def test_the_full_cycle_with_a_feedback_round(reports: Reports, security_events: EventLog) -> None:
    save(reports)
    submit(reports)

    round_one = feedback(reports)
    assert round_one.number == 1
    assert (reports.imr().status, reports.fresh().status) == (IMRStatus.FEEDBACK, RequestStatus.RETURNED)
    assert security_events.find("chronologies.imr_returned").details == {"review": "DHR-2026-01", "round": 1}

    with pytest.raises(ValidationError) as unanswered:
        submit(reports)
    assert unanswered.value.messages == ["Respond to the panel's feedback before you submit the report again"]

    save(reports, version=reports.imr().version, signed_off_on=TODAY)  # revised and signed off again
    respond(reports)
    assert security_events.find("chronologies.imr_feedback_answered").details == {"review": "DHR-2026-01", "round": 1}
    resubmitted = submit(reports)
    assert (resubmitted.status, reports.fresh().status) == (IMRStatus.SUBMITTED, RequestStatus.SUBMITTED)
    assert Grant.objects.filter(document=reports.report).count() == 1  # the chair could already open it
    assert security_events.find("chronologies.imr_submitted").details["rounds"] == 1

    accepted = services.accept_imr(reports.imr(), actor=reports.chair, version=reports.imr().version, request=None)
    assert (accepted.status, accepted.accepted_by) == (IMRStatus.ACCEPTED, reports.chair)
    request = reports.fresh()
    assert (request.status, request.completed_on) == (RequestStatus.COMPLETE, TODAY)
    assert security_events.find("chronologies.imr_accepted").details == {"review": "DHR-2026-01", "rounds": 1}
    stored = [(event.action, event.details) for event in security_events.rows() if event.action.startswith("chron")]
    assert not any("MARAC" in str(details) or "Section 4" in str(details) for _, details in stored)


def test_feedback_and_acceptance_are_for_those_who_run_the_review_once_submitted(reports: Reports) -> None:
    save(reports)
    imr = reports.imr()
    with pytest.raises(PermissionDenied):
        services.give_feedback(imr, actor=reports.coordinator, feedback="Too early", version=imr.version, request=None)
    submit(reports)
    imr = reports.imr()

    for who in (reports.contributor, reports.world.panel_member, reports.world.contributor_b):
        with pytest.raises(PermissionDenied):
            services.give_feedback(imr, actor=who, feedback="No", version=imr.version, request=None)
        with pytest.raises(PermissionDenied):
            services.accept_imr(imr, actor=who, version=imr.version, request=None)
    with pytest.raises(ValidationError):
        services.give_feedback(imr, actor=reports.coordinator, feedback=" ", version=imr.version, request=None)
    with pytest.raises(ValidationError) as stale:
        services.accept_imr(imr, actor=reports.coordinator, version=imr.version - 1, request=None)
    assert stale.value.messages == [STALE_MESSAGE]
    assert reports.imr().status == IMRStatus.SUBMITTED
    assert not IMRFeedback.objects.exists()


def test_only_the_agency_responds_and_only_while_the_report_is_back_with_it(reports: Reports) -> None:
    save(reports)
    submit(reports)
    imr = reports.imr()
    with pytest.raises(PermissionDenied):
        respond(reports)
    feedback(reports)
    imr = reports.imr()

    for who in (reports.coordinator, reports.world.contributor_b):
        with pytest.raises(PermissionDenied):
            services.respond_to_feedback(imr, actor=who, response="x", version=imr.version, request=None)
    with pytest.raises(ValidationError):
        services.respond_to_feedback(imr, actor=reports.contributor, response="", version=imr.version, request=None)
    assert IMRFeedback.objects.get().response == ""


def test_the_panel_sees_the_report_only_once_accepted(reports: Reports) -> None:
    world = reports.world
    page = url("imr", reports.request.pk)
    save(reports)
    assert world.client(world.coordinator).get(page).status_code == 404  # a draft is the agency's
    submit(reports)
    assert world.client(world.coordinator).get(page).status_code == 200
    assert world.client(world.panel_member).get(page).status_code == 404

    services.accept_imr(reports.imr(), actor=reports.coordinator, version=reports.imr().version, request=None)

    assert world.client(world.panel_member).get(page).status_code == 200


# Pages -----------------------------------------------------------------------------------------


def test_the_report_pages_are_hidden_from_other_agencies_and_outsiders(reports: Reports) -> None:
    world = reports.world
    save(reports)
    submit(reports)
    personas = world.reviews.personas
    strangers = (world.contributor_b, personas.outsider, personas.auditor, personas.site_admin)

    for name in ("imr", "imr_edit", "imr_feedback", "imr_respond"):
        for stranger in strangers:
            assert world.client(stranger).get(url(name, reports.request.pk)).status_code == 404, (name, stranger)
    for name in ("imr_submit", "imr_accept"):
        for stranger in strangers:
            response = world.client(stranger).post(url(name, reports.request.pk), {"version": 1})
            assert response.status_code == 404, (name, stranger)
    assert reports.imr().status == IMRStatus.SUBMITTED


def test_report_pages_of_a_chronology_request_do_not_exist(chronology_world: ChronologyWorld) -> None:
    chronology = chronology_world.send(chronology_world.agency_a)

    for name in ("imr", "imr_edit"):
        assert chronology_world.client(chronology_world.contributor_a).get(url(name, chronology.pk)).status_code == 404


def test_the_agency_records_and_submits_its_report_from_the_pages(reports: Reports) -> None:
    world = reports.world
    client = world.client(reports.contributor)
    request_page = client.get(url("request", reports.request.pk))
    assert url("imr_edit", reports.request.pk) in request_page.text
    assert client.get(url("imr", reports.request.pk)).status_code == 200

    form = client.get(url("imr_edit", reports.request.pk))
    assert form.status_code == 200
    assert "Agency A IMR, final" in form.text
    assert "Agency B short report" not in form.text
    assert reverse("sharing:document_upload", args=[reports.report.space_id]) in form.text
    saved = client.post(
        url("imr_edit", reports.request.pk), {"document": reports.report.pk, "author": "Sam", "version": 0}
    )
    assert saved.status_code == 302

    refused = client.post(url("imr_submit", reports.request.pk), {"version": 1})
    assert refused.status_code == 400
    assert "Enter the author&#x27;s statement of independence" in refused.text
    assert "Enter the date the report was signed off" in refused.text
    assert 'id="id_independence_statement_error"' in refused.text  # next to the field it names
    assert reports.imr().status == IMRStatus.DRAFT

    complete = {
        "document": reports.report.pk,
        "author": "Sam Author, DI",
        "independence_statement": "No involvement.",
        "signed_off_by": "Alex Senior, ACC",
        "signed_off_on": TODAY.isoformat(),
        "version": 1,
    }
    assert client.post(url("imr_edit", reports.request.pk), complete).status_code == 302
    assert client.get(url("imr_submit", reports.request.pk)).status_code == 405
    submitted = client.post(url("imr_submit", reports.request.pk), {"version": 2})
    assert submitted.status_code == 302
    assert reports.imr().status == IMRStatus.SUBMITTED
    assert world.client(reports.coordinator).get(url("imr_edit", reports.request.pk)).status_code == 403
    assert client.get(url("imr_edit", reports.request.pk)).status_code == 403  # frozen once submitted


def test_the_panel_returns_and_accepts_the_report_from_the_pages(reports: Reports) -> None:
    world = reports.world
    save(reports)
    submit(reports)
    coordinator = world.client(reports.coordinator)
    contributor = world.client(reports.contributor)
    page = url("imr", reports.request.pk)

    shown = coordinator.get(page)
    assert url("imr_feedback", reports.request.pk) in shown.text
    assert reverse("sharing:document", args=[reports.report.pk]) not in shown.text  # the coordinator cannot open it
    chair_view = world.client(reports.chair).get(page)
    assert reverse("sharing:document", args=[reports.report.pk]) in chair_view.text
    assert contributor.get(url("imr_feedback", reports.request.pk)).status_code == 403
    assert world.client(world.panel_member).get(url("imr_feedback", reports.request.pk)).status_code == 404

    returned = coordinator.post(
        url("imr_feedback", reports.request.pk), {"feedback": "Add the GP contacts.", "version": 2}
    )
    assert returned.status_code == 302
    assert "Add the GP contacts." in contributor.get(page).text
    assert coordinator.get(url("imr_feedback", reports.request.pk)).status_code == 403  # back with the agency

    assert contributor.get(url("imr_respond", reports.request.pk)).status_code == 200
    answered = contributor.post(url("imr_respond", reports.request.pk), {"response": "Added in part 3.", "version": 3})
    assert answered.status_code == 302
    assert contributor.post(url("imr_submit", reports.request.pk), {"version": 4}).status_code == 302

    assert contributor.post(url("imr_accept", reports.request.pk), {"version": 5}).status_code == 403
    stale = coordinator.post(url("imr_accept", reports.request.pk), {"version": 4})
    assert stale.status_code == 400
    assert "Someone else changed this" in stale.text
    accepted = coordinator.post(url("imr_accept", reports.request.pk), {"version": 5})
    assert accepted.status_code == 302
    assert (reports.imr().status, reports.fresh().status) == (IMRStatus.ACCEPTED, RequestStatus.COMPLETE)
    final = world.client(world.panel_member).get(page)
    assert "Added in part 3." in final.text
