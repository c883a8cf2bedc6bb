"""An agency's chronology goes from the template to the combined chronology through the browser.

The issue's "Done when" journey: agency A's contributor downloads the template, fills it in,
uploads it with a deliberate error and sees the row and column named, corrects it and submits;
the coordinator returns it with a comment; the contributor corrects version 2 and submits it and
the coordinator accepts it; the independent chair sees the combined chronology of three agencies
in date order and exports it; agency B's contributor, on the same review, gets a 404 for all of
agency A's work and for the unreleased combined chronology. Every page is checked for
accessibility and CSP violations.
"""

import io
import re
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.chronologies.models import Submission
from dhr_tracker.chronologies.services import submissions
from dhr_tracker.chronologies.services.submissions import EntryFields
from tests.chronologies import conftest as chronology_fixtures
from tests.chronologies.conftest import ChronologyWorld
from tests.e2e import test_sharing_browser as sharing_browser
from tests.e2e.conftest import CheckedPage
from tests.e2e.test_sharing_browser import OpenPage, sign_in
from tests.reviews import conftest as review_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# pytest looks for fixtures only in conftest files on a test's own path.
review_world = review_fixtures.review_world
chronology_world = chronology_fixtures.chronology_world
open_page = sharing_browser.open_page

# Agency A's rows as the contributor types them into the template; the second has a date that cannot be.
ROWS = [
    (
        "31/12/2019",
        "14:30",
        "victim",
        "CAD-101",
        "Response officer",
        "Called to the address after a 999 call",
        "DASH: high risk",
        "DASH high risk; MARAC referral",
    ),
    ("32/13/2019", "", "perpetrator", "PNC-7", "Intelligence officer", "Warning marker added", "", ""),
    (
        "2021",
        "",
        "victim",
        "CAD-240",
        "Call handler",
        "Welfare check requested by a neighbour",
        "No answer at the door",
        "",
    ),
]
FIXED_DATE = "Dec 2019"


def fill_template(downloaded: Path, rows: Sequence[Sequence[str]], target: Path) -> Path:
    workbook = openpyxl.load_workbook(downloaded)
    sheet = workbook["Chronology"]
    for row in rows:
        sheet.append(list(row))
    workbook.save(target)
    return target


def accepted(world: ChronologyWorld, agency: Agency, contributor: User, lines: list[tuple[str, str, str]]) -> None:
    """Another agency's chronology, sent, filled in, submitted and accepted through the services."""
    draft = submissions.start_draft(world.send(agency), actor=contributor, request=None)
    for on, subject, event in lines:
        fields = EntryFields(on, "", subject, "", "", event, "", ())
        submissions.add_entry(draft, actor=contributor, fields=fields, request=None)
    version = submissions.submit(draft, actor=contributor, version=None, request=None)
    submissions.accept(version, actor=world.coordinator, comments="", version=None, request=None)


