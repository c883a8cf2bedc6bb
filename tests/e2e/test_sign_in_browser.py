"""A new user signs in, enrols and reaches the dashboard, exactly as in the README."""

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from dhr_tracker.accounts.demo import DEMO_PASSWORD
from dhr_tracker.accounts.models import BackupCodeDevice, User
from tests.conftest import enrol_device
from tests.e2e.conftest import CheckedPage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAIR = "csp-chair@exampleshire.example"


def demo_code(email: str) -> str:
    out = StringIO()
    call_command("demo_code", email, stdout=out)
    return out.getvalue().strip()


def sign_in_with_password(checked: CheckedPage, email: str, password: str = DEMO_PASSWORD) -> None:
    page = checked.page
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def verified_browser_user() -> tuple[str, list[str]]:
    """The demo chair, already enrolled, with their backup codes."""
    call_command("seed_demo", stdout=StringIO())
    user = User.objects.get(email=CHAIR)
    enrol_device(user)
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes")
    return CHAIR, device.issue_codes()


def test_demo_chair_signs_in_enrols_and_reaches_the_dashboard(checked_page: CheckedPage) -> None:
    call_command("seed_demo", stdout=StringIO())
    page = checked_page.page
    checked_page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/\?next=%2F$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    checked_page.check()

    sign_in_with_password(checked_page, CHAIR)
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator("svg.app-qr")).to_be_visible()
    checked_page.check()

    page.get_by_label("Code from your authenticator app").fill(demo_code(CHAIR))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Save your backup codes")).to_be_visible()
    expect(page.locator(".app-backup-codes li")).to_have_count(10)
    checked_page.check()

    page.get_by_role("link", name="I have saved my codes, continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("cell", name="CSP chair")).to_be_visible()
    expect(page.get_by_role("cell", name="Exampleshire Community Safety Partnership")).to_be_visible()
    checked_page.check()

    page.get_by_role("link", name=re.compile(r"Chris Chair\W+your account")).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    checked_page.check()

    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    checked_page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in/"))


def test_wrong_password_shows_the_error_summary(checked_page: CheckedPage) -> None:
    call_command("seed_demo", stdout=StringIO())
    checked_page.goto("/sign-in/")
    sign_in_with_password(checked_page, CHAIR, "not-the-password")
    page = checked_page.page
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a correct e-mail address and password")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    # govuk-frontend moves focus to the summary so screen readers announce it.
    expect(summary).to_be_focused()
    checked_page.check()


def test_returning_user_signs_in_with_a_backup_code(checked_page: CheckedPage, verified_browser_user: Any) -> None:
    email, codes = verified_browser_user
    checked_page.goto("/sign-in/")
    sign_in_with_password(checked_page, email)
    page = checked_page.page
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    checked_page.check()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("You have 9 backup codes left")).to_be_visible()
    checked_page.check()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
