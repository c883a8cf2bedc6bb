"""The text of a candidate publication (DOCX, PDF, ODT or TXT), passage by passage. Pure: no Django.

The anonymisation check (``anonymisation``) reads what this returns, so anything a reader of the
published file could see, or recover from it, should be here: body text, tables, headers and
footers, footnotes, endnotes, comments, text boxes, text deleted under tracked changes (still in
the file) and the document's properties (author, title, last modified by...). Each passage says
where it is, in words the chair can act on: "Page 3", "Paragraph 12", "Table 1, row 2".

Threat: the file is uploaded by a member of the review and may be crafted or damaged. The type is
sniffed from the content by ``sharing.sniffing`` (which refuses macros, old Word files and other
types), never from the name. Zip-based documents are refused before any part is unpacked when the
parts claim more than ``MAX_UNPACKED_BYTES`` in all or there are more than ``MAX_PARTS`` of them;
``zipfile`` never inflates more than a part's declared size, so the claim binds. XML is parsed with
defusedxml, which refuses entity declarations ("billion laughs", external entities). Any error of
the libraries on a malformed file becomes ``Unreadable(code="damaged")``; our own mistakes are not
caught. What cannot be checked is refused, never passed as clean: a password-protected file, and a
PDF with no text layer (a scan), which is why publication stays blocked until a PDF with text is
uploaded.
"""

import codecs
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from pypdf import PasswordType, PdfReader
from pypdf.errors import PyPdfError

from sharing import sniffing

# A real report unpacks to a few megabytes of XML plus its images.
MAX_UNPACKED_BYTES = 200 * 1024**2
# A report has tens of parts; an archive of thousands is not a report.
MAX_PARTS = 2_000

ACCEPTED = "a Word document (.docx), a PDF, an OpenDocument text file (.odt) or a plain text file (.txt)"
NOT_A_DOCUMENT = f"The file must be {ACCEPTED}. Save the report as one of these and upload it again"
EMPTY = "The selected file is empty. Upload the report as " + ACCEPTED
MACROS = "The file must not contain macros. Save it as a Word document (.docx) without macros and upload it again"
OLD_WORD = "The file is an old Word 97-2003 document (.doc). Save it as a Word document (.docx) and upload it again"
DAMAGED = (
    "The file could not be read, so it cannot be checked. It may be damaged. Check that it opens, "
    f"save it again as {ACCEPTED} and upload the new copy"
)
TOO_LARGE = (
    "The file unpacks to far more data than a report holds, so it has not been checked. "
    "Save the report again (without embedded files) and upload the new copy"
)
PROTECTED_PDF = "The PDF is protected with a password, so it cannot be checked. Upload a copy without a password"
PROTECTED_WORD = "The document is protected with a password, so it cannot be checked. Upload a copy without a password"
NO_TEXT = (
    "The PDF has no text in it: it looks like a scanned document, so it cannot be checked for real "
    "names or other identifying details. Publication stays blocked until a PDF with text is uploaded. "
    "Save the report as a PDF from the word processor rather than scanning it, and upload that"
)

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_ENCRYPTION = "EncryptionInfo".encode("utf-16-le")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Tab, line feed, vertical tab, form feed, carriage return, SUB and ESC may appear in plain text;
# any other control character means binary data.
_TEXT_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1a\x1b")
# What pypdf lets through on a malformed file besides its own errors.
_PDF_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError)
# What zipfile, zlib and the XML parser raise on a damaged or crafted archive (defusedxml's
# refusals are ValueErrors).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    RuntimeError,
    NotImplementedError,
    ValueError,
    KeyError,
    SyntaxError,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_APP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"

# Properties a reader sees under File, Properties, in the order they are listed.
_CORE_PROPERTIES = (
    (f"{_DC}creator", "Author"),
    (f"{_CP}lastModifiedBy", "Last modified by"),
    (f"{_DC}title", "Title"),
    (f"{_DC}subject", "Subject"),
    (f"{_CP}keywords", "Keywords"),
    (f"{_DC}description", "Comments"),
    (f"{_CP}category", "Category"),
)
_APP_PROPERTIES = ((f"{_APP}Manager", "Manager"), (f"{_APP}Company", "Company"))
_ODF_META = (
    (f"{_META}initial-creator", "Author"),
    (f"{_DC}creator", "Last modified by"),
    (f"{_DC}title", "Title"),
    (f"{_DC}subject", "Subject"),
    (f"{_META}keyword", "Keywords"),
    (f"{_DC}description", "Comments"),
)
_PDF_METADATA = (
    ("/Author", "Author"),
    ("/Title", "Title"),
    ("/Subject", "Subject"),
    ("/Keywords", "Keywords"),
    ("/Creator", "Creator"),
    ("/Producer", "Producer"),
)
PROPERTIES = "Document properties"
# ODF writes runs of spaces as a count; more than this says no more to a reader than one.
_MAX_SPACES = 100


