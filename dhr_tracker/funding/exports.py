"""Funding applications and ledgers as downloads, in the form a funder or a finance team expects.

- **XLSX**, to read: an application laid out as a funder's form, a review's ledger with its summary,
  a partnership's year. Amounts are numbers formatted as pounds (``money.as_decimal``), so they add
  up in the spreadsheet; totals are written as numbers, never formulas. Every sheet carries the
  protective marking in its header and footer, and an "About" sheet says for whom and when the
  file was made. Workbooks are written in openpyxl's write-only mode, as every export of the service is.
- **CSV**, to import: one tidy table, UTF-8 with a byte order mark (so spreadsheets read "£" and
  accents), amounts as "1250.50" (``money.plain``), dates as ISO 8601. Amounts in these tables
  are never negative.

Text people typed (descriptions, partners' names, notes, justifications) may start "=": it is
written as text a spreadsheet will not run, as the chronology's export does (``xlsx_cell``,
``neutralised``), and characters XML cannot hold are dropped. Reviews are named by their title,
never by the people in them. Each export records one ``funding.exported`` event with ids, codes,
the format and the count, never text.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import openpyxl
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from audit.models import Outcome
from audit.trail import record
from dhr_tracker.accounts.models import Partnership, User
from dhr_tracker.chronologies.exports import NOT_XML, Made, neutralised, xlsx_cell
from dhr_tracker.funding import ledgers
from dhr_tracker.funding.access import visible_applications
from dhr_tracker.funding.models import (
    Application,
    ApplicationReview,
    Contribution,
    CostCategory,
    CostEntry,
)
from dhr_tracker.funding.money import as_decimal, plain
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.exports import MARKING
from dhr_tracker.reviews.models import Review

EXPORTED = "funding.exported"
POUNDS_FORMAT = "£#,##0.00"
DAY_FORMAT = "d mmmm yyyy"
BOLD = Font(bold=True)
LIVE, CANCELLED = "Live", "Cancelled"

APPLICATION_CSV = (
    "Application",
    "Partnership",
    "Funder",
    "Fund",
    "Financial year",
    "Status",
    "Category",
    "Amount",
    "Note",
)
APPLICATIONS = (
    "Application",
    "Partnership",
    "Funder",
    "Fund",
    "Financial year",
    "Reviews",
    "Status",
    "Requested",
    "Awarded",
    "Paid",
    "Submitted on",
    "Decided on",
    "Paid on",
)
CATEGORY_LINES = ("Category", "Budget", "Committed", "Actual", "Outstanding", "Forecast", "Variance")
ENTRIES = (
    "Entry",
    "Date",
    "Type",
    "Category",
    "Description",
    "Supplier",
    "Amount",
    "Settles commitment",
    "Status",
    "Cancelled on",
    "Reason for cancelling",
)
CONTRIBUTIONS = (
    "Partner type",
    "Partner",
    "Amount",
    "Agreed on",
    "Received",
    "Received on",
    "Application",
    "Status",
    "Cancelled on",
    "Reason for cancelling",
)
JOURNAL = ("Date", "Review", "Type", "Category or partner type", "Description or partner", "Amount", "Status")
RECEIPT = "Receipt"
YEAR_REVIEWS = (
    "Review",
    "Budget (whole review)",
    "Committed",
    "Actual",
    "Contributions agreed",
    "Contributions received",
)
YEAR_CSV = ("Financial year", *YEAR_REVIEWS)


@dataclass(frozen=True)
class Amount:
    """Pence to be written as money: a pounds cell in a spreadsheet, "1250.50" in a CSV."""

    pence: int


# What a cell of these exports holds: text, a number (of an application or an entry), a date,
# money or nothing.
Value = str | int | date | Amount | None


def _amount(pence: int | None) -> Amount | None:
    return None if pence is None else Amount(pence)


def _status(cancelled_at: datetime | None) -> str:
    return LIVE if cancelled_at is None else CANCELLED


def _local_day(moment: datetime | None) -> date | None:
    return None if moment is None else timezone.localdate(moment)


# Writing --------------------------------------------------------------------------------------


class _Sheet:
    """A write-only sheet with the protective marking, taking rows of ``Value``."""

    def __init__(self, workbook: Workbook, title: str, widths: Sequence[int]) -> None:
        self.sheet = workbook.create_sheet(title)
        self.sheet.oddHeader.center.text = MARKING
        self.sheet.oddFooter.center.text = MARKING
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(self, value: Value, *, bold: bool = False) -> Cell | str | None:
        if value is None:
            return None
        if isinstance(value, Amount):
            cell = WriteOnlyCell(self.sheet, value=as_decimal(value.pence))
            cell.number_format = POUNDS_FORMAT
        elif isinstance(value, date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DAY_FORMAT
        elif isinstance(value, int):
            cell = WriteOnlyCell(self.sheet, value=value)
        else:
            text = xlsx_cell(self.sheet, NOT_XML.sub("", value))
            if not bold:
                return text
            cell = text if isinstance(text, Cell) else WriteOnlyCell(self.sheet, value=text)
        if bold:
            cell.font = BOLD
        return cell

    def row(self, values: Sequence[Value], *, bold: bool = False) -> None:
        self.sheet.append([self.cell(value, bold=bold) for value in values])

    def blank(self) -> None:
        self.sheet.append([])

    def labelled(self, label: str, value: Value) -> None:
        """A line of a form: the label in bold, then the value."""
        self.sheet.append([self.cell(label, bold=True), self.cell(value)])


def _workbook() -> Workbook:
    return openpyxl.Workbook(write_only=True)


def _about(workbook: Workbook, title: str, actor: User, lines: Sequence[str]) -> None:
    """The sheet saying what the file is, its marking, and for whom and when it was made."""
    now = timezone.localtime()
    sheet = _Sheet(workbook, "About", [80])
    sheet.row([title], bold=True)
    for line in (
        MARKING,
        f"Made for {actor.full_name} ({actor.email}) on {date_format(now.date(), 'j F Y')} at {now:%H:%M}",
        *lines,
    ):
        sheet.row([line])


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, Amount):
        return plain(value.pence)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return neutralised(value)


def _csv(headings: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """One table as CSV in UTF-8 with a byte order mark."""
    buffer = io.BytesIO()
    with io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(headings)
        writer.writerows([_csv_value(value) for value in row] for row in rows)
        text.flush()
        return buffer.getvalue()


def _record(
    actor: User,
    request: HttpRequest | None,
    *,
    target: Any,
    partnership_id: int | None,
    target_ref: tuple[str, str] | None = None,
    target_label: str | None = None,
    **details: Any,
) -> None:
    """Record the export as one ``funding.exported`` event; ``details`` are ids, codes and counts."""
    record(
        EXPORTED,
        outcome=Outcome.ALLOWED,
        actor=actor,
        target=target,
        target_ref=target_ref,
        target_label=target_label,
        request=request,
        partnership_id=partnership_id,
        details=details,
    )


# One application ------------------------------------------------------------------------------


def _costs(application: Application) -> tuple[list[tuple[str, int, str]], int]:
    """(category, pence, note) for every category, nothing where none was given, and their total."""
    given = {cost.category: (cost.amount_pence, cost.note) for cost in application.costs.all()}
    lines = [(category.label, *given.get(category.value, (0, ""))) for category in CostCategory]
    return lines, sum(pence for _, pence, _ in lines)


def _application_xlsx(application: Application, actor: User) -> bytes:
    stream = application.stream
    lines, total = _costs(application)
    workbook = _workbook()
    form = _Sheet(workbook, "Application", [28, 40, 50])
    form.row([f"Application {application.pk} to {stream.funder}: {stream.name}"], bold=True)
    form.blank()
    for label, value in (
        ("Funder", stream.funder),
        ("Fund", stream.name),
        ("Financial year", stream.year.label),
        ("Financial year runs", stream.year.span),
        ("Partnership", application.partnership.name),
        ("Application number", application.pk),
        ("Status", application.get_status_display()),
        ("Created on", _local_day(application.created_at)),
        ("Submitted on", application.submitted_on),
        ("Decided on", application.decided_on),
        ("Paid on", application.paid_on),
        ("Amount requested", Amount(application.requested_pence)),
        ("Amount awarded", _amount(application.awarded_pence)),
        ("Amount paid", _amount(application.paid_pence)),
        ("Conditions", application.conditions),
    ):
        form.labelled(label, value)
    form.blank()
    form.row(["Cost breakdown"], bold=True)
    form.row(["Category", "Amount", "Note"], bold=True)
    for label, pence, note in lines:
        form.row([label, Amount(pence), note])
    form.row(["Total", Amount(total)], bold=True)
    form.blank()
    form.row(["Justification"], bold=True)
    form.row([application.justification])
    reviews = _Sheet(workbook, "Reviews", [30, 20, 20])
    reviews.row(["Review", "Commenced on", "Share of award"], bold=True)
    for covered in application.covered.select_related("review__partnership"):
        reviews.row([covered.review.title, schedule.completion_start(covered.review), _amount(covered.awarded_pence)])
    _about(workbook, f"Funding application {application.pk}", actor, [application.partnership.name])
    return _saved(workbook)


def _application_csv(application: Application) -> bytes:
    stream = application.stream
    lines, total = _costs(application)
    common: list[Value] = [
        application.pk,
        application.partnership.name,
        stream.funder,
        stream.name,
        stream.year.label,
        application.get_status_display(),
    ]
    rows = [[*common, label, Amount(pence), note] for label, pence, note in lines]
    return _csv(APPLICATION_CSV, [*rows, [*common, "Total", Amount(total), ""]])


def export_application(application: Application, *, actor: User, fmt: str, request: HttpRequest | None) -> Made:
    """One application, fetched with ``access_application``, as a funder's form (XLSX) or its costs (CSV)."""
    content = _application_xlsx(application, actor) if fmt == "xlsx" else _application_csv(application)
    _record(
        actor,
        request,
        target=application,
        partnership_id=application.partnership_id,
        what="application",
        format=fmt,
        count=1,
        application=application.pk,
    )
    return Made(content, 1)


