"""The combined chronology as a download: XLSX, CSV, DOCX or PDF, of the entries a filter selects.

Every format has the same columns in the same order (``headings``); the panel's notes are a last
column only in copies made for those who may see them. Entries are read as plain values,
``CHUNK`` at a time (``QuerySet.iterator``), with each chunk's notes in one more query, so memory
holds a chunk and the file being built, never every entry as an object: 100,000 entries make an
XLSX of about 5 MB. openpyxl's write-only mode streams the sheet to a temporary file as it goes,
and the CSV is encoded as it is written.

Threats and how each format meets them:

- *Formula injection*: an entry's text may begin "=HYPERLINK(...)" or "+cmd|...", which a
  spreadsheet would run as a formula when the file is opened. In the CSV every cell starting with
  one of ``FORMULA_STARTS`` gets an apostrophe in front (OWASP's advice), so spreadsheets read it
  as text. In the XLSX such a cell is written as a string cell (openpyxl would otherwise store
  text starting with "=" as a formula) with Excel's "quote prefix" set, which is what typing an
  apostrophe first does: the text stays exactly as the agency wrote it, and stays text even when
  someone edits the cell.
- *A copy passed on*: the DOCX and PDF carry the protective marking on every page; the PDF is
  also stamped on every page with the name and e-mail address of the person it was made for and
  the time (``sharing.watermark``, the same stamp as documents in the secure space). Every
  download is audited by the service that calls these.
- *Characters XML cannot hold*: control characters are dropped from every cell, so a stray one
  typed into an entry cannot make the XLSX or DOCX fail to build.

DOCX and PDF are documents to read, and 100,000 entries would run to some 10,000 pages that nobody
could read, made in minutes (fpdf2 lays out every line in Python). They hold at most
``MAX_DOCUMENT_ENTRIES`` entries; a larger selection is refused with a message that says to
filter it or to take a spreadsheet. Within that, each is made in a few seconds: the PDF wraps
its own lines (``_wrapped``), measuring each word once, because fpdf2's ``multi_cell`` measures a
line's text again for every character it adds; the Word table's rows are written as XML
(``docx_row``) rather than through python-docx's cell objects, which look the table's grid up
again for every cell.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

import openpyxl
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from lxml.etree import SubElement
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from dhr_tracker.accounts.models import User
from dhr_tracker.chronologies.importing import (
    ACTION_OR_OUTCOME,
    DATE,
    EVENT,
    PRACTITIONER_ROLE,
    RISK_INDICATORS,
    RISK_SEPARATOR,
    SOURCE_RECORD,
    SUBJECT,
    TIME,
    Subject,
)
from dhr_tracker.chronologies.models import RISK_BREAK, SUBJECT_LABELS, Entry, PanelNote
from dhr_tracker.chronologies.partialdates import PartialDate, clock
from dhr_tracker.reviews.exports import MARKING, marked_docx, marked_pdf
from dhr_tracker.reviews.models import Review
from sharing.watermark import watermark_pdf

AGENCY = "Agency"
SIGNIFICANT = "Significant"
NOTES = "Panel notes"
SHEET = "Combined chronology"
CHUNK = 2_000
MAX_DOCUMENT_ENTRIES = 5_000
# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold; line breaks and tabs stay.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_COLUMNS = (
    (DATE, 14),
    (TIME, 9),
    (AGENCY, 24),
    (SUBJECT, 12),
    (SOURCE_RECORD, 16),
    (PRACTITIONER_ROLE, 20),
    (EVENT, 60),
    (ACTION_OR_OUTCOME, 50),
    (RISK_INDICATORS, 30),
    (SIGNIFICANT, 12),
)
_NOTES_WIDTH = 50
# Word keeps spaces at the start and end of a text run only when told to.
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_FIELDS = (
    "on",
    "at",
    "agency__name",
    "subject",
    "source_record",
    "practitioner_role",
    "event",
    "action_or_outcome",
    "risks",
    "significant",
)


class TooManyEntries(ValueError):
    """A selection too large for a document to read; ``str(exc)`` says what to do instead."""


@dataclass(frozen=True)
class Job:
    """What to export and for whom: the selected entries in order, and whether the notes go with them."""

    review: Review
    entries: QuerySet[Entry]
    notes: bool
    recipient: User
    made_at: datetime
    # The filters in words, one a line; empty when every entry is exported.
    filters: list[str]


@dataclass(frozen=True)
class Made:
    content: bytes
    count: int


def headings(notes: bool) -> list[str]:
    return [name for name, _ in _COLUMNS] + ([NOTES] if notes else [])


def title(review: Review) -> str:
    return f"{review.title}: combined chronology"


def neutralised(value: str) -> str:
    """Put an apostrophe before text a spreadsheet would take for a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _day_and_time(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{date_format(local.date(), 'j F Y')} at {local:%H:%M}"


def _notes_by_entry(entry_ids: list[int]) -> dict[int, str]:
    """The panel's notes on these entries, each entry's in one cell, oldest first."""
    notes: dict[int, list[str]] = {}
    found = PanelNote.objects.filter(entry_id__in=entry_ids).select_related("author").order_by("created_at", "pk")
    for note in found:
        day = date_format(timezone.localtime(note.created_at).date(), "j F Y")
        notes.setdefault(note.entry_id, []).append(f"{note.text}\n({note.author.full_name}, {day})")
    return {entry_id: "\n\n".join(texts) for entry_id, texts in notes.items()}


def rows(job: Job) -> Iterator[list[str]]:
    """Each selected entry's cells, in order, read a chunk at a time with the chunk's notes.

    Plain values rather than model instances: building 100,000 entries and their prefetched notes
    as objects takes several times longer than writing the spreadsheet.
    """
    stream = job.entries.values_list("pk", *_FIELDS).iterator(chunk_size=CHUNK)
    dates: dict[str, str] = {}
    while chunk := list(islice(stream, CHUNK)):
        notes = _notes_by_entry([row[0] for row in chunk]) if job.notes else {}
        for pk, on, at, agency, subject, source, role, event, outcome, risks, significant in chunk:
            if on not in dates:
                dates[on] = str(PartialDate.from_storage(on))
            cells = [
                dates[on],
                clock(at),
                agency,
                SUBJECT_LABELS[Subject(subject)],
                source,
                role,
                event,
                outcome,
                f"{RISK_SEPARATOR} ".join(name for name in risks.split(RISK_BREAK) if name),
                "Yes" if significant else "No",
            ]
            if job.notes:
                cells.append(notes.get(pk, ""))
            yield [NOT_XML.sub("", cell) for cell in cells]


def about(job: Job, count: int) -> list[str]:
    """What the document is: the partnership, for whom and when it was made, and what it holds."""
    lines = [
        job.review.partnership.name,
        f"Made for {job.recipient.full_name} ({job.recipient.email}) on {_day_and_time(job.made_at)}",
        f"{count:,} {'entry' if count == 1 else 'entries'}, in date order",
    ]
    lines += job.filters or ["Every accepted entry of every agency"]
    if job.notes:
        lines.append("Includes the panel's notes, which agencies' contributors must not see")
    return lines


def _within_limit(job: Job) -> int:
    count = job.entries.count()
    if count > MAX_DOCUMENT_ENTRIES:
        raise TooManyEntries(
            f"Word and PDF documents hold up to {MAX_DOCUMENT_ENTRIES:,} entries, and these filters select "
            f"{count:,}. Filter the chronology to fewer entries, or download it as a spreadsheet (XLSX or CSV)"
        )
    return count


# Spreadsheets


def xlsx_cell(sheet: WriteOnlyWorksheet, value: str) -> str | Cell:
    if not value.startswith(FORMULA_STARTS):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def combined_xlsx(job: Job) -> Made:
    """The selected entries as an XLSX workbook: the chronology sheet, then a sheet saying what it is."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    sheet.oddHeader.center.text = MARKING
    sheet.oddFooter.center.text = MARKING
    widths = [width for _, width in _COLUMNS] + ([_NOTES_WIDTH] if job.notes else [])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for heading in headings(job.notes):
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for cells in rows(job):
        sheet.append([xlsx_cell(sheet, value) for value in cells])
        count += 1
    described = workbook.create_sheet("About")
    for line in [title(job.review), MARKING, *about(job, count)]:
        described.append([xlsx_cell(described, line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Made(buffer.getvalue(), count)


def combined_csv(job: Job) -> Made:
    """The selected entries as CSV, UTF-8 with a byte order mark so that Excel reads it right."""
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(headings(job.notes))
        count = 0
        for cells in rows(job):
            writer.writerow([neutralised(value) for value in cells])
            count += 1
        text.flush()
        return Made(buffer.getvalue(), count)


# Documents


def combined_docx(job: Job) -> Made:
    """The selected entries as a Word document: a table on landscape pages, its heading row repeated on each."""
    count = _within_limit(job)
    heading = title(job.review)
    document = marked_docx(heading, job.review.partnership.name)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(heading, level=0)
    for line in about(job, count):
        document.add_paragraph(line)
    names = headings(job.notes)
    table = document.add_table(rows=1, cols=len(names))
    table.style = "Table Grid"
    first = table.rows[0]
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    first._tr.get_or_add_trPr().append(repeat)
    for cell, name in zip(first.cells, names, strict=True):
        cell.paragraphs[0].add_run(name).bold = True
    for cells in rows(job):
        docx_row(table._tbl, cells)
    buffer = io.BytesIO()
    document.save(buffer)
    return Made(buffer.getvalue(), count)


def docx_row(table: CT_Tbl, cells: list[str]) -> None:
    """Append a row of plain text cells, each line break kept, to a Word table.

    Written as XML directly: python-docx's ``add_row`` and ``cell.text`` look up the table's grid
    again for every cell, which makes a 5,000-row table take ten times as long.
    """
    row = SubElement(table, qn("w:tr"))
    for value in cells:
        run = SubElement(SubElement(SubElement(row, qn("w:tc")), qn("w:p")), qn("w:r"))
        for index, line in enumerate(value.split("\n")):
            if index:
                SubElement(run, qn("w:br"))
            text = SubElement(run, qn("w:t"))
            text.text = line
            text.set(_XML_SPACE, "preserve")


def _wrapped(pdf: FPDF, text: str, width: float, widths: dict[tuple[str, str], float]) -> list[str]:
    """Cut ``text`` into lines no wider than ``width`` in the current font, each word measured once."""
    style = pdf.font_style

    def measure(piece: str) -> float:
        key = (style, piece)
        if key not in widths:
            widths[key] = pdf.get_string_width(piece)
        return widths[key]

    def pieces(word: str) -> list[str]:
        """A word wider than the page (a long reference) cut wherever it must be."""
        cut, piece, used = [], "", 0.0
        for char in word:
            size = measure(char)
            if piece and used + size > width:
                cut.append(piece)
                piece, used = "", 0.0
            piece += char
            used += size
        return [*cut, piece]

    space = measure(" ")
    lines = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for word in paragraph.split():
            size = measure(word)
            if size > width:
                *whole, word = pieces(word)
                lines += [" ".join(line)] if line else []
                lines += whole
                line, used, size = [], 0.0, measure(word)
            if line and used + space + size > width:
                lines.append(" ".join(line))
                line, used = [], 0.0
            used += (space if line else 0.0) + size
            line.append(word)
        lines.append(" ".join(line))
    return lines


def stamp(job: Job) -> list[str]:
    """The watermark on every page of the PDF: for whom it was made, and when."""
    return [
        f"Made for {job.recipient.full_name} ({job.recipient.email})",
        f"{job.review.reference}, {_day_and_time(job.made_at)}",
    ]


def combined_pdf(job: Job) -> Made:
    """The selected entries as a PDF, an entry after another, watermarked with its recipient on every page.

    Raises ``FontMissing`` without the font, and ``sharing.watermark.WatermarkFailed`` for a document
    too long to stamp.
    """
    count = _within_limit(job)
    heading = title(job.review)
    pdf = marked_pdf(orientation="landscape")
    pdf.set_title(heading)
    pdf.set_author(job.review.partnership.name)
    pdf.set_creator("DHR tracker")
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    width = pdf.epw
    widths: dict[tuple[str, str], float] = {}

    def write(text: str, *, size: float, bold: bool = False, height: float = 4.2) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        for line in _wrapped(pdf, text, width, widths):
            pdf.cell(width, height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    write(heading, size=16, bold=True, height=8)
    for line in about(job, count):
        write(line, size=10, height=5)
    pdf.ln(4)
    names = headings(job.notes)
    details = (SOURCE_RECORD, PRACTITIONER_ROLE, EVENT, ACTION_OR_OUTCOME, RISK_INDICATORS, NOTES)
    for cells in rows(job):
        entry = dict(zip(names, cells, strict=True))
        when = f"{entry[DATE]}, {entry[TIME]}" if entry[TIME] else entry[DATE]
        flagged = " \u00b7 Significant" if entry[SIGNIFICANT] == "Yes" else ""
        write(f"{when} \u00b7 {entry[AGENCY]} \u00b7 {entry[SUBJECT]}{flagged}", size=9, bold=True)
        for label in details:
            if entry.get(label):
                write(f"{label}: {entry[label]}", size=9)
        pdf.ln(3)
    stamped = watermark_pdf(io.BytesIO(bytes(pdf.output())), stamp(job))
    return Made(stamped, count)


@dataclass(frozen=True)
class Format:
    render: Callable[[Job], Made]
    content_type: str
    extension: str
    label: str


FORMATS = {
    "xlsx": Format(
        combined_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel (XLSX)"
    ),
    "csv": Format(combined_csv, "text/csv; charset=utf-8", "csv", "CSV"),
    "docx": Format(
        combined_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        "Word (DOCX)",
    ),
    "pdf": Format(combined_pdf, "application/pdf", "pdf", "PDF, watermarked with your name"),
}
# The formats that are documents to read, limited to MAX_DOCUMENT_ENTRIES.
DOCUMENTS = ("docx", "pdf")
