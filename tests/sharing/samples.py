"""Small, realistic sample files of every type uploads may meet, built in memory.

``sample(kind)`` returns the bytes; ``ACCEPTED`` maps each kind that must be accepted to the
type code ``sharing.sniffing.sniff`` should give it, and ``REFUSED`` each kind that must be
refused to the ``Refused.code`` expected. Office files are zipped the way Word, Excel and
LibreOffice write them: a correct ``[Content_Types].xml``, or for ODF a ``mimetype`` entry
stored first and uncompressed.
"""

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject, RectangleObject

EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

_OOXML_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


@dataclass(frozen=True)
class Page:
    """A sample PDF page: size in points, /Rotate, and where the media box starts."""

    width: float = 595.28
    height: float = 841.89
    rotate: int = 0
    origin: tuple[float, float] = (0, 0)


A4 = Page()
LETTER = Page(612, 792)
A5_LANDSCAPE = Page(595.28, 419.53)
A4_ROTATED = Page(rotate=90)
OFFSET = Page(400, 300, origin=(150, -80))


def pdf(pages: Sequence[Page] = (A4,), *, text: str = "Sample page") -> bytes:
    """A PDF with one page per ``Page``, each showing ``text`` and its page number in Helvetica."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    for number, spec in enumerate(pages, start=1):
        page = writer.add_blank_page(spec.width, spec.height)
        x, y = spec.origin
        page.mediabox = RectangleObject([x, y, x + spec.width, y + spec.height])
        content = ContentStream(None, writer)
        content.set_data(f"BT /F1 12 Tf {x + 72} {y + 72} Td ({text} {number}) Tj ET".encode("latin-1"))
        page.replace_contents(content)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        if spec.rotate:
            page.rotate(spec.rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_inheriting_from_page_tree() -> bytes:
    """A hand-written PDF whose page takes /Resources, /MediaBox, /CropBox and /Rotate from its /Pages node.

    Inheritance is legal and common in older producers; a stamp that forgot it would drop the
    page's fonts or draw in the wrong orientation.
    """
    content = b"BT /F1 12 Tf 72 72 Td (Inherited page) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 500 300] /CropBox [20 10 480 290] /Rotate 270"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf()))
    writer.encrypt("user password", "owner password", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_of(entries: Iterable[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    """Zip ``entries`` in order, deflated; ``stored_first`` leaves the first one uncompressed (ODF)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for index, (name, data) in enumerate(entries):
            method = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, compress_type=method)
    return out.getvalue()


def content_types(overrides: dict[str, str], *, defaults: dict[str, str] | None = None) -> bytes:
    extensions = {
        "rels": "application/vnd.openxmlformats-package.relationships+xml",
        "xml": "application/xml",
        **(defaults or {}),
    }
    parts = [f'<Default Extension="{ext}" ContentType="{ct}"/>' for ext, ct in extensions.items()]
    parts += [f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in overrides.items()]
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_CONTENT_TYPES_NS}">'
        + "".join(parts)
        + "</Types>"
    ).encode()


def _root_relationships(target: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_OOXML_RELATIONSHIPS}/officeDocument" Target="{target}"/>'
        "</Relationships>"
    ).encode()


_DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Chronology of agency contact</w:t></w:r></w:p></w:body></w:document>"
)


def docx(*, main_type: str = DOCX_MAIN, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    return zip_of(
        [
            ("[Content_Types].xml", content_types({"/word/document.xml": main_type})),
            ("_rels/.rels", _root_relationships("word/document.xml")),
            ("word/document.xml", _DOCUMENT_XML),
            *extra,
        ]
    )


def xlsx(*, main_type: str = XLSX_MAIN) -> bytes:
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{main}" '
        f'xmlns:r="{_OOXML_RELATIONSHIPS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_OOXML_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{main}"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c></row></sheetData></worksheet>'
    )
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return zip_of(
        [
            (
                "[Content_Types].xml",
                content_types({"/xl/workbook.xml": main_type, "/xl/worksheets/sheet1.xml": sheet_type}),
            ),
            ("_rels/.rels", _root_relationships("xl/workbook.xml")),
            ("xl/workbook.xml", workbook.encode()),
            ("xl/_rels/workbook.xml.rels", workbook_rels.encode()),
            ("xl/worksheets/sheet1.xml", sheet.encode()),
        ]
    )


