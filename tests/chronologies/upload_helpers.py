"""Chronology uploads built for the tests, and read through ``read_chronology``.

Workbooks are built with openpyxl and, for the hostile cases, by rewriting the parts of a real
workbook's zip.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence

import openpyxl
import pytest
from hypothesis import HealthCheck, settings

from dhr_tracker.chronologies.importing import COLUMNS, MAX_ROWS, ImportResult, read_chronology
from dhr_tracker.chronologies.spreadsheets import MAX_BYTES, ImportRefused

RISKS = (
    "DASH: standard",
    "DASH: medium",
    "DASH: high",
    "MARAC referral",
    "Coercive control",
    "Substance use",
    "Mental health",
    "Pregnancy",
    "Separation",
)
GOOD_ROW = ("31/12/2019", "14:30", "victim", "PNC-1", "Police constable", "Called to the address", "Arrest", "")

Row = Sequence[object]


def xlsx(rows: Iterable[Row], *, header: Row = COLUMNS, title: str = "Chronology") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Row], *, header: Row = COLUMNS, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def read(
    data: bytes, name: str = "chronology.xlsx", *, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES
) -> ImportResult:
    return read_chronology(data, name=name, risk_indicators=RISKS, max_rows=max_rows, max_bytes=max_bytes)


def refusal(data: bytes, name: str = "chronology.xlsx", **limits: int) -> str:
    with pytest.raises(ImportRefused) as refused:
        read(data, name, **limits)
    return refused.value.message


def messages(result: ImportResult) -> list[str]:
    return [str(problem) for problem in result.problems]


def rezip(
    data: bytes, *, add: dict[str, bytes] | None = None, change: Callable[[str, bytes], bytes] | None = None
) -> bytes:
    """Return the workbook ``data`` with parts added, or each part passed through ``change``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = source.read(part)
            target.writestr(part.filename, change(part.filename, content) if change else content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return buffer.getvalue()


def read_or_refuse(data: bytes, name: str) -> None:
    """Read ``data``, which must give a coherent result or a refusal with a message."""
    try:
        result = read(data, name)
    except ImportRefused as refused:
        message = refused.message
        assert message
        return
    for problem in result.problems:
        assert problem.row >= 2
        assert problem.column in COLUMNS or problem.column.startswith("Column ")
        assert problem.message
    assert bool(result.entries) == result.ok


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
