"""Reading a hostile upload: choosing the reader, the XLSX and CSV readers, every whole-file refusal
they make, and fuzzing.

Through ``read_chronology``, as an upload is read: pure functions over bytes, so no database.
"""

import io
import re
import warnings
import zipfile

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dhr_tracker.chronologies import spreadsheets
from dhr_tracker.chronologies.importing import COLUMNS, read_chronology
from dhr_tracker.chronologies.spreadsheets import ImportRefused
from dhr_tracker.chronologies.template import template_csv
from tests.chronologies.upload_helpers import (
    FUZZ,
    GOOD_ROW,
    RISKS,
    csv_bytes,
    read,
    read_or_refuse,
    refusal,
    rezip,
    xlsx,
)

# Reading


def test_csv_without_byte_order_mark_is_read() -> None:
    assert read(csv_bytes([GOOD_ROW], bom=False), "chronology.csv").ok


def test_file_object_is_read_like_bytes() -> None:
    result = read_chronology(io.BytesIO(xlsx([GOOD_ROW])), name="c.XLSX", risk_indicators=RISKS)
    assert result.ok
    assert len(result.entries) == 1


def test_chronology_sheet_is_read_wherever_it_is() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Not the chronology"])
    sheet = workbook.create_sheet("Chronology")
    sheet.append(COLUMNS)
    sheet.append(GOOD_ROW)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert read(buffer.getvalue()).ok


def test_first_sheet_is_read_when_none_is_called_chronology() -> None:
    assert read(xlsx([GOOD_ROW], title="Sheet1")).ok


def test_rows_are_all_read_when_the_sheet_misstates_its_size() -> None:
    """A sheet's <dimension> can be wrong; trusting it would drop rows without a word."""
    data = xlsx([GOOD_ROW, (*GOOD_ROW[:5], "Second", *GOOD_ROW[6:])])
    lying = rezip(
        data, change=lambda name, content: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', content)
    )
    assert b'<dimension ref="A1"' in zipfile.ZipFile(io.BytesIO(lying)).read("xl/worksheets/sheet1.xml")
    assert [entry.event for entry in read(lying).entries] == ["Called to the address", "Second"]


def test_workbook_named_csv_is_read_as_the_workbook_it_is() -> None:
    assert read(xlsx([GOOD_ROW]), "chronology.csv").ok


# Whole-file refusals


@pytest.mark.parametrize(
    "name", ["chronology.xls", "chronology.xlsm", "chronology.ods", "chronology", "chronology.txt"]
)
def test_files_that_are_not_xlsx_or_csv_by_name_are_refused(name: str) -> None:
    assert refusal(xlsx([GOOD_ROW]), name) == (
        "The file must be an XLSX or CSV file. Save your chronology as Excel Workbook (.xlsx) or CSV UTF-8 and upload it again"
    )


def test_xlsx_name_on_something_else_is_refused() -> None:
    assert refusal(csv_bytes([GOOD_ROW]), "chronology.xlsx").startswith(
        "The file is named .xlsx but is not an Excel workbook"
    )


def test_old_excel_workbook_is_refused() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    assert refusal(data, "chronology.xlsx").startswith(
        "The file is an old Excel 97-2003 workbook (.xls). Open it in Excel"
    )


def test_password_protected_workbook_is_refused() -> None:
    """Excel encrypts a workbook by wrapping it in an OLE file with an EncryptionInfo stream."""
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100) + "EncryptionInfo".encode("utf-16-le") + bytes(100)
    assert refusal(data).startswith("The workbook is protected with a password. Remove the password")


def test_zip_encrypted_workbook_is_refused() -> None:
    data = bytearray(xlsx([GOOD_ROW]))
    # Set the "encrypted" bit of every entry in the central directory, which is what zipfile reports.
    for match in re.finditer(rb"PK\x01\x02", bytes(data)):
        data[match.start() + 8] |= 0x1
    assert (
        refusal(bytes(data))
        == "The workbook is protected with a password. Remove the password, save it and upload it again"
    )


def test_empty_file_is_refused() -> None:
    assert (
        refusal(b"", "c.csv") == "The file is empty. Download the template, copy your rows into it and upload it again"
    )
    assert refusal(b"\xef\xbb\xbf", "c.csv").startswith("The file is empty")


@pytest.mark.parametrize("as_file", [False, True])
def test_file_over_the_size_limit_is_refused(as_file: bool) -> None:
    data = xlsx([GOOD_ROW])
    upload: bytes | io.BytesIO = io.BytesIO(data) if as_file else data
    with pytest.raises(ImportRefused) as refused:
        read_chronology(upload, name="c.xlsx", risk_indicators=RISKS, max_bytes=len(data) - 1)
    assert refused.value.message.startswith("The file must be smaller than")
    assert read_chronology(data, name="c.xlsx", risk_indicators=RISKS, max_bytes=len(data)).ok


def test_size_limit_is_stated_as_people_say_it() -> None:
    with pytest.raises(ImportRefused) as refused:
        read_chronology(b"x" * (20 * 1024 * 1024 + 1), name="c.csv", risk_indicators=RISKS)
    assert refused.value.message == "The file must be smaller than 20 MB. Split it into smaller files"