def odf(mimetype: str = ODT_MIMETYPE, *, extra: Iterable[tuple[str, bytes]] = ()) -> bytes:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'office:version="1.3"><office:body/></office:document-content>'
    )
    return zip_of(
        [
            ("mimetype", mimetype.encode()),
            ("content.xml", content.encode()),
            ("META-INF/manifest.xml", manifest.encode()),
            *extra,
        ],
        stored_first=True,
    )


_BASIC_MODULE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<script:module xmlns:script="http://openoffice.org/2000/script" '
    b'script:name="Module1" script:language="StarBasic">Sub Main\n  Shell("calc.exe")\nEnd Sub</script:module>'
)


def odt_with_macro() -> bytes:
    return odf(
        extra=[
            ("Basic/script-lc.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<library:libraries/>'),
            ("Basic/Standard/script-lb.xml", b'<?xml version="1.0" encoding="UTF-8"?>\n<library:library/>'),
            ("Basic/Standard/Module1.xml", _BASIC_MODULE),
        ]
    )


def png() -> bytes:
    """A valid 1x1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """A baseline 8x8 grey JFIF whose one block is flat: one-code Huffman tables, DC and EOB both "0"."""

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quantisation = b"\x00" + bytes([1] * 64)
    frame = struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"
    one_code = bytes([1] + [0] * 15) + b"\x00"
    huffman = b"\x00" + one_code + b"\x10" + one_code
    scan = b"\x01\x01\x00\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quantisation)
        + segment(0xC0, frame)
        + segment(0xC4, huffman)
        + segment(0xDA, scan)
        + b"\x3f\xff\xd9"
    )


def tiff(*, big_endian: bool = False) -> bytes:
    """A valid 1x1 bilevel TIFF, little-endian ("II") or big-endian ("MM")."""
    order = ">" if big_endian else "<"
    # (tag, type SHORT=3 or LONG=4, value); the single strip follows the IFD.
    tags = [(256, 3, 1), (257, 3, 1), (258, 3, 1), (259, 3, 1), (262, 3, 1), (273, 4, 0), (278, 3, 1), (279, 4, 1)]
    ifd_size = 2 + 12 * len(tags) + 4
    strip_offset = 8 + ifd_size
    entries = b""
    for tag, kind, value in tags:
        value = strip_offset if tag == 273 else value
        # A SHORT sits left-justified in the four-byte value field.
        packed = struct.pack(order + "H", value) + b"\x00\x00" if kind == 3 else struct.pack(order + "I", value)
        entries += struct.pack(order + "HHI", tag, kind, 1) + packed
    magic = b"MM\x00*" if big_endian else b"II*\x00"
    return magic + struct.pack(order + "I", 8) + struct.pack(order + "H", len(tags)) + entries + b"\x00" * 4 + b"\x00"


def ole2_doc() -> bytes:
    """The 512-byte header of a Word 97-2003 (OLE2 compound file) document, then one empty sector."""
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 0xFFFFFFFE, 0, 0x1000, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    )
    return header.ljust(512, b"\xff") + b"\x00" * 512


def exe(*, payload: bytes = b"") -> bytes:
    """A Windows executable's DOS header and stub, then the PE signature and ``payload``."""
    dos = bytearray(b"MZ\x90\x00\x03".ljust(0x40, b"\x00"))
    dos[0x3C:0x40] = struct.pack("<I", 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    return (bytes(dos) + stub).ljust(0x80, b"\x00") + b"PE\x00\x00\x4c\x01" + payload


CSV = b'date,agency,contact\r\n2023-01-04,Police,Phone call\r\n2023-02-11,GP,"Appointment, missed"\r\n'
CSV_SEMICOLON = "Datum;Behörde;Kontakt\n2023-01-04;Polizei;Anruf\n2023-02-11;Hausarzt;Termin\n".encode()
TXT = "Notes from the panel meeting.\nAttendees agreed the terms of reference \u2013 Zoë to circulate.\n".encode()
TXT_CP1252 = "Panel notes \u2013 Zoë\u2019s summary, £40 costs.\r\nNext meeting in March.\r\n".encode("cp1252")
TXT_UTF8_BOM = b"\xef\xbb\xbf" + TXT
TXT_UTF16 = "Notes saved as Unicode text.\r\n".encode("utf-16")
EML = (
    b"Received: from mail.example.org by mx.example.net; Tue, 4 Jun 2024 09:12:00 +0100\r\n"
    b"From: Coordinator <coordinator@example.org>\r\n"
    b"To: Panel <panel@example.net>\r\n"
    b"Subject: Terms of reference\r\n"
    b"Date: Tue, 4 Jun 2024 09:11:58 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Please find the draft terms of reference below.\r\n"
)
RTF = b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times New Roman;}}\\f0\\fs24 Chronology of contact.\\par}"
HTML = b"<!DOCTYPE html>\n<html><head><title>Report</title></head><body><script>alert(1)</script></body></html>"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

