"""Upload types are decided by content; macros, old Office files, markup and odd names are refused."""

import contextlib
import io
import os
import struct
import warnings
import zipfile
from typing import BinaryIO

import pytest

from sharing import sniffing
from sharing.sniffing import (
    ALLOWED,
    HEAD_SIZE,
    FileType,
    Refused,
    check_name,
    content_disposition,
    safe_filename,
    sniff,
)
from tests.sharing import samples


class TrackedFile(io.BytesIO):
    """A seekable upload that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def sniff_bytes(data: bytes, *, opened: list[TrackedFile] | None = None) -> FileType:
    def open_seekable() -> BinaryIO:
        upload = TrackedFile(data)
        if opened is not None:
            opened.append(upload)
        return upload

    return sniff(data[:HEAD_SIZE], open_seekable, len(data))


def refusal(data: bytes) -> Refused:
    with pytest.raises(Refused) as caught:
        sniff_bytes(data)
    return caught.value


def never_opened() -> BinaryIO:
    raise AssertionError("only zip-based uploads are opened")


@pytest.mark.parametrize(("kind", "code"), samples.ACCEPTED.items())
def test_accepted_sample_is_recognised_by_content(kind: str, code: str) -> None:
    assert sniff_bytes(samples.sample(kind)) is ALLOWED[code]


@pytest.mark.parametrize(("kind", "code"), samples.REFUSED.items())
def test_refused_sample_gets_a_coded_message(kind: str, code: str) -> None:
    exc = refusal(samples.sample(kind))
    assert exc.code == code
    assert str(exc) == exc.message
    assert exc.message.startswith("The ")


def test_every_allowed_type_has_a_sample() -> None:
    assert set(samples.ACCEPTED.values()) == set(ALLOWED)


def test_type_message_lists_the_allowed_types() -> None:
    assert refusal(samples.sample("exe")).message == (
        "The file must be a PDF, Word, Excel, OpenDocument, CSV, text, RTF, email, PNG, JPEG or TIFF file"
    )


def test_empty_file_message() -> None:
    assert refusal(b"").message == "The selected file is empty"


def test_file_over_the_limit_is_refused_with_the_limit_in_words() -> None:
    with pytest.raises(Refused) as caught:
        sniff(b"%PDF-1.7", never_opened, sniffing.MAX_SIZE + 1)
    assert (caught.value.code, caught.value.message) == ("size", "The file must be smaller than 2 GB")
    with pytest.raises(Refused) as caught:
        sniff(b"%PDF-1.7", never_opened, 10 * 1024**2 + 1, max_size=10 * 1024**2)
    assert caught.value.message == "The file must be smaller than 10 MB"


@pytest.mark.parametrize("kind", ["pdf", "png", "jpeg", "tiff", "rtf", "csv", "txt", "eml", "doc", "exe", "html"])
def test_only_zip_based_uploads_are_opened(kind: str) -> None:
    data = samples.sample(kind)
    with contextlib.suppress(Refused):
        sniff(data[:HEAD_SIZE], never_opened, len(data))


def test_zip_upload_is_closed_after_sniffing() -> None:
    opened: list[TrackedFile] = []
    sniff_bytes(samples.docx(), opened=opened)
    assert [upload.closed for upload in opened] == [True]


def test_zip_sniffing_reads_the_directory_and_content_types_only() -> None:
    """The upload decrypts on demand, so a 5 MB attachment inside a DOCX must not be read."""
    opened: list[TrackedFile] = []
    data = samples.docx(extra=[("word/media/image1.png", os.urandom(5 * 1024**2))])
    assert sniff_bytes(data, opened=opened).code == "docx"
    assert opened[0].bytes_read < 100_000


# Content decides, whatever the name says.


def test_png_named_pdf_is_a_png_and_is_renamed() -> None:
    file_type = sniff_bytes(samples.png())
    assert file_type.code == "png"
    assert safe_filename("scan.pdf", file_type) == "scan.png"


def test_pdf_named_exe_is_a_pdf_and_is_renamed() -> None:
    file_type = sniff_bytes(samples.pdf())
    assert file_type.code == "pdf"
    assert safe_filename("report.exe", file_type) == "report.pdf"


def test_pdf_header_may_follow_junk_within_the_first_kilobyte() -> None:
    assert sniff_bytes(b"\r\n" * 100 + samples.pdf()).code == "pdf"


def test_executable_with_a_pdf_header_inside_is_refused() -> None:
    """Readers accept "%PDF-" anywhere in the first KiB; a program is not a PDF for containing it."""
    assert refusal(samples.exe(payload=b"%PDF-1.7\n")).code == "type"


def test_text_starting_with_executable_initials_is_text() -> None:
    assert sniff_bytes(b"MZ and JS met on 4 June; see %PDF-1.7 note.\n").code == "txt"


def test_xlsx_with_docx_extension_is_an_xlsx() -> None:
    assert sniff_bytes(samples.xlsx()).code == "xlsx"


# Macros and old Office formats.


def test_macro_message_says_what_to_do() -> None:
    assert refusal(samples.sample("docm")).message == (
        "The file must not contain macros. Save it without macros as a .docx, .xlsx, .odt or .ods file"
    )


def test_vba_project_anywhere_in_any_zip_is_a_macro() -> None:
    data = samples.zip_of([("notes.txt", b"hello"), ("deep/folder/VBAPROJECT.BIN", b"\xd0\xcf")])
    assert refusal(data).code == "macro"


def test_vba_content_type_without_the_part_is_a_macro() -> None:
    data = samples.docx()
    vba = samples.content_types(
        {"/word/document.xml": samples.DOCX_MAIN}, defaults={"bin": "application/vnd.ms-office.vbaProject"}
    )
    assert refusal(_replace_entry(data, "[Content_Types].xml", vba)).code == "macro"


def test_odf_scripts_folder_is_a_macro() -> None:
    data = samples.odf(extra=[("Scripts/python/hello.py", b"import os\nos.system('calc')\n")])
    assert refusal(data).code == "macro"


def test_odf_with_only_an_empty_macro_index_is_accepted() -> None:
    """LibreOffice leaves the library index behind when the last macro is deleted."""
    data = samples.odf(extra=[("Basic/script-lc.xml", b'<?xml version="1.0"?>\n<library:libraries/>')])
    assert sniff_bytes(data).code == "odt"


def test_legacy_office_message_mentions_passwords() -> None:
    """Password-protected DOCX and XLSX files are OLE2 containers too, so the message covers both."""
    exc = refusal(samples.ole2_doc())
    assert exc.code == "legacy"
    assert ".doc or .xls" in exc.message
    assert "password" in exc.message


# Zip structure that is not an Office document, or is hostile.


def test_presentation_is_not_accepted() -> None:
    pptx = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    data = samples.zip_of([("[Content_Types].xml", samples.content_types({"/ppt/presentation.xml": pptx}))])
    assert refusal(data).code == "type"


def test_zip_claiming_to_be_both_ooxml_and_odf_is_refused() -> None:
    data = samples.odf(extra=[("[Content_Types].xml", samples.content_types({"/content.xml": samples.DOCX_MAIN}))])
    assert refusal(data).code == "type"


def test_main_part_missing_is_damaged() -> None:
    data = samples.zip_of([("[Content_Types].xml", samples.content_types({"/word/document.xml": samples.DOCX_MAIN}))])
    assert refusal(data).code == "damaged"


def test_corrupt_zip_is_damaged() -> None:
    exc = refusal(b"PK\x03\x04" + b"\x14\x00" * 200)
    assert exc.code == "damaged"
    assert exc.message == "The file could not be read. Check that it opens, save it again and upload the new copy"


def test_duplicate_entry_names_are_refused() -> None:
    """Word and zipfile may read different copies of a doubled entry, so neither is trusted."""
    benign = samples.content_types({"/word/document.xml": samples.DOCX_MAIN})
    macro = samples.content_types({"/word/document.xml": samples.DOCM_MAIN})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate we make on purpose
        data = samples.zip_of(
            [("[Content_Types].xml", benign), ("word/document.xml", b"<w/>"), ("[Content_Types].xml", macro)]
        )
    assert refusal(data).code == "damaged"


def test_entry_names_differing_only_in_case_are_duplicates() -> None:
    data = samples.docx(extra=[("WORD/document.xml", b"<w/>")])
    assert refusal(data).code == "damaged"


def test_doctype_in_content_types_is_refused() -> None:
    """No entity can be declared, so "billion laughs" never expands."""
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&b;</Types>'
    )
    assert refusal(_replace_entry(samples.docx(), "[Content_Types].xml", laughs)).code == "damaged"


def test_malformed_content_types_is_damaged() -> None:
    assert refusal(_replace_entry(samples.docx(), "[Content_Types].xml", b"<Types><Default")).code == "damaged"


def test_too_many_entries_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniffing, "MAX_ZIP_ENTRIES", 10)
    data = samples.docx(extra=[(f"word/media/image{i}.png", b"") for i in range(10)])
    exc = refusal(data)
    assert exc.code == "complex"
    assert exc.message == "The file has too many parts to be checked. Save it again or split it into smaller files"


def test_huge_content_types_is_not_inflated() -> None:
    """A few kilobytes of deflate can claim megabytes; we stop at the cap."""
    padded = samples.content_types({"/word/document.xml": samples.DOCX_MAIN}).replace(
        b"<Types", b"<!--" + b" " * (2 * sniffing.MAX_CONTENT_TYPES_SIZE) + b"--><Types"
    )
    data = _replace_entry(samples.docx(), "[Content_Types].xml", padded)
    assert len(data) < 100_000
    assert refusal(data).code == "complex"


def test_forged_central_directory_size_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """An end record may claim that everything before it is the directory; zipfile would read it all."""
    monkeypatch.setattr(sniffing, "MAX_ZIP_READ", 64 * 1024)
    data = bytearray(samples.docx(extra=[("word/media/filler.bin", os.urandom(200 * 1024))]))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<LL", data, end + 12, end, 0)  # central directory size = all before; offset = 0
    opened: list[TrackedFile] = []
    with pytest.raises(Refused) as caught:
        sniff_bytes(bytes(data), opened=opened)
    assert caught.value.code == "complex"
    assert opened[0].bytes_read <= 64 * 1024 + 1


# Text: encodings, e-mail, CSV, markup.


def test_utf8_cut_mid_character_at_the_end_of_the_head_is_still_utf8() -> None:
    """ "Á" is C3 81 in UTF-8; 0x81 is not Windows-1252, so only a truncation-aware decoder accepts it."""
    data = b"a" + "Á".encode() * HEAD_SIZE
    assert data[:HEAD_SIZE].endswith(b"\xc3")
    assert sniff_bytes(data).code == "txt"


def test_text_neither_utf8_nor_windows_1252_is_refused() -> None:
    exc = refusal(b"caf\xe9 \x81\x8d")
    assert exc.code == "encoding"
    assert "UTF-8" in exc.message


def test_text_with_binary_control_characters_is_refused() -> None:
    assert refusal(b"looks like text\x01\x02\x03 but is not").code == "type"


def test_text_with_tabs_form_feeds_and_dos_end_of_file_is_text() -> None:
    assert sniff_bytes(b"Page one\tcolumn\x0cPage two\r\n\x1a").code == "txt"


def test_email_exported_with_an_mbox_separator_is_email() -> None:
    assert sniff_bytes(b"From - Tue Jun 04 09:12:00 2024\r\n" + samples.EML).code == "eml"


def test_email_with_folded_headers_is_email() -> None:
    data = b"Received: from a\r\n by b with ESMTP;\r\n\tTue, 4 Jun 2024 09:12:00 +0100\r\nFrom: x@example.org\r\n\r\nHi"
    assert sniff_bytes(data).code == "eml"


def test_text_with_one_header_like_line_is_text() -> None:
    assert sniff_bytes(b"Subject: minutes of the panel\n\nWe met on Tuesday.\n").code == "txt"


def test_csv_with_quoted_newlines_is_csv() -> None:
    assert sniff_bytes(b'date,note\n2024-01-01,"Called, no answer\nLeft message"\n2024-01-02,Seen\n').code == "csv"


def test_tab_separated_values_are_csv() -> None:
    assert sniff_bytes(b"date\tagency\n2024-01-01\tPolice\n2024-01-02\tGP\n").code == "csv"


def test_lines_with_different_numbers_of_commas_are_text() -> None:
    assert sniff_bytes(b"Dear panel,\nthe report is attached.\nRegards, Zoe, coordinator\n").code == "txt"


def test_single_line_is_text() -> None:
    assert sniff_bytes(b"a,b,c\n").code == "txt"


@pytest.mark.parametrize(
    "data",
    [
        b"  \n<HTML><body>hi</body></html>",
        b"\xef\xbb\xbf<!doctype html><p>x</p>",
        b"<!-- comment --><script>alert(1)</script>",
        b"<svg onload=alert(1)>",
        b"<?xml version='1.0'?><root/>",
    ],
)
def test_markup_is_refused(data: bytes) -> None:
    assert refusal(data).code == "type"


def test_text_mentioning_tags_later_is_text() -> None:
    assert sniff_bytes(b"Use the <b> tag for bold.\n").code == "txt"


def test_rtf_is_recognised_by_its_header() -> None:
    assert sniff_bytes(samples.RTF).code == "rtf"


# Names.


@pytest.mark.parametrize(
    "name",
    [
        "../secret.pdf",
        "reports/../../secret.pdf",
        "..\\..\\boot.ini",
        "... /x.pdf",
        "/etc/passwd",
        "\\\\server\\share\\x.pdf",
        "C:\\Users\\zoe\\report.pdf",
        "c:report.pdf",
        "\uff0e\uff0e\uff0fetc\uff0fpasswd",  # full-width "../etc/passwd"
    ],
)
def test_names_that_leave_their_folder_are_refused(name: str) -> None:
    with pytest.raises(Refused) as caught:
        check_name(name)
    assert caught.value.code == "name"
    assert caught.value.message.startswith("The file name must not contain")


@pytest.mark.parametrize(
    "name",
    ["report\x00.pdf", "line\nbreak.pdf", "tab\there.pdf", "bell\x07.pdf", "invoice\u202efdp.exe", "x\u2066.pdf"],
)
def test_names_with_control_or_direction_characters_are_refused(name: str) -> None:
    with pytest.raises(Refused, match="control characters") as caught:
        check_name(name)
    assert caught.value.code == "name"


@pytest.mark.parametrize(
    "name", ["Chronology v2.docx", "notes..final.pdf", "Zoë O'Brien (draft) \u2013 1.pdf", "folder/report.pdf", "..pdf"]
)
def test_ordinary_names_pass(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("report.pdf", "pdf", "report.pdf"),
        ("REPORT.PDF", "pdf", "REPORT.pdf"),
        ("C:\\Users\\zoe\\Desktop\\report.pdf", "pdf", "report.pdf"),
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("scan.pdf", "png", "scan.png"),
        ("photo.JPEG", "jpeg", "photo.jpeg"),
        ("photo", "jpeg", "photo.jpg"),
        ("scan.tif", "tiff", "scan.tif"),
        ("minutes 12.03.2024", "docx", "minutes 12.03.2024.docx"),
        ('a<b>c:d"e|f?g*h.pdf', "pdf", "a_b_c_d_e_f_g_h.pdf"),
        ("  lots   of\u00a0space .pdf", "pdf", "lots of space.pdf"),
        ("line\r\nbreak.pdf", "pdf", "linebreak.pdf"),
        ("invoice\u202efdp.exe", "pdf", "invoicefdp.pdf"),
        ("Zoe\u0308.pdf", "pdf", "Zo\u00eb.pdf"),
        ("", "pdf", "document.pdf"),
        ("...", "pdf", "document.pdf"),
        (".pdf", "pdf", "document.pdf"),
        (".hidden", "txt", "hidden.txt"),
        ("CON.txt", "txt", "_CON.txt"),
        ("nul", "pdf", "_nul.pdf"),
        ("lpt1.backup.csv", "csv", "_lpt1.backup.csv"),
    ],
)
def test_safe_filename(name: str, code: str, expected: str) -> None:
    assert safe_filename(name, ALLOWED[code]) == expected


def test_safe_filename_keeps_the_extension_when_shortening() -> None:
    name = safe_filename("x" * 300 + ".pdf", ALLOWED["pdf"])
    assert len(name) == sniffing.MAX_NAME_LENGTH
    assert name.endswith("x.pdf")


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        ('say "hi".pdf', "attachment; filename=\"say _hi_.pdf\"; filename*=UTF-8''say%20_hi_.pdf"),
        (
            "Zoë\u2019s report.pdf",
            "attachment; filename=\"Zoes report.pdf\"; filename*=UTF-8''Zo%C3%AB%E2%80%99s%20report.pdf",
        ),
        ("报告.pdf", "attachment; filename=\"document.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.pdf"),
        ("100%.pdf", "attachment; filename=\"100_.pdf\"; filename*=UTF-8''100%25.pdf"),
        ("back\\slash.pdf", "attachment; filename=\"back_slash.pdf\"; filename*=UTF-8''back_slash.pdf"),
        ("", "attachment; filename=\"document\"; filename*=UTF-8''document"),
    ],
)
def test_content_disposition(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


def test_content_disposition_cannot_inject_headers() -> None:
    value = content_disposition('evil.pdf"\r\nSet-Cookie: session=x\r\n\r\n<script>')
    assert "\r" not in value
    assert "\n" not in value
    assert value.count('"') == 2
    value.encode("ascii")


def _replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """Rebuild the zip ``data`` with ``name``'s content replaced, keeping entry order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(i.filename, content if i.filename == name else archive.read(i)) for i in archive.infolist()]
    return samples.zip_of(entries)
