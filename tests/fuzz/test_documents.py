"""Uploaded documents read as hostile files: the anonymisation check's text extraction, the secure
space's type sniffing and file names, and the pseudonym register's matching.

Each reader may refuse a file only with its own named exception, whose message is for the person
who uploaded it; anything else escaping is a bug that would show as a server error. The files are
random bytes, and real DOCX, ODT, PDF and XLSX files with bytes changed, cut short, or damaged
inside one of their XML parts (past the zip layer, where the XML parser meets it).
"""

import io
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from typing import BinaryIO

from django.http import HttpResponse
from hypothesis import event, given
from hypothesis import strategies as st

from dhr_tracker.reports import textextract
from dhr_tracker.reports.anonymisation import KINDS, Identity, scan
from dhr_tracker.reports.textextract import Passage, Unreadable
from sharing import sniffing
from sharing.sniffing import ALLOWED, Refused
from tests.fuzz.strategies import NASTY, fuzz, outcome
from tests.reports.corpus import docx_with, odt_package
from tests.sharing import samples

_ODT_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
    "<text:p>Adult A was seen by her GP on 3 March.</text:p><text:p>Adult B did not attend.</text:p>"
    "</office:text></office:body></office:document-content>"
)
DOCUMENTS = {
    "docx": docx_with(["Adult A was seen by her GP on 3 March.", "Adult B did not attend."]),
    "odt": odt_package({"content.xml": _ODT_CONTENT}),
    "pdf": samples.pdf(text="Adult A was seen by her GP on 3 March."),
    "xlsx": samples.xlsx(),
}


