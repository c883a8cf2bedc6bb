"""The anonymisation check of candidate publications: uploads, hits shown in context, resolving them,
the override (CSP chair, sudo mode, reason), the files that cannot be checked, and who may do what.

The helpers here build candidate files (DOCX with python-docx, PDF with fpdf2, plain text) and put
them in place through the service or the page; the publication tests use them too.
"""

import io
from collections.abc import Callable
from typing import Any

import docx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from fpdf import FPDF

from audit.models import AuditEvent
from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import Candidate, CandidateStatus, Hit, HitResolution, PublicationItemKind
from dhr_tracker.reports.services import candidates as services
from tests.conftest import EventLog
from tests.reports.conftest import ReportWorld
from tests.reviews.conftest import VICTIM
from tests.sharing.conftest import post_file

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CLEAN_TEXT = (
    "Overview report. Adult A and Adult B lived together for six years.",
    "Agencies met Adult A often. The panel found that risk was not shared between agencies.",
)
PLANTED_TEXT = (
    "Overview report. Adult A and Adult B lived together for six years.",
    f"{VICTIM.name} was born on 17 May 1980 and was seen by her GP in March.",
)


def pdf_bytes(*lines: str, password: str = "") -> bytes:
    """A PDF with a text layer holding ``lines``; encrypted for opening with ``password`` if given."""
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF as a scanner makes it: a page with marks on it and no text layer."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(40, 40, 40)
    for row in range(20):
        pdf.rect(20, 20 + row * 10, 150 - row * 3, 4, style="F")
    return bytes(pdf.output())


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(
    world: ReportWorld,
    content: bytes,
    *,
    name: str = "overview.pdf",
    item: str = PublicationItemKind.OVERVIEW,
    actor: User | None = None,
) -> Candidate:
    """Upload a candidate through the service, as the independent chair unless ``actor``."""
    return services.upload_candidate(
        world.refresh(),
        actor=actor or world.independent_chair,
        item=item,
        content=content,
        file_name=name,
        request=None,
    )


def upload_page(client: Client, world: ReportWorld, content: bytes, *, name: str, item: str = "overview") -> Any:
    url = reverse("reports:candidate_upload", args=[world.review.pk, item])
    return post_file(client, url, content, name=name)


def real_name_in_audit() -> bool:
    """Whether any audit event holds the victim's real name (in its details or its label)."""
    return AuditEvent.objects.filter(details_json__contains="Realname").exists() or (
        AuditEvent.objects.filter(target_label__contains="Realname").exists()
    )


@pytest.fixture
def world(report_world: ReportWorld) -> ReportWorld:
    return report_world


# The check finds the planted identifiers ------------------------------------------------------


