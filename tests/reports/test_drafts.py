"""Report versions: the upload to the review's secure space, the reports page, and who may do it."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import Report, ReportKind, ReportVersion
from dhr_tracker.reports.services import drafts as services
from dhr_tracker.reviews.models import Review
from sharing.models import Classification, Document, DocumentVersion, VersionStatus
from tests.conftest import EventLog, Personas
from tests.reports.conftest import ReportWorld, make_version
from tests.sharing.conftest import clean_storage, post_file, spooled_files

__all__ = ["clean_storage"]  # a fixture, used by name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_storage")]

DRAFT = b"%PDF-1.4\n% Overview report, first draft\n"
SECOND = b"%PDF-1.4\n% Overview report, second draft\n"


def upload(client: Client, review: Review, content: bytes = DRAFT, *, kind: str = "overview", note: str = "") -> Any:
    url = reverse("reports:version_upload", args=[review.pk, kind])
    return post_file(client, url, content, name=f"{kind}.pdf", note=note)


def outsiders(world: ReportWorld, personas: Personas) -> list[User]:
    """Those who must not learn the reports exist: a contributor, another partnership, an auditor, an administrator."""
    return [world.contributor_a, personas.outsider, personas.auditor, personas.site_admin]


def test_chair_uploads_the_first_version_to_the_secure_space(
    report_world: ReportWorld, security_events: EventLog
) -> None:
    world = report_world
    response = upload(world.client(world.independent_chair), world.review, note="First full draft")
    assert response.status_code == 302
    version = ReportVersion.objects.get()
    assert (version.number, version.note, version.added_by) == (1, "First full draft", world.independent_chair)
    assert version.report.kind == ReportKind.OVERVIEW
    document = version.document_version.document
    assert document.space_id == world.review.space_id
    assert document.title == "DHR-2026-01 overview report"
    assert document.classification == Classification.OFFICIAL_SENSITIVE
    stored = DocumentVersion.objects.get(pk=version.document_version_id)
    assert stored.status == VersionStatus.AVAILABLE
    assert spooled_files() == []
    event = security_events.find("reports.version_added")
    assert event.details["number"] == 1
    assert event.details["kind"] == "overview"
    assert "First full draft" not in str(event.details)
    assert "sharing.document_uploaded" in security_events.actions()


def test_a_second_version_is_a_new_version_of_the_same_document(report_world: ReportWorld) -> None:
    world = report_world
    upload(world.client(world.independent_chair), world.review)
    response = upload(world.client(world.independent_chair, sudo=True), world.review, SECOND, note="After comments")
    assert response.status_code == 302
    first, second = ReportVersion.objects.order_by("number")
    assert second.number == 2
    assert second.document_version.document_id == first.document_version.document_id
    assert second.document_version.number == 2
    assert Document.objects.count() == 1


def test_a_second_version_needs_a_recent_second_factor(report_world: ReportWorld) -> None:
    """Adding a version to an OFFICIAL-SENSITIVE document asks for a code, as the sharing page does."""
    world = report_world
    upload(world.client(world.independent_chair), world.review)
    response = upload(world.client(world.independent_chair), world.review, SECOND)
    assert response.status_code == 302
    assert reverse("accounts:sudo") in response["Location"]
    assert ReportVersion.objects.count() == 1


def test_the_reports_page_shows_versions_with_their_receipt(report_world: ReportWorld) -> None:
    world = report_world
    upload(world.client(world.independent_chair), world.review, note="First full draft")
    version = ReportVersion.objects.get()
    page = world.client(world.panel_member).get(reverse("reports:reports", args=[world.review.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert version.document_version.sha256 in text
    assert "overview.pdf" in text
    assert "First full draft" in text
    assert reverse("reports:version", args=[version.pk]) in text
    # A panel member may read but not upload, nor download the starting draft.
    assert reverse("reports:version_upload", args=[world.review.pk, "overview"]) not in text
    assert reverse("reports:starting_draft", args=[world.review.pk]) not in text


def test_chairs_page_links_to_upload_and_starting_draft(report_world: ReportWorld) -> None:
    world = report_world
    page = world.client(world.independent_chair).get(reverse("reports:reports", args=[world.review.pk]))
    text = page.content.decode()
    assert reverse("reports:version_upload", args=[world.review.pk, "summary"]) in text
    assert reverse("reports:starting_draft", args=[world.review.pk]) in text


def test_upload_is_refused_for_someone_outside_the_secure_space(report_world: ReportWorld) -> None:
    """The coordinator runs the review but is not a member of its space: told why, and nothing is stored."""
    world = report_world
    client = world.client(world.coordinator)
    page = client.get(reverse("reports:version_upload", args=[world.review.pk, "overview"]))
    assert "You are not a member of the review&#x27;s secure space" in page.content.decode()
    response = upload(client, world.review)
    assert response.status_code == 400
    assert "not a member of the review" in response.content.decode()
    assert not ReportVersion.objects.exists()
    assert not Document.objects.exists()
    assert spooled_files() == []


def test_upload_is_refused_without_a_secure_space(report_world: ReportWorld) -> None:
    world = report_world
    Review.objects.filter(pk=world.review.pk).update(space=None)
    response = upload(world.client(world.independent_chair), world.refresh())
    assert response.status_code == 400
    assert "The review has no secure space yet" in response.content.decode()
    assert not Report.objects.exists()


def test_a_file_sharing_refuses_saves_nothing(report_world: ReportWorld) -> None:
    world = report_world
    url = reverse("reports:version_upload", args=[world.review.pk, "overview"])
    response = post_file(
        world.client(world.independent_chair), url, b"MZ\x90\x00 a program", name="report.exe", note=""
    )
    assert response.status_code == 400
    assert not ReportVersion.objects.exists()
    assert not Document.objects.exists()


def test_an_unknown_kind_of_report_is_not_found(report_world: ReportWorld) -> None:
    world = report_world
    response = world.client(world.independent_chair).get(
        reverse("reports:version_upload", args=[world.review.pk, "novel"])
    )
    assert response.status_code == 404


def test_panel_member_cannot_upload(report_world: ReportWorld) -> None:
    world = report_world
    client = world.client(world.panel_member)
    assert client.get(reverse("reports:version_upload", args=[world.review.pk, "overview"])).status_code == 403
    assert upload(client, world.review).status_code == 403
    assert not ReportVersion.objects.exists()
    assert spooled_files() == []


def test_outsiders_get_404_on_the_reports_pages(report_world: ReportWorld, personas: Personas) -> None:
    world = report_world
    review = world.review
    for user in outsiders(world, personas):
        client = world.client(user)
        assert client.get(reverse("reports:reports", args=[review.pk])).status_code == 404, user
        assert client.get(reverse("reports:starting_draft", args=[review.pk])).status_code == 404, user
        assert client.get(reverse("reports:version_upload", args=[review.pk, "overview"])).status_code == 404, user
        assert upload(client, review).status_code == 404, user
    assert not ReportVersion.objects.exists()
    assert spooled_files() == []


def test_the_reports_page_costs_the_same_however_many_versions(report_world: ReportWorld) -> None:
    world = report_world
    client = world.client(world.independent_chair)
    path = reverse("reports:reports", args=[world.review.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    make_version(world)
    few = queries()
    for kind in (ReportKind.OVERVIEW, ReportKind.SUMMARY, ReportKind.SUMMARY):
        version = make_version(world, kind)
        services.record_family_copy(
            version, actor=world.independent_chair, member_id=None, shared_on=timezone.localdate(), request=None
        )
    assert queries() == few
