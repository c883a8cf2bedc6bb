"""Chronology submissions: the agency's draft and its entries by form, submitting, the panel's return
(which opens the next version as a copy) and acceptance, the template downloads, and who may see and
do each; every refusal leaves everything as it was."""

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.importing import COLUMNS
from dhr_tracker.chronologies.models import (
    AgencyRequest,
    Entry,
    RequestKind,
    RequestStatus,
    Submission,
    SubmissionStatus,
)
from dhr_tracker.chronologies.partialdates import Precision
from dhr_tracker.chronologies.services import submissions as services
from dhr_tracker.chronologies.services.submissions import EntryFields
from tests.chronologies.conftest import ChronologyWorld
from tests.conftest import EventLog

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
FIELDS = EntryFields(
    on="31/12/2019",
    at="14:30",
    subject="victim",
    source_record="PNC-1",
    practitioner_role="Police constable",
    event="Called to the address after a neighbour heard shouting",
    action_or_outcome="DASH completed",
    risks=("Pregnancy", "MARAC referral"),
)


def entry_fields(**changes: Any) -> EntryFields:
    return replace(FIELDS, **changes)


def form_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "on": "31 Dec 2019",
        "at": "",
        "subject": "perpetrator",
        "source_record": "",
        "practitioner_role": "",
        "event": "Arrested for assault",
        "action_or_outcome": "",
        "risks": ["Coercive control"],
    }
    data.update(changes)
    return data


def snapshot(submission: Submission) -> list[tuple[Any, ...]]:
    """Everything a version holds, to show a refusal changed nothing."""
    row = Submission.objects.values_list("status", "version", "comments", "submitted_at", "decided_at").get(
        pk=submission.pk
    )
    entries = Entry.objects.filter(submission=submission).order_by("position")
    return [row, *entries.values_list("position", "on", "at", "subject", "event", "risks", "order_key", "combined")]


@pytest.fixture
def agency_request(chronology_world: ChronologyWorld) -> AgencyRequest:
    return chronology_world.send(chronology_world.agency_a)


@pytest.fixture
def draft(chronology_world: ChronologyWorld, agency_request: AgencyRequest) -> Submission:
    return services.start_draft(agency_request, actor=chronology_world.contributor_a, request=None)


def add(world: ChronologyWorld, draft: Submission, **changes: Any) -> Entry:
    return services.add_entry(draft, actor=world.contributor_a, fields=entry_fields(**changes), request=None)


def submitted(world: ChronologyWorld, draft: Submission, entries: int = 2) -> Submission:
    for day in range(1, entries + 1):
        add(world, draft, on=f"{day}/3/2019", event=f"Contact number {day}")
    return services.submit(draft, actor=world.contributor_a, version=None, request=None)


def url(name: str, *args: Any) -> str:
    return reverse(f"chronologies:{name}", args=args)


# Starting the draft -----------------------------------------------------------------------------


def test_contributor_starts_version_one_once(
    chronology_world: ChronologyWorld, agency_request: AgencyRequest, security_events: EventLog
) -> None:
    draft = services.start_draft(agency_request, actor=chronology_world.contributor_a, request=None)

    assert (draft.number, draft.status, draft.created_by) == (1, SubmissionStatus.DRAFT, chronology_world.contributor_a)
    event = security_events.find("chronologies.draft_started")
    assert event.details == {"review": "DHR-2026-01", "agency_request": agency_request.pk, "number": 1}
    with pytest.raises(ValidationError):
        services.start_draft(agency_request, actor=chronology_world.contributor_a, request=None)
    assert Submission.objects.filter(request=agency_request).count() == 1


