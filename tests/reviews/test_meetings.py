"""Panel meetings: attendees from the panel, minutes from the review's secure space, actions with
owners and due dates and their RAG, and who may see and change what."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.models import Meeting, MeetingAction, Participant, ParticipantKind, Review
from dhr_tracker.reviews.services import STALE_MESSAGE
from dhr_tracker.reviews.services import meetings as services
from sharing.models import Classification, Document, Space
from sharing.services import protocols as sharing_services
from tests.conftest import EventLog
from tests.reviews.conftest import ReviewWorld

pytestmark = pytest.mark.django_db

Clients = Callable[..., Client]
TODAY = timezone.localdate()


@dataclass
class Panel:
    world: ReviewWorld
    review: Review
    chair: Participant
    member: Participant
    contributor: Participant
    minutes: Document
    elsewhere: Document

    @property
    def chair_user(self) -> User:
        return self.world.independent_chair

    @property
    def coordinator(self) -> User:
        return self.world.personas.coordinator


def _document(space: Space, title: str, world: ReviewWorld) -> Document:
    return Document.objects.create(
        space=space,
        title=title,
        owner_party=world.chairs_agency,
        classification=Classification.OFFICIAL,
        retention_ends_on=TODAY + timedelta(days=365),
        created_by=world.independent_chair,
    )


def _space(world: ReviewWorld, name: str) -> Space:
    """A space of the review's protocol in which the independent chair acts for the chairs' agency."""
    coordinator = world.personas.coordinator
    space = sharing_services.create_space(world.protocol, actor=coordinator, name=name, request=None)
    sharing_services.add_member(
        space, actor=coordinator, user_id=world.independent_chair.pk, party_id=world.chairs_agency.pk, request=None
    )
    return space


@pytest.fixture
def panel(review_world: ReviewWorld) -> Panel:
    world = review_world
    coordinator = world.personas.coordinator

    def join(user: User, kind: str, agency: Any) -> Participant:
        return Participant.objects.create(
            review=world.review, user=user, kind=kind, agency=agency, added_by=coordinator
        )

    chair = join(world.independent_chair, ParticipantKind.INDEPENDENT_CHAIR, world.chairs_agency)
    member = join(world.panel_member, ParticipantKind.PANEL_MEMBER, world.agency_a)
    contributor = join(world.personas.contributor_b, ParticipantKind.AGENCY_CONTRIBUTOR, world.agency_b)
    space = _space(world, world.review.reference)
    Review.objects.filter(pk=world.review.pk).update(space=space)
    minutes = _document(space, "Minutes of the first panel meeting", world)
    elsewhere = _document(_space(world, "Another review"), "Minutes of another review", world)
    return Panel(world, world.refresh(), chair, member, contributor, minutes, elsewhere)


def record(panel: Panel, **overrides: Any) -> Meeting:
    given: dict[str, Any] = {
        "held_on": TODAY - timedelta(days=7),
        "title": "First panel meeting",
        "attendee_ids": [panel.chair.pk, panel.member.pk],
        "decisions": "Agreed the terms of reference; Adult A's GP to be asked for records.",
        "minutes_document_id": None,
        "actor": panel.chair_user,
        **overrides,
    }
    return services.record_meeting(panel.review, request=None, **given)


def add_action(panel: Panel, meeting: Meeting, **overrides: Any) -> MeetingAction:
    given: dict[str, Any] = {
        "actor": panel.coordinator,
        "text": "Ask the GP practice for its records of Adult A",
        "owner_id": panel.world.panel_member.pk,
        "due_on": TODAY + timedelta(days=30),
        **overrides,
    }
    return services.add_action(meeting, request=None, **given)


def url(name: str, panel: Panel, *more: int) -> str:
    return reverse(f"reviews:{name}", args=[panel.review.pk, *more])


def meeting_data(panel: Panel, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "held_on": (TODAY - timedelta(days=2)).isoformat(),
        "title": "Second panel meeting",
        "attendees": [panel.chair.pk, panel.member.pk],
        "decisions": "Chronologies due in six weeks.",
        "minutes": "",
    }
    data.update(overrides)
    return data


def test_chair_records_a_meeting_with_minutes_from_the_page(
    panel: Panel, verified_client: Clients, security_events: EventLog
) -> None:
    client = verified_client(panel.chair_user)
    page = client.get(url("meeting_new", panel))
    assert page.status_code == 200
    assert "Pat Panel, Panel member (Agency A Police)" in page.text
    assert "Minutes of the first panel meeting" in page.text
    assert "Minutes of another review" not in page.text
    response = client.post(url("meeting_new", panel), meeting_data(panel, minutes=panel.minutes.pk))
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("meeting", panel, meeting.pk)
    assert set(meeting.attendees.all()) == {panel.chair, panel.member}
    assert (meeting.title, meeting.minutes, meeting.recorded_by) == (
        "Second panel meeting",
        panel.minutes,
        panel.chair_user,
    )
    event = security_events.find("reviews.meeting_recorded")
    assert event.details == {
        "review": panel.review.reference,
        "held_on": meeting.held_on.isoformat(),
        "attendees": 2,
        "minutes": panel.minutes.pk,
    }
    detail = client.get(url("meeting", panel, meeting.pk))
    assert reverse("sharing:document", args=[panel.minutes.pk]) in detail.text
    assert "Pat Panel, Panel member" in detail.text
    assert "Chronologies due in six weeks." in detail.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"held_on": TODAY + timedelta(days=1)}, "held_on", "The date of the meeting must be today or in the past"),
        ({"held_on": TODAY - timedelta(days=60)}, "held_on", "on or after the date notified"),
        ({"title": " "}, "title", "Enter the title of the meeting"),
        ({"attendee_ids": "contributor_of_other_review"}, "attendees", "Choose the attendees from the people on"),
        ({"attendee_ids": "removed"}, "attendees", "Choose the attendees from the people on"),
        ({"minutes_document_id": "elsewhere"}, "minutes", "Choose the minutes from the documents"),
        ({"minutes_document_id": 999999}, "minutes", "Choose the minutes from the documents"),
    ],
)
def test_bad_meetings_are_refused_naming_the_field(
    panel: Panel, overrides: dict[str, Any], field: str, message: str
) -> None:
    if overrides.get("attendee_ids") == "removed":
        Participant.objects.filter(pk=panel.member.pk).update(removed_at=timezone.now())
        overrides = {"attendee_ids": [panel.member.pk]}
    elif overrides.get("attendee_ids") == "contributor_of_other_review":
        other = Participant.objects.create(
            review=Review.objects.create(
                partnership=panel.review.partnership,
                reference="DHR-2026-99",
                notified_on=panel.review.notified_on,
                notifier_kind="police",
                notifier_name="Police",
                died_on=panel.review.died_on,
                death_type="homicide",
                relationship="partner",
                created_by=panel.coordinator,
            ),
            user=panel.world.personas.contributor_a,
            kind=ParticipantKind.PANEL_MEMBER,
            added_by=panel.coordinator,
        )
        overrides = {"attendee_ids": [panel.chair.pk, other.pk]}
    elif overrides.get("minutes_document_id") == "elsewhere":
        overrides = {"minutes_document_id": panel.elsewhere.pk}
    version = panel.review.version
    with pytest.raises(ValidationError) as refused:
        record(panel, **overrides)
    assert message in refused.value.message_dict[field][0]
    assert not Meeting.objects.exists()
    assert Review.objects.get(pk=panel.review.pk).version == version


def test_minutes_must_be_a_document_the_recorder_can_open(panel: Panel) -> None:
    """The coordinator is not a member of the space, so cannot attach a document from it."""
    with pytest.raises(ValidationError) as refused:
        record(panel, actor=panel.coordinator, minutes_document_id=panel.minutes.pk)
    assert "minutes" in refused.value.message_dict
    assert services.minutes_choices(panel.review, panel.coordinator) == []


def test_attendee_outside_the_choices_is_refused_on_the_page(panel: Panel, verified_client: Clients) -> None:
    client = verified_client(panel.chair_user)
    response = client.post(url("meeting_new", panel), meeting_data(panel, attendees=[panel.chair.pk, 999999]))
    assert response.status_code == 400
    assert "Choose the attendees from the people on the review&#x27;s panel" in response.text
    assert not Meeting.objects.exists()


def test_editing_a_meeting_keeps_minutes_the_editor_cannot_open(
    panel: Panel, verified_client: Clients, security_events: EventLog
) -> None:
    meeting = record(panel, minutes_document_id=panel.minutes.pk)
    Participant.objects.filter(pk=panel.member.pk).update(removed_at=timezone.now())
    client = verified_client(panel.coordinator)
    page = client.get(url("meeting_edit", panel, meeting.pk))
    assert page.status_code == 200
    assert "The minutes already attached" in page.text
    data = meeting_data(
        panel,
        title="First panel meeting (corrected)",
        minutes=panel.minutes.pk,
        version=Review.objects.get(pk=panel.review.pk).version,
    )
    response = client.post(url("meeting_edit", panel, meeting.pk), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.title, meeting.minutes_id) == ("First panel meeting (corrected)", panel.minutes.pk)
    assert set(meeting.attendees.all()) == {panel.chair, panel.member}, "a past attendee who left stays listed"
    assert security_events.find("reviews.meeting_changed").details["fields"] == ["held_on", "title", "decisions"]


def test_edit_based_on_a_stale_version_is_refused(panel: Panel, verified_client: Clients) -> None:
    meeting = record(panel)
    stale = meeting_data(panel, title="Renamed", version=Review.objects.get(pk=panel.review.pk).version)
    add_action(panel, meeting)
    response = verified_client(panel.coordinator).post(url("meeting_edit", panel, meeting.pk), stale)
    assert response.status_code == 400
    assert STALE_MESSAGE.split(",")[0] in response.text
    meeting.refresh_from_db()
    assert meeting.title == "First panel meeting"


def test_actions_are_added_with_an_owner_on_the_review(
    panel: Panel, verified_client: Clients, security_events: EventLog
) -> None:
    meeting = record(panel)
    client = verified_client(panel.coordinator)
    page = client.get(url("meeting_action_add", panel, meeting.pk))
    assert page.status_code == 200
    for name in ("Pat Panel", "Ivy Independent", panel.world.personas.csp_chair.full_name):
        assert name in page.text
    due = TODAY + timedelta(days=14)
    response = client.post(
        url("meeting_action_add", panel, meeting.pk),
        {"text": "Send the chronology template", "owner": panel.world.panel_member.pk, "due_on": due.isoformat()},
    )
    assert response.status_code == 302
    action = MeetingAction.objects.get()
    assert (action.owner, action.due_on, action.done_on) == (panel.world.panel_member, due, None)
    event = security_events.find("reviews.meeting_action_added")
    assert event.details == {
        "review": panel.review.reference,
        "meeting": meeting.pk,
        "owner": panel.world.panel_member.pk,
        "due_on": due.isoformat(),
    }
    assert "chronology template" not in str(event.details)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"owner_id": "outsider"}, "owner", "Choose an owner from the people on the review"),
        ({"owner_id": "contributor_a"}, "owner", "Choose an owner from the people on the review"),
        ({"due_on": TODAY - timedelta(days=8)}, "due_on", "on or after the date of the meeting"),
        ({"text": ""}, "text", "Enter the action"),
    ],
)
def test_bad_actions_are_refused_naming_the_field(
    panel: Panel, overrides: dict[str, Any], field: str, message: str
) -> None:
    meeting = record(panel)
    if overrides.get("owner_id") in ("outsider", "contributor_a"):
        overrides = {"owner_id": getattr(panel.world.personas, overrides["owner_id"]).pk}
    with pytest.raises(ValidationError) as refused:
        add_action(panel, meeting, **overrides)
    assert message in refused.value.message_dict[field][0]
    assert not MeetingAction.objects.exists()


def test_agency_contributor_on_the_review_may_own_an_action(panel: Panel) -> None:
    action = add_action(panel, record(panel), owner_id=panel.contributor.user_id)
    assert action.owner_id == panel.world.personas.contributor_b.pk


def test_owner_marks_their_action_done_though_read_only_on_the_review(
    panel: Panel, verified_client: Clients, security_events: EventLog
) -> None:
    meeting = record(panel)
    action = add_action(panel, meeting)
    client = verified_client(panel.world.panel_member)
    done_url = url("meeting_action_done", panel, meeting.pk, action.pk)
    assert client.get(done_url).status_code == 200
    future = client.post(done_url, {"done_on": (TODAY + timedelta(days=1)).isoformat()})
    assert future.status_code == 400
    assert "The date the action was done must be today or in the past" in future.text
    early = client.post(done_url, {"done_on": (TODAY - timedelta(days=8)).isoformat()})
    assert early.status_code == 400
    assert "must be on or after the date of the meeting" in early.text
    assert client.post(done_url, {"done_on": TODAY.isoformat()}).status_code == 302
    action.refresh_from_db()
    assert (action.done_on, action.done_by) == (TODAY, panel.world.panel_member)
    assert security_events.find("reviews.meeting_action_done").details["done_on"] == TODAY.isoformat()
    assert client.get(done_url).status_code == 302, "a done action sends back to the meeting"
    with pytest.raises(ValidationError, match="already marked as done"):
        services.complete_action(action, actor=panel.coordinator, done_on=TODAY, request=None)


def test_only_the_owner_or_those_who_run_the_review_complete_an_action(panel: Panel, verified_client: Clients) -> None:
    meeting = record(panel)
    action = add_action(panel, meeting, owner_id=panel.chair_user.pk)
    done_url = url("meeting_action_done", panel, meeting.pk, action.pk)
    assert verified_client(panel.world.panel_member).post(done_url, {"done_on": TODAY.isoformat()}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.complete_action(action, actor=panel.world.panel_member, done_on=TODAY, request=None)
    services.complete_action(action, actor=panel.world.personas.csp_chair, done_on=TODAY, request=None)
    action.refresh_from_db()
    assert action.done_by == panel.world.personas.csp_chair


def test_meetings_page_lists_meetings_and_open_actions_with_their_rag(
    panel: Panel, verified_client: Clients, django_assert_max_num_queries: Any
) -> None:
    for index in range(3):
        meeting = record(panel, title=f"Panel meeting {index + 1}", held_on=TODAY - timedelta(days=10 - index))
        add_action(panel, meeting, text=f"Overdue action {index}", due_on=TODAY - timedelta(days=1))
        add_action(panel, meeting, text=f"Later action {index}", due_on=TODAY + timedelta(days=60))
    done = add_action(panel, meeting, text="Finished action", due_on=TODAY)
    services.complete_action(done, actor=panel.coordinator, done_on=TODAY, request=None)
    for user in (panel.coordinator, panel.world.panel_member):
        client = verified_client(user)
        with django_assert_max_num_queries(14):
            response = client.get(url("meetings", panel))
        assert response.status_code == 200
        for index in range(3):
            assert f"Panel meeting {index + 1}" in response.text
            assert f"Overdue action {index}" in response.text
        assert "Finished action" not in response.text
        assert response.text.count("Overdue</strong>") == 3
        assert response.text.count("On track</strong>") == 3
        assert ("Record a meeting" in response.text) is (user == panel.coordinator)
    status = schedule.status_of(Review.objects.get(pk=panel.review.pk), TODAY)
    assert sum(deadline.key.startswith("action:") for deadline in status.deadlines) == 6


def test_panel_member_reads_meetings_but_changes_nothing(panel: Panel, verified_client: Clients) -> None:
    meeting = record(panel)
    action = add_action(panel, meeting, owner_id=panel.chair_user.pk)
    client = verified_client(panel.world.panel_member)
    for read in (url("meetings", panel), url("meeting", panel, meeting.pk)):
        page = client.get(read)
        assert page.status_code == 200
        assert "Mark as done" not in page.text
    for change in (
        url("meeting_new", panel),
        url("meeting_edit", panel, meeting.pk),
        url("meeting_action_add", panel, meeting.pk),
        url("meeting_action_done", panel, meeting.pk, action.pk),
    ):
        assert client.get(change).status_code == 403, change
        assert client.post(change, meeting_data(panel)).status_code == 403, change
    with pytest.raises(PermissionDenied):
        record(panel, actor=panel.world.panel_member)
    assert Meeting.objects.count() == 1


def test_outsiders_auditors_and_contributors_get_404_everywhere(panel: Panel, verified_client: Clients) -> None:
    meeting = record(panel)
    action = add_action(panel, meeting, owner_id=panel.contributor.user_id)
    p = panel.world.personas
    urls = [
        url("meetings", panel),
        url("meeting_new", panel),
        url("meeting", panel, meeting.pk),
        url("meeting_edit", panel, meeting.pk),
        url("meeting_action_add", panel, meeting.pk),
        url("meeting_action_done", panel, meeting.pk, action.pk),
    ]
    for user in (p.outsider, p.auditor, p.contributor_a, p.contributor_b, p.site_admin):
        client = verified_client(user)
        for target in urls:
            assert client.get(target).status_code == 404, (user.email, target)
            assert client.post(target, {"done_on": TODAY.isoformat()}).status_code == 404, (user.email, target)
    action.refresh_from_db()
    assert action.done_on is None
    assert Meeting.objects.count() == 1
