"""Exports of applications and ledgers: XLSX to read, CSV to import, marked, neutralised, audited."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from dhr_tracker.accounts.models import Partnership, User
from dhr_tracker.funding import exports
from dhr_tracker.funding.models import (
    Application,
    ApplicationCost,
    ApplicationReview,
    ApplicationStatus,
    BudgetLine,
    Contribution,
    CostCategory,
    CostEntry,
    CostKind,
    FundingStream,
    Ledger,
    PartnerKind,
)
from dhr_tracker.reviews.exports import MARKING
from dhr_tracker.reviews.models import Review
from tests.conftest import EventLog
from tests.funding.conftest import POUND, FundingWorld

EVIL_DESCRIPTION = "=SUM(A1:A9)"
EVIL_PARTNER = "=cmd|' /C calc'!A0"
EVIL_NOTE = '=HYPERLINK("http://evil.example")'


# Rows made directly: the services that make them are tested elsewhere --------------------------


def applied(
    world: FundingWorld,
    *,
    partnership: Partnership | None = None,
    stream: FundingStream | None = None,
    reviews: list[Review] | None = None,
    status: str = ApplicationStatus.DRAFT,
) -> Application:
    """An application with a chair's and an author's cost, covering ``reviews``."""
    application = Application.objects.create(
        partnership=partnership or world.partnership,
        stream=stream or world.national,
        status=status,
        requested_pence=4_250 * POUND + 50,
        justification="Two reviews commenced in the year.",
        created_by=world.coordinator,
    )
    for review in [world.first, world.second] if reviews is None else reviews:
        ApplicationReview.objects.create(application=application, review=review)
    ApplicationCost.objects.create(
        application=application, category=CostCategory.CHAIR, amount_pence=1_250 * POUND + 50, note="Six meetings"
    )
    ApplicationCost.objects.create(
        application=application, category=CostCategory.AUTHOR, amount_pence=3_000 * POUND, note=EVIL_NOTE
    )
    return application


def paid(world: FundingWorld) -> Application:
    """A paid application, £4,000 awarded and shared between its two reviews."""
    application = applied(world, status=ApplicationStatus.PAID)
    today = timezone.localdate()
    Application.objects.filter(pk=application.pk).update(
        submitted_on=today - timedelta(days=30),
        decided_on=today - timedelta(days=20),
        awarded_pence=4_000 * POUND,
        conditions="Report on the spending by 31 March.",
        paid_on=today - timedelta(days=10),
        paid_pence=4_000 * POUND,
    )
    ApplicationReview.objects.filter(application=application).update(awarded_pence=2_000 * POUND)
    application.refresh_from_db()
    return application


def kept(world: FundingWorld) -> Ledger:
    """The ledger of ``first``: a budget, a commitment part settled, a cancelled cost, two contributions."""
    ledger = Ledger.objects.create(review=world.first)
    BudgetLine.objects.create(ledger=ledger, category=CostCategory.CHAIR, amount_pence=5_000 * POUND)
    BudgetLine.objects.create(ledger=ledger, category=CostCategory.AUTHOR, amount_pence=4_000 * POUND)
    start = world.last.start
    entry: dict[str, Any] = {"ledger": ledger, "recorded_by": world.coordinator}
    contract = CostEntry.objects.create(
        **entry,
        kind=CostKind.COMMITMENT,
        category=CostCategory.CHAIR,
        description="Chair's contract",
        supplier="Chairs Ltd",
        on=start + timedelta(days=10),
        amount_pence=3_000 * POUND,
    )
    CostEntry.objects.create(
        **entry,
        kind=CostKind.ACTUAL,
        category=CostCategory.CHAIR,
        description=EVIL_DESCRIPTION,
        supplier="Chairs Ltd",
        on=start + timedelta(days=40),
        amount_pence=1_250 * POUND + 50,
        against=contract,
    )
    CostEntry.objects.create(
        **entry,
        kind=CostKind.ACTUAL,
        category=CostCategory.VENUE,
        description="Room hire",
        on=start + timedelta(days=20),
        amount_pence=80 * POUND,
        cancelled_at=timezone.now(),
        cancelled_by=world.coordinator,
        cancel_reason="Entered twice",
    )
    Contribution.objects.create(
        ledger=ledger,
        partner_kind=PartnerKind.PCC,
        partner_name=EVIL_PARTNER,
        amount_pence=2_000 * POUND,
        agreed_on=start + timedelta(days=5),
        received_pence=1_500 * POUND,
        received_on=start + timedelta(days=60),
        recorded_by=world.coordinator,
    )
    Contribution.objects.create(
        ledger=ledger,
        partner_kind=PartnerKind.PARTNERSHIP,
        partner_name="Exampleshire CSP",
        amount_pence=3_000 * POUND,
        agreed_on=start + timedelta(days=5),
        recorded_by=world.coordinator,
    )
    return ledger


# Reading what was downloaded --------------------------------------------------------------------


def get(world: FundingWorld, user: User, name: str, *args: Any, query: str = "") -> Any:
    client: Client = world.client(user)
    return client.get(reverse(f"funding:{name}", args=args) + query)


def workbook(response: Any) -> openpyxl.Workbook:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.content))


def table(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def cells(sheet: Worksheet) -> list[list[Cell]]:
    return [list(row) for row in sheet.iter_rows()]


def labelled(sheet: Worksheet) -> dict[str, Cell]:
    """The value cell of each "label | value" line of a form."""
    return {row[0].value: row[1] for row in sheet.iter_rows(max_col=2) if isinstance(row[0].value, str)}


def money(cell: Cell, pence: int) -> None:
    """The cell is a number equal to ``pence`` in pounds exactly, formatted as pounds."""
    assert isinstance(cell.value, int | float), cell.value
    assert Decimal(str(cell.value)) == Decimal(pence) / 100
    assert cell.number_format == exports.POUNDS_FORMAT


def no_formulas(response: Any) -> None:
    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/"):
                sheet = package.read(name).decode()
                assert "<f>" not in sheet
                assert "<f " not in sheet


def text_not_formula(cell: Cell, value: str) -> None:
    assert cell.value == value
    assert cell.data_type == "s"
    assert cell.quotePrefix


def marked(book: openpyxl.Workbook) -> None:
    for sheet in book.worksheets:
        assert sheet.oddHeader.center.text == MARKING
        assert sheet.oddFooter.center.text == MARKING


def exported(security_events: EventLog) -> list[Any]:
    return [event for event in security_events.rows() if event.action == exports.EXPORTED]


# One application --------------------------------------------------------------------------------


def test_an_application_as_xlsx_is_a_funders_form_with_pounds_as_numbers(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    application = paid(world)
    response = get(world, world.coordinator, "application_export", application.pk, "xlsx")
    book = workbook(response)
    assert book.sheetnames == ["Application", "Reviews", "About"]
    marked(book)
    no_formulas(response)
    form = book["Application"]
    assert form["A1"].value == f"Application {application.pk} to Home Office: Domestic Homicide Review fund"
    fields = labelled(form)
    assert fields["Funder"].value == "Home Office"
    assert fields["Fund"].value == "Domestic Homicide Review fund"
    assert fields["Financial year"].value == world.last.label
    assert fields["Financial year runs"].value == world.last.span
    assert fields["Partnership"].value == world.partnership.name
    assert fields["Application number"].value == application.pk
    assert fields["Status"].value == "Paid"
    assert fields["Submitted on"].value.date() == application.submitted_on
    assert fields["Paid on"].value.date() == application.paid_on
    money(fields["Amount requested"], 4_250 * POUND + 50)
    money(fields["Amount awarded"], 4_000 * POUND)
    money(fields["Amount paid"], 4_000 * POUND)
    assert fields["Conditions"].value == "Report on the spending by 31 March."
    rows = cells(form)
    heading = next(index for index, row in enumerate(rows) if row[0].value == "Category")
    breakdown = rows[heading + 1 : heading + 1 + len(CostCategory) + 1]
    assert [row[0].value for row in breakdown] == [*CostCategory.labels, "Total"]
    money(breakdown[0][1], 1_250 * POUND + 50)
    assert breakdown[0][2].value == "Six meetings"
    money(breakdown[1][1], 3_000 * POUND)
    text_not_formula(breakdown[1][2], EVIL_NOTE)
    money(breakdown[2][1], 0)
    money(breakdown[-1][1], 4_250 * POUND + 50)
    justification = next(index for index, row in enumerate(rows) if row[0].value == "Justification")
    assert rows[justification + 1][0].value == "Two reviews commenced in the year."
    reviews = list(book["Reviews"].iter_rows(values_only=True))
    assert reviews[0] == ("Review", "Commenced on", "Share of award")
    assert [(row[0], row[1].date()) for row in reviews[1:]] == [
        (world.first.title, world.last.start),
        (world.second.title, world.last.end),
    ]
    money(book["Reviews"]["C2"], 2_000 * POUND)
    about = [row[0] for row in book["About"].iter_rows(values_only=True)]
    assert MARKING in about
    assert any(line.startswith(f"Made for {world.coordinator.full_name}") for line in about)
    assert response["Content-Disposition"].startswith(f'attachment; filename="application-{application.pk}.xlsx"')
    (event,) = exported(security_events)
    assert event.details == {"what": "application", "format": "xlsx", "count": 1, "application": application.pk}
    assert event.actor_id == world.coordinator.pk
    assert event.partnership_id == world.partnership.pk


def test_an_application_as_csv_is_one_row_a_category_and_a_total(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    application = applied(world)
    response = get(world, world.csp_chair, "application_export", application.pk, "csv")
    rows = table(response)
    assert rows[0] == list(exports.APPLICATION_CSV)
    common = [str(application.pk), world.partnership.name, "Home Office", "Domestic Homicide Review fund"]
    common += [world.last.label, "Draft"]
    assert rows[1] == [*common, "Independent chair", "1250.50", "Six meetings"]
    assert rows[2] == [*common, "Report author", "3000.00", "'" + EVIL_NOTE]
    assert rows[3] == [*common, "Advocacy", "0.00", ""]
    assert rows[-1] == [*common, "Total", "4250.50", ""]
    assert len(rows) == 1 + len(CostCategory) + 1
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    (event,) = exported(security_events)
    assert event.details == {"what": "application", "format": "csv", "count": 1, "application": application.pk}


# The applications list --------------------------------------------------------------------------


def test_the_applications_list_has_a_row_each_for_the_managed_partnerships_only(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    ours = paid(world)
    draft = applied(world, stream=world.local, reviews=[world.third])
    theirs = applied(world, partnership=world.personas.other_partnership, reviews=[world.lone])
    rows = table(get(world, world.coordinator, "applications_export", "csv"))
    assert rows[0] == list(exports.APPLICATIONS)
    by_number = {row[0]: row for row in rows[1:]}
    assert set(by_number) == {str(ours.pk), str(draft.pk)}
    assert by_number[str(ours.pk)] == [
        str(ours.pk),
        world.partnership.name,
        "Home Office",
        "Domestic Homicide Review fund",
        world.last.label,
        f"{world.first.title}; {world.second.title}",
        "Paid",
        "4250.50",
        "4000.00",
        "4000.00",
        ours.submitted_on.isoformat() if ours.submitted_on else "",
        ours.decided_on.isoformat() if ours.decided_on else "",
        ours.paid_on.isoformat() if ours.paid_on else "",
    ]
    assert by_number[str(draft.pk)][5:10] == [world.third.title, "Draft", "4250.50", "", ""]
    (event,) = exported(security_events)
    assert event.details == {
        "what": "applications",
        "format": "csv",
        "count": 2,
        "applications": [ours.pk, draft.pk],
        "partnerships": [world.partnership.pk],
    }
    # The other partnership's chair sees only theirs.
    theirs_only = table(get(world, world.personas.outsider, "applications_export", "csv"))
    assert [row[0] for row in theirs_only[1:]] == [str(theirs.pk)]


def test_the_applications_list_is_filtered_by_year_and_status(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    ours = paid(world)
    draft = applied(world, stream=world.local, reviews=[world.third])
    partnership = f"?partnership={world.partnership.pk}"
    this_year = table(get(world, world.coordinator, "applications_export", "csv", query=f"?year={world.this.label}"))
    assert [row[0] for row in this_year[1:]] == [str(draft.pk)]
    paid_only = table(get(world, world.coordinator, "applications_export", "csv", query=f"{partnership}&status=paid"))
    assert [row[0] for row in paid_only[1:]] == [str(ours.pk)]
    nothing = table(get(world, world.coordinator, "applications_export", "csv", query="?status=rejected"))
    assert nothing == [list(exports.APPLICATIONS)]
    events = exported(security_events)
    assert [event.details.get("year") for event in events] == [world.this.label, None, None]
    assert [event.details.get("status") for event in events] == [None, "paid", "rejected"]


def test_the_applications_list_as_xlsx_has_pounds_as_numbers(funding_world: FundingWorld) -> None:
    world = funding_world
    ours = paid(world)
    response = get(world, world.coordinator, "applications_export", "xlsx")
    book = workbook(response)
    marked(book)
    no_formulas(response)
    sheet = book["Applications"]
    assert [cell.value for cell in sheet[1]] == list(exports.APPLICATIONS)
    row = sheet[2]
    assert row[0].value == ours.pk
    money(row[7], 4_250 * POUND + 50)
    money(row[8], 4_000 * POUND)
    money(row[9], 4_000 * POUND)
    assert row[12].value.date() == ours.paid_on


def test_the_applications_list_costs_the_same_queries_however_many(
    funding_world: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = funding_world
    client = world.client(world.coordinator)
    url = reverse("funding:applications_export", args=["xlsx"])
    applied(world)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(8):
        applied(world)
        applied(world, stream=world.local, reviews=[world.third])
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(list(workbook(response)["Applications"].iter_rows())) == 1 + 17


# A review's ledger ------------------------------------------------------------------------------


def test_a_ledger_as_xlsx_has_its_summary_every_entry_and_every_contribution(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    kept(world)
    response = get(world, world.coordinator, "ledger_export", world.first.pk, "xlsx")
    book = workbook(response)
    assert book.sheetnames == ["Summary", "Entries", "Contributions", "About"]
    marked(book)
    no_formulas(response)
    summary = cells(book["Summary"])
    assert summary[0][0].value == f"{world.first.title}: ledger"
    lines = {row[0].value: row for row in summary if row[0].value in [*CostCategory.labels, "Total"]}
    chair = lines["Independent chair"]
    for cell, pence in zip(chair[1:7], [5_000_00, 3_000_00, 1_250_50, 1_749_50, 3_000_00, 2_000_00], strict=True):
        money(cell, pence)
    for cell, pence in zip(lines["Venue"][1:7], [0] * 6, strict=True):
        money(cell, pence)
    partners = next(index for index, row in enumerate(summary) if row[0].value == "Partner")
    partner_rows = summary[partners + 1 : partners + 1 + len(PartnerKind) + 1]
    assert [row[0].value for row in partner_rows] == [*PartnerKind.labels, "Total"]
    money(partner_rows[0][1], 3_000 * POUND)
    money(partner_rows[1][1], 2_000 * POUND)
    money(partner_rows[1][2], 1_500 * POUND)
    money(partner_rows[-1][1], 5_000 * POUND)
    money(partner_rows[-1][2], 1_500 * POUND)
    money(labelled(book["Summary"])["Forecast not met by agreed contributions"], -2_000 * POUND)
    # The category Total is the last line called Total above the partners.
    category_total = next(row for row in summary[:partners] if row[0].value == "Total")
    for cell, pence in zip(
        category_total[1:7], [9_000_00, 3_000_00, 1_250_50, 1_749_50, 3_000_00, 6_000_00], strict=True
    ):
        money(cell, pence)

    entries = cells(book["Entries"])
    assert [cell.value for cell in entries[0]] == list(exports.ENTRIES)
    assert [row[2].value for row in entries[1:]] == ["Commitment", "Actual cost", "Actual cost"]
    contract, cancelled, invoice = entries[1:]
    assert contract[1].value.date() == world.last.start + timedelta(days=10)
    money(contract[6], 3_000 * POUND)
    assert [cancelled[8].value, cancelled[10].value] == ["Cancelled", "Entered twice"]
    assert cancelled[9].value.date() == timezone.localdate()
    text_not_formula(invoice[4], EVIL_DESCRIPTION)
    assert invoice[7].value == f"Entry {contract[0].value}: Chair's contract"
    assert invoice[8].value == "Live"

    contributions = cells(book["Contributions"])
    assert [cell.value for cell in contributions[0]] == list(exports.CONTRIBUTIONS)
    pcc = next(row for row in contributions[1:] if row[0].value == "Police and crime commissioner")
    text_not_formula(pcc[1], EVIL_PARTNER)
    money(pcc[2], 2_000 * POUND)
    money(pcc[4], 1_500 * POUND)
    assert pcc[5].value.date() == world.last.start + timedelta(days=60)
    assert response["Content-Disposition"].startswith(f'attachment; filename="{world.first.reference}-ledger.xlsx"')
    (event,) = exported(security_events)
    assert event.details == {"what": "ledger", "format": "xlsx", "count": 5, "review": world.first.pk}
    assert event.target_id == str(world.first.pk)


def test_a_ledger_as_csv_is_a_journal_with_a_line_for_each_receipt(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    kept(world)
    rows = table(get(world, world.csp_chair, "ledger_export", world.first.pk, "csv"))
    assert rows[0] == list(exports.JOURNAL)
    start, reference = world.last.start, world.first.reference

    def day(days: int) -> str:
        return (start + timedelta(days=days)).isoformat()

    assert rows[1:] == [
        [day(5), reference, "Contribution", "Police and crime commissioner", "'" + EVIL_PARTNER, "2000.00", "live"],
        [day(5), reference, "Contribution", "The partnership", "Exampleshire CSP", "3000.00", "live"],
        [day(10), reference, "Commitment", "Independent chair", "Chair's contract", "3000.00", "live"],
        [day(20), reference, "Actual cost", "Venue", "Room hire", "80.00", "cancelled"],
        [day(40), reference, "Actual cost", "Independent chair", "'" + EVIL_DESCRIPTION, "1250.50", "live"],
        [day(60), reference, "Receipt", "Police and crime commissioner", "'" + EVIL_PARTNER, "1500.00", "live"],
    ]
    (event,) = exported(security_events)
    assert event.details == {"what": "ledger", "format": "csv", "count": 5, "review": world.first.pk}


def test_a_ledger_with_nothing_recorded_exports_as_nothing(funding_world: FundingWorld) -> None:
    world = funding_world
    book = workbook(get(world, world.coordinator, "ledger_export", world.third.pk, "xlsx"))
    summary = cells(book["Summary"])
    total = next(row for row in summary if row[0].value == "Total")
    for cell in total[1:7]:
        money(cell, 0)
    assert len(list(book["Entries"].iter_rows())) == 1
    assert table(get(world, world.coordinator, "ledger_export", world.third.pk, "csv")) == [list(exports.JOURNAL)]


# A partnership's year ---------------------------------------------------------------------------


def boundary(world: FundingWorld) -> None:
    """An invoice of ``second`` on 31 March of last year, another on 1 April of this year."""
    ledger = Ledger.objects.create(review=world.second)
    for on, pence in ((world.last.end, 100 * POUND), (world.this.start, 200 * POUND + 1)):
        CostEntry.objects.create(
            ledger=ledger,
            kind=CostKind.ACTUAL,
            category=CostCategory.LEGAL,
            description="Counsel's advice",
            on=on,
            amount_pence=pence,
            recorded_by=world.coordinator,
        )


def year_csv(world: FundingWorld, label: str) -> list[list[str]]:
    return table(get(world, world.coordinator, "partnership_ledger_export", world.partnership.pk, "csv", query=label))


def test_31_march_and_1_april_land_in_different_years(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    boundary(world)
    last = year_csv(world, f"?year={world.last.label}")
    this = year_csv(world, f"?year={world.this.label}")
    assert last[0] == list(exports.YEAR_CSV)
    assert last[1:] == [
        [world.last.label, world.second.title, "0.00", "0.00", "100.00", "0.00", "0.00"],
        [world.last.label, "Total", "0.00", "0.00", "100.00", "0.00", "0.00"],
    ]
    assert this[1:] == [
        [world.this.label, world.second.title, "0.00", "0.00", "200.01", "0.00", "0.00"],
        [world.this.label, "Total", "0.00", "0.00", "200.01", "0.00", "0.00"],
    ]
    details = [event.details for event in exported(security_events)]
    assert details == [
        {"what": "year", "format": "csv", "count": 1, "year": world.last.label},
        {"what": "year", "format": "csv", "count": 1, "year": world.this.label},
    ]


def test_a_year_as_xlsx_has_reviews_categories_and_partners_with_totals(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    kept(world)
    boundary(world)
    url = reverse("funding:partnership_ledger_export", args=[world.partnership.pk, "xlsx"])
    response = world.client(world.coordinator).get(f"{url}?year={world.last.label}")
    book = workbook(response)
    assert book.sheetnames == ["Reviews", "By category", "By partner", "About"]
    marked(book)
    no_formulas(response)
    title = f"{world.partnership.name}: costs and contributions in {world.last.label}, {world.last.span}"
    assert [book[name]["A1"].value for name in book.sheetnames[:3]] == [title] * 3
    reviews = cells(book["Reviews"])
    heading = next(index for index, row in enumerate(reviews) if row[0].value == "Review")
    assert [cell.value for cell in reviews[heading]] == list(exports.YEAR_REVIEWS)
    first, second, total = reviews[heading + 1 :]
    assert [first[0].value, second[0].value, total[0].value] == [world.first.title, world.second.title, "Total"]
    for cell, pence in zip(first[1:], [9_000_00, 3_000_00, 1_250_50, 5_000_00, 1_500_00], strict=True):
        money(cell, pence)
    money(second[3], 100 * POUND)
    money(total[3], 1_350_50)
    categories = {row[0].value: row for row in cells(book["By category"])}
    money(categories["Independent chair"][2], 1_250_50)
    money(categories["Legal"][2], 100 * POUND)
    money(categories["Venue"][2], 0)
    money(categories["Total"][1], 3_000_00)
    money(categories["Total"][2], 1_350_50)
    partners = {row[0].value: row for row in cells(book["By partner"])}
    money(partners["Police and crime commissioner"][2], 1_500 * POUND)
    money(partners["Total"][1], 5_000 * POUND)
    slug = world.partnership.slug
    assert response["Content-Disposition"].startswith(f'attachment; filename="{slug}-{world.last.label}-costs.xlsx"')
    (event,) = exported(security_events)
    assert event.details == {"what": "year", "format": "xlsx", "count": 2, "year": world.last.label}


def test_a_year_is_the_current_one_unless_asked(funding_world: FundingWorld) -> None:
    world = funding_world
    boundary(world)
    response = get(world, world.coordinator, "partnership_ledger_export", world.partnership.pk, "csv")
    assert f"{world.partnership.slug}-{world.this.label}-costs.csv" in response["Content-Disposition"]
    assert table(response)[-1] == [world.this.label, "Total", "0.00", "0.00", "200.01", "0.00", "0.00"]


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("partnership_ledger_export", "?year=2025-27"),
        ("partnership_ledger_export", "?year=last"),
        ("applications_export", "?year=2025"),
        ("applications_export", "?status=lost"),
        ("applications_export", "?partnership=one"),
    ],
)
def test_a_filter_that_cannot_be_read_is_a_bad_request(
    funding_world: FundingWorld, security_events: EventLog, name: str, query: str
) -> None:
    world = funding_world
    args = [world.partnership.pk, "csv"] if name == "partnership_ledger_export" else ["csv"]
    assert get(world, world.coordinator, name, *args, query=query).status_code == 400
    assert exported(security_events) == []


# Who may export ---------------------------------------------------------------------------------


def urls(world: FundingWorld, application: Application, fmt: str) -> list[str]:
    return [
        reverse("funding:application_export", args=[application.pk, fmt]),
        reverse("funding:ledger_export", args=[world.first.pk, fmt]),
        reverse("funding:partnership_ledger_export", args=[world.partnership.pk, fmt]),
    ]


@pytest.mark.parametrize("persona", ["outsider", "auditor", "contributor_a", "contributor_b", "site_admin"])
def test_anyone_but_the_partnerships_managers_gets_a_404(
    funding_world: FundingWorld, security_events: EventLog, persona: str
) -> None:
    world = funding_world
    application = paid(world)
    kept(world)
    client: Client = world.client(getattr(world.personas, persona))
    for fmt in ("xlsx", "csv"):
        for url in urls(world, application, fmt):
            assert client.get(url).status_code == 404, url
        mine = reverse("funding:applications_export", args=[fmt]) + f"?partnership={world.partnership.pk}"
        assert client.get(mine).status_code == 404
        if persona != "outsider":
            assert client.get(reverse("funding:applications_export", args=[fmt])).status_code == 404
    assert exported(security_events) == []


def test_a_manager_gets_a_404_for_another_partnerships_and_for_a_review_not_commenced(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    theirs = applied(world, partnership=world.personas.other_partnership, reviews=[world.lone])
    client = world.client(world.coordinator)
    other = world.personas.other_partnership.pk
    for url in (
        reverse("funding:application_export", args=[theirs.pk, "csv"]),
        reverse("funding:ledger_export", args=[world.lone.pk, "csv"]),
        reverse("funding:ledger_export", args=[world.pending.pk, "csv"]),
        reverse("funding:partnership_ledger_export", args=[other, "csv"]),
        reverse("funding:applications_export", args=["csv"]) + f"?partnership={other}",
        reverse("funding:application_export", args=[99999, "csv"]),
    ):
        assert client.get(url).status_code == 404, url
    assert exported(security_events) == []


@pytest.mark.parametrize("fmt", ["pdf", "docx", "XLSX", "json"])
def test_an_unknown_format_is_a_404(funding_world: FundingWorld, security_events: EventLog, fmt: str) -> None:
    world = funding_world
    application = applied(world)
    client = world.client(world.coordinator)
    for url in [*urls(world, application, fmt), reverse("funding:applications_export", args=[fmt])]:
        assert client.get(url).status_code == 404, url
    assert exported(security_events) == []