@pytest.mark.parametrize("who", ["contributor_b", "coordinator", "independent_chair", "panel_member"])
def test_only_the_agency_starts_its_chronology(
    chronology_world: ChronologyWorld, agency_request: AgencyRequest, who: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.start_draft(agency_request, actor=getattr(chronology_world, who), request=None)
    assert not Submission.objects.exists()


def test_no_chronology_is_started_on_a_request_not_owed_or_of_another_kind(chronology_world: ChronologyWorld) -> None:
    scoping = chronology_world.send(chronology_world.agency_b, RequestKind.SCOPING)
    complete = chronology_world.send(chronology_world.agency_a)
    AgencyRequest.objects.filter(pk=complete.pk).update(status=RequestStatus.NIL_RETURN)
    complete.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.start_draft(scoping, actor=chronology_world.contributor_b, request=None)
    with pytest.raises(PermissionDenied):
        services.start_draft(complete, actor=chronology_world.contributor_a, request=None)
    assert not Submission.objects.exists()


# Entries by form --------------------------------------------------------------------------------


def test_entry_is_added_as_precise_as_the_record_in_chronology_order(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog
) -> None:
    first = add(chronology_world, draft)
    second = add(chronology_world, draft, on="Dec 2019", at="", risks=())

    assert (first.position, second.position) == (1, 2)
    assert first.date.precision is Precision.DAY
    assert str(first.at) == "14:30:00"
    assert second.date.precision is Precision.MONTH
    assert (second.starts_on.day, second.ends_on.day) == (1, 31)
    # The month comes before the days within it, and the indicators keep the configured order.
    ordered = list(Entry.objects.filter(submission=draft).order_by("order_key"))
    assert ordered == [second, first]
    assert first.risk_indicators == ["MARAC referral", "Pregnancy"]
    assert (first.review_id, first.agency_id, first.combined) == (
        draft.request.review_id,
        draft.request.agency_id,
        False,
    )
    event = security_events.find("chronologies.entry_added")
    assert event.details == {"review": "DHR-2026-01", "submission": draft.pk, "precision": "month"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"on": "32/13/2019"}, "on", "There is no month 13. Enter a month from 1 to 12"),
        ({"on": "31/12/19"}, "on", "Enter the year with all four digits"),
        ({"on": ""}, "on", "Enter the date of the event, or the month or year if that is all the record says"),
        ({"on": "Dec 2019", "at": "14:30"}, "at", "A time needs a full date"),
        ({"at": "25:00"}, "at", "There is no hour 25 in a day"),
        ({"subject": "neighbour"}, "subject", "Choose who the event is about"),
        ({"event": "  "}, "event", "Enter what happened"),
        ({"event": "x" * 4_001}, "event", "Event must be 4,000 characters or fewer"),
        ({"source_record": "x" * 101}, "source_record", "Source record must be 100 characters or fewer"),
        ({"practitioner_role": "x" * 201}, "practitioner_role", "Practitioner role must be 200 characters or fewer"),
        ({"action_or_outcome": "x" * 4_001}, "action_or_outcome", "Action or outcome must be 4,000 characters"),
        ({"risks": ("Astrology",)}, "risks", "Choose risk indicators from the list"),
    ],
)
def test_bad_entries_are_refused_naming_the_field(
    chronology_world: ChronologyWorld, draft: Submission, changes: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot(draft)
    with pytest.raises(ValidationError) as refused:
        add(chronology_world, draft, **changes)
    assert message in refused.value.message_dict[field][0]
    assert snapshot(draft) == before


def test_line_breaks_count_once_against_the_limit(chronology_world: ChronologyWorld, draft: Submission) -> None:
    """Browsers send CR LF; 2,000 lines of one character each and a break is 3,999 characters, not 5,998."""
    entry = add(chronology_world, draft, event="\r\n".join("x" * 2_000))
    assert len(entry.event) == 3_999
    assert "\r" not in entry.event


def test_entry_is_changed_and_reordered(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog
) -> None:
    entry = add(chronology_world, draft)
    later = add(chronology_world, draft, on="2020", at="")
    version = Submission.objects.get(pk=draft.pk).version

    changed = services.change_entry(
        entry,
        actor=chronology_world.contributor_a,
        fields=entry_fields(on="2021", at="", risks=()),
        version=version,
        request=None,
    )

    assert (changed.on, changed.at, changed.risks, changed.position) == ("2021", None, "", 1)
    assert list(Entry.objects.filter(submission=draft).order_by("order_key")) == [later, changed]
    assert security_events.find("chronologies.entry_changed").details["fields"] == ["on", "at", "risks"]


def test_a_change_to_a_draft_changed_since_is_refused(chronology_world: ChronologyWorld, draft: Submission) -> None:
    entry = add(chronology_world, draft)
    opened_at = Submission.objects.get(pk=draft.pk).version
    add(chronology_world, draft, event="A colleague's entry")
    before = snapshot(draft)

    with pytest.raises(ValidationError) as refused:
        services.change_entry(
            entry,
            actor=chronology_world.contributor_a,
            fields=entry_fields(event="Mine"),
            version=opened_at,
            request=None,
        )
    assert refused.value.code == "stale"
    with pytest.raises(ValidationError):
        services.delete_entry(entry, actor=chronology_world.contributor_a, version=opened_at, request=None)
    assert snapshot(draft) == before


def test_entry_is_deleted(chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog) -> None:
    entry = add(chronology_world, draft)
    kept = add(chronology_world, draft, event="Another contact")

    services.delete_entry(entry, actor=chronology_world.contributor_a, version=None, request=None)

    assert list(Entry.objects.filter(submission=draft)) == [kept]
    assert security_events.find("chronologies.entry_deleted").details == {
        "review": "DHR-2026-01",
        "submission": draft.pk,
        "position": 1,
    }
    # The next entry goes after the last, never reusing a position.
    assert add(chronology_world, draft).position == 3


@pytest.mark.parametrize("who", ["contributor_b", "coordinator", "independent_chair", "panel_member"])
def test_only_the_agency_changes_its_draft(chronology_world: ChronologyWorld, draft: Submission, who: str) -> None:
    entry = add(chronology_world, draft)
    before = snapshot(draft)
    actor: User = getattr(chronology_world, who)

    with pytest.raises(PermissionDenied):
        services.add_entry(draft, actor=actor, fields=FIELDS, request=None)
    with pytest.raises(PermissionDenied):
        services.change_entry(entry, actor=actor, fields=entry_fields(event="Changed"), version=None, request=None)
    with pytest.raises(PermissionDenied):
        services.delete_entry(entry, actor=actor, version=None, request=None)
    with pytest.raises(PermissionDenied):
        services.submit(draft, actor=actor, version=None, request=None)
    assert snapshot(draft) == before


# Submitting -------------------------------------------------------------------------------------


def test_an_empty_draft_is_not_submitted_and_a_nil_return_is_suggested(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    before = snapshot(draft)
    with pytest.raises(ValidationError) as refused:
        services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    assert "send a nil return instead" in refused.value.messages[0]
    assert snapshot(draft) == before
    assert AgencyRequest.objects.get(pk=draft.request_id).status == RequestStatus.OPEN


def test_submitting_freezes_the_version_and_awaits_the_panel(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog
) -> None:
    version = submitted(chronology_world, draft)

    assert version.status == SubmissionStatus.SUBMITTED
    assert version.submitted_by == chronology_world.contributor_a
    assert version.submitted_at is not None
    assert AgencyRequest.objects.get(pk=draft.request_id).status == RequestStatus.SUBMITTED
    assert security_events.find("chronologies.submission_submitted").details == {
        "review": "DHR-2026-01",
        "number": 1,
        "entries": 2,
    }


def test_a_frozen_version_refuses_every_change(chronology_world: ChronologyWorld, draft: Submission) -> None:
    version = submitted(chronology_world, draft)
    entry = version.entries.first()
    assert entry is not None
    before = snapshot(version)
    contributor = chronology_world.contributor_a

    for change in (
        lambda: services.add_entry(version, actor=contributor, fields=FIELDS, request=None),
        lambda: services.change_entry(entry, actor=contributor, fields=FIELDS, version=None, request=None),
        lambda: services.delete_entry(entry, actor=contributor, version=None, request=None),
        lambda: services.submit(version, actor=contributor, version=None, request=None),
    ):
        with pytest.raises(ValidationError) as refused:
            change()
        assert refused.value.messages == ["Version 1 is submitted, so it can no longer be changed"]
    assert snapshot(version) == before


# The panel's decision ---------------------------------------------------------------------------


def test_return_opens_the_next_version_as_a_copy(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog
) -> None:
    version = submitted(chronology_world, draft, entries=3)
    old = list(version.entries.order_by("position").values_list("position", "on", "event", "risks", "order_key"))

    new_draft = services.return_submission(
        version,
        actor=chronology_world.coordinator,
        comments="Add the MARAC referral of June 2019.",
        version=None,
        request=None,
    )

    version.refresh_from_db()
    assert (version.status, version.decided_by, version.comments) == (
        SubmissionStatus.RETURNED,
        chronology_world.coordinator,
        "Add the MARAC referral of June 2019.",
    )
    assert (new_draft.number, new_draft.status) == (2, SubmissionStatus.DRAFT)
    copied = new_draft.entries.order_by("position")
    assert list(copied.values_list("position", "on", "event", "risks", "order_key")) == old
    assert not copied.filter(combined=True).exists()
    assert set(copied.values_list("pk", flat=True)).isdisjoint(version.entries.values_list("pk", flat=True))
    assert AgencyRequest.objects.get(pk=draft.request_id).status == RequestStatus.RETURNED
    details = security_events.find("chronologies.submission_returned").details
    assert details == {"review": "DHR-2026-01", "number": 1, "new_number": 2, "entries_copied": 3}
    # The agency corrects the copy; the returned version keeps what it said.
    first = copied.first()
    assert first is not None
    services.change_entry(
        first, actor=chronology_world.contributor_a, fields=entry_fields(event="Corrected"), version=None, request=None
    )
    assert (
        list(version.entries.order_by("position").values_list("position", "on", "event", "risks", "order_key")) == old
    )


def test_a_return_needs_comments(chronology_world: ChronologyWorld, draft: Submission) -> None:
    version = submitted(chronology_world, draft)
    before = snapshot(version)
    with pytest.raises(ValidationError) as refused:
        services.return_submission(
            version, actor=chronology_world.coordinator, comments=" ", version=None, request=None
        )
    assert "comments" in refused.value.message_dict
    assert snapshot(version) == before
    assert Submission.objects.count() == 1


def test_accepting_puts_the_entries_in_the_combined_chronology(
    chronology_world: ChronologyWorld, draft: Submission, security_events: EventLog, django_assert_max_num_queries: Any
) -> None:
    version = submitted(chronology_world, draft, entries=30)

    with django_assert_max_num_queries(25):
        services.accept(version, actor=chronology_world.independent_chair, comments="", version=None, request=None)

    version.refresh_from_db()
    assert version.status == SubmissionStatus.ACCEPTED
    assert version.decided_by == chronology_world.independent_chair
    assert version.entries.filter(combined=True).count() == 30
    agency_request = AgencyRequest.objects.get(pk=draft.request_id)
    assert (agency_request.status, agency_request.completed_on) == (RequestStatus.COMPLETE, TODAY)
    assert security_events.find("chronologies.submission_accepted").details == {
        "review": "DHR-2026-01",
        "number": 1,
        "entries": 30,
    }


def test_a_second_version_is_accepted_after_a_return(chronology_world: ChronologyWorld, draft: Submission) -> None:
    first = submitted(chronology_world, draft)
    second = services.return_submission(
        first, actor=chronology_world.coordinator, comments="Dates missing.", version=None, request=None
    )
    services.submit(second, actor=chronology_world.contributor_a, version=None, request=None)
    services.accept(second, actor=chronology_world.coordinator, comments="Thank you.", version=None, request=None)

    assert Entry.objects.filter(combined=True, submission=second).count() == 2
    assert not Entry.objects.filter(combined=True, submission=first).exists()


@pytest.mark.parametrize("who", ["contributor_a", "contributor_b", "panel_member"])
def test_only_those_who_run_the_review_decide(chronology_world: ChronologyWorld, draft: Submission, who: str) -> None:
    version = submitted(chronology_world, draft)
    before = snapshot(version)
    actor: User = getattr(chronology_world, who)

    with pytest.raises(PermissionDenied):
        services.return_submission(version, actor=actor, comments="No.", version=None, request=None)
    with pytest.raises(PermissionDenied):
        services.accept(version, actor=actor, comments="", version=None, request=None)
    assert snapshot(version) == before
    assert Submission.objects.count() == 1


def test_a_draft_or_a_decided_version_cannot_be_decided(chronology_world: ChronologyWorld, draft: Submission) -> None:
    add(chronology_world, draft)
    coordinator = chronology_world.coordinator
    with pytest.raises(PermissionDenied):
        services.accept(draft, actor=coordinator, comments="", version=None, request=None)
    version = services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    services.accept(version, actor=coordinator, comments="", version=None, request=None)
    before = snapshot(version)
    with pytest.raises(PermissionDenied):
        services.return_submission(version, actor=coordinator, comments="Too late.", version=None, request=None)
    with pytest.raises(PermissionDenied):
        services.accept(version, actor=coordinator, comments="", version=None, request=None)
    assert snapshot(version) == before


# Pages ------------------------------------------------------------------------------------------


def test_contributor_starts_the_chronology_from_the_request_page(
    chronology_world: ChronologyWorld, agency_request: AgencyRequest
) -> None:
    client = chronology_world.client(chronology_world.contributor_a)
    page = client.get(url("request", agency_request.pk))
    assert "Start the chronology" in page.text
    assert url("template_xlsx", agency_request.pk) in page.text

    assert client.get(url("start_draft", agency_request.pk)).status_code == 405
    response = client.post(url("start_draft", agency_request.pk))

    draft = Submission.objects.get(request=agency_request)
    assert response.status_code == 302
    assert response["Location"] == url("submission", draft.pk)
    # A second press (a colleague, or the back button) opens the draft rather than failing.
    assert client.post(url("start_draft", agency_request.pk))["Location"] == url("submission", draft.pk)
    page = client.get(url("request", agency_request.pk))
    assert "Continue the draft, version 1" in page.text
    assert "Start the chronology" not in page.text


def test_contributor_adds_an_entry_by_the_web_form(chronology_world: ChronologyWorld, draft: Submission) -> None:
    client = chronology_world.client(chronology_world.contributor_a)
    page = client.get(url("entry_new", draft.pk))
    assert page.status_code == 200
    assert "Coercive control" in page.text

    response = client.post(url("entry_new", draft.pk), form_data(another="1"))

    assert response.status_code == 302
    assert response["Location"] == url("entry_new", draft.pk)
    entry = Entry.objects.get(submission=draft)
    assert (entry.on, entry.subject, entry.risks) == ("2019-12-31", "perpetrator", "\nCoercive control\n")
    page = client.get(url("submission", draft.pk))
    assert "Arrested for assault" in page.text
    assert "31 Dec 2019" in page.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"on": "32/13/2019"}, "There is no month 13. Enter a month from 1 to 12"),
        ({"event": "x" * 4_001}, "Event must be 4,000 characters or fewer"),
        ({"source_record": "x" * 101}, "Source record must be 100 characters or fewer"),
        ({"subject": ""}, "Choose who the event is about"),
    ],
)
def test_the_web_form_shows_what_to_correct(
    chronology_world: ChronologyWorld, draft: Submission, changes: dict[str, Any], message: str
) -> None:
    client = chronology_world.client(chronology_world.contributor_a)
    response = client.post(url("entry_new", draft.pk), form_data(**changes))
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert message in response.text
    assert not Entry.objects.exists()


