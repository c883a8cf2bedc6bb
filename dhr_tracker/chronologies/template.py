"""The chronology template agencies download and fill in, as an XLSX workbook or a CSV file.

``importing.read_chronology`` reads a filled-in template back; the headings and limits are its.
"""

import csv
import io
from collections.abc import Iterable

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from dhr_tracker.chronologies.importing import (
    ACTION_OR_OUTCOME,
    COLUMNS,
    DATE,
    EVENT,
    LIMITS,
    MAX_ROWS,
    PRACTITIONER_ROLE,
    SHEET,
    SOURCE_RECORD,
    SUBJECT,
    SUBJECTS_IN_WORDS,
    TIME,
    Subject,
    risk_lookup,
)
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES, format_size

_HELP = {
    DATE: (
        "Required. The date of the event as the record gives it. A day: 31/12/2019, 31 Dec 2019 or "
        "2019-12-31. Only a month: Dec 2019 or 12/2019. Only a year: 2019. Put the day before the month, "
        "and write years with four digits."
    ),
    TIME: "Only if the record gives it, and only with a full date: 14:30 or 2.30pm.",
    SUBJECT: "Required. Who the event is about: victim, perpetrator, child or other.",
    SOURCE_RECORD: f"Your agency's reference for the record the entry comes from. Up to {LIMITS[SOURCE_RECORD]:,} characters.",
    PRACTITIONER_ROLE: f"The role of the practitioner involved, for example Health visitor. Up to {LIMITS[PRACTITIONER_ROLE]:,} characters.",
    EVENT: f"Required. What happened. Up to {LIMITS[EVENT]:,} characters; split a longer event over two rows.",
    ACTION_OR_OUTCOME: f"What your agency did, or what came of it. Up to {LIMITS[ACTION_OR_OUTCOME]:,} characters.",
}
_WIDTHS = (14, 8, 13, 18, 24, 60, 60, 30)


def template_xlsx(risk_indicators: Iterable[str]) -> bytes:
    """Return the chronology template as an XLSX workbook, with a Help sheet explaining each column."""
    indicators = list(risk_lookup(risk_indicators).values())
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Text cells, so that Excel keeps "Dec 2019" as typed instead of turning it into 1 December 2019.
    for letter in "AB":
        sheet.column_dimensions[letter].number_format = "@"
    subjects = DataValidation(
        type="list",
        formula1=f'"{",".join(Subject)}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Subject",
        error=f"Enter {SUBJECTS_IN_WORDS}",
    )
    subjects.add(f"C2:C{MAX_ROWS + 1}")
    sheet.add_data_validation(subjects)

    guide = workbook.create_sheet("Help")
    risks = "; ".join(indicators) if indicators else "none are set up for this review, so leave the column blank"
    guide.append(("Column", "What to enter"))
    for column in COLUMNS:
        guide.append((column, _HELP.get(column, f"Any of these, separated by semicolons (;): {risks}.")))
    guide.append(())
    for note in (
        f"Put one event on each row of the {SHEET} sheet, from row 2. Do not change the headings.",
        "Type or paste values only: cells with formulas are not accepted.",
        f"One file can have up to {MAX_ROWS:,} rows and be up to {format_size(MAX_BYTES)}.",
        "If you save the file as CSV, choose CSV UTF-8 (Comma delimited).",
    ):
        guide.append(("Note", note))
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 100
    for row in guide.iter_rows(min_row=2, min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    """Return the chronology template as CSV, UTF-8 with a byte order mark so that Excel reads it right."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(COLUMNS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
