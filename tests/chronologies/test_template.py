"""The chronology templates: what they hold, and that filled in they read back with no problems."""

import io
from datetime import time

import openpyxl

from dhr_tracker.chronologies.importing import COLUMNS, EntryRow, Subject
from dhr_tracker.chronologies.partialdates import PartialDate
from dhr_tracker.chronologies.template import template_csv, template_xlsx
from tests.chronologies.upload_helpers import RISKS, read


def test_xlsx_template_filled_in_reads_back_with_no_problems() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(RISKS)))
    sheet = workbook["Chronology"]
    sheet.append(
        ["31/12/2019", "14:30", "Victim", "GP-77", "GP", "Seen at surgery", "Referred to IDVA", "DASH: high; pregnancy"]
    )
    sheet.append(["Dec 2019", None, "perpetrator", None, None, "Arrested", None, None])
    sheet.append(["2019", None, "CHILD", None, None, "School reported absence", None, "Separation"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = read(buffer.getvalue())

    assert result.ok
    assert result.problems == result.duplicates == ()
    assert result.rows_checked == 3
    assert result.entries == (
        EntryRow(
            row=2,
            date=PartialDate(2019, 12, 31),
            time=time(14, 30),
            subject=Subject.VICTIM,
            source_record="GP-77",
            practitioner_role="GP",
            event="Seen at surgery",
            action_or_outcome="Referred to IDVA",
            risk_indicators=("DASH: high", "Pregnancy"),
        ),
        EntryRow(3, PartialDate(2019, 12), None, Subject.PERPETRATOR, "", "", "Arrested", "", ()),
        EntryRow(4, PartialDate(2019), None, Subject.CHILD, "", "", "School reported absence", "", ("Separation",)),
    )


def test_xlsx_template_explains_itself() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx(RISKS)))
    sheet = workbook["Chronology"]
    assert workbook.sheetnames == ["Chronology", "Help"]
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.max_row == 1
    # Text cells keep "Dec 2019" as typed rather than letting Excel make it a day.
    assert sheet.column_dimensions["A"].number_format == sheet.column_dimensions["B"].number_format == "@"
    (subjects,) = sheet.data_validations.dataValidation
    assert subjects.formula1 == '"victim,perpetrator,child,other"'
    assert str(subjects.sqref) == "C2:C100001"
    help_text = " ".join(str(cell.value) for row in workbook["Help"].iter_rows() for cell in row)
    for expected in ("31/12/2019", "Dec 2019", "victim, perpetrator, child or other", "4,000", "100", "200"):
        assert expected in help_text
    assert "DASH: standard; DASH: medium; DASH: high; MARAC referral" in help_text
    assert "CSV UTF-8" in help_text


def test_xlsx_template_without_risk_indicators_says_to_leave_the_column_blank() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx([])))
    help_text = " ".join(str(cell.value) for row in workbook["Help"].iter_rows() for cell in row)
    assert "none are set up for this review, so leave the column blank" in help_text


def test_csv_template_has_a_byte_order_mark_and_the_headings() -> None:
    assert (
        template_csv()
        == "\ufeffDate,Time,Subject,Source record,Practitioner role,Event,Action or outcome,Risk indicators\r\n".encode()
    )


def test_csv_template_filled_in_reads_back_with_no_problems() -> None:
    data = (
        template_csv() + b'1 Jan 2020,9am,other,,,"Neighbour called, worried\r\nabout shouting",,Coercive control;\r\n'
    )
    result = read(data, "chronology.csv")
    assert result.ok
    (entry,) = result.entries
    assert entry == EntryRow(
        2,
        PartialDate(2020, 1, 1),
        time(9),
        Subject.OTHER,
        "",
        "",
        "Neighbour called, worried\nabout shouting",
        "",
        ("Coercive control",),
    )
