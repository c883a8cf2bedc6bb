"""Comment rounds: circulating a version to the panel, comments by section, the chair's answers,
closing the round; and the family's copy and its return."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reports.models import Comment, CommentRound, CommentStatus, FamilyCopy, ReportKind, ReportVersion
from dhr_tracker.reports.services import drafts as services
from dhr_tracker.reviews.models import Consent, FamilyMember
from sharing import access as sharing_access
from sharing.models import Grant
from tests.conftest import EventLog, Personas
from tests.reports.conftest import ReportWorld, make_version

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(name: str, *args: int) -> str:
    return reverse(f"reports:{name}", args=args)


def circulate(client: Client, version: ReportVersion, **data: Any) -> Any:
    return client.post(url("circulate", version.pk), {"due_on": (TODAY + timedelta(days=14)).isoformat(), **data})


def comment(client: Client, comment_round: CommentRound, **data: str) -> Any:
    return client.post(
        url("comment_add", comment_round.pk), {"section": "analysis", "text": "Say more on MARAC.", **data}
    )


@pytest.fixture
def version(report_world: ReportWorld) -> ReportVersion:
    return make_version(report_world)


@pytest.fixture
def out_for_comment(report_world: ReportWorld, version: ReportVersion) -> CommentRound:
    return services.circulate_version(
        version, actor=report_world.independent_chair, due_on=TODAY + timedelta(days=14), message="", request=None
    )


def test_chair_circulates_and_the_panel_gets_access(
    report_world: ReportWorld, version: ReportVersion, security_events: EventLog
) -> None:
    world = report_world
    document = version.document_version.document
    assert not sharing_access.can_open(world.panel_member, document)
    response = circulate(world.client(world.independent_chair), version, message="Comments by the due date, please")
    opened = CommentRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("round", opened.pk)
    assert opened.due_on == TODAY + timedelta(days=14)
    assert sharing_access.can_open(world.panel_member, document)
    event = security_events.find("reports.version_circulated")
    assert event.details["granted_to"] == [world.panel_member.pk]
    assert "Comments by" not in str(event.details)
    assert "sharing.access_granted" in security_events.actions()
    page = world.client(world.independent_chair).get(url("round", opened.pk)).content.decode()
    assert "can open this version" in page


def test_coordinator_circulates_but_cannot_share_the_chairs_document(
    report_world: ReportWorld, version: ReportVersion
) -> None:
    """The round opens; the page says who could not be given access, and why."""
    world = report_world
    response = circulate(world.client(world.coordinator), version)
    assert response.status_code == 302
    assert not Grant.objects.exists()
    page = world.client(world.coordinator).get(response["Location"]).content.decode()
    assert "cannot open this version: not given access to the document" in page


@pytest.mark.parametrize(
    ("due_on", "message"),
    [
        ("", "Enter the date comments are due"),
        ((TODAY - timedelta(days=1)).isoformat(), "The date comments are due must be in the future"),
        (TODAY.isoformat(), "The date comments are due must be in the future"),
        ("31/02/2026", "The date comments are due must be a real date"),
    ],
)
def test_a_missing_or_past_due_date_is_refused(
    report_world: ReportWorld, version: ReportVersion, due_on: str, message: str
) -> None:
    world = report_world
    response = circulate(world.client(world.independent_chair), version, due_on=due_on)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CommentRound.objects.exists()
    assert not Grant.objects.exists()


def test_a_second_open_round_on_a_version_is_refused(
    report_world: ReportWorld, version: ReportVersion, out_for_comment: CommentRound
) -> None:
    world = report_world
    with pytest.raises(Exception, match="already out for comment"):
        services.circulate_version(
            version, actor=world.independent_chair, due_on=TODAY + timedelta(days=3), message="", request=None
        )
    # The page hides the form while a round is open; a forced post is refused with a message.
    response = circulate(world.client(world.independent_chair), version)
    assert response.status_code == 400
    assert "already out for comment" in response.content.decode()
    assert CommentRound.objects.count() == 1


def test_panel_member_comments_on_a_section(
    report_world: ReportWorld, out_for_comment: CommentRound, security_events: EventLog
) -> None:
    world = report_world
    client = world.client(world.panel_member)
    page = client.get(url("round", out_for_comment.pk)).content.decode()
    assert "Add a comment" in page
    assert 'value="analysis"' in page
    response = comment(client, out_for_comment, text="The analysis should cover the MARAC referral.")
    assert response.status_code == 302
    saved = Comment.objects.get()
    assert (saved.section, saved.author, saved.status) == ("analysis", world.panel_member, CommentStatus.OPEN)
    event = security_events.find("reports.comment_added")
    assert event.details["section"] == "analysis"
    assert "MARAC" not in str(event.details)
    page = client.get(url("round", out_for_comment.pk)).content.decode()
    assert "Analysis" in page
    assert "The analysis should cover the MARAC referral." in page
    assert "Awaiting the chair" in page


def test_summary_rounds_offer_the_summarys_sections(report_world: ReportWorld) -> None:
    world = report_world
    summary = make_version(world, ReportKind.SUMMARY)
    opened = services.circulate_version(
        summary, actor=world.independent_chair, due_on=TODAY + timedelta(days=7), message="", request=None
    )
    client = world.client(world.panel_member)
    page = client.get(url("round", opened.pk)).content.decode()
    assert 'value="key_facts"' in page
    assert 'value="analysis"' not in page
    assert comment(client, opened, section="analysis").status_code == 400
    assert comment(client, opened, section="key_facts").status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "  "}, "Enter your comment"),
        ({"section": "epilogue"}, "Choose the section your comment is about"),
        ({"section": ""}, "Choose the section your comment is about"),
    ],
)
def test_an_empty_comment_or_unknown_section_is_refused(
    report_world: ReportWorld, out_for_comment: CommentRound, data: dict[str, str], message: str
) -> None:
    response = comment(report_world.client(report_world.panel_member), out_for_comment, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Comment.objects.exists()


def test_chair_resolves_comments(
    report_world: ReportWorld, out_for_comment: CommentRound, security_events: EventLog
) -> None:
    world = report_world
    member = world.client(world.panel_member)
    comment(member, out_for_comment)
    comment(member, out_for_comment, section="lessons", text="Add the lesson on GP records.")
    first, second = Comment.objects.order_by("pk")
    chair = world.client(world.independent_chair)
    done = chair.post(
        url("comment_resolve", first.pk),
        {f"resolve-{first.pk}-status": "resolved", f"resolve-{first.pk}-response": "Added."},
    )
    assert done.status_code == 302
    refused = chair.post(url("comment_resolve", second.pk), {f"resolve-{second.pk}-status": "not_resolved"})
    assert refused.status_code == 400
    assert "Enter why the comment was not taken up" in refused.content.decode()
    second.refresh_from_db()
    assert second.status == CommentStatus.OPEN
    chair.post(
        url("comment_resolve", second.pk),
        {f"resolve-{second.pk}-status": "not_resolved", f"resolve-{second.pk}-response": "Out of scope."},
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.response, first.resolved_by) == (
        CommentStatus.RESOLVED,
        "Added.",
        world.independent_chair,
    )
    assert (second.status, second.response) == (CommentStatus.NOT_RESOLVED, "Out of scope.")
    event = security_events.find("reports.comment_resolved")
    assert event.details["status"] == "not_resolved"
    assert "Out of scope" not in str(event.details)
    page = chair.get(url("round", out_for_comment.pk)).content.decode()
    assert "Not taken up" in page
    assert "Out of scope." in page


def test_closing_the_round_says_how_many_comments_remain_open(
    report_world: ReportWorld, out_for_comment: CommentRound, security_events: EventLog
) -> None:
    world = report_world
    comment(world.client(world.panel_member), out_for_comment)
    chair = world.client(world.independent_chair)
    response = chair.post(url("round_close", out_for_comment.pk))
    assert response.status_code == 302
    out_for_comment.refresh_from_db()
    assert out_for_comment.closed_at is not None
    assert security_events.find("reports.round_closed").details["open"] == 1
    page = chair.get(url("round", out_for_comment.pk)).content.decode()
    assert "1 comment awaiting the chair" in page
    # Closed: no more comments, and it cannot be closed again.
    assert comment(world.client(world.panel_member), out_for_comment).status_code == 403
    again = chair.post(url("round_close", out_for_comment.pk))
    assert again.status_code == 400
    assert "already closed" in again.content.decode()
    # A new round may now be opened on the same version.
    assert circulate(chair, out_for_comment.version).status_code == 302


def test_panel_member_may_comment_but_nothing_else(
    report_world: ReportWorld, version: ReportVersion, out_for_comment: CommentRound
) -> None:
    world = report_world
    comment(world.client(world.panel_member), out_for_comment)
    saved = Comment.objects.get()
    client = world.client(world.panel_member)
    assert client.get(url("version", version.pk)).status_code == 200
    assert circulate(client, version).status_code == 403
    resolve = {f"resolve-{saved.pk}-status": "resolved", f"resolve-{saved.pk}-response": "Done"}
    assert client.post(url("comment_resolve", saved.pk), resolve).status_code == 403
    assert client.post(url("round_close", out_for_comment.pk)).status_code == 403
    assert client.post(url("family_copy_add", version.pk), {"shared_on": TODAY.isoformat()}).status_code == 403
    page = client.get(url("round", out_for_comment.pk)).content.decode()
    assert url("comment_resolve", saved.pk) not in page
    assert url("round_close", out_for_comment.pk) not in page
    saved.refresh_from_db()
    out_for_comment.refresh_from_db()
    assert saved.status == CommentStatus.OPEN
    assert out_for_comment.closed_at is None
    assert CommentRound.objects.count() == 1
    assert not FamilyCopy.objects.exists()


def test_outsiders_get_404_and_change_nothing(
    report_world: ReportWorld, version: ReportVersion, out_for_comment: CommentRound, personas: Personas
) -> None:
    world = report_world
    comment(world.client(world.panel_member), out_for_comment)
    saved = Comment.objects.get()
    copy = services.record_family_copy(
        version, actor=world.independent_chair, member_id=None, shared_on=TODAY, request=None
    )
    for user in (world.contributor_a, personas.outsider, personas.auditor, personas.site_admin):
        client = world.client(user)
        for path in (url("version", version.pk), url("round", out_for_comment.pk)):
            assert client.get(path).status_code == 404, (user, path)
        for path in (
            url("circulate", version.pk),
            url("comment_add", out_for_comment.pk),
            url("comment_resolve", saved.pk),
            url("round_close", out_for_comment.pk),
            url("family_copy_add", version.pk),
            url("family_copy_return", copy.pk),
        ):
            assert (
                client.post(path, {"text": "x", "section": "analysis", "shared_on": TODAY.isoformat()}).status_code
                == 404
            ), (user, path)
            assert client.get(path).status_code == 404, (user, path)
    assert Comment.objects.count() == 1
    assert CommentRound.objects.get().closed_at is None
    assert FamilyCopy.objects.count() == 1
    copy.refresh_from_db()
    assert copy.returned_on is None


# The family's copy ---------------------------------------------------------------------------


@pytest.fixture
def sister(report_world: ReportWorld) -> FamilyMember:
    member = FamilyMember(
        review=report_world.review,
        pseudonym="Sister of Adult A",
        relationship="Sister",
        consent=Consent.GIVEN,
        advocate="AAFDA",
        added_by=report_world.coordinator,
    )
    member.save()
    return member


def test_family_copy_shared_and_returned(
    report_world: ReportWorld, version: ReportVersion, sister: FamilyMember, security_events: EventLog
) -> None:
    world = report_world
    chair = world.client(world.independent_chair)
    page = chair.get(url("version", version.pk)).content.decode()
    assert "Sister of Adult A (Sister)" in page
    shared_on = TODAY - timedelta(days=10)
    response = chair.post(url("family_copy_add", version.pk), {"member": sister.pk, "shared_on": shared_on.isoformat()})
    assert response.status_code == 302
    copy = FamilyCopy.objects.get()
    assert (copy.member, copy.shared_on, copy.recorded_by) == (sister, shared_on, world.independent_chair)
    assert security_events.find("reports.family_copy_shared").details["member"] == sister.pk
    prefix = f"return-{copy.pk}"
    returned = chair.post(
        url("family_copy_return", copy.pk),
        {f"{prefix}-returned_on": TODAY.isoformat(), f"{prefix}-response": "We would like her music mentioned."},
    )
    assert returned.status_code == 302
    copy.refresh_from_db()
    assert copy.returned_on == TODAY
    assert copy.response() == "We would like her music mentioned."
    assert "music" not in copy.response_enc
    event = security_events.find("reports.family_copy_returned")
    assert "music" not in str(event.details)
    assert "We would like her music mentioned." in chair.get(url("version", version.pk)).content.decode()


def test_family_copy_dates_are_checked(report_world: ReportWorld, version: ReportVersion) -> None:
    world = report_world
    chair = world.client(world.independent_chair)
    future = chair.post(url("family_copy_add", version.pk), {"shared_on": (TODAY + timedelta(days=1)).isoformat()})
    assert future.status_code == 400
    assert "The date shared must be today or in the past" in future.content.decode()
    unknown = chair.post(url("family_copy_add", version.pk), {"member": "99999", "shared_on": TODAY.isoformat()})
    assert unknown.status_code == 400
    assert not FamilyCopy.objects.exists()
    copy = services.record_family_copy(
        version, actor=world.independent_chair, member_id=None, shared_on=TODAY, request=None
    )
    prefix = f"return-{copy.pk}"
    early = chair.post(
        url("family_copy_return", copy.pk), {f"{prefix}-returned_on": (TODAY - timedelta(days=1)).isoformat()}
    )
    assert early.status_code == 400
    assert "The date returned must be on or after the date shared" in early.content.decode()
    copy.refresh_from_db()
    assert copy.returned_on is None
