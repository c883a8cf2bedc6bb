"""Downloads of the combined chronology: the content of each format read back with its own library,
formulas never reaching a spreadsheet, the PDF watermarked with its recipient on every page, the
panel's notes only for the panel, and every download audited with its format, filters and count."""

import csv
import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from pypdf import PdfReader

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies import exports
from dhr_tracker.chronologies.importing import Subject
from dhr_tracker.chronologies.models import Entry
from dhr_tracker.chronologies.services import combined as services
from dhr_tracker.reviews import exports as review_exports
from tests.chronologies.conftest import ChronologyWorld
from tests.chronologies.entries_helpers import CALL, Line, accept
from tests.conftest import EventLog

pytestmark = pytest.mark.django_db

HEADINGS = [
    "Date",
    "Time",
    "Agency",
    "Subject",
    "Source record",
    "Practitioner role",
    "Event",
    "Action or outcome",
    "Risk indicators",
    "Significant",
]
VISIT = Line(
    "Feb 2019", "Zoë Ł seen with Adult A at the antenatal clinic", practitioner_role="Midwife", risks=("Pregnancy",)
)
FORMULAS = ['=HYPERLINK("http://evil.example","Click")', "+1+2", "-2+3", "@SUM(1)", "\tindented", "\rreturn"]
FORMULA_LINES = [
    Line("2020", FORMULAS[0], source_record=FORMULAS[1], practitioner_role=FORMULAS[2], action_or_outcome=FORMULAS[3]),
    Line("2021", FORMULAS[4], action_or_outcome=FORMULAS[5]),
]
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@pytest.fixture
def world(chronology_world: ChronologyWorld) -> ChronologyWorld:
    world = chronology_world
    accept(world, world.agency_b, [VISIT])
    accept(
        world,
        world.agency_a,
        [CALL, Line("3 Mar 2019", "Adult B arrested for assault", subject=Subject.PERPETRATOR, significant=True)],
    )
    return world


def download(world: ChronologyWorld, user: User, fmt: str, **query: str) -> Any:
    client: Client = world.client(user)
    return client.get(reverse("chronologies:combined_export", args=[world.review.pk, fmt]), query)


def note_on_the_call(world: ChronologyWorld) -> None:
    call = Entry.objects.get(review=world.review, event=CALL.event)
    services.add_note(call, actor=world.panel_member, text="Was the DASH shared with health?", request=None)


