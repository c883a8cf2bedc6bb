"""Documents made from review records: the terms of reference as DOCX and PDF, and the marked
Word and PDF pages (``marked_docx``, ``marked_pdf``) that the combined chronology's documents share.

Subjects appear by pseudonym only: the terms of reference are shared with every agency and end
up in the published report, where real names and dates of birth must never appear (DHR.md s6).
Nothing here reads a sealed column. Every page carries the protective marking.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils import timezone
from django.utils.formats import date_format
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from dhr_tracker.reviews.models import PersonRole, Review, TermsOfReference, TermsStatus

MARKING = "OFFICIAL-SENSITIVE"
NONE_RECORDED = "None recorded."
# A Unicode TrueType font, so any pseudonym or text prints (the PDF core fonts are Latin-1 only).
# Debian and Ubuntu ship it in fonts-dejavu-core.
PDF_FONTS = {
    "": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "B": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
}
# Subjects in the order a reader expects: the person who died first.
ROLE_ORDER = (PersonRole.VICTIM, PersonRole.PERPETRATOR, PersonRole.CHILD, PersonRole.OTHER)


class FontMissing(RuntimeError):
    """The PDF font is not installed, so no PDF can be made."""


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str]
    bullets: bool = False


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _paragraphs(text: str) -> list[str]:
    """One paragraph per line typed, so lists and paragraphs keep their shape."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines or [NONE_RECORDED]


def subject_choices(review: Review) -> list[tuple[str, str]]:
    """The pseudonyms of the people recorded in the review, labelled with their role, victim first."""
    people = sorted(
        review.people.all(), key=lambda person: (ROLE_ORDER.index(PersonRole(person.role)), person.pseudonym)
    )
    return [(person.pseudonym, f"{person.pseudonym} ({person.get_role_display().lower()})") for person in people]


def title(terms: TermsOfReference) -> str:
    review = terms.review
    return f"{review.title}: terms of reference, version {terms.version}"


def status_line(terms: TermsOfReference) -> str:
    if terms.status in (TermsStatus.APPROVED, TermsStatus.SUPERSEDED) and terms.approved_at:
        approved = f"approved on {_day(timezone.localtime(terms.approved_at).date())}"
        if terms.status == TermsStatus.SUPERSEDED:
            return f"Status: superseded (was {approved})"
        return f"Status: {approved}"
    if terms.status == TermsStatus.AGREED and terms.agreed_on:
        return f"Status: agreed by the panel on {_day(terms.agreed_on)}, not yet approved"
    return f"Status: {terms.get_status_display().lower()}, not approved"


def sections(terms: TermsOfReference) -> list[Section]:
    """The document's sections, shared by the page and both formats so they never disagree."""
    agencies = [agency.name for agency in terms.agencies.all()]
    # A subject no longer recorded in the review keeps the pseudonym this version gave them.
    labels = dict(subject_choices(terms.review))
    subjects = [labels.get(pseudonym, pseudonym) for pseudonym in terms.subjects]
    return [
        Section(
            "Period under review",
            [f"From {_day(terms.period_start)} to {_day(terms.period_end)}."],
        ),
        Section("Why the period starts then", _paragraphs(terms.period_start_reason)),
        Section("Subjects of the review", subjects or [NONE_RECORDED], bullets=bool(subjects)),
        Section("Agencies", agencies or [NONE_RECORDED], bullets=bool(agencies)),
        Section("Key lines of enquiry", _paragraphs(terms.lines_of_enquiry)),
        Section("Equality and diversity", _paragraphs(terms.equality_and_diversity)),
        Section("Involvement of family, friends and colleagues", _paragraphs(terms.family_involvement)),
        Section("Involvement of the perpetrator", _paragraphs(terms.perpetrator_involvement)),
        Section("Parallel processes", _paragraphs(terms.parallel_processes)),
        Section("Method", _paragraphs(terms.method)),
        Section("Timetable", _paragraphs(terms.timetable)),
    ]


def marked_docx(heading: str, author: str) -> DocxDocument:
    """A Word document titled ``heading``, by ``author``, with the protective marking at the head and foot of its pages."""
    document = Document()
    properties = document.core_properties
    properties.title = heading
    # python-docx would otherwise name itself as the author.
    properties.author = author
    properties.last_modified_by = author
    properties.comments = MARKING
    for part in (document.sections[0].header, document.sections[0].footer):
        marking = part.paragraphs[0]
        marking.text = MARKING
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def terms_docx(terms: TermsOfReference) -> bytes:
    """The terms of reference as a Word document."""
    document = marked_docx(title(terms), terms.review.partnership.name)
    document.add_heading(title(terms), level=0)
    document.add_paragraph(terms.review.partnership.name)
    document.add_paragraph(status_line(terms))
    for section in sections(terms):
        document.add_heading(section.heading, level=1)
        for text in section.paragraphs:
            document.add_paragraph(text, style="List Bullet" if section.bullets else None)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class MarkedPdf(FPDF):
    """A page with the protective marking at its head and foot, and page numbers."""

    def header(self) -> None:
        self.set_font("DejaVu", "B", 9)
        self.cell(0, 6, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("DejaVu", "B", 9)
        self.cell(0, 5, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def marked_pdf(*, orientation: str = "portrait") -> MarkedPdf:
    """An A4 PDF with the DejaVu fonts and marked pages; raises ``FontMissing`` when the font is not installed."""
    missing = [str(path) for path in PDF_FONTS.values() if not path.is_file()]
    if missing:
        raise FontMissing(
            f"PDF export needs the DejaVu Sans font, which is missing ({', '.join(missing)}): "
            "install the fonts-dejavu-core package"
        )
    pdf = MarkedPdf(orientation=orientation, format="A4")
    for style, path in PDF_FONTS.items():
        pdf.add_font("DejaVu", style, str(path))
    return pdf


def terms_pdf(terms: TermsOfReference) -> bytes:
    """The terms of reference as a PDF; raises ``FontMissing`` when the font is not installed."""
    pdf = marked_pdf()
    pdf.set_title(title(terms))
    pdf.set_author(terms.review.partnership.name)
    pdf.set_creator("DHR tracker")
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()

    def write(text: str, *, size: float, bold: bool = False, height: float = 6, gap: float = 2) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    write(title(terms), size=16, bold=True, height=8, gap=3)
    write(terms.review.partnership.name, size=11)
    write(status_line(terms), size=11, gap=4)
    for section in sections(terms):
        write(section.heading, size=13, bold=True, height=7, gap=1)
        for text in section.paragraphs:
            write(f"\u2022 {text}" if section.bullets else text, size=11, gap=1)
        pdf.ln(3)
    return bytes(pdf.output())


@dataclass(frozen=True)
class Format:
    render: Callable[[TermsOfReference], bytes]
    content_type: str
    extension: str


FORMATS = {
    "docx": Format(terms_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": Format(terms_pdf, "application/pdf", "pdf"),
}
