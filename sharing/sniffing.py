"""Decide what an uploaded file is from its content, and refuse everything else. Pure: no Django.

Threat: a contributor's machine (or an account taken over) uploads something that attacks the
people who open it: an executable or HTML page renamed ``.pdf``, an Office file carrying macros,
a zip bomb aimed at the server. The name and the Content-Type the browser sends are chosen by
the uploader, so neither is believed: the type is decided here from the bytes alone, and the
stored name is then given the extension of that type (``safe_filename``), so the recipient's
operating system opens the file with the program for what it really is.

What this does not do: it does not prove a file harmless. A PDF, RTF or image can still carry an
exploit for a vulnerable reader; that is the virus scanner's job (``sharing.scanning``) and the
reader's. Text types are judged on their first ``HEAD_SIZE`` bytes only; whatever follows is
served as the sniffed type, as an attachment, never rendered by the browser.

Zip-based types (DOCX, XLSX, ODT, ODS) are identified through ``zipfile`` on a seekable view the
caller opens for us. That view decrypts on demand, so every read is paid for: we read the
central directory, ``[Content_Types].xml`` or the ODF ``mimetype`` entry and nothing else, and
the total read is capped (``MAX_ZIP_READ``) whatever sizes the archive claims.

Text encodings: UTF-8 (with or without a byte order mark) or, failing that, Windows-1252, which
is what Excel and Outlook on Windows still write. Both are refused if they contain NUL or other
control characters that plain text does not, which is how binary data shows itself.
"""

import codecs
import contextlib
import csv
import io
import itertools
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote
from xml.parsers import expat

# How much of the plaintext the caller passes as ``head``: enough for every magic number, the
# header block of an e-mail and a sample of CSV lines.
HEAD_SIZE = 64 * 1024

# Uploads are streamed and encrypted, so this is about storage and scanning time, not memory.
MAX_SIZE = 2 * 1024**3

# Zip bombs and absurd archives. A real DOCX or XLSX has tens to a few thousand entries and a
# central directory of a few hundred KiB; ``zipfile`` loads the whole central directory into
# memory, so both are capped before they can be used against the server.
MAX_ZIP_ENTRIES = 10_000
# Every byte ``sniff`` may read from a zip-based upload, central directory included.
MAX_ZIP_READ = 8 * 1024**2
# ``[Content_Types].xml`` lists one override per part; 1 MiB is several thousand parts.
MAX_CONTENT_TYPES_SIZE = 1024**2
MAX_MIMETYPE_SIZE = 256

# Where ``%PDF-`` may sit: Acrobat accepts a header anywhere in the first 1024 bytes.
PDF_HEADER_WINDOW = 1024
# E-mail header lines examined, and CSV records compared.
MAX_HEADER_LINES = 200
CSV_SAMPLE_RECORDS = 20


@dataclass(frozen=True)
class FileType:
    code: str
    label: str
    mime: str
    extension: str
    # Other extensions people use for the same type; a name ending in one of these keeps it.
    other_extensions: tuple[str, ...] = ()

    def accepts_extension(self, extension: str) -> bool:
        return extension.lower() in (self.extension, *self.other_extensions)


