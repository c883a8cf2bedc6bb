"""An agency shares a large document through the browser; the recipient downloads it; access ends.

The issue's journey end to end: contributor A uploads a 50 MB file and watches it go, shares it
with contributor B, B downloads it and the SHA-256 matches the receipt A was shown, A revokes,
B is refused, and the partnership's auditor finds both the download and the revocation.
"""

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from dhr_tracker.accounts.models import TOTPDevice, User
from sharing.models import Document, VersionStatus
from tests.conftest import enrol_device
from tests.e2e.conftest import AXE, CheckedPage
from tests.factories import PASSWORD
from tests.sharing import conftest as sharing_fixtures
from tests.sharing.conftest import World, upload
from tests.sharing.samples import sample

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_storage"),
]

LARGE_SIZE = 50 * 1024**2
# Generous: 50 MB is encrypted on the way in and decrypted and checked on the way out.
TRANSFER_TIMEOUT_MS = 120_000

# Reports each status the progress panel announces, with the bar's value at that moment. An init
# script runs outside the page's CSP, and the exposed function outlives the navigation the
# upload ends with, so nothing depends on polling a panel that is gone a moment later.
WATCH_UPLOAD_PROGRESS = """
new MutationObserver(() => {
  const status = document.querySelector(".app-upload-progress [aria-live]");
  if (!status || !status.textContent || status.textContent === window.__lastUploadStatus) return;
  window.__lastUploadStatus = status.textContent;
  const bar = document.querySelector("progress#upload-progress");
  window.reportUploadStatus(status.textContent, bar ? bar.value : null);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""

OpenPage = Callable[..., CheckedPage]

# pytest looks for fixtures only in conftest files on a test's own path; these are the sharing tests'.
world = sharing_fixtures.world
clean_storage = sharing_fixtures.clean_storage


@pytest.fixture
def open_page(browser: Browser, live_server: Any) -> Iterator[OpenPage]:
    """Open a page in a browser context of its own: another person, another set of cookies."""
    contexts = []

    def make(**options: Any) -> CheckedPage:
        context = browser.new_context(**options)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        return CheckedPage(context.new_page(), live_server.url)

    yield make
    for context in contexts:
        context.close()


def sign_in(checked: CheckedPage, user: User) -> None:
    """Sign in with the password and a current code from the user's authenticator app."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or enrol_device(user)
    page = checked.page
    checked.goto("/sign-in/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(f"{device.totp().token():06d}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1024**2), b""):
            digest.update(block)
    return digest.hexdigest()


def large_pdf(path: Path) -> Path:
    """50 MB that sniffs as a PDF: the header, then random bytes, so any corruption changes the hash."""
    header = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    with path.open("wb") as file:
        file.write(header)
        remaining = LARGE_SIZE - len(header)
        while remaining:
            block = os.urandom(min(remaining, 4 * 1024**2))
            file.write(block)
            remaining -= len(block)
    return path


def fill_upload_form(page: Page, file: Path, title: str) -> None:
    page.get_by_label("File", exact=True).set_input_files(file)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("OFFICIAL", exact=True).check()
    page.get_by_role("button", name="Upload document").click()