def test_the_web_form_shows_every_problem_at_once(chronology_world: ChronologyWorld, draft: Submission) -> None:
    client = chronology_world.client(chronology_world.contributor_a)
    response = client.post(url("entry_new", draft.pk), {"on": "32/13/2019", "at": "9am", "event": ""})
    assert response.status_code == 400
    start = response.text.index("govuk-error-summary")
    summary = response.text[start : response.text.index("</ul>", start)]
    for message in (
        "There is no month 13. Enter a month from 1 to 12",
        "Choose who the event is about",
        "Enter what happened",
    ):
        assert message in summary


def test_contributor_changes_and_deletes_an_entry_by_the_web_form(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    entry = add(chronology_world, draft)
    client = chronology_world.client(chronology_world.contributor_a)
    page = client.get(url("entry_edit", draft.pk, entry.pk))
    assert 'value="31 Dec 2019"' in page.text
    assert 'value="14:30"' in page.text

    version = Submission.objects.get(pk=draft.pk).version
    response = client.post(url("entry_edit", draft.pk, entry.pk), form_data(on="2019-12", version=version))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.on, entry.event) == ("2019-12", "Arrested for assault")

    version = Submission.objects.get(pk=draft.pk).version
    assert client.get(url("entry_delete", draft.pk, entry.pk)).status_code == 200
    response = client.post(url("entry_delete", draft.pk, entry.pk), {"version": version})
    assert response.status_code == 302
    assert not Entry.objects.exists()


