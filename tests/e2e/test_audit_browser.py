"""An auditor signs in and finds who downloaded a document."""

from typing import Any

import pytest
from playwright.sync_api import expect

from audit.models import Outcome
from audit.trail import record
from tests.conftest import enrol_device
from tests.e2e.conftest import CheckedPage
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_auditor_finds_who_downloaded_a_document(checked_page: CheckedPage, personas: Any) -> None:
    # Documents arrive with the sharing app; it records downloads exactly like this.
    record(
        "document.downloaded",
        outcome=Outcome.ALLOWED,
        actor=personas.contributor_a,
        target_ref=("sharing.document", "42"),
        target_label="Police chronology v2",
        partnership_id=personas.partnership.pk,
        details={"version": 2},
    )
    device = enrol_device(personas.auditor)
    page = checked_page.page
    checked_page.goto("/sign-in/")
    page.get_by_label("E-mail address").fill(personas.auditor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(f"{device.totp().token():06d}")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("link", name="Audit trail").first.click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    checked_page.check()

    page.get_by_role("link", name="Search the audit trail").click()
    page.get_by_label("Target type").fill("sharing.document")
    page.get_by_label("Target id").fill("42")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row").filter(has_text="document.downloaded")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(personas.contributor_a.email)
    expect(row).to_contain_text("Agency A Police")
    checked_page.check()

    row.get_by_role("link", name="Police chronology v2").click()
    expect(page.get_by_role("row").filter(has_text="document.downloaded")).to_have_count(1)
    page.get_by_role("link", name=personas.contributor_a.email).first.click()
    expect(page.get_by_role("row").filter(has_text="Police chronology v2")).to_have_count(1)
    checked_page.check()