ALLOWED: dict[str, FileType] = {
    t.code: t
    for t in (
        FileType("pdf", "PDF", "application/pdf", ".pdf"),
        FileType("docx", "Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
        FileType("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        FileType("odt", "OpenDocument text", "application/vnd.oasis.opendocument.text", ".odt"),
        FileType("ods", "OpenDocument spreadsheet", "application/vnd.oasis.opendocument.spreadsheet", ".ods"),
        FileType("csv", "CSV", "text/csv", ".csv"),
        FileType("txt", "text", "text/plain", ".txt"),
        FileType("rtf", "Rich Text Format", "application/rtf", ".rtf"),
        FileType("eml", "email", "message/rfc822", ".eml"),
        FileType("png", "PNG", "image/png", ".png"),
        FileType("jpeg", "JPEG", "image/jpeg", ".jpg", (".jpeg",)),
        FileType("tiff", "TIFF", "image/tiff", ".tiff", (".tif",)),
    )
}


class Refused(ValueError):
    """An upload we will not accept. ``str(exc)`` is the message to show the uploader.

    ``code`` is stable, for tests, audit records and metrics: "empty", "size", "type", "legacy",
    "macro", "encoding", "damaged", "complex" or "name".
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


TYPE_MESSAGE = "The file must be a PDF, Word, Excel, OpenDocument, CSV, text, RTF, email, PNG, JPEG or TIFF file"
LEGACY_MESSAGE = (
    "The file must not be an old-style Word or Excel file (.doc or .xls) or be password protected. "
    "Save it as a .docx or .xlsx file without a password"
)
MACRO_MESSAGE = "The file must not contain macros. Save it without macros as a .docx, .xlsx, .odt or .ods file"
EMPTY_MESSAGE = "The selected file is empty"
ENCODING_MESSAGE = "The file must be saved as UTF-8 text. Save it again as UTF-8 and upload the new copy"
DAMAGED_MESSAGE = "The file could not be read. Check that it opens, save it again and upload the new copy"
COMPLEX_MESSAGE = "The file has too many parts to be checked. Save it again or split it into smaller files"
TRAVERSAL_MESSAGE = 'The file name must not contain ".." or start with "/", "\\" or a drive letter like "C:"'
CONTROL_MESSAGE = "The file name must not contain control characters or hidden text-direction characters"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_TIFF = (b"II*\x00", b"MM\x00*")
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# The PDF header may sit up to 1 KiB in, but a Windows, Linux or macOS program with "%PDF-" in
# its first kilobyte is still a program (and then fails the text checks, having NUL bytes).
_EXECUTABLES = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
}
_ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# ODF keeps macro libraries under these folders; the two index files may be left behind, empty,
# after the last macro is deleted, so they alone do not make a document macro-enabled.
_ODF_MACRO_FOLDERS = ("basic/", "scripts/")
_ODF_MACRO_INDEXES = frozenset({"script-lc.xml", "script-lb.xml"})

# Plain text may hold tab, line feed, vertical tab, form feed, carriage return, DOS end-of-file
# (SUB) and ANSI escapes; any other C0 control means binary data.
_TEXT_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1a\x1b")
# The WHATWG MIME sniffing standard's HTML patterns, plus XML and SVG: a browser told nothing
# would render these, so they are refused rather than stored as "text".
_MARKUP = re.compile(
    r"<(?:!DOCTYPE HTML|HTML|HEAD|SCRIPT|IFRAME|H1|DIV|FONT|TABLE|A|STYLE|TITLE|B|BODY|BR|P|SVG)[ >]|<!--|<\?xml",
    re.IGNORECASE,
)
# RFC 5322 field name: printable US-ASCII except colon, then the colon.
_HEADER_FIELD = re.compile(r"([!-9;-~]+):")
_EMAIL_FIELDS = frozenset(
    {"from", "to", "cc", "date", "subject", "received", "mime-version", "message-id", "return-path", "reply-to"}
)
_CSV_DELIMITERS = (",", ";", "\t", "|")

MAX_NAME_LENGTH = 120
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"[A-Za-z]:")
# Characters Windows forbids in names, and the quote and backslash that end or escape a quoted
# header parameter.
_UNSAFE_IN_NAMES = str.maketrans(dict.fromkeys('<>:"/\\|?*', "_"))
_WINDOWS_RESERVED = re.compile(r"CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9]", re.IGNORECASE)
# One to five ASCII letters or digits, at least one a letter: "report.pdf", not "minutes 12.03.2024".
_EXTENSION = re.compile(r"\.(?=[A-Za-z0-9]{1,5}$)[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*$")
# Right-to-left and other direction overrides, used to make "exe" read as "pdf".
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def sniff(head: bytes, open_seekable: Callable[[], BinaryIO], size: int, *, max_size: int = MAX_SIZE) -> FileType:
    """Return the type of an upload from its content, or raise ``Refused``.

    ``head`` is the first ``HEAD_SIZE`` bytes of the plaintext (all of it if shorter) and ``size``
    its full length. ``open_seekable`` is called, and the file it returns closed, only when a
    zip's structure must be read.
    """
    if size == 0 or not head:
        raise Refused(EMPTY_MESSAGE, code="empty")
    if size > max_size:
        raise Refused(f"The file must be smaller than {describe_size(max_size)}", code="size")
    head = head[:HEAD_SIZE]
    if head.startswith(_ZIP):
        with contextlib.closing(open_seekable()) as raw:
            return _sniff_zip(_ReadBudget(raw, MAX_ZIP_READ))
    if head.startswith(_OLE2):
        raise Refused(LEGACY_MESSAGE, code="legacy")
    if b"%PDF-" in head[:PDF_HEADER_WINDOW] and not head.startswith(_EXECUTABLES):
        return ALLOWED["pdf"]
    if head.startswith(_PNG):
        return ALLOWED["png"]
    if head.startswith(_JPEG):
        return ALLOWED["jpeg"]
    if head.startswith(_TIFF):
        return ALLOWED["tiff"]
    if head.startswith(b"{\\rtf"):
        return ALLOWED["rtf"]
    return _sniff_text(head, complete=len(head) >= size)


def describe_size(limit: int) -> str:
    for unit, name in ((1024**3, "GB"), (1024**2, "MB"), (1024, "KB")):
        if limit >= unit and limit % unit == 0:
            return f"{limit // unit} {name}"
    return f"{limit:,} bytes"


class _ReadBudget:
    """A view of the upload that refuses to read more than ``budget`` bytes in all.

    ``zipfile`` believes the sizes an archive states: it reads the whole central directory in one
    call, however large the end record says it is. Counting what is actually read bounds both
    memory and decryption work, whatever the archive claims.
    """

    def __init__(self, raw: BinaryIO, budget: int) -> None:
        self._raw = raw
        self._left = budget

    def read(self, n: int = -1, /) -> bytes:
        want = self._left + 1 if n < 0 else min(n, self._left + 1)
        data = self._raw.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise Refused(COMPLEX_MESSAGE, code="complex")
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


# What a malformed archive makes zipfile and zlib raise (ValueError: a seek before the start).
# ``Refused`` is a ValueError too, so it is re-raised first. OSError is not caught: a failing
# view is the server's problem, not a damaged upload.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError)


def _sniff_zip(raw: _ReadBudget) -> FileType:
    try:
        with zipfile.ZipFile(raw) as archive:
            return _sniff_package(archive)
    except Refused:
        raise
    except _ZIP_ERRORS as exc:
        raise Refused(DAMAGED_MESSAGE, code="damaged") from exc


def _sniff_package(archive: zipfile.ZipFile) -> FileType:
    """Tell OOXML from ODF from any other zip, refusing macros first.

    Entry names are compared without regard to case (OPC part names are case-insensitive) and an
    archive that names one entry twice is refused: different readers pick different copies, so
    what we inspected need not be what Word opens.
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(COMPLEX_MESSAGE, code="complex")
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename.lower()
        if name in entries:
            raise Refused(DAMAGED_MESSAGE, code="damaged")
        entries[name] = info
    if any(name.rsplit("/", 1)[-1] == "vbaproject.bin" for name in entries):
        raise Refused(MACRO_MESSAGE, code="macro")
    if any(_is_odf_macro(name) for name in entries):
        raise Refused(MACRO_MESSAGE, code="macro")
    content_types = entries.get("[content_types].xml")
    mimetype = entries.get("mimetype")
    if content_types is not None and mimetype is None:
        return _sniff_ooxml(archive, content_types, entries)
    if mimetype is not None and content_types is None:
        return _sniff_odf(archive, mimetype)
    raise Refused(TYPE_MESSAGE, code="type")


def _is_odf_macro(name: str) -> bool:
    return (
        name.startswith(_ODF_MACRO_FOLDERS)
        and not name.endswith("/")
        and name.rsplit("/", 1)[-1] not in _ODF_MACRO_INDEXES
    )


def _sniff_ooxml(archive: zipfile.ZipFile, info: zipfile.ZipInfo, entries: dict[str, zipfile.ZipInfo]) -> FileType:
    defaults, overrides = _parse_content_types(_read_entry(archive, info, MAX_CONTENT_TYPES_SIZE))
    declared = [*defaults, *overrides.values()]
    if any("macroenabled" in t.lower() or "vbaproject" in t.lower() for t in declared):
        raise Refused(MACRO_MESSAGE, code="macro")
    mains = {(part, _OOXML_MAIN[t]) for part, t in overrides.items() if t in _OOXML_MAIN}
    if len(mains) != 1:
        # Neither (a presentation, a template) or both at once: not a file we accept.
        raise Refused(TYPE_MESSAGE, code="type")
    ((part, code),) = mains
    if part not in entries:
        raise Refused(DAMAGED_MESSAGE, code="damaged")
    return ALLOWED[code]


def _sniff_odf(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> FileType:
    declared = _read_entry(archive, info, MAX_MIMETYPE_SIZE).decode("ascii", "replace").strip()
    code = _ODF_MIMETYPES.get(declared)
    if code is None:
        raise Refused(TYPE_MESSAGE, code="type")
    return ALLOWED[code]


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one entry, never inflating more than ``limit`` bytes whatever its header claims."""
    if info.file_size > limit:
        raise Refused(COMPLEX_MESSAGE, code="complex")
    with archive.open(info) as entry:
        data = entry.read(limit + 1)
    if len(data) > limit:
        raise Refused(COMPLEX_MESSAGE, code="complex")
    return data


def _parse_content_types(document: bytes) -> tuple[list[str], dict[str, str]]:
    """Return the Default content types and the Override part name -> content type map.

    Threat: XML entity expansion ("billion laughs") and external entities. A document type
    declaration has no place in ``[Content_Types].xml``, so any is refused before an entity can
    be defined; expat never fetches anything itself.
    """
    defaults: list[str] = []
    overrides: dict[str, str] = {}

    def refuse_doctype(*_: object) -> None:
        raise Refused(DAMAGED_MESSAGE, code="damaged")

    def start(name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "Default":
            defaults.append(attributes.get("ContentType", ""))
        elif local == "Override":
            part = unquote(attributes.get("PartName", "")).lstrip("/").lower()
            overrides[part] = attributes.get("ContentType", "")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = start
    try:
        parser.Parse(document, True)
    except expat.ExpatError as exc:
        raise Refused(DAMAGED_MESSAGE, code="damaged") from exc
    return defaults, overrides


def _sniff_text(head: bytes, *, complete: bool) -> FileType:
    """Classify text as e-mail, CSV or plain text; refuse binary data, UTF-16 and markup."""
    if head.startswith(_UTF16_BOMS):
        raise Refused(ENCODING_MESSAGE, code="encoding")
    if b"\x00" in head:
        raise Refused(TYPE_MESSAGE, code="type")
    body = head.removeprefix(_UTF8_BOM)
    try:
        # Incremental, so a character cut in two at the end of ``head`` is not an error.
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=complete)
    except UnicodeDecodeError:
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            raise Refused(ENCODING_MESSAGE, code="encoding") from None
    if any(ch < " " and ch not in _TEXT_CONTROLS for ch in text):
        raise Refused(TYPE_MESSAGE, code="type")
    if _MARKUP.match(text.lstrip(" \t\n\x0c\r")):
        raise Refused(TYPE_MESSAGE, code="type")
    lines = text.splitlines()
    if not complete:
        # The last line may be cut short; judge only whole lines.
        lines = lines[:-1]
    if _looks_like_email(lines):
        return ALLOWED["eml"]
    if _looks_like_csv(lines):
        return ALLOWED["csv"]
    return ALLOWED["txt"]


def _looks_like_email(lines: list[str]) -> bool:
    """True if the text opens with an RFC 5322 header block naming at least two common fields."""
    names: set[str] = set()
    # Thunderbird and mbox exports begin with a "From " separator line before the headers.
    start = 1 if lines and lines[0].startswith("From ") else 0
    for line in lines[start : start + MAX_HEADER_LINES]:
        if not line:
            break
        if line[0] in " \t":
            if not names:
                return False
            continue
        field = _HEADER_FIELD.match(line)
        if field is None:
            return False
        names.add(field.group(1).lower())
    return len(names & _EMAIL_FIELDS) >= 2


def _looks_like_csv(lines: list[str]) -> bool:
    """True if one delimiter splits the first records into the same number (two or more) of fields."""
    sample = "\n".join(lines)
    for delimiter in _CSV_DELIMITERS:
        if delimiter not in sample:
            continue
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter, strict=True)
        try:
            records = [record for record in itertools.islice(reader, CSV_SAMPLE_RECORDS) if record]
        except csv.Error:
            continue
        widths = {len(record) for record in records}
        if len(records) >= 2 and len(widths) == 1 and min(widths) >= 2:
            return True
    return False


def check_name(name: str) -> None:
    """Refuse an uploaded name that tries to leave its folder or hides characters.

    Threat: a name like ``../../etc/cron.d/x`` or ``C:\\Windows\\x`` aimed at any code that
    ever joins it to a path, and names using right-to-left overrides to disguise an extension
    ("invoice" U+202E "fdp.exe" displays as "invoiceexe.pdf"). The product asks for these to be
    refused with a message, not silently repaired, so the uploader learns what happened.
    Checked after NFKC normalisation, so look-alikes such as the full-width solidus count too.
    """
    if any(_is_hidden(ch) for ch in name):
        raise Refused(CONTROL_MESSAGE, code="name")
    normal = unicodedata.normalize("NFKC", name)
    if normal.startswith(("/", "\\")) or _DRIVE.match(normal) or any(_is_parent(s) for s in _SEPARATORS.split(normal)):
        raise Refused(TRAVERSAL_MESSAGE, code="name")


def safe_filename(name: str, file_type: FileType) -> str:
    """Return a name that is safe to store, show and send for an accepted upload.

    Drops any folder part, hidden and control characters and characters Windows or HTTP headers
    cannot carry; collapses whitespace; NFC-normalises; keeps within ``MAX_NAME_LENGTH``; and
    gives the name the extension of the sniffed type, replacing a wrong one, so the recipient's
    computer opens the file as what it is rather than as what its name claimed.
    """
    stem, extension = _split_extension(_clean(_SEPARATORS.split(name)[-1]))
    extension = extension.lower() if file_type.accepts_extension(extension) else file_type.extension
    stem = stem.strip(" .") or "document"
    if _WINDOWS_RESERVED.fullmatch(stem.split(".")[0].strip()):
        stem = f"_{stem}"
    return stem[: MAX_NAME_LENGTH - len(extension)].rstrip(" .") + extension


def content_disposition(filename: str) -> str:
    """Return a Content-Disposition value that makes browsers download ``filename``.

    Threat: a name carrying a quote, CR or LF could end the parameter or the header and inject
    others. Both forms are given (RFC 6266): a plain ASCII ``filename`` for old clients and the
    exact name percent-encoded in ``filename*`` (RFC 8187), which current browsers prefer.
    """
    name = _clean(filename) or "document"
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii_fallback(name: str) -> str:
    # Some clients percent-decode even the plain parameter, so "%" is not passed through.
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("%", "_")
    stem, extension = _split_extension(" ".join(ascii_name.split()))
    return (stem if stem.strip(" ._") else "document") + extension


def _clean(name: str) -> str:
    visible = "".join(ch for ch in unicodedata.normalize("NFC", name) if not _is_hidden(ch))
    return " ".join(visible.translate(_UNSAFE_IN_NAMES).split())


def _split_extension(name: str) -> tuple[str, str]:
    match = _EXTENSION.search(name)
    return (name[: match.start()], match.group()) if match else (name, "")


def _is_hidden(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS


def _is_parent(segment: str) -> bool:
    # Windows drops trailing dots and spaces, so "... " can mean "..".
    dots = segment.strip(" ")
    return len(dots) >= 2 and not dots.strip(".")
