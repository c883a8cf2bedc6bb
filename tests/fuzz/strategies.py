"""Hostile input for the fuzz tests, and the Hypothesis profile every one of them runs under.

Reproducible by construction: the ``dhr-fuzz`` profile sets ``derandomize=True``, so Hypothesis
draws the same examples on every run and machine and keeps no example database, and a failure
in CI fails the same way on a laptop. Each test takes the profile through ``fuzz()`` rather than
the profile being loaded as the default, which would change the Hypothesis tests of the other
suites too.
"""

import io
import os
import zipfile
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

T = TypeVar("T")
E = TypeVar("E", bound=BaseException)


def outcome(read: Callable[[], T], refusal: type[E]) -> T | E:
    """What ``read`` returns, or the ``refusal`` it raises; anything else is raised, failing the test."""
    try:
        return read()
    except refusal as refused:
        return refused


settings.register_profile(
    "dhr-fuzz",
    derandomize=True,
    database=None,
    deadline=None,
    # Fixtures are set up once per test, not per example; each test allows for what its earlier
    # examples left behind (a draft's entries, an enrolled device).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(max_examples: int) -> settings:
    """The ``dhr-fuzz`` profile for a test of ``max_examples`` examples, the same ones on every run."""
    return settings(settings.get_profile("dhr-fuzz"), max_examples=max_examples)


# Posted into a page, this must never come back out unescaped.
MARKUP = "<script>alert(1)</script>"

# Values that have broken form handling and parsers elsewhere: empty and blank, NUL and other
# controls, words a template or a serialiser might print for a missing value, numbers beyond
# every range and in other scripts (superscripts and Arabic-Indic digits pass str.isdigit() but
# not int()), spreadsheet formulas, paths, direction overrides, markup, and dates that do not exist.
NASTY = (
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "None",
    "null",
    "undefined",
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-1",
    "-0",
    "0",
    "00",
    "9" * 30,
    "-" + "9" * 30,
    "\u00b2",
    "\u00b2" * 6,
    "\u0663",
    "\uff11\uff12",
    "\u00bd",
    "0x1f",
    "1_000",
    MARKUP,
    "' OR '1'='1' --",
    '=HYPERLINK("http://example.invalid","x")',
    "@SUM(A1)",
    "../../etc/passwd",
    "C:\\Windows\\win.ini",
    "\u202eexe.pdf",
    "\ufeff",
    "\u2028",
    "\U0001f600",
    "\u0130stanbul",
    "stra\u00dfe",
    "0000-00-00",
    "0001-01-01",
    "2019-02-29",
    "2020-02-30",
    "9999-12-31",
    "10000-01-01",
    "2019-13-01",
    "31/12/2019",
    "1/1/1",
    "2019-12-31T25:61",
    "\u00a3-1",
    "1,00.00",
    "1,000,000,000",
    "0.001",
    ".5",
    "(1)",
    "2025-26",
    "9999-00",
    "0000-01",
    "yes",
    "no",
    "on",
    "__someone_else__",
    "party:1",
    "user:1",
)

# Lengths either side of the limits the forms use.
LENGTHS = (20, 21, 40, 41, 100, 101, 120, 200, 201, 254, 255, 300, 301, 500, 501, 2_000, 10_000, 10_001, 100_001)


def _dates_as_typed(day: date) -> list[str]:
    return [day.isoformat(), f"{day:%d/%m/%Y}", f"{day.day} {day:%B %Y}", f"{day:%Y-%m-%d} 09:30"]


hostile_text = st.one_of(
    st.just(MARKUP),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Mn", "Co"]), min_size=1, max_size=12),
    st.sampled_from(NASTY),
    st.tuples(st.sampled_from(LENGTHS), st.sampled_from("a\u00e9\u4e2d\U0001f600 ")).map(
        lambda pair: pair[1] * pair[0]
    ),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().flatmap(lambda day: st.sampled_from(_dates_as_typed(day))),
)

# A value as a form receives it: text, several values for one name, or nothing at all.
MISSING = object()
hostile_value = st.one_of(
    hostile_text,
    st.lists(hostile_text, min_size=2, max_size=4),
    st.just(MISSING),
)


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


# A few kilobytes that claim 64 MiB once inflated: small enough to make on every run.
ZIP_BOMB = _zip({"xl/worksheets/sheet1.xml": bytes(64 * 1024**2), "[Content_Types].xml": b"<Types/>"})

WRONG_TYPES = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    b"PK\x03\x04" + bytes(26),
    b"\x89PNG\r\n\x1a\n" + bytes(16),
    b"<html><body>" + MARKUP.encode() + b"</body></html>",
    "\ufeffDate,Event\r\n31/12/2019,=cmd|' /C calc'!A0\r\n".encode("utf-16"),
)


def _deliverable(name: str) -> bool:
    """Whether Django's multipart parser would hand on a file of this name (it drops ".", ".." and "")."""
    return os.path.basename(name) not in {"", ".", ".."}


file_names = st.one_of(
    st.sampled_from(["chronology.csv", "chronology.xlsx", "report.pdf", "report.docx", "notes.txt"]),
    st.sampled_from(["../../x.csv", "C:\\x.xlsx", "\u202efdp.exe", "a\x00.csv", "x" * 300 + ".csv"]),
    st.text(min_size=1, max_size=30).filter(_deliverable),
)
file_contents = st.one_of(
    st.binary(max_size=2_000),
    st.just(b""),
    st.just(ZIP_BOMB),
    st.sampled_from(WRONG_TYPES),
)


@st.composite
def uploads(draw: st.DrawFn) -> SimpleUploadedFile:
    """A file as the upload handler hands it to a form: any name, any bytes, any declared type."""
    content_type = draw(st.sampled_from(["text/csv", "application/pdf", "application/octet-stream", "", "text/html"]))
    return SimpleUploadedFile(draw(file_names), draw(file_contents), content_type=content_type)