class Unreadable(Exception):
    """The file cannot be checked; ``str(exc)`` says why and what to do, for the person.

    ``code`` is stable, for tests, audit records and the page: "not_a_document", "protected",
    "no_text" or "damaged".
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Passage:
    location: str
    text: str


def extract(content: bytes, file_name: str) -> tuple[str, list[Passage]]:
    """Return the file type ("docx", "pdf", "odt" or "txt", sniffed from the content, not the name) and its text.

    ``file_name`` is not trusted for anything; the type comes from the bytes.
    """
    if not content:
        raise Unreadable(EMPTY, code="not_a_document")
    if content.startswith(_UTF16_BOMS):
        return "txt", _text_passages(_decode_text(content))
    if content.startswith(_OLE2):
        if _OLE_ENCRYPTION in content:
            raise Unreadable(PROTECTED_WORD, code="protected")
        raise Unreadable(OLD_WORD, code="not_a_document")
    kind = _sniff(content)
    if kind == "pdf":
        return "pdf", _pdf_passages(content)
    if kind in ("docx", "odt"):
        read = _docx_passages if kind == "docx" else _odt_passages
        with _open_archive(content) as archive:
            return kind, _guarded(lambda: read(archive))
    if kind in ("txt", "csv", "eml"):
        return "txt", _text_passages(_decode_text(content))
    raise Unreadable(NOT_A_DOCUMENT, code="not_a_document")


def _sniff(content: bytes) -> str:
    try:
        return sniffing.sniff(content[: sniffing.HEAD_SIZE], lambda: io.BytesIO(content), len(content)).code
    except sniffing.Refused as refused:
        if refused.code == "macro":
            raise Unreadable(MACROS, code="not_a_document") from refused
        if refused.code in ("damaged", "complex"):
            raise Unreadable(DAMAGED, code="damaged") from refused
        raise Unreadable(NOT_A_DOCUMENT, code="not_a_document") from refused


def _guarded(read: Callable[[], list[Passage]]) -> list[Passage]:
    try:
        return read()
    except Unreadable:
        raise
    except _ZIP_ERRORS as exc:
        raise Unreadable(DAMAGED, code="damaged") from exc


# Plain text


def _decode_text(content: bytes) -> str:
    """Decode by byte order mark, else as UTF-8, else as Windows-1252; refuse binary data."""
    try:
        if content.startswith(_UTF16_BOMS):
            text = content.decode("utf-16")
        elif content.startswith(codecs.BOM_UTF8):
            text = content[len(codecs.BOM_UTF8) :].decode("utf-8")
        else:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = content.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise Unreadable(NOT_A_DOCUMENT, code="not_a_document") from exc
    if any(ch < " " and ch not in _TEXT_CONTROLS for ch in text):
        raise Unreadable(NOT_A_DOCUMENT, code="not_a_document")
    return text


def _text_passages(text: str) -> list[Passage]:
    """Split into blocks separated by blank lines, so a name broken over two lines stays whole."""
    passages: list[Passage] = []
    block: list[str] = []
    first = 0
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            if not block:
                first = number
            block.append(line)
        elif block:
            where = f"Line {first}" if len(block) == 1 else f"Lines {first} to {first + len(block) - 1}"
            passages.append(Passage(where, "\n".join(block)))
            block = []
    return passages


# PDF


def _pdf_passages(content: bytes) -> list[Passage]:
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Unreadable(PROTECTED_PDF, code="protected")
        # A page without text stays, empty, so the scan can say it was not checked (a scanned page).
        passages = [Passage(f"Page {number}", _page_text(page)) for number, page in enumerate(reader.pages, start=1)]
        if not reader.pages:
            raise Unreadable(DAMAGED, code="damaged")
        if not any(passage.text.strip() for passage in passages):
            raise Unreadable(NO_TEXT, code="no_text")
        metadata: Mapping[str, object] = reader.metadata or {}
        passages += [
            Passage(PROPERTIES, f"{label}: {value}")
            for key, label in _PDF_METADATA
            if isinstance(value := metadata.get(key), str) and value.strip()
        ]
    except Unreadable:
        raise
    except _PDF_ERRORS as exc:
        raise Unreadable(DAMAGED, code="damaged") from exc
    return passages


def _page_text(page: Any) -> str:
    """The page's text and the text of its comments (annotations)."""
    parts = [page.extract_text() or ""]
    for annotation in page.get("/Annots") or ():
        contents = annotation.get_object().get("/Contents")
        if isinstance(contents, str) and contents.strip():
            parts.append(contents)
    return "\n".join(parts)


