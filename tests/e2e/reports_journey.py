"""Helpers of the reports browser journey: the files people upload, and the moves they repeat.

The files are built here, small and real: DOCX with python-docx and PDF with fpdf2, through the
builders the anonymisation tests use, so the check reads them exactly as it reads theirs.
"""

import hashlib
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from dhr_tracker.reviews.models import Review
from tests.e2e.conftest import CheckedPage
from tests.reports.test_candidates import CLEAN_TEXT, PLANTED_TEXT, docx_bytes, pdf_bytes

__all__ = ["CLEAN_TEXT", "PLANTED_TEXT"]

VICTIM_PSEUDONYM = "Adult A"


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def overview_docx(path: Path, *paragraphs: str) -> Path:
    return write(path, docx_bytes(*paragraphs))


def pdf(path: Path, *lines: str) -> Path:
    return write(path, pdf_bytes(*lines))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def go_to_overview(checked: CheckedPage, review: Review) -> None:
    """The review's overview page, where its next steps are."""
    checked.goto(f"/reviews/{review.pk}/")
    expect(checked.page.get_by_role("heading", name=VICTIM_PSEUDONYM, exact=True)).to_be_visible()
    checked.check()


def go_to_section(checked: CheckedPage, review: Review, section: str, heading: str) -> None:
    """A section of the review, through the review's navigation from its overview."""
    go_to_overview(checked, review)
    page = checked.page
    page.get_by_role("navigation", name="Review sections").get_by_role("link", name=section, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    checked.check()


def take_step(checked: CheckedPage, review: Review, label: str) -> None:
    """Follow a next step's button from the overview, check its page and take it."""
    go_to_overview(checked, review)
    page = checked.page
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()
    checked.check()
    page.get_by_role("button", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(r"/reviews/\d+/$"))


def expect_stage(page: Page, stage: str) -> None:
    """The stage in the review's header."""
    expect(page.locator("p:has-text('Stage:') > .govuk-tag")).to_have_text(stage)
