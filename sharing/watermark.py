"""Stamp every page of a PDF with who downloaded it, for which agency, and when. Pure: no Django.

Threat: a recipient passes a confidential review document on, to the press or to someone named
in it. A visible watermark naming the recipient deters that and tells the partnership whose copy
it was. It is a deterrent, not a control: anyone with a PDF editor can remove it, so it never
replaces access rules or the audit trail.

The stamp is drawn in the standard Helvetica font (every PDF reader has it, so nothing is
embedded) with WinAnsiEncoding: characters outside Windows-1252 are replaced by their unaccented
letter where there is one ("ő" becomes "o", "ł" becomes "?"). It is semi-transparent so the page
stays legible: large and diagonal across the middle, and small along the foot of the page where
it survives cropping. It is drawn upright as the reader sees the page, whatever its /Rotate, and
within its crop box.

Memory: a PDF needs random access (its cross-reference table is at the end), so the caller
passes a seekable view of the plaintext. pypdf then holds the whole document in memory as Python
objects while it is copied: measured with pypdf 7, about three to five times the file's size
(21 MB of scanned pages peaked at 66 MB, 5 MB of dense text pages at 26 MB), plus some 15 KB
per page, so thousands of near-empty pages cost more per byte (1.2 MB and 3,000 pages: 50 MB).
``MAX_PDF_SIZE`` and ``MAX_PDF_PAGES`` bound that to roughly 1 GB; larger PDFs are refused, not
watermarked. Time is about a millisecond a page.

The new file is written without the old one's incremental updates, so no earlier, unstamped
revision can be recovered from it.
"""

import io
import math
import unicodedata
from collections.abc import Sequence
from typing import BinaryIO

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import DecodedStreamObject, DictionaryObject, FloatObject, NameObject, RectangleObject

MAX_PDF_SIZE = 200 * 1024**2
MAX_PDF_PAGES = 5_000

# The diagonal: faint, large, fitted to 80% of the diagonal between these sizes in points.
DIAGONAL_OPACITY = 0.18
DIAGONAL_MAX_SIZE = 40.0
DIAGONAL_MIN_SIZE = 8.0
# The foot: small and darker, so it can be read on a printout.
FOOTER_OPACITY = 0.6
FOOTER_SIZE = 7.0
FOOTER_MIN_SIZE = 3.0
FOOTER_MARGIN = 12.0
LINE_SPACING = 1.25

_FONT = "/DHRWatermarkFont"
_DIAGONAL_STATE = "/DHRWatermarkDiagonal"
_FOOTER_STATE = "/DHRWatermarkFooter"

# Helvetica's advance widths, in thousandths of an em, for WinAnsi codes 32 to 126 (from Adobe's
# Helvetica.afm). Other codes are taken as 556, the width of most lower-case letters: close
# enough to centre a line, and the stamp is clipped to the page if a guess runs long.
_HELVETICA_ASCII_WIDTHS = (
    (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278)
    + (556,) * 10
    + (278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833)
    + (722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556)
    + (556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556)
    + (500, 722, 500, 500, 500, 334, 260, 334, 584)
)
_DEFAULT_WIDTH = 556

