"""Every page of a downloaded PDF carries the recipient's stamp, upright and on the visible page."""

import io
from typing import Any

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import RectangleObject, StreamObject

from sharing import watermark
from sharing.watermark import WatermarkFailed, watermark_pdf, write_watermarked_pdf
from tests.sharing import samples
from tests.sharing.samples import A4, A4_ROTATED, A5_LANDSCAPE, LETTER, OFFSET, Page

LINES = ["Downloaded by Zoë O'Brien (Agency \\ X)", "Agency A Police", "4 June 2024 09:12 BST"]
PAGES = [A4, LETTER, A5_LANDSCAPE, A4_ROTATED, OFFSET, Page(rotate=180), Page(300, 500, rotate=270)]


def stamped(data: bytes, lines: list[str] = LINES) -> PdfReader:
    return PdfReader(io.BytesIO(watermark_pdf(io.BytesIO(data), lines)), strict=True)


def test_every_line_is_on_every_page_of_every_shape() -> None:
    reader = stamped(samples.pdf(PAGES))
    assert len(reader.pages) == len(PAGES)
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Sample page {number}" in text
        for line in LINES:
            assert line in text


def test_page_geometry_is_unchanged() -> None:
    original = PdfReader(io.BytesIO(samples.pdf(PAGES)))
    for before, after in zip(original.pages, stamped(samples.pdf(PAGES)).pages, strict=True):
        assert (after.mediabox, after.rotation) == (before.mediabox, before.rotation)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_stamp_reads_upright_on_a_rotated_page(rotate: int) -> None:
    """Once the page's /Rotate is baked into its content, the footer must run left to right."""
    page = stamped(samples.pdf([Page(rotate=rotate)])).pages[0]
    writer = PdfWriter()
    upright = writer.add_page(page)
    upright.transfer_rotation_to_content()
    assert " | ".join(LINES) in upright.extract_text(orientations=(0,))


def test_stamp_lies_within_the_crop_box() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(samples.pdf([OFFSET, A4])))
    writer.pages[1].cropbox = RectangleObject((100, 200, 400, 600))
    cropped = io.BytesIO()
    writer.write(cropped)
    for page in stamped(cropped.getvalue()).pages:
        box = page.cropbox
        origins = _text_origins(page, LINES[1])
        assert len(origins) == 2  # the diagonal and the footer
        for x, y in origins:
            assert float(box.left) <= x <= float(box.right)
            assert float(box.bottom) <= y <= float(box.top)


def test_page_inheriting_resources_and_rotation_keeps_its_text() -> None:
    page = stamped(samples.pdf_inheriting_from_page_tree()).pages[0]
    assert (page.rotation, page.cropbox) == (270, RectangleObject((20, 10, 480, 290)))
    assert "Inherited page" in page.extract_text()
    assert LINES[0] in page.extract_text()
    for x, y in _text_origins(page, LINES[1]):
        assert 20 <= x <= 480
        assert 10 <= y <= 290


def test_parentheses_and_backslashes_cannot_break_out_of_the_string() -> None:
    """A name like "x) Tj ... (" must print as itself, not run as page operators."""
    lines = ["a) Tj /Evil Do (b", "back\\slash \\) (unbalanced"]
    text = stamped(samples.pdf(), lines).pages[0].extract_text()
    for line in lines:
        assert line in text


def test_characters_helvetica_lacks_are_replaced() -> None:
    text = stamped(samples.pdf(), ["Łódź 中文 café \u2013 €5"]).pages[0].extract_text()
    assert "?ódz ?? café \u2013 €5" in text


def test_line_breaks_and_control_characters_become_spaces() -> None:
    text = stamped(samples.pdf(), ["Zoe\r\nSmith\x00\tAgency\u200b B"]).pages[0].extract_text()
    assert "Zoe Smith Agency B" in text


def test_writes_to_a_given_stream() -> None:
    output = io.BytesIO()
    write_watermarked_pdf(io.BytesIO(samples.pdf()), LINES, output)
    assert LINES[1] in PdfReader(output).pages[0].extract_text()


def test_encrypted_pdf_is_refused() -> None:
    with pytest.raises(WatermarkFailed) as caught:
        watermark_pdf(io.BytesIO(samples.encrypted_pdf()), LINES)
    assert caught.value.code == "encrypted"
    assert str(caught.value) == "This PDF is password protected, so it cannot be watermarked"


@pytest.mark.parametrize(
    "data", [b"not a pdf at all", samples.pdf()[:200], samples.png(), b"%PDF-1.7\n1 0 obj << /Type /Catalog"]
)
def test_invalid_pdf_is_refused(data: bytes) -> None:
    with pytest.raises(WatermarkFailed) as caught:
        watermark_pdf(io.BytesIO(data), LINES)
    assert caught.value.code == "invalid"
    assert str(caught.value) == "This PDF could not be read, so it cannot be watermarked"


def test_pdf_over_the_memory_bound_is_refused() -> None:
    with pytest.raises(WatermarkFailed) as caught:
        write_watermarked_pdf(io.BytesIO(samples.pdf()), LINES, io.BytesIO(), max_size=100)
    assert caught.value.code == "size"


def test_pdf_with_too_many_pages_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watermark, "MAX_PDF_PAGES", 2)
    with pytest.raises(WatermarkFailed) as caught:
        watermark_pdf(io.BytesIO(samples.pdf([A4, A4, A4])), LINES)
    assert (caught.value.code, str(caught.value)) == (
        "size",
        "This PDF has more than 2 pages, so it cannot be watermarked",
    )


def test_stamped_pdf_stays_compressed() -> None:
    """Merging decodes each page's content; it must be encoded again, not shipped raw."""
    original = PdfWriter(clone_from=io.BytesIO(samples.pdf([A4] * 3, text="Lorem ipsum dolor sit amet " * 40)))
    for page in original.pages:
        page.compress_content_streams()
    compressed = io.BytesIO()
    original.write(compressed)
    for page in stamped(compressed.getvalue()).pages:
        contents = page["/Contents"].get_object()
        assert isinstance(contents, StreamObject)
        assert contents.get("/Filter") == "/FlateDecode"


def test_a_watermark_needs_text() -> None:
    with pytest.raises(ValueError, match="at least one line"):
        watermark_pdf(io.BytesIO(samples.pdf()), ["", "\u200b"])


def _text_origins(page: PageObject, needle: str) -> list[tuple[float, float]]:
    """Where each piece of text containing ``needle`` starts, in the page's user space."""
    origins: list[tuple[float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: Any) -> None:
        if needle in text:
            # The text origin is (0, 0) in text space: apply the text matrix, then the CTM.
            x, y = tm[4], tm[5]
            origins.append((cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]))

    page.extract_text(visitor_text=visit)
    return origins
