"""Text extraction from candidate publications: where each passage is, and clear refusals of what cannot be checked."""

import codecs
from collections.abc import Callable

import pytest

from dhr_tracker.reports import textextract
from dhr_tracker.reports.anonymisation import check
from dhr_tracker.reports.textextract import Passage, Unreadable, extract
from tests.reports import corpus


@pytest.fixture(scope="module")
def built() -> corpus.Corpus:
    return corpus.build()


def texts_at(passages: list[Passage], location: str) -> list[str]:
    return [p.text for p in passages if p.location == location]


def test_docx_passages_are_located_by_paragraph_table_header_and_note(built: corpus.Corpus) -> None:
    file_type, passages = extract(built.documents["overview.docx"], "overview.docx")

    assert file_type == "docx"
    assert texts_at(passages, "Paragraph 1") == ["1 Introduction"]
    assert "Mary Smith's GP records" in texts_at(passages, "Paragraph 5")[0]  # written in three runs
    assert texts_at(passages, "Table 1, row 2") == ["12/03/2019 | Police | Call-out to SMITH household"]
    assert "CRN 12/34567/21" in texts_at(passages, "Header")[0]
    assert "Liam Smith" in texts_at(passages, "Footnotes")[0]
    assert "Title: Overview report into the death of Mary Smith" in texts_at(passages, "Document properties")
    assert "Author: Independent chair" in texts_at(passages, "Document properties")


def test_docx_text_box_is_read_once_and_deleted_text_is_read(built: corpus.Corpus) -> None:
    """Word stores a text box twice (the shape and a fallback); deleted text stays in the file."""
    _, passages = extract(built.documents["overview.docx"], "overview.docx")

    assert texts_at(passages, "Text box 1") == ["Quote from Becky: she was a wonderful mother."]
    assert any("Rebecca Hall" in p.text and p.location.startswith("Paragraph") for p in passages)


def test_pdf_passages_are_pages_and_properties(built: corpus.Corpus) -> None:
    file_type, passages = extract(built.documents["summary.pdf"], "summary.pdf")

    assert file_type == "pdf"
    assert {p.location for p in passages} == {"Page 1", "Page 2", "Page 3", "Document properties"}
    assert "incident 1234 of 12/03/2019" in " ".join(texts_at(passages, "Page 2")[0].split())
    assert "Author: Rebecca Hall" in texts_at(passages, "Document properties")


def test_odt_passages_keep_spaces_headers_notes_and_tables(built: corpus.Corpus) -> None:
    file_type, passages = extract(built.documents["overview.odt"], "overview.odt")

    assert file_type == "odt"
    assert texts_at(passages, "Paragraph 1") == ["Overview report"]
    assert "Mary  Jane  Smith" in texts_at(passages, "Paragraph 2")[0]
    assert texts_at(passages, "Table 1, row 2") == ["Rebecca Hall | Friend of Adult A"]
    assert texts_at(passages, "Header") == ["Draft for the panel: Darren and Adult A"]
    assert "21.11.1980" in texts_at(passages, "Footnotes")[0]
    assert "The police record was checked." in texts_at(passages, "Paragraph 10")[0]
    assert texts_at(passages, "Document properties")[0] == "Author: Independent chair"


def test_text_passages_are_blocks_located_by_line() -> None:
    _, passages = extract(b"Title\r\n\r\nThe victim, Mary\r\nSmith, was 36.\r\n\r\nEnd\r\n", "a.txt")

    assert passages == [
        Passage("Line 1", "Title"),
        Passage("Lines 3 to 4", "The victim, Mary\nSmith, was 36."),
        Passage("Line 6", "End"),
    ]


