"""Reading an uploaded spreadsheet's bytes into rows of cells, treating the file as hostile.

``read_limited`` takes the upload's bytes, up to a limit; ``read_rows`` chooses the reader by the
file's content checked against its name, and yields each row as a tuple of ``Cell``. A file that
cannot be read raises ``ImportRefused``, whose message says what to do. What the rows mean is
``importing``'s business; nothing here knows the chronology's columns.

Threats. The file comes from someone in another organisation whose machine we do not control, so
it is treated as hostile:

- *Resource exhaustion*: the upload is read up to ``max_bytes`` and no further; an XLSX (a zip) is
  refused before any part is unpacked when its parts claim more than ``MAX_UNPACKED_BYTES`` in
  all, or one large part claims more than ``MAX_COMPRESSION_RATIO`` times its packed size (a zip
  bomb). The claims are binding: Python's ``zipfile``, which openpyxl reads through, never returns
  more than a part's declared size and fails its CRC check if the data differ. Rows are streamed
  (openpyxl in read-only mode; ``csv`` over a decoding stream) and ``importing`` stops counting at
  the first row over ``max_rows``, so a 1,000,000-row file is refused without being held in memory.
- *XML attacks*: openpyxl parses with defusedxml when it is installed (it is, through fpdf2), which
  refuses entity declarations, so "billion laughs" and external entities fail as a damaged file.
- *Active content*: macros, ActiveX controls, embedded objects, Excel 4 macro sheets and links to
  other workbooks are refused by the zip part names that hold them. openpyxl never runs or opens
  them; refusing tells the person the file is not a plain chronology and keeps such parts out of
  anything derived from the upload.
- *Formulas* are refused cell by cell by ``importing`` (the workbook is opened with
  ``data_only=False`` so they are seen as formulas rather than their cached values, which the
  sender's Excel computed and which may be stale or crafted). Text that merely starts with "=" in a
  CSV is kept as text: escaping it on export is the exporter's job.
- *Unexpected exceptions*: openpyxl and ``zipfile`` raise many kinds of error on damaged input, so
  every call into them is wrapped and turned into ``ImportRefused``; the checks of our own rows run
  outside those wrappers, so a mistake of ours is not disguised as a damaged file. The fuzz tests
  hold ``importing.read_chronology`` to raising nothing but ``ImportRefused``.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from pathlib import PurePath
from typing import Any, NamedTuple, Protocol, TypeVar

import openpyxl

MAX_BYTES = 20 * 1024 * 1024
# Text packs about 3 to 10 times, so a workbook within MAX_BYTES unpacks to well under this. The
# bound matters for memory: openpyxl holds the whole shared strings table while it streams rows.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# Spreadsheet XML packs about 5 to 20 times; zip bombs pack about 1,000 times. Small parts
# (styles, themes) may pack tighter and cost nothing, so only parts over a megabyte are judged.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024
# A workbook from the template has about a dozen parts; thousands would only slow the listing.
MAX_ZIP_PARTS = 1_000
# Where Office keeps active or outside content in a workbook, lowercased (OPC names ignore case).
_ACTIVE_PARTS = (
    (re.compile(r".*vbaproject\.bin$|xl/macrosheets/"), "contains macros"),
    (re.compile(r"xl/activex/"), "contains ActiveX controls"),
    (re.compile(r"xl/embeddings/"), "has other files or objects embedded in it"),
    (re.compile(r"xl/externallinks/"), "links to other workbooks"),
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_ENCRYPTION = "EncryptionInfo".encode("utf-16-le")

_FIX_WORKBOOK = "Open it in Excel, save it as Excel Workbook (.xlsx) and upload it again"
_DAMAGED = f"The file could not be read as a spreadsheet. It may be damaged. {_FIX_WORKBOOK}"
EMPTY = "The file is empty. Download the template, copy your rows into it and upload it again"
_NOT_CSV_UTF8 = (
    "The file is not in UTF-8. Save the file as CSV UTF-8 (in Excel: File, Save As, "
    "CSV UTF-8 (Comma delimited)) and upload it again"
)


class ImportRefused(Exception):
    """The whole file cannot be read as a chronology; ``message`` says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Readable(Protocol):
    """A binary file, such as an upload: all ``read_limited`` needs of it."""

    def read(self, size: int = ..., /) -> bytes: ...


class Cell(NamedTuple):
    """A cell as both readers give it: its value, and what XLSX says about it."""

    value: object
    formula: bool = False
    error: bool = False
    number_format: str | None = None


_T = TypeVar("_T")


def _guarded(items: Iterator[_T]) -> Iterator[_T]:
    """Yield from ``items``, turning any error of the library producing them into a refusal.

    openpyxl and the XML and zip layers under it raise errors of many types on damaged or
    crafted files (KeyError, ValueError, zlib.error, BadZipFile, ParseError, defusedxml's
    EntitiesForbidden...). Only the library's own step runs inside the ``try``; the caller's
    processing of each item runs outside it, so our own mistakes still surface as themselves.
    """
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except Exception as error:  # see the docstring: any failure of the library is a damaged file
            raise ImportRefused(_DAMAGED) from error
        yield item