# Zip-based documents


def _open_archive(content: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise Unreadable(DAMAGED, code="damaged") from exc
    if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        archive.close()
        raise Unreadable(TOO_LARGE, code="damaged")
    return archive


def _xml(archive: zipfile.ZipFile, name: str) -> Element | None:
    try:
        data = archive.read(name)
    except KeyError:
        return None
    root: Element = SafeET.fromstring(data)
    return root


def _properties(root: Element | None, wanted: tuple[tuple[str, str], ...]) -> list[Passage]:
    if root is None:
        return []
    found = {element.tag: "".join(element.itertext()).strip() for element in root.iter()}
    return [Passage(PROPERTIES, f"{label}: {found[tag]}") for tag, label in wanted if found.get(tag)]


def _parts(archive: zipfile.ZipFile, pattern: str) -> list[str]:
    return sorted(name for name in archive.namelist() if re.fullmatch(pattern, name, re.IGNORECASE))


# DOCX


def _docx_passages(archive: zipfile.ZipFile) -> list[Passage]:
    main = _xml(archive, _docx_main_part(archive))
    body = main.find(f"{W}body") if main is not None else None
    if body is None:
        raise Unreadable(DAMAGED, code="damaged")
    walker = _DocxWalker()
    walker.block(body)
    passages = walker.passages
    for pattern, where in (
        (r"word/header\d*\.xml", "Header"),
        (r"word/footer\d*\.xml", "Footer"),
        (r"word/footnotes\.xml", "Footnotes"),
        (r"word/endnotes\.xml", "Endnotes"),
        (r"word/comments\.xml", "Comments"),
    ):
        for name in _parts(archive, pattern):
            root = _xml(archive, name)
            if root is not None:
                passages += [Passage(where, text) for text in _DocxWalker.all_paragraphs(root)]
    passages += _properties(_xml(archive, "docProps/core.xml"), _CORE_PROPERTIES)
    passages += _properties(_xml(archive, "docProps/app.xml"), _APP_PROPERTIES)
    return passages


def _docx_main_part(archive: zipfile.ZipFile) -> str:
    """The main document part named by the package relationships (word/document.xml in practice)."""
    rels = _xml(archive, "_rels/.rels")
    for rel in rels.iter(f"{_REL}Relationship") if rels is not None else ():
        if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("Target"):
            return str(rel.get("Target")).lstrip("/")
    return "word/document.xml"


class _DocxWalker:
    """Walk a WordprocessingML body in reading order, numbering paragraphs, tables and text boxes."""

    def __init__(self) -> None:
        self.passages: list[Passage] = []
        self.paragraphs = 0
        self.tables = 0
        self.text_boxes = 0

    def block(self, container: Element) -> None:
        for child in container:
            if child.tag == f"{W}p":
                self.paragraph(child)
            elif child.tag == f"{W}tbl":
                self.table(child)
            elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}ins", f"{W}del"):
                self.block(child)

    def paragraph(self, element: Element) -> None:
        boxes: list[Element] = []
        text = _run_text(element, boxes)
        if text.strip():
            self.paragraphs += 1
            self.passages.append(Passage(f"Paragraph {self.paragraphs}", text))
        for box in boxes:
            self.text_boxes += 1
            for box_text in self.all_paragraphs(box):
                self.passages.append(Passage(f"Text box {self.text_boxes}", box_text))

    def table(self, element: Element) -> None:
        self.tables += 1
        number = self.tables
        for row_number, row in enumerate(element.iter(f"{W}tr"), start=1):
            cells = ["\n".join(self.all_paragraphs(cell)) for cell in row.findall(f"{W}tc")]
            text = " | ".join(cell for cell in cells if cell.strip())
            if text:
                self.passages.append(Passage(f"Table {number}, row {row_number}", text))

    @staticmethod
    def all_paragraphs(container: Element) -> Iterator[str]:
        """Every paragraph's text under ``container``, text boxes included, skipping compatibility copies."""
        for paragraph in _iter_skipping_fallback(container, f"{W}p"):
            text = _run_text(paragraph, [])
            if text.strip():
                yield text


def _iter_skipping_fallback(element: Element, tag: str) -> Iterator[Element]:
    """Like ``element.iter(tag)``, but not into ``mc:Fallback``, which repeats its ``mc:Choice``."""
    for child in element:
        if child.tag == f"{_MC}Fallback":
            continue
        if child.tag == tag:
            yield child
        yield from _iter_skipping_fallback(child, tag)