# Applications ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which applications to export: the partnerships' (which the caller checked the user manages),
    in a stream of ``year`` and at ``status`` when given."""

    partnerships: frozenset[int]
    year: FinancialYear | None = None
    status: str = ""

    def audited(self) -> dict[str, Any]:
        chosen: dict[str, Any] = {"partnerships": sorted(self.partnerships)}
        if self.year is not None:
            chosen["year"] = self.year.label
        if self.status:
            chosen["status"] = self.status
        return chosen


def _applications(actor: User, selection: Selection) -> list[Application]:
    """The selected applications with what their rows show, in a fixed number of queries."""
    found = visible_applications(actor).filter(partnership_id__in=selection.partnerships)
    if selection.year is not None:
        found = found.filter(stream__financial_year=selection.year.start_year)
    if selection.status:
        found = found.filter(status=selection.status)
    covered = ApplicationReview.objects.select_related("review__partnership")
    return list(
        found.select_related("partnership", "stream")
        .prefetch_related(Prefetch("covered", queryset=covered))
        .order_by("partnership__name", "pk")
    )


def _application_row(application: Application) -> list[Value]:
    stream = application.stream
    return [
        application.pk,
        application.partnership.name,
        stream.funder,
        stream.name,
        stream.year.label,
        "; ".join(covered.review.title for covered in application.covered.all()),
        application.get_status_display(),
        Amount(application.requested_pence),
        _amount(application.awarded_pence),
        _amount(application.paid_pence),
        application.submitted_on,
        application.decided_on,
        application.paid_on,
    ]


def export_applications(actor: User, selection: Selection, *, fmt: str, request: HttpRequest | None) -> Made:
    """The selected applications, one row each, as XLSX or CSV."""
    found = _applications(actor, selection)
    rows = [_application_row(application) for application in found]
    if fmt == "xlsx":
        workbook = _workbook()
        sheet = _Sheet(workbook, "Applications", [12, 36, 30, 30, 14, 30, 14, 14, 14, 14, 16, 16, 16])
        sheet.sheet.freeze_panes = "A2"
        sheet.row(APPLICATIONS, bold=True)
        for row in rows:
            sheet.row(row)
        _about(workbook, "Funding applications", actor, [f"{len(rows):,} applications"])
        content = _saved(workbook)
    else:
        content = _csv(APPLICATIONS, rows)
    _record(
        actor,
        request,
        target=None,
        target_ref=("funding.application", "list"),
        target_label="Funding applications",
        partnership_id=next(iter(selection.partnerships)) if len(selection.partnerships) == 1 else None,
        what="applications",
        format=fmt,
        count=len(rows),
        applications=[application.pk for application in found],
        **selection.audited(),
    )
    return Made(content, len(rows))


# A review's ledger ----------------------------------------------------------------------------


def _entries(review: Review) -> list[CostEntry]:
    """Every cost entry, cancelled ones too, in date order."""
    return list(CostEntry.objects.filter(ledger__review=review).select_related("against").order_by("on", "pk"))


def _contributions(review: Review) -> list[Contribution]:
    """Every contribution, cancelled ones too, in the order agreed."""
    return list(Contribution.objects.filter(ledger__review=review).order_by("agreed_on", "pk"))


def _entry_row(entry: CostEntry) -> list[Value]:
    against = entry.against
    return [
        entry.pk,
        entry.on,
        entry.get_kind_display(),
        entry.get_category_display(),
        entry.description,
        entry.supplier,
        Amount(entry.amount_pence),
        f"Entry {against.pk}: {against.description}" if against is not None else "",
        _status(entry.cancelled_at),
        _local_day(entry.cancelled_at),
        entry.cancel_reason,
    ]


def _contribution_row(contribution: Contribution) -> list[Value]:
    return [
        contribution.get_partner_kind_display(),
        contribution.partner_name,
        Amount(contribution.amount_pence),
        contribution.agreed_on,
        Amount(contribution.received_pence),
        contribution.received_on,
        f"Application {contribution.application_id}" if contribution.application_id else "",
        _status(contribution.cancelled_at),
        _local_day(contribution.cancelled_at),
        contribution.cancel_reason,
    ]


def _ledger_xlsx(review: Review, actor: User, entries: list[CostEntry], contributions: list[Contribution]) -> bytes:
    found = ledgers.summary(review)
    workbook = _workbook()
    summary = _Sheet(workbook, "Summary", [34, 14, 14, 14, 14, 14, 14])
    summary.row([f"{review.title}: ledger"], bold=True)
    summary.row([review.partnership.name])
    summary.blank()
    summary.row(["Costs by category"], bold=True)
    summary.row(CATEGORY_LINES, bold=True)
    for line in [*found.lines, found.total]:
        summary.row(
            [
                line.label,
                Amount(line.budget),
                Amount(line.committed),
                Amount(line.actual),
                Amount(line.outstanding),
                Amount(line.forecast),
                Amount(line.variance),
            ],
            bold=line is found.total,
        )
    summary.row(["Outstanding: what commitments still hold. Forecast: actual plus outstanding."])
    summary.row(["Variance: budget less forecast; a negative variance is an overspend."])
    summary.blank()
    summary.row(["Contributions by partner"], bold=True)
    summary.row(["Partner", "Agreed", "Received"], bold=True)
    for partner in found.partners:
        summary.row([partner.label, Amount(partner.agreed), Amount(partner.received)])
    summary.row(["Total", Amount(found.agreed), Amount(found.received)], bold=True)
    summary.blank()
    summary.labelled("Forecast not met by agreed contributions", Amount(found.gap))
    sheet = _Sheet(workbook, "Entries", [8, 16, 14, 26, 40, 30, 14, 40, 12, 16, 40])
    sheet.sheet.freeze_panes = "A2"
    sheet.row(ENTRIES, bold=True)
    for entry in entries:
        sheet.row(_entry_row(entry))
    sheet = _Sheet(workbook, "Contributions", [30, 36, 14, 16, 14, 16, 16, 12, 16, 40])
    sheet.sheet.freeze_panes = "A2"
    sheet.row(CONTRIBUTIONS, bold=True)
    for contribution in contributions:
        sheet.row(_contribution_row(contribution))
    _about(
        workbook,
        f"{review.title}: ledger",
        actor,
        [review.partnership.name, f"{len(entries):,} cost entries and {len(contributions):,} contributions"],
    )
    return _saved(workbook)


def _journal(review: Review, entries: list[CostEntry], contributions: list[Contribution]) -> list[list[Value]]:
    """One line per cost entry and contribution, and one per receipt, in date order."""
    dated: list[tuple[date, list[Value]]] = []
    for entry in entries:
        status = _status(entry.cancelled_at).lower()
        cells: list[Value] = [
            entry.on,
            review.reference,
            entry.get_kind_display(),
            entry.get_category_display(),
            entry.description,
            Amount(entry.amount_pence),
            status,
        ]
        dated.append((entry.on, cells))
    for contribution in contributions:
        status = _status(contribution.cancelled_at).lower()
        partner: list[Value] = [contribution.get_partner_kind_display(), contribution.partner_name]
        agreed: list[Value] = [contribution.agreed_on, review.reference, "Contribution", *partner]
        dated.append((contribution.agreed_on, [*agreed, Amount(contribution.amount_pence), status]))
        if contribution.received_pence > 0:
            on = contribution.received_on
            receipt: list[Value] = [
                on,
                review.reference,
                RECEIPT,
                *partner,
                Amount(contribution.received_pence),
                status,
            ]
            dated.append((on or contribution.agreed_on, receipt))
    dated.sort(key=lambda line: line[0])
    return [cells for _, cells in dated]


def export_ledger(review: Review, *, actor: User, fmt: str, request: HttpRequest | None) -> Made:
    """A review's ledger, fetched with ``access_ledger``: its summary and entries (XLSX) or a journal (CSV)."""
    entries, contributions = _entries(review), _contributions(review)
    if fmt == "xlsx":
        content = _ledger_xlsx(review, actor, entries, contributions)
    else:
        content = _csv(JOURNAL, _journal(review, entries, contributions))
    count = len(entries) + len(contributions)
    _record(
        actor,
        request,
        target=review,
        partnership_id=review.partnership_id,
        what="ledger",
        format=fmt,
        count=count,
        review=review.pk,
    )
    return Made(content, count)