@pytest.mark.parametrize(
    ("part", "what"),
    [
        ("xl/vbaProject.bin", "contains macros"),
        ("xl/macrosheets/sheet1.xml", "contains macros"),
        ("xl/activeX/activeX1.xml", "contains ActiveX controls"),
        ("xl/embeddings/oleObject1.bin", "has other files or objects embedded in it"),
        ("xl/externalLinks/externalLink1.xml", "links to other workbooks"),
        ("XL/EMBEDDINGS/Package.docx", "has other files or objects embedded in it"),
    ],
)
def test_workbook_with_active_or_outside_content_is_refused(part: str, what: str) -> None:
    data = rezip(xlsx([GOOD_ROW]), add={part: b"content"})
    assert refusal(data) == (
        f"The workbook {what}, which cannot be uploaded. Copy your rows into the chronology template, "
        "pasting them as values only, and upload that"
    )


def test_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    data = rezip(xlsx([GOOD_ROW]), add={"xl/media/image1.png": bytes(50 * 1024 * 1024)})
    assert len(data) < 1024 * 1024
    assert refusal(data).startswith("The workbook unpacks to far more data than a chronology holds")


def test_workbook_unpacking_to_more_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = xlsx([GOOD_ROW])
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 10_000)
    assert refusal(data).startswith("The workbook unpacks to far more data than a chronology holds")


def test_xml_entity_expansion_is_refused_as_damaged() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
    data = rezip(
        xlsx([GOOD_ROW]),
        change=lambda name, content: bomb + content if name == "xl/worksheets/sheet1.xml" else content,
    )
    assert refusal(data).startswith("The file could not be read as a spreadsheet. It may be damaged")


@pytest.mark.parametrize(
    "parts",
    [
        {"hello.txt": b"hello"},
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
    ],
)
def test_zip_that_is_not_a_workbook_is_refused(parts: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    assert refusal(buffer.getvalue()).startswith("The file is not an Excel workbook")


def test_workbook_with_a_part_named_twice_is_refused_as_damaged() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate it is asked to write
        data = rezip(xlsx([GOOD_ROW]), add={"xl/worksheets/sheet1.xml": b"<worksheet/>"})
    assert refusal(data).startswith("The file could not be read as a spreadsheet. It may be damaged")


def test_truncated_workbook_is_refused_as_damaged() -> None:
    data = xlsx([GOOD_ROW])
    assert refusal(data[: len(data) // 2]).startswith("The file could not be read as a spreadsheet")


def test_workbook_without_worksheets_is_refused() -> None:
    data = rezip(
        xlsx([GOOD_ROW]),
        change=lambda name, content: (
            re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", content) if name == "xl/workbook.xml" else content
        ),
    )
    assert refusal(data) == (
        "The workbook has no sheet of rows. Download the template, copy your rows into it and upload it again"
    )


@pytest.mark.parametrize(
    "data",
    [
        template_csv()[3:] + "31/12/2019,,victim,,,Café,,\r\n".encode("cp1252"),
        template_csv().decode("utf-8").encode("utf-16"),
        template_csv()[3:].decode("utf-8").encode("utf-16-le"),
    ],
)
def test_csv_not_in_utf8_is_refused(data: bytes) -> None:
    assert refusal(data, "c.csv").startswith("The file is not in UTF-8. Save the file as CSV UTF-8")


def test_csv_with_a_broken_quote_is_refused_naming_the_row() -> None:
    data = csv_bytes([GOOD_ROW]) + b'31/12/2019,,victim,,,"Seen" by GP,,\r\n'
    assert refusal(data, "c.csv") == (
        "Row 3 could not be read. Check that the quote marks in it come in pairs, or save the file again as CSV UTF-8 "
        "and upload it again"
    )


# Fuzzing: any input gives a result or ImportRefused, nothing else.


@FUZZ
@given(st.binary(max_size=2_000), st.sampled_from(["f.xlsx", "f.csv"]))
def test_fuzz_random_bytes(data: bytes, name: str) -> None:
    read_or_refuse(data, name)


@FUZZ
@given(st.binary(max_size=500))
def test_fuzz_random_bytes_after_the_zip_signature(data: bytes) -> None:
    read_or_refuse(b"PK\x03\x04" + data, "f.xlsx")


_VALID_XLSX = xlsx([GOOD_ROW, ("Dec 2019", "", "child", "", "", "School absence", "", "Separation")] * 5)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(_VALID_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_mutated_workbook_bytes(changes: list[tuple[int, int]]) -> None:
    data = bytearray(_VALID_XLSX)
    for position, value in changes:
        data[position] = value
    read_or_refuse(bytes(data), "f.xlsx")


@FUZZ
@given(st.integers(0, len(_VALID_XLSX)))
def test_fuzz_truncated_workbook(length: int) -> None:
    read_or_refuse(_VALID_XLSX[:length], "f.xlsx")


_SHEET_XML = zipfile.ZipFile(io.BytesIO(_VALID_XLSX)).read("xl/worksheets/sheet1.xml")


@FUZZ
@given(st.integers(0, len(_SHEET_XML) - 1), st.binary(min_size=1, max_size=20))
def test_fuzz_mutated_sheet_xml_in_a_sound_zip(position: int, inserted: bytes) -> None:
    """Past the zip layer, so that openpyxl's XML parsing meets the damage."""
    damaged = _SHEET_XML[:position] + inserted + _SHEET_XML[position + len(inserted) :]
    data = rezip(_VALID_XLSX, change=lambda name, content: damaged if name == "xl/worksheets/sheet1.xml" else content)
    read_or_refuse(data, "f.xlsx")