@pytest.mark.parametrize(
    "content",
    [
        codecs.BOM_UTF8 + "Zoë O\u2019Neill".encode(),
        codecs.BOM_UTF16_LE + "Zoë O\u2019Neill".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "Zoë O\u2019Neill".encode("utf-16-be"),
        "Zoë O\u2019Neill".encode("cp1252"),
    ],
    ids=["utf-8 bom", "utf-16 le", "utf-16 be", "cp1252"],
)
def test_text_encodings_are_decoded(content: bytes) -> None:
    assert extract(content, "a.txt") == ("txt", [Passage("Line 1", "Zoë O\u2019Neill")])


def test_type_comes_from_the_content_not_the_name(built: corpus.Corpus) -> None:
    assert extract(built.documents["overview.docx"], "report.pdf")[0] == "docx"
    assert extract(built.documents["summary.pdf"], "report.txt")[0] == "pdf"


def test_pdf_that_opens_without_a_password_is_read() -> None:
    file_type, passages = extract(corpus.protected_pdf(""), "a.pdf")

    assert file_type == "pdf"
    assert "Mary Smith" in texts_at(passages, "Page 1")[0]


def refused(content: bytes, name: str = "report.docx") -> Unreadable:
    with pytest.raises(Unreadable) as caught:
        extract(content, name)
    return caught.value


def test_password_protected_pdf_is_refused_saying_upload_it_without_a_password() -> None:
    error = refused(corpus.protected_pdf("secret"), "a.pdf")

    assert error.code == "protected"
    assert "Upload a copy without a password" in str(error)


def test_scanned_pdf_is_refused_saying_it_cannot_be_checked_and_publication_stays_blocked() -> None:
    error = refused(corpus.scanned_pdf(), "a.pdf")

    assert error.code == "no_text"
    assert "looks like a scanned document" in str(error)
    assert "cannot be checked" in str(error)
    assert "Publication stays blocked until a PDF with text is uploaded" in str(error)


def test_scanned_pages_in_a_pdf_with_text_are_each_reported_as_not_checked() -> None:
    content = corpus.scanned_pdf(text_before="Adult A was seen by the GP.")

    file_type, findings = check(content, "report.pdf", [])

    assert file_type == "pdf"
    assert [(f.kind, f.location) for f in findings] == [("unchecked_page", "Page 2"), ("unchecked_page", "Page 3")]
    assert "may be a scanned image" in findings[0].context


@pytest.mark.parametrize(
    ("make", "code", "says"),
    [
        (corpus.random_bytes, "not_a_document", textextract.ACCEPTED),
        (lambda: b"", "not_a_document", "empty"),
        (lambda: b"Plain text with a \x00 NUL byte", "not_a_document", textextract.ACCEPTED),
        (lambda: b"<html><body>Mary Smith</body></html>", "not_a_document", textextract.ACCEPTED),
        (corpus.xlsx, "not_a_document", textextract.ACCEPTED),
        (corpus.docm, "not_a_document", "must not contain macros"),
        (corpus.truncated_docx, "damaged", "could not be read"),
        (lambda: b"%PDF-1.7\nnothing else", "damaged", "could not be read"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "not_a_document", "Word 97-2003"),
        (
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"),
            "protected",
            "without a password",
        ),
    ],
    ids=["random bytes", "empty", "binary", "html", "xlsx", "docm", "truncated docx", "broken pdf", "doc", "encrypted"],
)
def test_bad_input_is_refused_with_a_clear_message(make: Callable[[], bytes], code: str, says: str) -> None:
    error = refused(make())

    assert error.code == code
    assert says in str(error)


def test_docx_that_unpacks_to_too_much_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textextract, "MAX_UNPACKED_BYTES", 1024**2)
    bomb = corpus.docx_with(["Mary Smith"], extra={"word/media/padding.bin": bytes(2 * 1024**2)})

    error = refused(bomb)

    assert error.code == "damaged"
    assert "unpacks to far more data than a report holds" in str(error)


def test_docx_with_an_entity_declaration_is_refused_as_damaged() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        b"<w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    package = corpus.docx_with(["Mary Smith"])
    content = corpus._rezip(package, {}, lambda name, data: laughs if name == "word/document.xml" else data)

    assert refused(content).code == "damaged"