# What pypdf may raise on a malformed file: its own errors, and the plain ones its parser lets
# through on garbage. Errors writing ``output`` (OSError) are the caller's, and pass through.
_PDF_ERRORS = (PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


class WatermarkFailed(ValueError):
    """A PDF we cannot watermark. ``str(exc)`` is the message to show; ``code`` is stable."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def watermark_pdf(source: BinaryIO, text_lines: Sequence[str]) -> bytes:
    """Return a copy of the PDF ``source`` with ``text_lines`` stamped on every page."""
    output = io.BytesIO()
    write_watermarked_pdf(source, text_lines, output)
    return output.getvalue()


def write_watermarked_pdf(
    source: BinaryIO, text_lines: Sequence[str], output: BinaryIO, *, max_size: int = MAX_PDF_SIZE
) -> None:
    """Write to ``output`` a copy of the PDF ``source`` with ``text_lines`` stamped on every page.

    Raises ``WatermarkFailed`` for a file of more than ``max_size`` bytes or ``MAX_PDF_PAGES``
    pages, an encrypted PDF (we could only stamp it by removing its protection) or one pypdf
    cannot read. On failure ``output`` may hold part of a file and must be thrown away.
    """
    lines = [encoded for encoded in map(_encode, text_lines) if encoded]
    if not lines:
        raise ValueError("a watermark needs at least one line of text")
    if source.seek(0, io.SEEK_END) > max_size:
        raise WatermarkFailed(
            f"This PDF is larger than {max_size // 1024**2} MB, so it cannot be watermarked", code="size"
        )
    source.seek(0)
    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise WatermarkFailed("This PDF is password protected, so it cannot be watermarked", code="encrypted")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise WatermarkFailed(
                f"This PDF has more than {MAX_PDF_PAGES:,} pages, so it cannot be watermarked", code="size"
            )
        writer = PdfWriter(clone_from=reader)
        resources = _resources()
        for page in writer.pages:
            page.merge_page(_overlay(page, lines, resources))
            # Merging leaves the page's content parsed and uncompressed; encoding it again frees
            # the parsed form at once and keeps the copy about the size of the original.
            page.compress_content_streams()
        writer.write(output)
    except WatermarkFailed:
        raise
    except _PDF_ERRORS as exc:
        raise WatermarkFailed("This PDF could not be read, so it cannot be watermarked", code="invalid") from exc


def _resources() -> DictionaryObject:
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )

    def opacity(alpha: float) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/ExtGState"),
                NameObject("/ca"): FloatObject(alpha),
                NameObject("/CA"): FloatObject(alpha),
            }
        )

    return DictionaryObject(
        {
            NameObject("/Font"): DictionaryObject({NameObject(_FONT): font}),
            NameObject("/ExtGState"): DictionaryObject(
                {
                    NameObject(_DIAGONAL_STATE): opacity(DIAGONAL_OPACITY),
                    NameObject(_FOOTER_STATE): opacity(FOOTER_OPACITY),
                }
            ),
        }
    )


def _overlay(page: PageObject, lines: list[bytes], resources: DictionaryObject) -> PageObject:
    """Build a page holding only the stamp, in ``page``'s user space, for ``merge_page``.

    The overlay's media box is ``page``'s crop box: ``merge_page`` clips the overlay to it, so
    nothing is drawn outside what the reader shows.
    """
    box = page.cropbox
    left, right = sorted((float(box.left), float(box.right)))
    bottom, top = sorted((float(box.bottom), float(box.top)))
    # /Rotate must be a multiple of 90; readers round anything else, and so do we.
    rotation = round(page.rotation / 90) % 4 * 90
    width, height = (top - bottom, right - left) if rotation in (90, 270) else (right - left, top - bottom)
    matrix = _upright(rotation, left, bottom, right, top)
    stream = DecodedStreamObject()
    stream.set_data(b"q %s cm\n" % _numbers(matrix) + _diagonal(lines, width, height) + _footer(lines, width) + b"Q\n")
    overlay = PageObject.create_blank_page(width=right - left, height=top - bottom)
    overlay.mediabox = RectangleObject((left, bottom, right, top))
    overlay[NameObject("/Resources")] = resources
    overlay[NameObject("/Contents")] = stream
    return overlay


def _upright(rotation: int, left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
    """Return the matrix from upright "as seen" coordinates into the page's user space.

    "As seen" has its origin at the bottom left of what the reader shows. Readers turn a page
    clockwise by its /Rotate; this turns it back, so the stamp reads upright on screen.
    """
    return {
        0: (1, 0, 0, 1, left, bottom),
        90: (0, 1, -1, 0, right, bottom),
        180: (-1, 0, 0, -1, right, top),
        270: (0, -1, 1, 0, left, top),
    }[rotation]


def _diagonal(lines: list[bytes], width: float, height: float) -> bytes:
    """Draw the lines centred on the page, along the diagonal from bottom left to top right."""
    angle = math.atan2(height, width)
    cos, sin = math.cos(angle), math.sin(angle)
    size = min(DIAGONAL_MAX_SIZE, 0.8 * math.hypot(width, height) * 1000 / max(map(_width, lines)))
    # Keep the block of lines to half the page's shorter side.
    size = max(DIAGONAL_MIN_SIZE, min(size, 0.5 * min(width, height) / (len(lines) * LINE_SPACING)))
    out = [b"/%s gs 0.6 0 0 rg BT %s %s Tf\n" % (_DIAGONAL_STATE[1:].encode(), _FONT.encode(), _number(size))]
    for index, line in enumerate(lines):
        # Offsets from the centre in the turned frame: centre each line, and the block on the page.
        x = -_width(line) * size / 2000
        y = ((len(lines) - 1) / 2 - index) * size * LINE_SPACING - 0.35 * size
        origin = (width / 2 + cos * x - sin * y, height / 2 + sin * x + cos * y)
        out.append(b"%s Tm %s Tj\n" % (_numbers((cos, sin, -sin, cos, *origin)), _literal(line)))
    out.append(b"ET\n")
    return b"".join(out)


def _footer(lines: list[bytes], width: float) -> bytes:
    """Draw the lines joined on one line along the foot of the page, shrunk to fit its width."""
    text = b" | ".join(lines)
    size = max(FOOTER_MIN_SIZE, min(FOOTER_SIZE, (width - 2 * FOOTER_MARGIN) * 1000 / _width(text)))
    return b"/%s gs 0.2 g BT %s %s Tf 1 0 0 1 %s %s Tm %s Tj ET\n" % (
        _FOOTER_STATE[1:].encode(),
        _FONT.encode(),
        _number(size),
        _number(FOOTER_MARGIN),
        _number(FOOTER_MARGIN),
        _literal(text),
    )


def _encode(text: str) -> bytes:
    """Return ``text`` in WinAnsiEncoding (Windows-1252), on one line, replacing what it lacks."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        category = unicodedata.category(ch)
        if ch.isspace() or category == "Cc":
            out += b" "
        elif category != "Cf":
            out += _encode_char(ch)
    return b" ".join(bytes(out).split())


def _encode_char(ch: str) -> bytes:
    try:
        return ch.encode("cp1252")
    except UnicodeEncodeError:
        # Keep the letters of a decomposition ("ő" -> "o"), dropping accents the font lacks.
        base = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore")
        return base or b"?"


def _width(text: bytes) -> int:
    return sum(_HELVETICA_ASCII_WIDTHS[b - 32] if 32 <= b <= 126 else _DEFAULT_WIDTH for b in text)


def _literal(text: bytes) -> bytes:
    """Return ``text`` as a PDF literal string: parentheses and backslashes escaped, the rest octal.

    Threat: a name such as ``x) Tj /Evil Do (`` would otherwise end the string and inject
    operators into the page. Escaping every byte outside printable ASCII keeps the content
    stream plain ASCII as well.
    """
    out = bytearray(b"(")
    for byte in text:
        if byte in b"()\\":
            out += b"\\%c" % byte
        elif 32 <= byte <= 126:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _number(value: float) -> bytes:
    # PDF numbers have no exponent form; four decimals is far below a printer's resolution.
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".")


def _numbers(values: Sequence[float]) -> bytes:
    return b" ".join(_number(value) for value in values)
