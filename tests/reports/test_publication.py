"""Publication: telling the family, the checklist, publishing only when everything holds (and nothing
otherwise), unpublishing on demand and when the period ends, and who may do what."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from dhr_tracker.reports import tasks
from dhr_tracker.reports.models import Candidate, Publication, PublishedItem
from dhr_tracker.reports.services import publication as services
from dhr_tracker.reports.services.candidates import override_candidate, resolve_hit
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from sharing.dates import add_months
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reports.test_candidates import CLEAN_TEXT, PLANTED_TEXT, docx_bytes, pdf_bytes, upload
from tests.reviews.conftest import VICTIM


@pytest.fixture
def world(report_world: ReportWorld) -> ReportWorld:
    return report_world


def approve(world: ReportWorld) -> Review:
    """The Home Office has approved and the review is ready to publish."""
    Review.objects.filter(pk=world.review.pk).update(state=State.READY_TO_PUBLISH)
    return world.refresh()


def tell_family(world: ReportWorld) -> Publication:
    return services.record_family_told(
        world.refresh(),
        actor=world.coordinator,
        told_on=timezone.localdate() - timedelta(days=2),
        how="In person, with their AAFDA advocate",
        media_note="",
        request=None,
    )


def make_ready(world: ReportWorld) -> dict[str, bytes]:
    """Everything in place: clear PDFs of the summary and the overview, the family told, approved."""
    files = {"summary": pdf_bytes("Executive summary.", *CLEAN_TEXT), "overview": pdf_bytes(*CLEAN_TEXT)}
    for item, content in files.items():
        upload(world, content, item=item, name=f"{item}.pdf")
    tell_family(world)
    approve(world)
    return files


def publish(world: ReportWorld, title: str = "") -> Publication:
    return services.publish(world.refresh(), actor=world.csp_chair, title=title, request=None)


def assert_nothing_published(world: ReportWorld, state: str) -> None:
    assert not PublishedItem.objects.exists()
    assert not Publication.objects.filter(published_on__isnull=False).exists()
    assert world.refresh().state == state
    live = Candidate.objects.filter(superseded_at__isnull=True).exclude(status="unreadable")
    assert all(candidate.content_enc for candidate in live)


# Telling the family ---------------------------------------------------------------------------


def test_family_told_is_recorded_and_audited(world: ReportWorld, security_events: EventLog) -> None:
    client = world.client(world.coordinator)
    url = reverse("reports:family_told", args=[world.review.pk])
    assert client.get(url).status_code == 200
    told_on = timezone.localdate() - timedelta(days=1)
    response = client.post(url, {"told_on": told_on.isoformat(), "how": "By their advocate", "media_note": "None"})
    assert response.status_code == 302
    publication = Publication.objects.get(review=world.review)
    assert (publication.family_told_on, publication.family_told_how) == (told_on, "By their advocate")
    assert publication.family_told_recorded_by == world.coordinator
    assert publication.published_on is None
    assert security_events.find("reports.family_told").details["told_on"] == told_on.isoformat()


def test_family_told_refuses_a_future_date_or_no_method(world: ReportWorld) -> None:
    client = world.client(world.csp_chair)
    url = reverse("reports:family_told", args=[world.review.pk])
    tomorrow = timezone.localdate() + timedelta(days=1)
    future = client.post(url, {"told_on": tomorrow.isoformat(), "how": "By phone"})
    assert future.status_code == 400
    assert "The date the family was told must be today or in the past" in future.content.decode()
    no_how = client.post(url, {"told_on": timezone.localdate().isoformat(), "how": ""})
    assert no_how.status_code == 400
    assert "Enter how the family was told" in no_how.content.decode()
    assert not Publication.objects.exists()


def test_independent_chair_and_panel_may_not_record_the_family_told(world: ReportWorld) -> None:
    url = reverse("reports:family_told", args=[world.review.pk])
    for user in (world.independent_chair, world.panel_member):
        assert world.client(user).post(url, {"told_on": "2026-01-01", "how": "x"}).status_code == 403
    assert not Publication.objects.exists()


# Refusals: each missing condition, with its message, and nothing published ---------------------


def test_refused_before_home_office_approval(world: ReportWorld) -> None:
    make_ready(world)
    Review.objects.filter(pk=world.review.pk).update(state=State.AMENDING)
    with pytest.raises(ValidationError, match="The Home Office has not approved publication yet"):
        publish(world)
    assert_nothing_published(world, State.AMENDING)


def test_refused_before_the_family_is_told(world: ReportWorld) -> None:
    for item in ("summary", "overview"):
        upload(world, pdf_bytes(*CLEAN_TEXT), item=item, name=f"{item}.pdf")
    approve(world)
    with pytest.raises(ValidationError, match="Record when and how the family was told"):
        publish(world)
    assert not Publication.objects.exists()
    assert_nothing_published(world, State.READY_TO_PUBLISH)


@pytest.mark.parametrize(("missing", "label"), [("overview", "overview report"), ("summary", "executive summary")])
def test_refused_without_the_overview_or_the_summary(world: ReportWorld, missing: str, label: str) -> None:
    present = "summary" if missing == "overview" else "overview"
    upload(world, pdf_bytes(*CLEAN_TEXT), item=present, name=f"{present}.pdf")
    tell_family(world)
    approve(world)
    with pytest.raises(ValidationError, match=f"Upload the {label} for the anonymisation check"):
        publish(world)
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_refused_when_a_candidate_is_not_a_pdf(world: ReportWorld) -> None:
    make_ready(world)
    upload(world, docx_bytes(*CLEAN_TEXT), item="summary", name="summary.docx")
    with pytest.raises(ValidationError, match="The executive summary must be published as a PDF: upload the PDF"):
        publish(world)
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_refused_with_open_hits_and_with_hits_marked_to_be_fixed(world: ReportWorld) -> None:
    make_ready(world)
    candidate = upload(world, pdf_bytes(*PLANTED_TEXT), name="overview.pdf")
    assert candidate.hits.exists()
    with pytest.raises(ValidationError, match="Resolve every hit found in the overview report"):
        publish(world)
    for hit in candidate.hits.all():
        resolve_hit(hit, actor=world.independent_chair, resolution="fixed", note="", request=None)
    with pytest.raises(ValidationError, match="Upload the corrected overview report"):
        publish(world)
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_refused_with_a_file_that_cannot_be_checked(world: ReportWorld) -> None:
    make_ready(world)
    upload(world, pdf_bytes(*CLEAN_TEXT, password="secret"), name="overview.pdf")
    with pytest.raises(ValidationError, match="The overview report cannot be checked"):
        publish(world)
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_refusal_on_the_page_lists_every_problem_and_publishes_nothing(world: ReportWorld) -> None:
    client = world.client(world.csp_chair)
    url = reverse("reports:publish", args=[world.review.pk])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "The review cannot be published yet" in text
    assert "The Home Office has not approved publication yet" in text
    assert "Record when and how the family was told" in text
    refused = client.post(url, {"title": ""})
    assert refused.status_code == 400
    assert "Upload the overview report for the anonymisation check" in refused.content.decode()
    assert_nothing_published(world, State.ANALYSIS_DRAFTING)


def test_an_override_lets_open_hits_be_published(world: ReportWorld) -> None:
    make_ready(world)
    candidate = upload(world, pdf_bytes(*PLANTED_TEXT), name="overview.pdf")
    override_candidate(candidate, actor=world.csp_chair, reason="Agreed with the family", request=None)
    publication = publish(world)
    assert publication.items.get(item="overview").candidate == candidate


# Publishing -----------------------------------------------------------------------------------


def test_publish_creates_the_publication_items_and_takes_the_step(
    world: ReportWorld, security_events: EventLog
) -> None:
    files = make_ready(world)
    client = world.client(world.csp_chair)
    url = reverse("reports:publish", args=[world.review.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "These files will be published" in confirm.content.decode()

    response = client.post(url, {"title": ""})
    assert response.status_code == 302
    review = world.refresh()
    publication = Publication.objects.get(review=review)
    today = timezone.localdate()
    assert review.state == State.PUBLISHED
    assert review.published_on == today
    assert publication.published_on == today
    assert publication.published_by == world.csp_chair
    assert publication.title == review.title
    assert publication.remove_on == add_months(today, review.partnership.publication_months)
    items = {item.item: item for item in publication.items.all()}
    assert set(items) == {"summary", "overview"}
    for name, content in files.items():
        assert bytes(items[name].content) == content
        assert items[name].size == len(content)
        assert items[name].sha256 == items[name].candidate.sha256
    assert not Candidate.objects.exclude(content_enc="").exists()
    event = security_events.find("reports.published")
    assert {entry["item"] for entry in event.details["items"]} == {"summary", "overview"}
    assert "reviews.step" in security_events.actions()

    page = client.get(reverse("reports:publication", args=[review.pk])).content.decode()
    assert reverse("reports:public_review", args=[review.partnership.slug, publication.pk]) in page
    assert items["overview"].sha256 in page
    assert not AuditEvent.objects.filter(details_json__contains=VICTIM.name).exists()


def test_a_chosen_title_is_used(world: ReportWorld) -> None:
    make_ready(world)
    assert publish(world, title="Review of the death of Adult A").title == "Review of the death of Adult A"


def test_a_title_naming_someone_is_refused_and_nothing_is_published(world: ReportWorld) -> None:
    make_ready(world)
    with pytest.raises(ValidationError, match="The title contains a real name"):
        publish(world, title="Review of the death of Jane Realname")
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_only_the_csp_chair_publishes(world: ReportWorld) -> None:
    make_ready(world)
    url = reverse("reports:publish", args=[world.review.pk])
    for user in (world.coordinator, world.independent_chair, world.panel_member):
        assert world.client(user).post(url, {"title": ""}).status_code == 403
        with pytest.raises(PermissionDenied):
            services.publish(world.refresh(), actor=user, title="", request=None)
    personas = world.chronologies.reviews.personas
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        assert world.client(user).post(url, {"title": ""}).status_code == 404
    assert_nothing_published(world, State.READY_TO_PUBLISH)


def test_checklist_shows_each_item_and_the_register_link(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    page = world.client(world.independent_chair).get(reverse("reports:publication", args=[world.review.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert reverse("reports:candidate", args=[candidate.pk]) in text
    assert "Identifiers found" in text
    assert reverse("reports:register", args=[world.review.pk]) in text
    assert "Home Office approval" in text
    assert reverse("reports:publish", args=[world.review.pk]) not in text


def test_outsiders_get_404_on_the_checklist(world: ReportWorld) -> None:
    personas = world.chronologies.reviews.personas
    url = reverse("reports:publication", args=[world.review.pk])
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        assert world.client(user).get(url).status_code == 404
    assert world.client(world.panel_member).get(url).status_code == 200


# Unpublishing ---------------------------------------------------------------------------------


def test_unpublish_needs_a_reason_and_the_partnership(world: ReportWorld, security_events: EventLog) -> None:
    make_ready(world)
    publication = publish(world)
    url = reverse("reports:unpublish", args=[publication.pk])
    assert world.client(world.coordinator).get(url).status_code == 405
    for user in (world.independent_chair, world.panel_member):
        assert world.client(user).post(url, {"reason": "x"}).status_code == 403
    personas = world.chronologies.reviews.personas
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        assert world.client(user).post(url, {"reason": "x"}).status_code == 404
    no_reason = world.client(world.coordinator).post(url, {"reason": " "})
    assert no_reason.status_code == 400
    assert "Enter why the review is taken off the public page" in no_reason.content.decode()
    publication.refresh_from_db()
    assert publication.is_live

    done = world.client(world.coordinator).post(url, {"reason": "The family asked"})
    assert done.status_code == 302
    publication.refresh_from_db()
    assert not publication.is_live
    assert (publication.unpublished_by, publication.unpublish_reason) == (world.coordinator, "The family asked")
    event = security_events.find("reports.unpublished")
    assert event.actor_id == world.coordinator.pk
    assert event.details["period_ended"] is False
    with pytest.raises(PermissionDenied):
        services.unpublish(publication, actor=world.csp_chair, reason="again", request=None)


def test_the_task_takes_down_what_is_due_once(world: ReportWorld, security_events: EventLog) -> None:
    make_ready(world)
    publication = publish(world)
    assert publication.remove_on is not None
    assert services.unpublish_due(today=publication.remove_on - timedelta(days=1)) == 0
    Publication.objects.filter(pk=publication.pk).update(remove_on=timezone.localdate())

    assert tasks.unpublish_due.apply().get() == 1
    assert tasks.unpublish_due.apply().get() == 0
    publication.refresh_from_db()
    assert not publication.is_live
    assert publication.unpublished_by is None
    assert publication.unpublish_reason == "The partnership's publication period ended"
    event = security_events.find("reports.unpublished")
    assert event.actor_id is None
    assert event.details["period_ended"] is True
    assert security_events.actions().count("reports.unpublished") == 1