def _parts(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


@st.composite
def flipped(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with up to eight bytes changed."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def damaged_part(draw: st.DrawFn, package: bytes) -> bytes:
    """A sound zip whose XML part has bytes inserted, removed or replaced somewhere."""
    parts = _parts(package)
    name = draw(st.sampled_from(sorted(name for name in parts if name.endswith(".xml"))))
    content = parts[name]
    start = draw(st.integers(0, len(content)))
    end = draw(st.integers(start, min(len(content), start + 40)))
    parts[name] = content[:start] + draw(st.binary(max_size=20)) + content[end:]
    return _rezip(parts)


def cut_short(original: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(1, len(original)).map(lambda keep: original[:keep])


def _opener(content: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(content)


def hostile_files() -> st.SearchStrategy[bytes]:
    damaged = [
        st.one_of(
            flipped(original),
            cut_short(original),
            damaged_part(original) if kind != "pdf" else flipped(original),
        )
        for kind, original in DOCUMENTS.items()
    ]
    return st.one_of(st.binary(min_size=1, max_size=3_000), *damaged)


# Text extraction (the anonymisation check)


def _extracted_or_refused(content: bytes) -> None:
    result = outcome(lambda: textextract.extract(content, "report.pdf"), Unreadable)
    if isinstance(result, Unreadable):
        assert result.code in {"not_a_document", "protected", "no_text", "damaged"}
        assert result.message.strip()
        event(f"refused: {result.code}")
        return
    kind, passages = result
    event(f"read: {kind}")
    assert kind in {"docx", "pdf", "odt", "txt"}
    assert all(isinstance(p, Passage) and isinstance(p.text, str) and p.location for p in passages)


def test_the_unchanged_documents_are_read() -> None:
    """The files the fuzzing damages are themselves read, so a damaged one is refused for its damage."""
    assert textextract.extract(DOCUMENTS["docx"], "x")[0] == "docx"
    assert textextract.extract(DOCUMENTS["odt"], "x")[0] == "odt"
    assert textextract.extract(DOCUMENTS["pdf"], "x")[0] == "pdf"


@fuzz(max_examples=150)
@given(hostile_files())
def test_text_extraction_refuses_only_with_its_named_exception(content: bytes) -> None:
    _extracted_or_refused(content)


# Type sniffing of uploads to the secure spaces


def _sniffed_or_refused(content: bytes) -> None:
    found = outcome(lambda: sniffing.sniff(content[: sniffing.HEAD_SIZE], _opener(content), len(content)), Refused)
    if isinstance(found, Refused):
        assert found.code in {"empty", "size", "type", "legacy", "macro", "encoding", "damaged", "complex", "name"}
        assert found.message.strip()
        event(f"refused: {found.code}")
        return
    assert found in ALLOWED.values()
    event(f"sniffed: {found.code}")


def test_the_unchanged_samples_are_sniffed_as_what_they_are() -> None:
    for kind, original in DOCUMENTS.items():
        assert sniffing.sniff(original, _opener(original), len(original)).code == kind


@fuzz(max_examples=150)
@given(st.one_of(hostile_files(), st.binary(max_size=200).map(lambda tail: b"PK\x03\x04" + tail)))
def test_sniffing_refuses_only_with_its_named_exception(content: bytes) -> None:
    _sniffed_or_refused(content)


# The direction overrides that make "exe" read as "pdf".
_DIRECTION = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
names = st.one_of(st.text(max_size=200), st.sampled_from(NASTY), st.text(max_size=20).map(lambda stem: stem + ".pdf"))


@fuzz(max_examples=150)
@given(names, st.sampled_from(sorted(ALLOWED)))
def test_any_uploaded_name_is_refused_or_made_safe(name: str, code: str) -> None:
    """A name is refused with a message, or stored as a safe name with the sniffed type's extension,
    and sent back in a header that cannot be broken out of."""
    file_type = ALLOWED[code]
    refused = outcome(lambda: sniffing.check_name(name), Refused)
    if refused is not None:
        assert refused.code == "name"
        assert refused.message
        return
    safe = sniffing.safe_filename(name, file_type)
    assert 0 < len(safe) <= sniffing.MAX_NAME_LENGTH
    assert not set(safe) & set('/\\<>:"|?*')
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _DIRECTION for ch in safe)
    assert file_type.accepts_extension("." + safe.rsplit(".", 1)[-1])
    disposition = sniffing.content_disposition(safe)
    assert disposition.isascii()
    assert disposition.startswith('attachment; filename="')
    assert disposition.count('"') == 2
    response = HttpResponse()
    response["Content-Disposition"] = disposition
    assert response["Content-Disposition"] == disposition


# The pseudonym register's matching: its entries are typed by the review's runners, so they are
# input too, and the documents are anyone's.

_REGISTER_TEXT = st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(NASTY).filter(bool))


@st.composite
def registers(draw: st.DrawFn) -> list[Identity]:
    return [
        Identity(
            draw(_REGISTER_TEXT),
            names=tuple(draw(st.lists(_REGISTER_TEXT, max_size=3))),
            birth_dates=tuple(draw(st.lists(st.dates(date(1, 1, 1), date(9999, 12, 31)), max_size=2))),
            addresses=tuple(draw(st.lists(_REGISTER_TEXT, max_size=2))),
            others=tuple(draw(st.lists(_REGISTER_TEXT, max_size=2))),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]


_PROSE = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(["Mary", "Smith", "born", "DOB", "03/03/1985", "EX1 1AA", "07700 900123", "\u2019s", "\n"]),
        max_size=30,
    ).map(" ".join),
)


@fuzz(max_examples=150)
@given(registers(), st.lists(_PROSE, min_size=1, max_size=4))
def test_the_register_check_reports_only_what_the_document_says(register: list[Identity], texts: list[str]) -> None:
    passages = [Passage(f"Page {number}", text) for number, text in enumerate(texts, start=1)]
    findings = scan(passages, register)
    pages = {passage.location: passage.text for passage in passages}
    for finding in findings:
        assert finding.kind in KINDS
        if finding.kind != "unchecked_page":
            assert finding.found
            assert finding.found in pages[finding.location]
            assert " ".join(finding.found.split()) in finding.context