# Reading the bytes


def format_size(count: int) -> str:
    """Return a byte count as people say it: "20 MB", "500 KB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def read_limited(file: bytes | Readable, max_bytes: int) -> bytes:
    """Return the file's bytes, refusing it as soon as it is over ``max_bytes``."""
    data = file[: max_bytes + 1] if isinstance(file, bytes) else file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImportRefused(f"The file must be smaller than {format_size(max_bytes)}. Split it into smaller files")
    if not data:
        raise ImportRefused(EMPTY)
    return data


def read_rows(data: bytes, name: str, *, sheet: str) -> Generator[tuple[Cell, ...], None, None]:
    """Return the rows of the file, choosing the reader by the file's content and its name.

    From a workbook, the rows are those of the sheet titled ``sheet``, or of the first sheet when
    none is. Close the generator when done with it, so that a workbook is closed.
    """
    extension = PurePath(name).suffix.lower()
    if extension not in (".xlsx", ".csv"):
        raise ImportRefused(
            "The file must be an XLSX or CSV file. Save your chronology as Excel Workbook (.xlsx) "
            "or CSV UTF-8 and upload it again"
        )
    if data.startswith(_OLE_MAGIC):
        if _OLE_ENCRYPTION in data:
            raise ImportRefused(
                "The workbook is protected with a password. Remove the password (in Excel: File, Info, "
                "Protect Workbook, Encrypt with Password, and clear it), save it and upload it again"
            )
        raise ImportRefused(f"The file is an old Excel 97-2003 workbook (.xls). {_FIX_WORKBOOK}")
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data, sheet)
    if extension == ".xlsx":
        raise ImportRefused(f"The file is named .xlsx but is not an Excel workbook. It may be damaged. {_FIX_WORKBOOK}")
    return _csv_rows(data)


# XLSX


def _check_zip(data: bytes) -> None:
    """Refuse a workbook that is a zip bomb, is encrypted, or holds active or outside content.

    Runs on the zip's central directory before openpyxl unpacks anything; see the module
    docstring for why the declared sizes can be trusted.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as error:  # zipfile raises many types on a damaged directory
        raise ImportRefused(_DAMAGED) from error
    names = [part.filename.lower() for part in parts]
    if len(parts) > MAX_ZIP_PARTS or "[content_types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportRefused(
            "The file is not an Excel workbook. Save your chronology as Excel Workbook (.xlsx) "
            "or CSV UTF-8 and upload it again"
        )
    if len(set(names)) != len(names):
        raise ImportRefused(_DAMAGED)
    if any(part.flag_bits & 0x1 for part in parts):
        raise ImportRefused(
            "The workbook is protected with a password. Remove the password, save it and upload it again"
        )
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES or any(
        part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_COMPRESSION_RATIO * part.compress_size
        for part in parts
    ):
        raise ImportRefused(
            "The workbook unpacks to far more data than a chronology holds, so it has not been read. "
            "Check it is the right file; if it is, copy your rows into the template and upload that"
        )
    for pattern, what in _ACTIVE_PARTS:
        if any(pattern.match(name) for name in names):
            raise ImportRefused(
                f"The workbook {what}, which cannot be uploaded. Copy your rows into the chronology "
                "template, pasting them as values only, and upload that"
            )


def _xlsx_cells(row: Iterable[Any]) -> tuple[Cell, ...]:
    """Return openpyxl's read-only cells as ours; run inside ``_guarded``, as their styles can fail."""
    return tuple(
        Cell(
            cell.value,
            cell.data_type == "f",
            cell.data_type == "e",
            cell.number_format if isinstance(cell.value, dt.date) else None,
        )
        for cell in row
    )


def _xlsx_rows(data: bytes, title: str) -> Generator[tuple[Cell, ...], None, None]:
    """Yield the rows of the sheet titled ``title`` (or the first sheet), streaming, formulas kept."""
    _check_zip(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # as in ``_guarded``: any failure of the library is a damaged file
        raise ImportRefused(_DAMAGED) from error
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ImportRefused(
                "The workbook has no sheet of rows. Download the template, copy your rows into it and upload it again"
            )
        sheet = next((sheet for sheet in sheets if sheet.title == title), sheets[0])
        # The sheet's own record of its size can be wrong; trusting it could drop rows unseen.
        sheet.reset_dimensions()
        yield from _guarded(_xlsx_cells(row) for row in sheet.iter_rows())
    finally:
        workbook.close()


# CSV


def _csv_rows(data: bytes) -> Generator[tuple[Cell, ...], None, None]:
    """Yield the rows of a UTF-8 CSV file (with or without a byte order mark), decoding as it goes."""
    # UTF-16 text without its byte order mark decodes as UTF-8 full of NUL characters.
    if b"\x00" in data:
        raise ImportRefused(_NOT_CSV_UTF8)
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as error:
            raise ImportRefused(_NOT_CSV_UTF8) from error
        except csv.Error as error:
            raise ImportRefused(
                f"Row {number} could not be read. Check that the quote marks in it come in pairs, or save the "
                "file again as CSV UTF-8 and upload it again"
            ) from error
        yield tuple(Cell(value) for value in row)