def _run_text(paragraph: Element, boxes: list[Element]) -> str:
    """The text of one paragraph; text boxes inside it go to ``boxes`` rather than into the text."""
    out: list[str] = []

    def visit(element: Element) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{_MC}Fallback":
                continue
            if tag == f"{W}txbxContent":
                boxes.append(child)
            elif tag in (f"{W}t", f"{W}delText", f"{W}instrText"):
                out.append(child.text or "")
            elif tag == f"{W}tab":
                out.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                out.append("\n")
            elif tag == f"{W}noBreakHyphen":
                out.append("-")
            elif tag == f"{W}del":
                # Deleted text stays in the file; keep it apart from the text that replaced it.
                out.append(" ")
                visit(child)
                out.append(" ")
            elif tag != f"{W}p":
                visit(child)

    visit(paragraph)
    return "".join(out)


# ODT


def _odt_passages(archive: zipfile.ZipFile) -> list[Passage]:
    content = _xml(archive, "content.xml")
    body = content.find(f"{_OFFICE}body") if content is not None else None
    if body is None:
        raise Unreadable(DAMAGED, code="damaged")
    walker = _OdtWalker()
    walker.block(body)
    passages = walker.passages + walker.notes
    styles = _xml(archive, "styles.xml")
    if styles is not None:
        for style in styles.iter(f"{_STYLE}master-page"):
            for child in style:
                where = "Header" if "header" in child.tag else "Footer" if "footer" in child.tag else None
                if where:
                    passages += [Passage(where, text) for text in _odt_paragraphs(child)]
    passages += _properties(_xml(archive, "meta.xml"), _ODF_META)
    return passages


class _OdtWalker:
    """Walk ODF text in reading order; notes, comments and text boxes are kept as their own passages."""

    def __init__(self) -> None:
        self.passages: list[Passage] = []
        self.notes: list[Passage] = []
        self.paragraphs = 0
        self.tables = 0
        self.text_boxes = 0

    def block(self, container: Element) -> None:
        for child in container:
            if child.tag in (f"{_TEXT}p", f"{_TEXT}h"):
                extras: list[tuple[str, Element]] = []
                text = _odt_text(child, extras)
                if text.strip():
                    self.paragraphs += 1
                    self.passages.append(Passage(f"Paragraph {self.paragraphs}", text))
                self.extras(extras)
            elif child.tag == f"{_TABLE}table":
                self.table(child)
            else:
                self.block(child)

    def table(self, element: Element) -> None:
        self.tables += 1
        number = self.tables
        for row_number, row in enumerate(element.iter(f"{_TABLE}table-row"), start=1):
            cells = ["\n".join(_odt_paragraphs(cell)) for cell in row.findall(f"{_TABLE}table-cell")]
            text = " | ".join(cell for cell in cells if cell.strip())
            if text:
                self.passages.append(Passage(f"Table {number}, row {row_number}", text))

    def extras(self, extras: list[tuple[str, Element]]) -> None:
        for kind, element in extras:
            if kind == "Text box":
                self.text_boxes += 1
                kind = f"Text box {self.text_boxes}"
            self.notes += [Passage(kind, text) for text in _odt_paragraphs(element)]


def _odt_paragraphs(container: Element) -> Iterator[str]:
    for element in container.iter():
        if element.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            text = _odt_text(element, [])
            if text.strip():
                yield text


def _odt_text(paragraph: Element, extras: list[tuple[str, Element]]) -> str:
    """One paragraph's text; its notes, comments and text boxes go to ``extras``."""
    out: list[str] = [paragraph.text or ""]

    def visit(element: Element) -> None:
        for child in element:
            tag = child.tag
            if tag == f"{_TEXT}note":
                body = child.find(f"{_TEXT}note-body")
                kind = "Endnotes" if child.get(f"{_TEXT}note-class") == "endnote" else "Footnotes"
                if body is not None:
                    extras.append((kind, body))
            elif tag == f"{_OFFICE}annotation":
                extras.append(("Comments", child))
            elif tag == f"{_DRAW}text-box":
                extras.append(("Text box", child))
            elif tag == f"{_TEXT}s":
                out.append(" " * min(int(child.get(f"{_TEXT}c") or 1), _MAX_SPACES))
            elif tag == f"{_TEXT}tab":
                out.append("\t")
            elif tag == f"{_TEXT}line-break":
                out.append("\n")
            else:
                out.append(child.text or "")
                visit(child)
            out.append(child.tail or "")

    visit(paragraph)
    return "".join(out)