def test_docx_with_planted_real_name_and_birth_date_gives_hits_shown_in_context(
    world: ReportWorld, security_events: EventLog
) -> None:
    client = world.client(world.independent_chair)
    content = docx_bytes(*PLANTED_TEXT)
    response = upload_page(client, world, content, name="overview draft.docx")

    candidate = Candidate.objects.get(review=world.review, item="overview")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:candidate", args=[candidate.pk])
    assert candidate.status == CandidateStatus.HITS
    assert candidate.file_type == "docx"
    assert candidate.held() == content
    assert candidate.file_name == "overview draft.docx"
    kinds = {hit.kind for hit in candidate.hits.all()}
    assert {"name", "birth_date"} <= kinds
    assert all(hit.pseudonym in ("", "Adult A") for hit in candidate.hits.all())
    found = {hit.found() for hit in candidate.hits.all()}
    assert any("Jane" in text or "Realname" in text for text in found)
    assert any("1980" in text for text in found)

    page = client.get(reverse("reports:candidate", args=[candidate.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Identifiers found" in text
    assert "<mark>17 May 1980</mark>" in text
    assert "Realname</mark>" in text
    assert "was seen by her GP" in text

    uploaded = security_events.find("reports.candidate_uploaded")
    assert uploaded.details["status"] == "hits"
    assert uploaded.details["hits"] == candidate.hits.count()
    assert uploaded.details["sha256"] == candidate.sha256
    assert "reports.hits_viewed" in security_events.actions()
    assert not real_name_in_audit()


def test_found_text_is_escaped_never_marked_safe(world: ReportWorld) -> None:
    candidate = upload(world, b"Adult A met <b>Jane Realname</b> at <script>x</script>", name="summary.txt")
    assert candidate.hits.exists()
    page = world.client(world.independent_chair).get(reverse("reports:candidate", args=[candidate.pk]))
    text = page.content.decode()
    assert "<mark>" in text
    assert "<script>x</script>" not in text
    assert "&lt;script&gt;" in text


def test_panel_member_sees_hits_without_what_was_found(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    page = world.client(world.panel_member).get(reverse("reports:candidate", args=[candidate.pk]))
    assert page.status_code == 200
    assert "Realname" not in page.content.decode()
    assert "<mark>" not in page.content.decode()


def test_resolving_hits_and_uploading_a_fixed_pdf_gives_a_clear_candidate(
    world: ReportWorld, security_events: EventLog
) -> None:
    client = world.client(world.independent_chair)
    first = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hits = list(first.hits.all())
    for hit in hits:
        response = client.post(
            reverse("reports:hit_resolve", args=[hit.pk]),
            {f"hit-{hit.pk}-resolution": "fixed", f"hit-{hit.pk}-note": ""},
        )
        assert response.status_code == 302
    assert not first.hits.filter(resolution=HitResolution.OPEN).exists()
    resolved = security_events.find("reports.hit_resolved")
    assert resolved.details["resolution"] == "fixed"

    fixed = pdf_bytes(*CLEAN_TEXT)
    response = upload_page(client, world, fixed, name="overview.pdf")
    second = Candidate.objects.get(review=world.review, item="overview", superseded_at__isnull=True)
    assert response.status_code == 302
    assert second.number == 2
    assert second.status == CandidateStatus.CLEAR
    assert second.file_type == "pdf"
    assert second.held() == fixed
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert first.content_enc == ""
    page = client.get(reverse("reports:candidate", args=[second.pk]))
    assert "No identifiers found" in page.content.decode()
    assert not real_name_in_audit()


def test_false_positive_needs_a_note(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hit = candidate.hits.first()
    assert hit is not None
    client = world.client(world.independent_chair)
    url = reverse("reports:hit_resolve", args=[hit.pk])
    refused = client.post(url, {f"hit-{hit.pk}-resolution": "false_positive", f"hit-{hit.pk}-note": " "})
    assert refused.status_code == 400
    assert "Enter why this does not identify anyone" in refused.content.decode()
    hit.refresh_from_db()
    assert hit.resolution == HitResolution.OPEN

    done = client.post(url, {f"hit-{hit.pk}-resolution": "false_positive", f"hit-{hit.pk}-note": "A street name"})
    assert done.status_code == 302
    hit.refresh_from_db()
    assert (hit.resolution, hit.note, hit.resolved_by) == ("false_positive", "A street name", world.independent_chair)


def test_hits_of_a_replaced_file_cannot_be_resolved(world: ReportWorld) -> None:
    first = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    upload(world, pdf_bytes(*CLEAN_TEXT))
    hit = first.hits.first()
    assert hit is not None
    with pytest.raises(ValidationError, match="replaced by a newer upload"):
        services.resolve_hit(hit, actor=world.independent_chair, resolution="fixed", note="", request=None)


# Files that cannot be checked -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "code_words"),
    [
        (lambda: pdf_bytes(*CLEAN_TEXT, password="secret"), "overview.pdf", "password"),
        (scanned_pdf, "overview.pdf", "text"),
        (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "overview.pdf", "must be a word document"),
    ],
    ids=["password-protected", "scanned", "not-a-document"],
)
def test_files_that_cannot_be_checked_are_said_so_and_block_publication(
    world: ReportWorld, content: Callable[[], bytes], name: str, code_words: str
) -> None:
    client = world.client(world.independent_chair)
    response = upload_page(client, world, content(), name=name)
    candidate = Candidate.objects.get(review=world.review, item="overview")
    assert response.status_code == 302
    assert candidate.status == CandidateStatus.UNREADABLE
    assert candidate.message
    assert code_words in candidate.message.lower()
    assert candidate.content_enc == ""
    page = client.get(reverse("reports:candidate", args=[candidate.pk])).content.decode()
    assert "cannot be checked, so it cannot be published" in page
    checklist = client.get(reverse("reports:publication", args=[world.review.pk])).content.decode()
    assert "The overview report cannot be checked" in checklist
    with pytest.raises(ValidationError, match="cannot be checked"):
        services.override_candidate(candidate, actor=world.csp_chair, reason="I read it", request=None)


def test_a_file_over_the_limit_is_refused_and_nothing_saved(world: ReportWorld) -> None:
    client = world.client(world.independent_chair)
    with override_settings(REPORT_MAX_PUBLICATION_BYTES=2048):
        unread = upload_page(client, world, b"x" * 100_000, name="overview.txt")
        read = upload_page(client, world, b"x" * 4096, name="overview.txt")
        with pytest.raises(ValidationError, match="must be smaller than 2 KB"):
            upload(world, b"y" * 4096, name="overview.txt")
    assert unread.status_code == 413
    assert read.status_code == 400
    for response in (unread, read):
        assert "The selected file must be smaller than 2 KB" in response.content.decode()
    assert not Candidate.objects.exists()


def test_an_empty_file_is_refused(world: ReportWorld) -> None:
    response = upload_page(world.client(world.independent_chair), world, b"", name="overview.pdf")
    assert response.status_code == 400
    assert "The selected file is empty" in response.content.decode()
    assert not Candidate.objects.exists()


def test_upload_page_names_the_item_and_unknown_items_are_not_found(world: ReportWorld) -> None:
    client = world.client(world.independent_chair)
    page = client.get(reverse("reports:candidate_upload", args=[world.review.pk, "qa_letter"]))
    assert page.status_code == 200
    assert "Check the home office quality assurance letter for publication" in page.content.decode()
    assert client.get(reverse("reports:candidate_upload", args=[world.review.pk, "minutes"])).status_code == 404


# The override ---------------------------------------------------------------------------------


def test_override_needs_the_csp_chair_sudo_mode_and_a_reason(world: ReportWorld, security_events: EventLog) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    url = reverse("reports:candidate_override", args=[candidate.pk])

    for user in (world.independent_chair, world.coordinator):
        assert world.client(user, sudo=True).post(url, {"reason": "Fine"}).status_code == 403
    without_sudo = world.client(world.csp_chair).post(url, {"reason": "Fine"})
    assert without_sudo.status_code == 302
    assert without_sudo["Location"].startswith(reverse("accounts:sudo"))
    chair = world.client(world.csp_chair, sudo=True)
    no_reason = chair.post(url, {"reason": "  "})
    assert no_reason.status_code == 400
    candidate.refresh_from_db()
    assert candidate.overridden_at is None

    open_hits = candidate.hits.filter(resolution=HitResolution.OPEN).count()
    done = chair.post(url, {"reason": "The family asked for the real name to be used."})
    assert done.status_code == 302
    candidate.refresh_from_db()
    assert candidate.overridden_by == world.csp_chair
    assert candidate.override_reason == "The family asked for the real name to be used."
    event = security_events.find("reports.candidate_overridden")
    assert event.details["open_hits"] == open_hits
    assert event.actor_id == world.csp_chair.pk


def test_override_page_shows_the_open_hits(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    page = world.client(world.csp_chair, sudo=True).get(reverse("reports:candidate_override", args=[candidate.pk]))
    assert page.status_code == 200
    assert "not resolved" in page.content.decode()


# Who may do what ------------------------------------------------------------------------------


def outsiders(world: ReportWorld) -> list[User]:
    personas = world.chronologies.reviews.personas
    return [personas.outsider, personas.auditor, personas.site_admin, world.contributor_a]


def test_outsiders_get_404_and_change_nothing(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hit = candidate.hits.first()
    assert hit is not None
    for user in outsiders(world):
        client = world.client(user, sudo=True)
        assert upload_page(client, world, pdf_bytes(*CLEAN_TEXT), name="o.pdf").status_code == 404
        assert client.get(reverse("reports:candidate", args=[candidate.pk])).status_code == 404
        resolve = client.post(reverse("reports:hit_resolve", args=[hit.pk]), {f"hit-{hit.pk}-resolution": "fixed"})
        assert resolve.status_code == 404
        override = client.post(reverse("reports:candidate_override", args=[candidate.pk]), {"reason": "x"})
        assert override.status_code == 404
    assert Candidate.objects.count() == 1
    hit.refresh_from_db()
    candidate.refresh_from_db()
    assert hit.resolution == HitResolution.OPEN
    assert candidate.overridden_at is None


def test_panel_member_reads_but_may_not_check(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hit = candidate.hits.first()
    assert hit is not None
    client = world.client(world.panel_member, sudo=True)
    assert upload_page(client, world, pdf_bytes(*CLEAN_TEXT), name="o.pdf").status_code == 403
    assert client.post(reverse("reports:hit_resolve", args=[hit.pk]), {}).status_code == 403
    assert client.post(reverse("reports:candidate_override", args=[candidate.pk]), {"reason": "x"}).status_code == 403
    with pytest.raises(PermissionDenied):
        upload(world, pdf_bytes(*CLEAN_TEXT), actor=world.panel_member)
    assert Candidate.objects.count() == 1


def test_resolve_is_post_only_after_access(world: ReportWorld) -> None:
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="overview.docx")
    hit = candidate.hits.first()
    assert hit is not None
    url = reverse("reports:hit_resolve", args=[hit.pk])
    assert world.client(world.independent_chair).get(url).status_code == 405
    assert world.client(world.chronologies.reviews.personas.outsider).get(url).status_code == 404


def test_audit_of_the_whole_check_never_holds_a_real_name(world: ReportWorld) -> None:
    client = world.client(world.independent_chair)
    candidate = upload(world, docx_bytes(*PLANTED_TEXT), name="Jane Realname draft.docx")
    client.get(reverse("reports:candidate", args=[candidate.pk]))
    for hit in Hit.objects.filter(candidate=candidate):
        services.resolve_hit(hit, actor=world.independent_chair, resolution="fixed", note="", request=None)
    assert not AuditEvent.objects.filter(details_json__contains=VICTIM.name).exists()
    assert not AuditEvent.objects.filter(details_json__contains="Realname").exists()