def test_contributor_shares_a_large_document_that_the_recipient_downloads_until_revoked(
    checked_page: CheckedPage, open_page: OpenPage, world: World, tmp_path: Path
) -> None:
    space = world.space()
    people = world.personas
    file = large_pdf(tmp_path / "chronology.pdf")
    receipt = sha256_of(file)

    # Contributor A uploads the file and watches the progress bar.
    sign_in(checked_page, people.contributor_a)
    uploader = checked_page.page
    statuses: list[tuple[str, float | None]] = []
    uploader.expose_function("reportUploadStatus", lambda text, value: statuses.append((text, value)))
    uploader.add_init_script(script=WATCH_UPLOAD_PROGRESS)
    checked_page.goto(reverse("sharing:space", args=[space.pk]))
    expect(uploader.get_by_role("heading", name="Review 2026-01")).to_be_visible()
    checked_page.check()
    uploader.get_by_role("link", name="Upload a document").click()
    expect(uploader.get_by_role("heading", name="Upload a document")).to_be_visible()
    checked_page.check()
    fill_upload_form(uploader, file, "Police chronology")

    expect(uploader).to_have_url(re.compile(r"/sharing/documents/\d+/$"), timeout=TRANSFER_TIMEOUT_MS)
    document = Document.objects.get(title="Police chronology")
    version = document.versions.get()
    assert version.status == VersionStatus.AVAILABLE
    assert version.sha256 == receipt
    expect(uploader.get_by_role("heading", name="Police chronology")).to_be_visible()
    expect(uploader.locator("code.app-hash")).to_have_text(receipt)
    checked_page.check()
    texts = [text for text, _ in statuses]
    assert any(re.fullmatch(r"\d{1,3}% uploaded", text) for text in texts), texts
    assert "100% uploaded" in texts, texts
    assert texts[-1] == "Upload complete. Checking the file…", texts
    # The bar itself was on the page, and moved with the announcements.
    assert all(value is not None for _, value in statuses), statuses
    assert max(value or 0 for _, value in statuses) == 100, statuses

    # A shares it with B.
    uploader.get_by_label("Share with").select_option(f"user:{people.contributor_b.pk}")
    uploader.get_by_role("button", name="Share").click()
    grant_row = uploader.get_by_role("row").filter(has_text=people.contributor_b.full_name)
    expect(grant_row).to_contain_text("Until revoked")
    checked_page.check()

    # B downloads it; what arrives is exactly what A uploaded.
    recipient = open_page()
    sign_in(recipient, people.contributor_b)
    document_path = reverse("sharing:document", args=[document.pk])
    recipient.goto(document_path)
    expect(recipient.page.get_by_role("heading", name="Police chronology")).to_be_visible()
    expect(recipient.page.get_by_role("heading", name="Shared with")).to_have_count(0)
    expect(recipient.page.locator("code.app-hash")).to_have_text(receipt)
    recipient.check()
    with recipient.page.expect_download(timeout=TRANSFER_TIMEOUT_MS) as started:
        recipient.page.get_by_role("link", name="Download version 1", exact=True).click()
    download = started.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert download.failure() is None
    assert download.suggested_filename == "chronology.pdf"
    assert saved.stat().st_size == LARGE_SIZE
    assert sha256_of(saved) == receipt

    # A revokes; B's next request, for the file or the page, is refused.
    uploader.get_by_role("button", name=f"Revoke access for {people.contributor_b.full_name}").click()
    expect(uploader.get_by_text("Nobody else can open it.")).to_be_visible()
    checked_page.check()
    download_url = checked_page.base_url + reverse("sharing:version_download", args=[document.pk, version.pk])
    refused = recipient.page.context.request.get(download_url)
    assert refused.status == 404
    assert refused.headers["content-type"].startswith("text/html")
    recipient.page.reload()
    expect(recipient.page.get_by_role("heading", name="Page not found")).to_be_visible()
    recipient.check()

    # The auditor finds both events against the document.
    auditor = open_page()
    sign_in(auditor, people.auditor)
    page = auditor.page
    page.get_by_role("link", name="Audit trail").first.click()
    page.get_by_role("link", name="Search the audit trail").click()
    page.get_by_label("Target type").fill("sharing.document")
    page.get_by_label("Target id").fill(str(document.pk))
    page.get_by_role("button", name="Search").click()
    downloaded = page.get_by_role("row").filter(has_text="sharing.document_downloaded")
    expect(downloaded).to_have_count(1)
    expect(downloaded).to_contain_text(people.contributor_b.email)
    expect(downloaded).to_contain_text("Agency B Health")
    # Titles may name the victim, so the trail labels documents by number only.
    expect(downloaded).to_contain_text(f"Document {document.pk}")
    revoked = page.get_by_role("row").filter(has_text="sharing.access_revoked")
    expect(revoked).to_have_count(1)
    expect(revoked).to_contain_text(people.contributor_a.email)
    expect(revoked).to_contain_text("Agency A Police")
    auditor.check()


def test_sharing_pages_pass_accessibility_and_csp_checks_for_the_coordinator(
    checked_page: CheckedPage, world: World, verified_client: Callable[..., Client]
) -> None:
    """The coordinator runs the space but reads no document: its page is refused, and says so plainly."""
    space = world.space()
    people = world.personas
    response = upload(verified_client(people.contributor_a), space, sample("pdf"))
    assert response.status_code == 302
    document = Document.objects.get(title="Police chronology")

    sign_in(checked_page, people.coordinator)
    page = checked_page.page
    page.get_by_role("link", name="Information sharing").click()
    expect(page.get_by_role("heading", name="Information-sharing protocols")).to_be_visible()
    checked_page.check()
    page.get_by_role("link", name="Exampleshire DHR information sharing").click()
    expect(page.get_by_role("heading", name="Exampleshire DHR information sharing")).to_be_visible()
    checked_page.check()
    page.get_by_role("link", name="Review 2026-01").click()
    expect(page.get_by_role("heading", name="Review 2026-01")).to_be_visible()
    expect(page.get_by_role("cell", name=f"Document {document.pk}", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Remove"))).to_have_count(2)
    checked_page.check()

    checked_page.goto(reverse("sharing:document", args=[document.pk]))
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    checked_page.check()


def test_upload_works_without_javascript(open_page: OpenPage, world: World, tmp_path: Path) -> None:
    space = world.space()
    content = sample("pdf")
    file = tmp_path / "chronology.pdf"
    file.write_bytes(content)

    # axe needs JavaScript, so this page is not checked; the same pages are checked with it above.
    no_script = open_page(java_script_enabled=False)
    sign_in(no_script, world.personas.contributor_a)
    page = no_script.page
    no_script.goto(reverse("sharing:document_upload", args=[space.pk]))
    expect(page.get_by_role("heading", name="Upload a document")).to_be_visible()
    fill_upload_form(page, file, "Police chronology")

    expect(page).to_have_url(re.compile(r"/sharing/documents/\d+/$"))
    expect(page.locator("progress#upload-progress")).to_have_count(0)
    expect(page.get_by_role("heading", name="Police chronology")).to_be_visible()
    expect(page.locator("code.app-hash")).to_have_text(hashlib.sha256(content).hexdigest())
    expect(page.get_by_role("link", name="Download version 1", exact=True)).to_be_visible()
