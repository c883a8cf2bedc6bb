"""The action plan as a download: XLSX or DOCX, one row per action, in the columns of DHR.md s10.

Recommendation | scope | action | lead agency | key milestones achieved | target date |
completion date and outcome, then what the tracker adds: owner, RAG, evidence (the documents'
titles) and the government department a national recommendation is addressed to. A
recommendation without actions yet has one row, its action columns empty.

The threats are those of the combined chronology's export (``chronologies.exports``), met the same
way: text a spreadsheet would take for a formula is written as a text cell with Excel's quote
prefix (``xlsx_cell``), characters XML cannot hold are dropped, and both files carry the
protective marking. Plans are short (tens of rows), so they are built in memory; the spreadsheet
still uses openpyxl's write-only mode, as every export of the service does.
"""

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import openpyxl
from django.utils.formats import date_format
from docx.enum.section import WD_ORIENT
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dhr_tracker.chronologies.exports import NOT_XML, Made, docx_row, xlsx_cell
from dhr_tracker.reports.models import Recommendation
from dhr_tracker.reviews.exports import MARKING, marked_docx
from dhr_tracker.reviews.models import Review

SHEET = "Action plan"
COLUMNS = (
    ("Recommendation", 50),
    ("Scope", 12),
    ("Action", 50),
    ("Lead agency", 24),
    ("Key milestones achieved", 40),
    ("Target date", 14),
    ("Completion date and outcome", 40),
    ("Owner", 24),
    ("RAG", 24),
    ("Evidence", 30),
    ("Department addressed", 24),
)


def headings() -> list[str]:
    return [name for name, _ in COLUMNS]


def title(review: Review) -> str:
    return f"{review.title}: action plan"


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else ""


def _scope(recommendation: Recommendation) -> str:
    agencies = "multi-agency" if recommendation.multi_agency else "single agency"
    return f"{recommendation.get_scope_display()}, {agencies}"


def rows(recommendations: list[Recommendation], today: date) -> Iterator[list[str]]:
    """Each action's cells, recommendations in number order; a recommendation with no action has one row."""
    for recommendation in recommendations:
        named = f"{recommendation.number}. {recommendation.text}"
        common = [named, _scope(recommendation)]
        department = recommendation.department
        actions = list(recommendation.actions.all())
        if not actions:
            lead = recommendation.lead_agency.name if recommendation.lead_agency else ""
            cells = [*common, "", lead, "", _day(recommendation.target_on), "", recommendation.owner.full_name]
            yield [NOT_XML.sub("", cell) for cell in [*cells, "", "", department]]
            continue
        for action in actions:
            completion = ""
            if action.completed_on:
                completion = f"{_day(action.completed_on)}: {action.outcome}"
            cells = [
                *common,
                f"{recommendation.number}.{action.number} {action.text}",
                action.lead_agency.name if action.lead_agency else "",
                action.milestones,
                _day(action.target_on),
                completion,
                action.owner.full_name,
                action.rag(today).label,
                "\n".join(document.title for document in action.evidence.all()),
                department,
            ]
            yield [NOT_XML.sub("", cell) for cell in cells]


def plan_xlsx(review: Review, recommendations: list[Recommendation], today: date) -> Made:
    """The plan as an XLSX workbook: the plan sheet, its heading row frozen and bold."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    sheet.freeze_panes = "A2"
    sheet.oddHeader.center.text = MARKING
    sheet.oddFooter.center.text = MARKING
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for heading in headings():
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for cells in rows(recommendations, today):
        sheet.append([xlsx_cell(sheet, value) for value in cells])
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Made(buffer.getvalue(), count)


def plan_docx(review: Review, recommendations: list[Recommendation], today: date) -> Made:
    """The plan as a Word table on landscape pages, with the protective marking."""
    heading = title(review)
    document = marked_docx(heading, review.partnership.name)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(heading, level=0)
    document.add_paragraph(f"{review.reference}, {review.partnership.name}. As it stood on {_day(today)}.")
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, headings(), strict=True):
        cell.paragraphs[0].add_run(name).bold = True
    count = 0
    for cells in rows(recommendations, today):
        docx_row(table._tbl, cells)
        count += 1
    buffer = io.BytesIO()
    document.save(buffer)
    return Made(buffer.getvalue(), count)


@dataclass(frozen=True)
class Format:
    render: Callable[[Review, list[Recommendation], date], Made]
    content_type: str
    extension: str
    label: str


FORMATS = {
    "xlsx": Format(
        plan_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "Excel (XLSX)"
    ),
    "docx": Format(
        plan_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "Word (DOCX)"
    ),
}