# A partnership's year -------------------------------------------------------------------------


def _year_row(row: ledgers.YearRow) -> list[Value]:
    return [
        row.title,
        Amount(row.budget),
        Amount(row.committed),
        Amount(row.actual),
        Amount(row.agreed),
        Amount(row.received),
    ]


def _year_title(partnership: Partnership, year: FinancialYear) -> str:
    return f"{partnership.name}: costs and contributions in {year.label}, {year.span}"


def _year_xlsx(partnership: Partnership, found: ledgers.YearView, actor: User) -> bytes:
    title = _year_title(partnership, found.year)
    workbook = _workbook()
    sheet = _Sheet(workbook, "Reviews", [30, 22, 14, 14, 22, 22])
    sheet.row([title], bold=True)
    sheet.row(
        [
            "Committed and actual costs by the date of the order or invoice; contributions by the date agreed or received."
        ]
    )
    sheet.blank()
    sheet.row(YEAR_REVIEWS, bold=True)
    for row in found.rows:
        sheet.row(_year_row(row))
    sheet.row(_year_row(found.total), bold=True)
    sheet = _Sheet(workbook, "By category", [30, 14, 14])
    sheet.row([title], bold=True)
    sheet.blank()
    sheet.row(["Category", "Committed", "Actual"], bold=True)
    for label, committed, actual in found.categories:
        sheet.row([label, Amount(committed), Amount(actual)])
    total = [sum(line[1] for line in found.categories), sum(line[2] for line in found.categories)]
    sheet.row(["Total", *(Amount(pence) for pence in total)], bold=True)
    sheet = _Sheet(workbook, "By partner", [30, 14, 14])
    sheet.row([title], bold=True)
    sheet.blank()
    sheet.row(["Partner", "Agreed", "Received"], bold=True)
    for partner in found.partners:
        sheet.row([partner.label, Amount(partner.agreed), Amount(partner.received)])
    agreed, received = sum(line.agreed for line in found.partners), sum(line.received for line in found.partners)
    sheet.row(["Total", Amount(agreed), Amount(received)], bold=True)
    _about(workbook, title, actor, [f"{len(found.rows):,} reviews"])
    return _saved(workbook)


def export_year(
    partnership: Partnership, year: FinancialYear, *, actor: User, fmt: str, request: HttpRequest | None
) -> Made:
    """A partnership's costs and contributions in a financial year, fetched with ``access_partnership``."""
    found = ledgers.year_view(partnership.pk, year)
    if fmt == "xlsx":
        content = _year_xlsx(partnership, found, actor)
    else:
        rows = [[year.label, *_year_row(row)] for row in [*found.rows, found.total]]
        content = _csv(YEAR_CSV, rows)
    _record(
        actor,
        request,
        target=partnership,
        partnership_id=partnership.pk,
        what="year",
        format=fmt,
        count=len(found.rows),
        year=year.label,
    )
    return Made(content, len(found.rows))
