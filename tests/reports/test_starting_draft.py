"""The starting draft: a DOCX in the model layout, pre-filled with what the tracker knows, that
names no one. Opened with python-docx for its structure, and searched byte by byte (every part of
the package: body, tables, headers, footers, core properties) for the real details."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from dhr_tracker.chronologies import exports as chronology_exports
from dhr_tracker.reports.sections import OVERVIEW, SUMMARY
from dhr_tracker.reviews.models import Consent, FamilyMember, Pause
from tests.chronologies.entries_helpers import CALL, Line, accept
from tests.conftest import EventLog, Personas
from tests.reports.conftest import ReportWorld
from tests.reviews.conftest import PERPETRATOR, VICTIM

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SISTER_NAME = "Mary Realname"
SISTER_ADDRESS = "2 Secret Lane, Exampletown EX2 2BB"
COURT_REFERENCE = "T20267777"


def _date_forms(day: date | None) -> list[str]:
    assert day is not None
    return [day.isoformat(), day.strftime("%d/%m/%Y"), f"{day.day} {day:%B %Y}", day.strftime("%d.%m.%Y")]


FORBIDDEN = [
    VICTIM.name,
    PERPETRATOR.name,
    "Realname",
    VICTIM.address,
    "Real Street",
    "EX1 1AA",
    *_date_forms(VICTIM.birth_date),
    *_date_forms(PERPETRATOR.birth_date),
    SISTER_NAME,
    SISTER_ADDRESS,
    COURT_REFERENCE,
    "DCI Example",  # the senior investigating officer
    "Ivy Independent",  # the chair, by name
    "Pat Panel",  # a panel member, by name
]


@pytest.fixture
def world(report_world: ReportWorld) -> ReportWorld:
    """The report world with a family member, a pause and an accepted chronology."""
    review = report_world.review
    sister = FamilyMember(
        review=review,
        pseudonym="Sister of Adult A",
        relationship="Sister",
        consent=Consent.GIVEN,
        advocate="AAFDA",
        added_by=report_world.coordinator,
    )
    sister.seal("name", SISTER_NAME)
    sister.seal("address", SISTER_ADDRESS)
    sister.save()
    Pause.objects.create(
        review=review,
        reason="criminal_trial",
        body="Crown Court",
        reference=COURT_REFERENCE,
        started_on=TODAY - timedelta(days=20),
        ended_on=TODAY - timedelta(days=5),
        requested_by=report_world.coordinator,
        approved_by=report_world.csp_chair,
    )
    accept(
        report_world.chronologies,
        report_world.chronologies.agency_a,
        [CALL, Line("3 Feb 2019", "MARAC meeting discussed Adult A")],
    )
    return report_world


def download(world: ReportWorld, kind: str = "overview") -> bytes:
    response = world.client(world.independent_chair).get(
        reverse("reports:starting_draft", args=[world.review.pk]), {"kind": kind}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert f"DHR-2026-01-{kind}-starting-draft.docx" in response["Content-Disposition"]
    return response.content


def everything(content: bytes) -> str:
    """The text of every XML part of the package, tags and all."""
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return "\n".join(package.read(name).decode("utf-8", "replace") for name in package.namelist())


def assert_names_no_one(content: bytes) -> None:
    text = everything(content)
    for value in FORBIDDEN:
        assert value not in text, value


def test_overview_draft_has_the_model_sections_and_what_the_tracker_knows(
    world: ReportWorld, security_events: EventLog
) -> None:
    content = download(world)
    document = Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    expected = [f"{number}. {label}" for number, (_, label) in enumerate(OVERVIEW, start=1)]
    assert headings == [*expected, "Appendix A: the combined chronology"]
    body = "\n".join(p.text for p in document.paragraphs)
    # The people by pseudonym; the relationship; the timescales.
    assert "Adult A (victim)" in body
    assert "Adult B (alleged perpetrator)" in body
    assert "Their relationship: current intimate partner." in body
    review = world.refresh()
    assert f"Notified: {review.notified_on.day} {review.notified_on:%B %Y}" in body
    assert "CSP chair's decision: due" in body
    assert "Overview report to the Home Office: due" in body
    assert f"Where the review stands: {review.state_label}" in body
    # The approved terms of reference.
    assert "Version 1 of the terms of reference, approved." in body
    assert "Coercive control and economic abuse" in body
    assert "Criminal trial; liaison with the SIO." in body
    assert "IMRs and a combined chronology." in body
    # Panel and agencies, by role and agency; the chair by title and accreditation.
    assert "Head of public protection, Agency A Police" in body
    assert "The independent chair, accredited: AAFDA chair training, 2024." in body
    assert "Agency B Health" in body
    # Pauses and family involvement, without names or references.
    assert f"Criminal investigation or trial (Crown Court): from {(TODAY - timedelta(days=20)).day}" in body
    assert "Sister: consents to take part; with an advocate" in body
    # Recommendations are the chair's.
    assert "[For the chair: the recommendations, single- and multi-agency together]" in body
    # The chronology as an appendix.
    table = document.tables[-1]
    assert [cell.text for cell in table.rows[0].cells] == chronology_exports.headings(notes=False)
    assert len(table.rows) == 3
    assert "Called to the address after a neighbour heard shouting" in table.rows[1].cells[6].text
    assert "2 accepted entries, in date order." in body
    # The marking, at the head and foot of the page.
    section = document.sections[0]
    assert section.header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert section.footer.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert document.core_properties.author == review.partnership.name
    assert_names_no_one(content)
    event = security_events.find("reports.starting_draft_exported")
    assert (event.details["kind"], event.details["entries"], event.details["capped"]) == ("overview", 2, False)


def test_summary_draft_has_the_summarys_sections(world: ReportWorld, security_events: EventLog) -> None:
    content = download(world, "summary")
    document = Document(io.BytesIO(content))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name == "Heading 1"]
    assert headings == [f"{number}. {label}" for number, (_, label) in enumerate(SUMMARY, start=1)]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Head of public protection, Agency A Police" in body
    assert "Sister: consents to take part; with an advocate" in body
    assert "[For the chair: the recommendations]" in body
    assert not document.tables
    assert_names_no_one(content)
    assert security_events.find("reports.starting_draft_exported").details["kind"] == "summary"


def test_a_long_chronology_is_cut_with_a_note(world: ReportWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chronology_exports, "MAX_DOCUMENT_ENTRIES", 1)
    document = Document(io.BytesIO(download(world)))
    body = "\n".join(p.text for p in document.paragraphs)
    assert "The combined chronology has 2 entries; this draft holds the first 1." in body
    assert len(document.tables[-1].rows) == 2


def test_an_unknown_kind_is_not_found(world: ReportWorld) -> None:
    response = world.client(world.independent_chair).get(
        reverse("reports:starting_draft", args=[world.review.pk]), {"kind": "novel"}
    )
    assert response.status_code == 404


def test_only_those_who_draft_may_download_it(
    world: ReportWorld, personas: Personas, security_events: EventLog
) -> None:
    path = reverse("reports:starting_draft", args=[world.review.pk])
    assert world.client(world.panel_member).get(path).status_code == 403
    for user in (world.contributor_a, personas.outsider, personas.auditor, personas.site_admin):
        assert world.client(user).get(path).status_code == 404, user
    assert "reports.starting_draft_exported" not in security_events.actions()
    assert world.client(world.coordinator).get(path).status_code == 200