SAMPLES: dict[str, Callable[[], bytes]] = {
    "pdf": pdf,
    "docx": docx,
    "xlsx": xlsx,
    "odt": odf,
    "ods": lambda: odf(ODS_MIMETYPE),
    "csv": lambda: CSV,
    "csv_semicolon": lambda: CSV_SEMICOLON,
    "txt": lambda: TXT,
    "txt_utf8_bom": lambda: TXT_UTF8_BOM,
    "txt_cp1252": lambda: TXT_CP1252,
    "eml": lambda: EML,
    "rtf": lambda: RTF,
    "png": png,
    "jpeg": jpeg,
    "tiff": tiff,
    "tiff_big_endian": lambda: tiff(big_endian=True),
    "docm": lambda: docx(main_type=DOCM_MAIN),
    "xlsm": lambda: xlsx(main_type=XLSM_MAIN),
    "docx_with_vba": lambda: docx(extra=[("word/vbaProject.bin", ole2_doc())]),
    "odt_with_macro": odt_with_macro,
    "doc": ole2_doc,
    "exe": exe,
    "zip": lambda: zip_of([("notes.txt", TXT), ("photo.png", png())]),
    "odp": lambda: odf("application/vnd.oasis.opendocument.presentation"),
    "html": lambda: HTML,
    "svg": lambda: SVG,
    "txt_utf16": lambda: TXT_UTF16,
    "empty": lambda: b"",
}

# Sample kind -> the FileType code sniffing must give it.
ACCEPTED: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "odt": "odt",
    "ods": "ods",
    "csv": "csv",
    "csv_semicolon": "csv",
    "txt": "txt",
    "txt_utf8_bom": "txt",
    "txt_cp1252": "txt",
    "eml": "eml",
    "rtf": "rtf",
    "png": "png",
    "jpeg": "jpeg",
    "tiff": "tiff",
    "tiff_big_endian": "tiff",
}

# Sample kind -> the Refused.code sniffing must raise for it.
REFUSED: dict[str, str] = {
    "docm": "macro",
    "xlsm": "macro",
    "docx_with_vba": "macro",
    "odt_with_macro": "macro",
    "doc": "legacy",
    "exe": "type",
    "zip": "type",
    "odp": "type",
    "html": "type",
    "svg": "type",
    "txt_utf16": "encoding",
    "empty": "empty",
}


def sample(kind: str) -> bytes:
    """Return the bytes of the sample file ``kind`` (a key of ``SAMPLES``)."""
    return SAMPLES[kind]()