def test_a_chronology_is_imported_returned_corrected_accepted_and_combined(
    checked_page: CheckedPage, open_page: OpenPage, chronology_world: ChronologyWorld, tmp_path: Path
) -> None:
    world = chronology_world
    agency_request = world.send(world.agency_a)
    accepted(world, world.agency_b, world.contributor_b, [("15/06/2020", "victim", "GP appointment: anxiety")])
    housing, housing_contributor = world.add_agency("Agency C Housing")
    accepted(world, housing, housing_contributor, [("2019", "perpetrator", "Tenancy warning for noise")])

    # 1. Agency A's contributor finds the request, starts the chronology and downloads the template.
    contributor = checked_page
    page = contributor.page
    sign_in(contributor, world.contributor_a)
    contributor.goto(f"/requests/{agency_request.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Chronology from Agency A Police"))).to_be_visible()
    contributor.check()
    page.get_by_role("button", name="Start the chronology").click()
    expect(page.get_by_role("heading", name="Chronology from Agency A Police, version 1")).to_be_visible()
    contributor.check()
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel workbook (XLSX)").first.click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    # 2. The file with a deliberate error: nothing is imported, and the row and column are named.
    page.get_by_role("link", name="Import from a file").click()
    expect(page.get_by_role("heading", name="Import the chronology from a file")).to_be_visible()
    contributor.check()
    page.get_by_label("Upload your chronology").set_input_files(fill_template(template, ROWS, tmp_path / "a.xlsx"))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_text(re.compile("Nothing was imported: 1 problem in the file"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Row 3, Date: "))).to_be_visible()
    contributor.check()
    assert not Submission.objects.get(request=agency_request).entries.exists()

    # 3. The corrected file is imported whole, and submitted.
    corrected = [ROWS[0], (FIXED_DATE, *ROWS[1][1:]), ROWS[2]]
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_label("Upload your chronology").set_input_files(fill_template(template, corrected, tmp_path / "b.xlsx"))
    page.get_by_role("button", name="Upload and import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    contributor.check()
    page.get_by_role("link", name="go back to version 1").click()
    expect(page.get_by_text("3 entries, in date order.")).to_be_visible()
    page.get_by_role("link", name="Submit the chronology").click()
    contributor.check()
    page.get_by_role("button", name="Submit the chronology").click()
    expect(page.locator(".govuk-summary-list").get_by_text("Submitted", exact=True).first).to_be_visible()

    # 4. The coordinator returns it with a comment.
    coordinator = open_page()
    coordinator_page = coordinator.page
    sign_in(coordinator, world.coordinator)
    version_1 = Submission.objects.get(request=agency_request, number=1)
    coordinator.goto(f"/submissions/{version_1.pk}/")
    coordinator.check()
    coordinator_page.get_by_role("link", name="Return it with comments").click()
    coordinator.check()
    coordinator_page.get_by_label("Comments for the agency").fill("Give the time of the welfare check in 2021.")
    coordinator_page.get_by_role("button", name="Return with comments").click()
    expect(coordinator_page.get_by_text("Give the time of the welfare check in 2021.")).to_be_visible()

    # 5. The contributor sees the comment, corrects version 2 and submits it.
    contributor.goto(f"/requests/{agency_request.pk}/")
    expect(page.get_by_text("Returned with comments").first).to_be_visible()
    contributor.check()
    page.get_by_role("link", name="Continue the draft, version 2").click()
    expect(page.get_by_role("heading", name="Chronology from Agency A Police, version 2")).to_be_visible()
    expect(page.get_by_text("3 entries, in date order.")).to_be_visible()
    page.get_by_role("link", name="Change the entry of 2021").click()
    contributor.check()
    page.get_by_label("Date").fill("03/04/2021")
    page.get_by_label("Time (optional)").fill("10:15")
    page.get_by_role("button", name=re.compile("Save")).click()
    expect(page.get_by_role("cell", name="3 Apr 2021 10:15")).to_be_visible()
    page.get_by_role("link", name="See what changed since version 1").click()
    expect(page.get_by_text("Welfare check requested by a neighbour").first).to_be_visible()
    contributor.check()
    page.go_back()
    page.get_by_role("link", name="Submit the chronology").click()
    page.get_by_role("button", name="Submit the chronology").click()

    # 6. The coordinator accepts version 2.
    version_2 = Submission.objects.get(request=agency_request, number=2)
    coordinator.goto(f"/submissions/{version_2.pk}/")
    coordinator_page.get_by_role("link", name="Accept the chronology").click()
    coordinator.check()
    coordinator_page.get_by_role("button", name="Accept the chronology").click()
    expect(coordinator_page.get_by_text("Accepted", exact=True).first).to_be_visible()

    # 7. The independent chair sees three agencies' entries in date order, and exports them.
    chair = open_page()
    chair_page = chair.page
    sign_in(chair, world.independent_chair)
    chair.goto(f"/reviews/{world.review.pk}/")
    chair_page.get_by_role("link", name="Combined chronology").click()
    expect(chair_page.get_by_role("heading", name="Combined chronology")).to_be_visible()
    expect(chair_page.get_by_text("5 entries from 3 agencies")).to_be_visible()
    chair.check()
    rows = chair_page.get_by_role("table", name=re.compile("^Entries in date order")).locator("tbody tr")
    expected = [
        ("2019", "Agency C Housing"),
        ("Dec 2019", "Agency A Police"),
        ("31 Dec 2019, 14:30", "Agency A Police"),
        ("15 Jun 2020", "Agency B Health"),
        ("3 Apr 2021, 10:15", "Agency A Police"),
    ]
    assert [
        (row.locator("td").nth(0).inner_text(), row.locator("td").nth(1).inner_text()) for row in rows.all()
    ] == expected
    with chair_page.expect_download() as download:
        chair_page.get_by_role("link", name="Download every entry as Excel (XLSX)").click()
    exported = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    sheet = exported.worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0]]
    agencies = [row[2] for row in values if row[2] in {"Agency A Police", "Agency B Health", "Agency C Housing"}]
    assert agencies == [agency for _, agency in expected]

    # 8. Agency B's contributor, on the same review, sees none of agency A's work: 404 everywhere.
    other = open_page()
    sign_in(other, world.contributor_b)
    for path in (
        f"/requests/{agency_request.pk}/",
        f"/submissions/{version_1.pk}/",
        f"/submissions/{version_2.pk}/",
        f"/reviews/{world.review.pk}/combined/",
        f"/reviews/{world.review.pk}/combined/export/xlsx/",
    ):
        response = other.page.request.get(other.base_url + path)
        assert response.status == 404, path
