"""Helpers of the funding browser journey: the moves people repeat and the tables they read."""

from datetime import date

from playwright.sync_api import Page, expect

from dhr_tracker.reviews.models import Review
from tests.e2e.conftest import CheckedPage
from tests.reviews.conftest import VICTIM

DEADLINES = "Funds open today that your partnership may apply to, soonest closing first"
ELIGIBLE = "This application can be submitted."
NOT_YET = "This application cannot be submitted yet:"


def day(value: date) -> str:
    """A date as the pages write it: "1 April 2025"."""
    return f"{value.day} {value:%B %Y}"


def table(page: Page, caption: str) -> dict[str, list[str]]:
    """The body of the table named ``caption``: each row's first cell, with the cells after it."""
    rows = page.get_by_role("table", name=caption, exact=True).locator("tbody tr")
    read: dict[str, list[str]] = {}
    for row in rows.all():
        cells = [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        read[cells[0]] = cells[1:]
    return read


def eligibility_failures(page: Page) -> list[str]:
    """The rules the detail page's eligibility check says fail, in its order."""
    expect(page.get_by_text(NOT_YET)).to_be_visible()
    return [
        text.strip()
        for text in page.locator("#eligibility ~ ul.govuk-list--bullet").first.locator("li").all_inner_texts()
    ]


def open_fund_from_dashboard(checked: CheckedPage, fund: str) -> None:
    """From the dashboard's funding deadlines, the fund's page."""
    checked.goto("/")
    page = checked.page
    expect(page.get_by_role("heading", name="Funding deadlines")).to_be_visible()
    checked.check()
    page.get_by_role("table", name=DEADLINES).get_by_role("link", name=fund, exact=True).click()
    expect(page.get_by_role("heading", name=fund, exact=True)).to_be_visible()
    checked.check()


def start_application(checked: CheckedPage, fund: str) -> None:
    """Apply from the fund's page, start the draft and arrive at its form."""
    page = checked.page
    page.get_by_role("link", name=f"Apply to {fund}").click()
    expect(page.get_by_role("heading", name="Start an application")).to_be_visible()
    checked.check()
    page.get_by_role("button", name="Start the application").click()
    expect(page.get_by_role("heading", name="Change the application")).to_be_visible()
    checked.check()


def choose_reviews(page: Page, chosen: dict[Review, date], *, unchosen: dict[Review, date] | None = None) -> None:
    """Tick the reviews ``chosen`` (and untick ``unchosen``), each labelled with its commencement date."""
    for review, commenced_on in chosen.items():
        page.get_by_role("checkbox", name=f"{review.title}, commenced on {day(commenced_on)}").check()
    for review, commenced_on in (unchosen or {}).items():
        page.get_by_role("checkbox", name=f"{review.title}, commenced on {day(commenced_on)}").uncheck()


def fill_amounts(page: Page, amounts: dict[str, str]) -> None:
    """Type each amount into the field labelled exactly so."""
    for label, typed in amounts.items():
        page.get_by_label(label, exact=True).fill(typed)


def save_application(checked: CheckedPage) -> None:
    """Save the draft and arrive at its detail page."""
    page = checked.page
    page.get_by_role("button", name="Save the application").click()
    expect(page.get_by_role("heading", name="Eligibility")).to_be_visible()
    checked.check()


def expect_status(page: Page, status: str) -> None:
    """The status tag under the application's heading."""
    expect(page.locator("h1 + p .govuk-tag")).to_have_text(status)


def go_to_ledger(checked: CheckedPage, review: Review) -> None:
    """The review's cost ledger, through its sections from its overview."""
    checked.goto(f"/reviews/{review.pk}/")
    page = checked.page
    expect(page.get_by_role("heading", name=VICTIM.pseudonym, exact=True)).to_be_visible()
    checked.check()
    page.get_by_role("navigation", name="Review sections").get_by_role("link", name="Funding and costs").click()
    expect(page.get_by_role("heading", name="Funding and costs", exact=True)).to_be_visible()
    checked.check()


def set_budget(checked: CheckedPage, amounts: dict[str, str]) -> None:
    """From the ledger, set the budget of each category given; back on the ledger."""
    page = checked.page
    page.get_by_role("link", name="Set the budget").click()
    expect(page.get_by_role("heading", name="Set the budget")).to_be_visible()
    checked.check()
    fill_amounts(page, amounts)
    page.get_by_role("button", name="Save the budget").click()
    expect(page.get_by_role("heading", name="Funding and costs", exact=True)).to_be_visible()
    checked.check()


def add_actual_cost(checked: CheckedPage, *, category: str, description: str, on: date, amount: str) -> None:
    """From the ledger, record an invoice paid; back on the ledger."""
    page = checked.page
    page.get_by_role("link", name="Add a cost").click()
    expect(page.get_by_role("heading", name="Add a commitment or an actual cost")).to_be_visible()
    checked.check()
    page.get_by_label("Actual cost", exact=True).check()
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Description").fill(description)
    page.get_by_label("Date", exact=True).fill(on.isoformat())
    page.get_by_label("The amount", exact=True).fill(amount)
    page.get_by_role("button", name="Add the cost").click()
    expect(page.get_by_role("heading", name="Funding and costs", exact=True)).to_be_visible()
    checked.check()