def xlsx_rows(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Combined chronology"]
    return [[cell.value if cell.value is not None else "" for cell in row] for row in sheet.iter_rows()]


# Content of each format -------------------------------------------------------------------------


def test_xlsx_holds_every_entry_in_order_with_the_panels_notes(world: ChronologyWorld) -> None:
    note_on_the_call(world)

    response = download(world, world.csp_chair, "xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xlsx"]
    assert response["Content-Disposition"].startswith('attachment; filename="DHR-2026-01 combined chronology.xlsx"')
    assert "no-store" in response["Cache-Control"]
    rows = xlsx_rows(response.content)
    assert rows[0] == [*HEADINGS, "Panel notes"]
    assert rows[1][:10] == [
        "1 Jan 2019",
        "14:30",
        "Agency A Police",
        "Victim",
        "PNC-1",
        "Police constable",
        CALL.event,
        "DASH completed: high risk",
        "DASH high risk; MARAC referral",
        "No",
    ]
    assert rows[1][10].startswith("Was the DASH shared with health?\n(Pat Panel, ")
    assert [row[0] for row in rows[2:]] == ["Feb 2019", "3 Mar 2019"]
    assert rows[3][3:4] + rows[3][9:] == ["Perpetrator", "Yes", ""]
    about = [row[0].value for row in openpyxl.load_workbook(io.BytesIO(response.content))["About"].iter_rows()]
    assert about[:3] == ["DHR-2026-01: combined chronology", "OFFICIAL-SENSITIVE", world.review.partnership.name]
    assert about[3].startswith(f"Made for {world.csp_chair.full_name} ({world.csp_chair.email}) on ")
    assert "3 entries, in date order" in about


def test_csv_holds_every_entry_in_order(world: ChronologyWorld) -> None:
    response = download(world, world.coordinator, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["csv"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0] == [*HEADINGS, "Panel notes"]
    assert [row[6] for row in rows[1:]] == [CALL.event, VISIT.event, "Adult B arrested for assault"]
    assert rows[2][:4] == ["Feb 2019", "", "Agency B Health", "Victim"]


def test_docx_is_a_marked_landscape_table_under_the_reviews_title(world: ChronologyWorld) -> None:
    response = download(world, world.independent_chair, "docx")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["docx"]
    document = Document(io.BytesIO(response.content))
    assert document.paragraphs[0].text == "DHR-2026-01: combined chronology"
    assert document.core_properties.title == "DHR-2026-01: combined chronology"
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.header.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    assert section.footer.paragraphs[0].text == "OFFICIAL-SENSITIVE"
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "Made for Ivy Independent (chair@independent.example)" in text
    table = document.tables[0]
    assert [cell.text for cell in table.rows[0].cells] == [*HEADINGS, "Panel notes"]
    assert [row.cells[6].text for row in table.rows[1:]] == [CALL.event, VISIT.event, "Adult B arrested for assault"]
    assert table.rows[2].cells[0].text == "Feb 2019"


def test_pdf_is_watermarked_with_its_recipient_on_every_page(world: ChronologyWorld) -> None:
    long = "A long account of the contact, in the words of the record. " * 30
    accept(world, world.add_agency("Agency C Housing")[0], [Line("2020", f"{n}. {long}") for n in range(40)])

    response = download(world, world.panel_member, "pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["pdf"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 3
    stamp = f"Made for Pat Panel ({world.panel_member.email})"
    for page in reader.pages:
        text = page.extract_text()
        assert stamp in text
        assert "DHR-2026-01, " in text
        assert "OFFICIAL-SENSITIVE" in text
    first = reader.pages[0].extract_text()
    assert "DHR-2026-01: combined chronology" in first
    assert "1 Jan 2019, 14:30 · Agency A Police · Victim" in first
    assert "Zoë Ł seen with Adult A" in first
    assert "Significant" in first
    assert reader.metadata is not None
    assert reader.metadata.title == "DHR-2026-01: combined chronology"


def test_a_word_longer_than_the_page_is_cut_to_fit() -> None:
    pdf = review_exports.marked_pdf(orientation="landscape")
    pdf.add_page()
    pdf.set_font("DejaVu", "", 9)
    width = pdf.epw

    lines = exports._wrapped(pdf, "Ref " + "x" * 400 + " end\nnext paragraph", width, {})

    assert lines[0] == "Ref"
    assert "".join(lines[1:-2]) + lines[-2].split(" ")[0] == "x" * 400
    assert lines[-2].endswith(" end")
    assert lines[-1] == "next paragraph"
    assert all(pdf.get_string_width(line) <= width for line in lines)


# Formula injection ------------------------------------------------------------------------------


def test_csv_puts_an_apostrophe_before_anything_a_spreadsheet_would_run(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    accept(world, world.agency_a, FORMULA_LINES)

    response = download(world, world.csp_chair, "csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8").removeprefix("\ufeff"))))
    cells = {value for row in rows[1:] for value in row}
    for formula in FORMULAS:
        assert f"'{formula}" in cells
        assert formula not in cells
    assert not any(value.startswith(exports.FORMULA_STARTS) for value in cells)


def test_xlsx_writes_formula_like_text_as_text_exactly(chronology_world: ChronologyWorld) -> None:
    world = chronology_world
    accept(world, world.agency_a, FORMULA_LINES)

    response = download(world, world.csp_chair, "xlsx")

    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert "<f " not in sheet
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [cell for row in workbook["Combined chronology"].iter_rows(min_row=2) for cell in row]
    risky = {
        cell.value: cell
        for cell in cells
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    }
    assert set(risky) == set(FORMULAS)
    for cell in risky.values():
        assert cell.data_type == "s"
        assert cell.quotePrefix


# Who gets what ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "docx", "pdf"])
def test_contributors_copies_never_hold_the_panels_notes(world: ChronologyWorld, fmt: str) -> None:
    note_on_the_call(world)
    services.release_combined(world.refresh(), actor=world.coordinator, request=None)

    response = download(world, world.contributor_b, fmt)

    assert response.status_code == 200
    content = response.content
    if fmt == "xlsx":
        text = "\n".join(str(value) for row in xlsx_rows(content) for value in row)
        assert xlsx_rows(content)[0] == HEADINGS
    elif fmt == "csv":
        text = content.decode("utf-8")
        assert next(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == HEADINGS
    elif fmt == "docx":
        document = Document(io.BytesIO(content))
        text = "\n".join(cell.text for row in document.tables[0].rows for cell in row.cells)
        assert [cell.text for cell in document.tables[0].rows[0].cells] == HEADINGS
    else:
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert "Made for " in text
    assert CALL.event in text
    assert "Was the DASH shared with health?" not in text
    assert "Panel notes" not in text


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_nobody_outside_the_combined_chronology_downloads_it(
    world: ChronologyWorld, fmt: str, security_events: EventLog
) -> None:
    personas = world.reviews.personas
    for user in (world.contributor_a, personas.auditor, personas.outsider):
        assert download(world, user, fmt).status_code == 404
    assert "chronologies.combined_exported" not in security_events.actions()


# Audit, filters and refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "docx", "pdf"])
def test_every_download_is_audited_with_format_filters_and_count(
    world: ChronologyWorld, fmt: str, security_events: EventLog
) -> None:
    response = download(world, world.coordinator, fmt, risk="MARAC referral", text="neighbour", since="2019")

    assert response.status_code == 200
    event = security_events.find("chronologies.combined_exported")
    assert event.actor_id == world.coordinator.pk
    assert event.details == {
        "format": fmt,
        "count": 1,
        "filters": {
            "agency": None,
            "subject": "",
            "risk": "MARAC referral",
            "significant_only": False,
            "from": "2019",
            "to": "",
            "text": True,
        },
        "notes": True,
    }
    assert "neighbour" not in str(event.details)


def test_a_filtered_download_holds_only_the_selected_entries_and_says_so(world: ChronologyWorld) -> None:
    response = download(world, world.csp_chair, "docx", agency=str(world.agency_b.pk), significant="")

    document = Document(io.BytesIO(response.content))
    assert [row.cells[6].text for row in document.tables[0].rows[1:]] == [VISIT.event]
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "1 entry, in date order" in text
    assert "Agency: Agency B Health" in text


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_documents_over_their_limit_are_refused_with_a_way_forward(
    world: ChronologyWorld, fmt: str, monkeypatch: pytest.MonkeyPatch, security_events: EventLog
) -> None:
    monkeypatch.setattr(exports, "MAX_DOCUMENT_ENTRIES", 2)

    response = download(world, world.csp_chair, fmt)
    page = world.client(world.csp_chair).get(reverse("chronologies:combined", args=[world.review.pk]))

    assert response.status_code == 400
    assert "Word and PDF documents hold up to 2 entries, and these filters select 3" in response.text
    assert "download it as a spreadsheet (XLSX or CSV)" in response.text
    assert "chronologies.combined_exported" not in security_events.actions()
    assert "up to 2 entries; filter the chronology" in page.text
    assert download(world, world.csp_chair, fmt, subject="perpetrator").status_code == 200


def test_pdf_without_its_font_is_refused_clearly_and_not_recorded(
    world: ChronologyWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, security_events: EventLog
) -> None:
    monkeypatch.setitem(review_exports.PDF_FONTS, "", tmp_path / "DejaVuSans.ttf")

    response = download(world, world.csp_chair, "pdf")

    assert response.status_code == 503
    assert "install the fonts-dejavu-core package" in response.text
    assert "chronologies.combined_exported" not in security_events.actions()


def test_unknown_format_is_not_found_and_bad_filters_are_explained(
    world: ChronologyWorld, security_events: EventLog
) -> None:
    assert download(world, world.csp_chair, "odt").status_code == 404
    response = download(world, world.csp_chair, "csv", since="31/02/2019")
    assert response.status_code == 400
    assert "Correct the filters on the combined chronology" in response.text
    assert "chronologies.combined_exported" not in security_events.actions()


def test_made_at_is_the_time_of_the_download(world: ChronologyWorld) -> None:
    before = timezone.localtime()

    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(download(world, world.csp_chair, "pdf").content)).pages
    )

    assert f"DHR-2026-01, {before.day} {before:%B %Y} at" in text