def test_the_submit_page_submits_and_the_coordinator_returns_then_accepts(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    add(chronology_world, draft)
    contributor = chronology_world.client(chronology_world.contributor_a)
    page = contributor.get(url("submission_submit", draft.pk))
    assert "You are submitting 1 entry" in page.text
    version = Submission.objects.get(pk=draft.pk).version
    assert contributor.post(url("submission_submit", draft.pk), {"version": version}).status_code == 302

    coordinator = chronology_world.client(chronology_world.coordinator)
    page = coordinator.get(url("submission", draft.pk))
    assert "Accept the chronology" in page.text
    assert "Return it with comments" in page.text
    version = Submission.objects.get(pk=draft.pk).version
    response = coordinator.post(url("submission_return", draft.pk), {"version": version, "comments": ""})
    assert response.status_code == 400
    assert "Enter your comments" in response.text
    response = coordinator.post(url("submission_return", draft.pk), {"version": version, "comments": "Add June."})
    assert response.status_code == 302

    second = Submission.objects.get(request=draft.request, number=2)
    page = contributor.get(url("submission", second.pk))
    assert "copied into it for you to correct" in page.text
    contributor.post(url("submission_submit", second.pk), {"version": second.version})
    second.refresh_from_db()
    response = coordinator.post(url("submission_accept", second.pk), {"version": second.version, "comments": ""})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == SubmissionStatus.ACCEPTED
    page = contributor.get(url("submission", draft.pk))
    assert "Add June." in page.text
    assert "Returned with comments" in page.text


def test_the_submit_page_suggests_a_nil_return_for_an_empty_draft(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    client = chronology_world.client(chronology_world.contributor_a)
    page = client.get(url("submission_submit", draft.pk))
    assert "send a nil return" in page.text
    assert url("nil_return", draft.request_id) in page.text
    response = client.post(url("submission_submit", draft.pk), {"version": draft.version})
    assert response.status_code == 400
    assert "Add at least one entry" in response.text


def test_the_differences_show_a_changed_entry(chronology_world: ChronologyWorld, draft: Submission) -> None:
    first = submitted(chronology_world, draft, entries=3)
    second = services.return_submission(
        first, actor=chronology_world.coordinator, comments="Check 2 March.", version=None, request=None
    )
    copy = second.entries.get(position=2)
    services.change_entry(
        copy,
        actor=chronology_world.contributor_a,
        fields=entry_fields(on="2/3/2019", event="Contact number 2, by telephone"),
        version=None,
        request=None,
    )
    added = add(chronology_world, second, on="4/3/2019", event="A new contact")
    client = chronology_world.client(chronology_world.contributor_a)

    page = client.get(url("submission_diff", second.pk))

    assert page.status_code == 200
    assert "1 entry changed, 1 added and 0 removed; 2 the same." in page.text
    assert "Contact number 2, by telephone" in page.text
    assert added.event in page.text
    assert "Version 1" in page.text
    assert "Version 2" in page.text
    assert client.get(url("submission", second.pk)).text.count(url("submission_diff", second.pk)) == 1
    assert client.get(url("submission_diff", second.pk) + "?against=9").status_code == 404
    first_page = client.get(url("submission_diff", first.pk))
    assert "there is no earlier version to compare it with" in first_page.text
    assert "Contact number 2, by telephone" in client.get(url("submission_diff", first.pk) + "?against=2").text


def test_entries_are_listed_in_date_order_a_page_at_a_time(
    chronology_world: ChronologyWorld, draft: Submission, django_assert_max_num_queries: Any
) -> None:
    for day in range(60, 0, -1):
        add(chronology_world, draft, on=f"{day % 28 + 1}/{day % 12 + 1}/2018", event=f"Contact {day:02d}")
    client = chronology_world.client(chronology_world.contributor_a)

    with django_assert_max_num_queries(30):
        page = client.get(url("submission", draft.pk))

    assert "60 entries, in date order." in page.text
    assert page.text.count("Change<span") == 50
    assert "Page 1 of 2" in page.text
    dates = [entry.starts_on for entry in page.context["page"]]
    assert dates == sorted(dates)


def test_templates_download_as_attachments(chronology_world: ChronologyWorld, agency_request: AgencyRequest) -> None:
    client = chronology_world.client(chronology_world.contributor_a)

    workbook_response = client.get(url("template_xlsx", agency_request.pk))
    csv_response = client.get(url("template_csv", agency_request.pk))

    assert (
        workbook_response["Content-Disposition"]
        == "attachment; filename=\"chronology-template-dhr-2026-01.xlsx\"; filename*=UTF-8''chronology-template-dhr-2026-01.xlsx"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(workbook_response.content), read_only=True)
    assert next(workbook["Chronology"].iter_rows(values_only=True)) == COLUMNS
    assert (
        csv_response["Content-Disposition"]
        == "attachment; filename=\"chronology-template-dhr-2026-01.csv\"; filename*=UTF-8''chronology-template-dhr-2026-01.csv"
    )
    assert next(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig")))) == list(COLUMNS)


# Who sees what ----------------------------------------------------------------------------------


def pages(submission: Submission, entry: Entry) -> list[str]:
    return [
        url("submission", submission.pk),
        url("entry_new", submission.pk),
        url("entry_edit", submission.pk, entry.pk),
        url("entry_delete", submission.pk, entry.pk),
        url("submission_submit", submission.pk),
        url("submission_return", submission.pk),
        url("submission_accept", submission.pk),
        url("import_new", submission.pk),
    ]


def test_another_agency_and_outsiders_get_404_everywhere(
    chronology_world: ChronologyWorld, draft: Submission, verified_client: Callable[..., Client]
) -> None:
    entry = add(chronology_world, draft)
    personas = chronology_world.reviews.personas
    second = submitted(
        chronology_world,
        services.return_submission(
            submitted(chronology_world, draft),
            actor=chronology_world.coordinator,
            comments="More.",
            version=None,
            request=None,
        ),
    )
    services.accept(second, actor=chronology_world.coordinator, comments="", version=None, request=None)
    for user in (chronology_world.contributor_b, personas.auditor, personas.outsider, personas.site_admin):
        client = verified_client(user)
        for address in [
            *pages(draft, entry),
            *pages(second, entry),
            url("submission_diff", second.pk),
            url("template_xlsx", draft.request_id),
            url("template_csv", draft.request_id),
        ]:
            assert client.get(address).status_code == 404, (user, address)
        assert client.get(url("start_draft", draft.request_id)).status_code == 404
        assert client.post(url("start_draft", draft.request_id)).status_code == 404
        assert client.post(url("entry_delete", draft.pk, entry.pk), {"version": 1}).status_code == 404
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_the_panel_sees_only_accepted_versions_and_changes_none(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    entry = add(chronology_world, draft)
    panel = chronology_world.client(chronology_world.panel_member)
    coordinator = chronology_world.client(chronology_world.coordinator)
    assert panel.get(url("submission", draft.pk)).status_code == 404
    assert coordinator.get(url("submission", draft.pk)).status_code == 404
    assert coordinator.get(url("entry_new", draft.pk)).status_code == 404

    services.submit(draft, actor=chronology_world.contributor_a, version=None, request=None)
    assert panel.get(url("submission", draft.pk)).status_code == 404
    assert coordinator.get(url("submission", draft.pk)).status_code == 200
    assert panel.get(url("submission_return", draft.pk)).status_code == 404

    services.accept(draft, actor=chronology_world.coordinator, comments="", version=None, request=None)
    page = panel.get(url("submission", draft.pk))
    assert page.status_code == 200
    assert entry.event in page.text
    assert "Accept the chronology" not in page.text
    for address in pages(draft, entry)[1:]:
        assert panel.get(address).status_code == 403, address


def test_the_agency_cannot_change_its_submitted_version_by_any_page(
    chronology_world: ChronologyWorld, draft: Submission
) -> None:
    version = submitted(chronology_world, draft)
    entry = version.entries.first()
    assert entry is not None
    before = snapshot(version)
    client = chronology_world.client(chronology_world.contributor_a)

    page = client.get(url("submission", version.pk))
    assert page.status_code == 200
    assert "Add an entry" not in page.text
    for address in pages(version, entry)[1:]:
        assert client.get(address).status_code == 403, address
        assert client.post(address, {**form_data(), "version": version.version}).status_code == 403, address
    assert snapshot(version) == before
