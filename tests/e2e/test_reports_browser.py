"""A review goes from drafting its report to publication and closure through the browser.

The issue's "Done when" journey: the independent chair downloads the starting draft, uploads
version 1 of the overview report and the executive summary and circulates the overview to the
panel; the panel member comments on a section and the chair resolves it and closes the round; the
family's copy is shared and returned, the panel agrees and the CSP chair approves; the coordinator
records the Home Office submission and its letter (publish once two areas are done), completes
them, plans a recommendation with an action for agency A's contributor, and runs the
anonymisation check, which finds the victim's real name and date of birth until a clean PDF is
uploaded; the family is told and the CSP chair publishes; anyone, without signing in, downloads
the published PDF and its SHA-256 matches the page; the action's owner completes it, the review
moves to monitoring and the CSP chair closes it. Every page is checked for accessibility and CSP
violations.
"""

import re
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dhr_tracker.reports.models import Candidate, CandidateStatus, Publication, QASubmission
from dhr_tracker.reviews.lifecycle import State
from tests.e2e import reports_journey as journey
from tests.e2e import test_sharing_browser as sharing_browser
from tests.e2e.conftest import CheckedPage
from tests.e2e.test_sharing_browser import OpenPage, sign_in
from tests.reports import conftest as report_fixtures
from tests.reports.conftest import ReportWorld
from tests.reports.test_qa import join_space
from tests.reviews.conftest import VICTIM
from tests.sharing import conftest as sharing_fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_storage"),
]

# pytest looks for fixtures only in conftest files on a test's own path: the report tests' world,
# the secure space's storage, and the sharing journey's browser context per person.
review_world = report_fixtures.review_world
chronology_world = report_fixtures.chronology_world
report_world = report_fixtures.report_world
clean_storage = sharing_fixtures.clean_storage
open_page = sharing_browser.open_page

COMMENT = "Say more about the risk assessments agencies did not share."
RESPONSE = "Added a paragraph on the missed MARAC referral."
AREAS = ("Use the Appendix 4 layout for the action plan", "Name coercive control in the analysis")


def test_a_report_is_drafted_signed_off_assured_checked_published_and_its_review_closed(
    checked_page: CheckedPage,
    open_page: OpenPage,
    report_world: ReportWorld,
    tmp_path: Path,
) -> None:
    world = report_world
    review = world.review
    today = timezone.localdate()
    # Only members of the review's secure space upload into it: the coordinator joins, acting for agency A.
    join_space(world, world.coordinator)

    # 1. The independent chair downloads the starting draft, uploads version 1 of both reports and circulates one.
    chair = checked_page
    page = chair.page
    sign_in(chair, world.independent_chair)
    journey.go_to_section(chair, review, "Reports", "Overview report and executive summary")
    with page.expect_download() as started:
        page.get_by_role("link", name="starting draft of the overview report (DOCX)").click()
    draft = tmp_path / "starting-draft.docx"
    started.value.save_as(draft)
    assert started.value.failure() is None
    assert started.value.suggested_filename.endswith(".docx")
    assert any(paragraph.text.strip() for paragraph in docx.Document(str(draft)).paragraphs)

    uploads = {
        "overview report": journey.overview_docx(
            tmp_path / "overview-v1.docx", "Overview report, version 1.", *journey.CLEAN_TEXT
        ),
        "executive summary": journey.pdf(
            tmp_path / "summary-v1.pdf", "Executive summary, version 1.", *journey.CLEAN_TEXT
        ),
    }
    for label, file in uploads.items():
        page.get_by_role("link", name=f"Upload a new version of the {label}").click()
        expect(page.get_by_role("heading", name=f"Upload a new version of the {label}")).to_be_visible()
        chair.check()
        page.get_by_label("File", exact=True).set_input_files(file)
        page.get_by_label("What changed in this version (optional)").fill("The first full draft.")
        page.get_by_role("button", name="Upload", exact=True).click()
        expect(page.get_by_role("heading", name="Overview report and executive summary")).to_be_visible()
        table = page.get_by_role("table", name=f"Versions of the {label}")
        expect(table.get_by_role("cell", name=journey.sha256_of(file))).to_be_visible()
    chair.check()

    page.get_by_role("table", name="Versions of the overview report").get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", name="Overview report, version 1")).to_be_visible()
    chair.check()
    due_on = today + timedelta(days=14)
    page.get_by_label("Comments due by").fill(due_on.isoformat())
    page.get_by_label("Message to the panel (optional)").fill("Please comment by the due date.")
    page.get_by_role("button", name="Circulate for comments").click()
    expect(page.get_by_role("heading", name="Comments on the overview report, version 1")).to_be_visible()
    expect(page.get_by_text(f"{world.panel_member.full_name} (")).to_contain_text("can open this version")
    chair.check()
    round_url = page.url

    # 2. The panel member comments on a section; the chair resolves it with a response and closes the round.
    panel = open_page()
    panel_page = panel.page
    sign_in(panel, world.panel_member)
    journey.go_to_section(panel, review, "Reports", "Overview report and executive summary")
    panel_page.get_by_role("link", name="Overview report, version 1").click()
    expect(panel_page.get_by_role("heading", name="Comments on the overview report, version 1")).to_be_visible()
    panel.check()
    panel_page.get_by_label("Section", exact=True).select_option(label="Analysis")
    panel_page.get_by_label("Your comment").fill(COMMENT)
    panel_page.get_by_role("button", name="Add the comment").click()
    expect(panel_page.get_by_text(COMMENT)).to_be_visible()
    expect(panel_page.get_by_role("heading", name="Analysis", exact=True)).to_be_visible()
    panel.check()

    page.goto(round_url)
    expect(page.get_by_text(COMMENT)).to_be_visible()
    chair.check()
    page.get_by_label("Resolved", exact=True).check()
    page.get_by_label("Your response").fill(RESPONSE)
    page.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_text(RESPONSE)).to_be_visible()
    expect(page.locator(".govuk-tag", has_text="Resolved")).to_be_visible()
    page.get_by_role("button", name="Close the round to comments").click()
    expect(page.get_by_text(re.compile(r"^Closed .* by "))).to_be_visible()
    expect(page.get_by_text("0 comments awaiting the chair.", exact=False)).to_be_visible()
    chair.check()

    # 3. The family's copy is shared and returned; the panel agrees; the CSP chair approves.
    page.get_by_role("link", name="Version 1", exact=True).click()
    expect(page.get_by_role("heading", name="Overview report, version 1")).to_be_visible()
    page.get_by_label("Date shared").fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Record it", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Shared .* with the family$"))).to_be_visible()
    chair.check()
    page.get_by_label("Date returned").fill(today.isoformat())
    page.get_by_label("The family's response (optional)").fill("The family asked for Adult A's tribute to be kept.")
    page.get_by_role("button", name="Record its return").click()
    expect(page.get_by_text(f"Returned {today.day} {today:%B %Y}.")).to_be_visible()
    chair.check()

    journey.take_step(chair, review, "Share the draft with the family")
    journey.expect_stage(page, "With the family")
    journey.take_step(chair, review, "Ask the panel to sign off")
    journey.expect_stage(page, "Panel sign-off")
    journey.go_to_section(chair, review, "Reports", "Overview report and executive summary")
    page.get_by_role("link", name="Record the panel's agreement").click()
    expect(page.get_by_role("heading", name="Record the panel's agreement")).to_be_visible()
    chair.check()
    page.get_by_label("Who spoke for the panel").select_option(label=f"{world.panel_member.full_name} (panel member)")
    page.get_by_role("button", name="Record the panel's agreement").click()
    expect(page.get_by_role("heading", name="Panel agreement", exact=True)).to_be_visible()
    chair.check()
    journey.take_step(chair, review, "Ask the CSP to approve")
    journey.expect_stage(page, "CSP sign-off")

    csp_chair = open_page()
    csp_page = csp_chair.page
    sign_in(csp_chair, world.csp_chair)
    journey.go_to_section(csp_chair, review, "Reports", "Overview report and executive summary")
    csp_page.get_by_role("link", name="Approve the report for the partnership").click()
    expect(csp_page.get_by_role("heading", name="Approve the report for the partnership")).to_be_visible()
    expect(csp_page.get_by_text(re.compile(r"^The panel agreed overview report version 1"))).to_be_visible()
    csp_chair.check()
    csp_page.get_by_role("button", name="Approve the report").click()
    expect(csp_page.get_by_role("heading", name="CSP chair approval", exact=True)).to_be_visible()
    csp_chair.check()

    # 4. The coordinator records the submission to the Home Office, its letter, the areas done, and prepares.
    coordinator = open_page()
    coordinator_page = coordinator.page
    sign_in(coordinator, world.coordinator)
    journey.go_to_overview(coordinator, review)
    coordinator_page.get_by_role("link", name="Submit to the Home Office", exact=True).click()
    expect(
        coordinator_page.get_by_role("heading", name="Record the first submission to the Home Office")
    ).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_role("button", name="Record the submission").click()
    expect(coordinator_page.get_by_role("heading", name="Home Office quality assurance")).to_be_visible()
    expect(coordinator_page.get_by_role("heading", name="First submission")).to_be_visible()
    coordinator.check()

    letter = journey.pdf(
        tmp_path / "letter.pdf", "Home Office quality assurance panel.", "May be published once changes are made."
    )
    journey.go_to_overview(coordinator, review)
    journey.expect_stage(coordinator_page, "With the Home Office")
    coordinator_page.get_by_role("link", name="Record the quality assurance outcome", exact=True).click()
    expect(coordinator_page.get_by_role("heading", name="Record the Home Office's letter")).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_label("The letter", exact=True).set_input_files(letter)
    coordinator_page.get_by_label("Date the quality assurance panel met").fill(today.isoformat())
    coordinator_page.get_by_label("Date of the letter").fill(today.isoformat())
    coordinator_page.get_by_label("May be published once changes are made").check()
    coordinator_page.get_by_label("Strengths (optional)").fill("A clear account of the agencies' contact.")
    coordinator_page.get_by_label("Areas for final development").fill("\n".join(AREAS))
    coordinator_page.get_by_role("button", name="Record the letter").click()
    expect(coordinator_page.get_by_role("heading", name="Home Office quality assurance")).to_be_visible()
    expect(coordinator_page.get_by_text("Areas for final development (2 still to do)")).to_be_visible()
    coordinator.check()
    submission = QASubmission.objects.get(review=review)
    assert submission.letter is not None
    assert [area.text for area in submission.areas.order_by("number")] == list(AREAS)

    journey.take_step(coordinator, review, "Amend the report")
    journey.expect_stage(coordinator_page, "Amending")
    journey.go_to_section(coordinator, review, "Home Office", "Home Office quality assurance")
    for number, text in enumerate(AREAS, start=1):
        area = coordinator_page.get_by_role("listitem").filter(has_text=text)
        area.get_by_text(f"Mark area {number} as done").click()
        area.get_by_label("How the report addresses it").fill(f"Done in the revised report: {text.lower()}.")
        area.get_by_role("button", name="Mark as done").click()
        expect(coordinator_page.get_by_role("listitem").filter(has_text=text).locator(".govuk-tag")).to_have_text(
            "Done"
        )
        coordinator.check()
    expect(coordinator_page.get_by_text("Areas for final development (0 still to do)")).to_be_visible()
    journey.take_step(coordinator, review, "Prepare for publication")
    journey.expect_stage(coordinator_page, "Ready to publish")

    # 5. The coordinator adds a recommendation, with an action owned by agency A's contributor.
    owner = world.contributor_a
    target_on = today + timedelta(days=90)
    journey.go_to_section(coordinator, review, "Action plan", "Action plan")
    coordinator_page.get_by_role("link", name="Add a recommendation").click()
    expect(coordinator_page.get_by_role("heading", name="Add a recommendation")).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_label("Recommendation", exact=True).fill("Agencies share DASH risk assessments with MARAC.")
    coordinator_page.get_by_label("Local", exact=True).check()
    coordinator_page.get_by_label("No", exact=True).check()
    coordinator_page.get_by_label("Lead agency").select_option(label="Agency A Police")
    coordinator_page.get_by_label("Owner").select_option(
        label=f"{world.coordinator.full_name} ({world.coordinator.email})"
    )
    coordinator_page.get_by_label("Target date").fill(target_on.isoformat())
    coordinator_page.get_by_role("button", name="Add the recommendation").click()
    expect(coordinator_page.get_by_role("heading", name="Recommendation 1")).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_role("link", name="Add an action to recommendation 1").click()
    expect(coordinator_page.get_by_role("heading", name="Add an action to recommendation 1")).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_label("Action", exact=True).fill("Train call handlers to refer high-risk DASH cases.")
    coordinator_page.get_by_label("Lead agency").select_option(label="Agency A Police")
    coordinator_page.get_by_label("Owner").select_option(label=f"{owner.full_name} ({owner.email})")
    coordinator_page.get_by_label("Target date").fill(target_on.isoformat())
    coordinator_page.get_by_role("button", name="Add the action").click()
    expect(coordinator_page.get_by_role("heading", name="Action 1.1 of the action plan")).to_be_visible()
    expect(coordinator_page.get_by_text(f"{target_on.day} {target_on:%B %Y}").first).to_be_visible()
    coordinator.check()

    # 6. The anonymisation check finds the planted real name and date of birth, then passes the clean PDFs.
    journey.go_to_section(coordinator, review, "Publication", "Publication")
    coordinator_page.get_by_role("link", name="Upload of the overview report").click()
    expect(coordinator_page.get_by_role("heading", name="Check the overview report for publication")).to_be_visible()
    coordinator.check()
    planted = journey.overview_docx(tmp_path / "overview-for-publication.docx", *journey.PLANTED_TEXT)
    coordinator_page.get_by_label("Upload the file to publish").set_input_files(planted)
    coordinator_page.get_by_role("button", name="Upload and check").click()
    expect(coordinator_page.get_by_role("heading", name="Overview report: upload 1")).to_be_visible()
    expect(coordinator_page.get_by_role("heading", name="What the check found")).to_be_visible()
    marked = coordinator_page.locator("mark")
    expect(marked.filter(has_text="17 May 1980")).to_have_count(1)
    expect(marked.filter(has_text="Realname").first).to_be_visible()
    expect(coordinator_page.locator("p", has=marked.filter(has_text="17 May 1980"))).to_contain_text("was born on")
    coordinator.check()
    first = Candidate.objects.get(review=review, item="overview")
    assert first.status == CandidateStatus.HITS
    assert {"name", "birth_date"} <= {hit.kind for hit in first.hits.all()}
    assert any(VICTIM.name.split()[-1] in hit.found() for hit in first.hits.all())
    cards = coordinator_page.locator(".govuk-summary-card")
    for index in range(cards.count()):
        card = coordinator_page.locator(".govuk-summary-card").nth(index)
        card.get_by_label("Yes: it will be fixed in a new upload").check()
        card.get_by_role("button", name="Save this finding").click()
        expect(coordinator_page.locator(".govuk-summary-card").nth(index).locator(".govuk-tag")).to_have_text(
            "To be fixed in a new upload"
        )
    coordinator.check()

    corrected = journey.pdf(tmp_path / "overview.pdf", "Overview report.", *journey.CLEAN_TEXT)
    summary = journey.pdf(tmp_path / "summary.pdf", "Executive summary.", *journey.CLEAN_TEXT)
    coordinator_page.get_by_role("link", name="Upload a new version").click()
    coordinator_page.get_by_label("Upload the file to publish").set_input_files(corrected)
    coordinator_page.get_by_role("button", name="Upload and check").click()
    expect(coordinator_page.get_by_role("heading", name="Overview report: upload 2")).to_be_visible()
    expect(coordinator_page.get_by_text("The check found no real identifiers in this file.")).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_role("link", name="Back to publication").click()
    coordinator_page.get_by_role("link", name="Upload of the executive summary").click()
    expect(coordinator_page.get_by_role("heading", name="Check the executive summary for publication")).to_be_visible()
    coordinator_page.get_by_label("Upload the file to publish").set_input_files(summary)
    coordinator_page.get_by_role("button", name="Upload and check").click()
    expect(coordinator_page.get_by_role("heading", name="Executive summary: upload 1")).to_be_visible()
    expect(coordinator_page.get_by_text("The check found no real identifiers in this file.")).to_be_visible()
    coordinator.check()

    # 7. The coordinator records that the family was told; the CSP chair publishes.
    coordinator_page.get_by_role("link", name="Back to publication").click()
    coordinator_page.get_by_role("link", name="The family told").click()
    expect(
        coordinator_page.get_by_role("heading", name="Record that the family was told about the publication")
    ).to_be_visible()
    coordinator.check()
    coordinator_page.get_by_label("When was the family told?").fill(today.isoformat())
    coordinator_page.get_by_label("How were they told?").fill("In person, with their AAFDA advocate")
    coordinator_page.get_by_role("button", name="Save").click()
    expect(coordinator_page.get_by_role("heading", name="Publication", exact=True)).to_be_visible()
    expect(coordinator_page.get_by_role("heading", name="Before publishing")).to_have_count(0)
    coordinator.check()

    journey.go_to_section(csp_chair, review, "Publication", "Publication")
    csp_page.get_by_role("link", name="Publish", exact=True).click()
    expect(csp_page.get_by_role("heading", name="Publish the review")).to_be_visible()
    expect(csp_page.get_by_role("cell", name=journey.sha256_of(corrected))).to_be_visible()
    expect(csp_page.get_by_role("cell", name=journey.sha256_of(summary))).to_be_visible()
    csp_chair.check()
    csp_page.get_by_role("button", name="Publish", exact=True).click()
    expect(csp_page.get_by_role("heading", name="Published", exact=True)).to_be_visible()
    csp_chair.check()
    publication = Publication.objects.get(review=review)
    assert world.refresh().state == State.PUBLISHED

    # 8. Anyone, without signing in, finds the review and downloads the PDF whose SHA-256 the page shows.
    reader = open_page()
    reader_page = reader.page
    reader.goto("/published/")
    expect(reader_page.get_by_role("heading", name="Published reviews")).to_be_visible()
    reader.check()
    reader_page.get_by_role("link", name=publication.title, exact=True).click()
    expect(reader_page.get_by_role("heading", name=publication.title, exact=True)).to_be_visible()
    reader.check()
    rows = reader_page.get_by_role("table", name="Documents").locator("tbody tr")
    expect(rows).to_have_count(2)
    shown = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(2).inner_text() for row in rows.all()}
    assert shown == {
        "Executive summary (PDF)": journey.sha256_of(summary),
        "Overview report (PDF)": journey.sha256_of(corrected),
    }
    with reader_page.expect_download() as started:
        reader_page.get_by_role("link", name="Overview report (PDF)").click()
    downloaded = tmp_path / "published-overview.pdf"
    started.value.save_as(downloaded)
    assert started.value.failure() is None
    assert journey.sha256_of(downloaded) == shown["Overview report (PDF)"]

    # 9. The action's owner reports progress and completes it; the review is monitored, then closed.
    contributor = open_page()
    contributor_page = contributor.page
    sign_in(contributor, owner)
    contributor_page.get_by_role("link", name="See the actions of review action plans that you own").click()
    expect(contributor_page.get_by_role("heading", name="Your actions")).to_be_visible()
    contributor.check()
    contributor_page.get_by_role("link", name=re.compile(r"^Action 1\.1 of ")).click()
    expect(contributor_page.get_by_role("heading", name="Action 1.1 of the action plan")).to_be_visible()
    contributor.check()
    contributor_page.get_by_label("Progress note").fill("Training designed with the call handling team.")
    contributor_page.get_by_role("button", name="Save the update").click()
    expect(contributor_page.get_by_text("Training designed with the call handling team.")).to_be_visible()
    contributor.check()
    contributor_page.get_by_label("Progress note").fill("Every call handler is trained.")
    contributor_page.get_by_label("Completion date").fill(today.isoformat())
    contributor_page.get_by_label("Outcome", exact=True).fill("High-risk DASH cases now go to MARAC the same day.")
    contributor_page.get_by_role("button", name="Save the update").click()
    completed = contributor_page.locator(".govuk-summary-list__row").filter(has_text="Completed")
    expect(completed).to_contain_text("High-risk DASH cases now go to MARAC the same day.")
    contributor.check()

    journey.take_step(coordinator, review, "Monitor the action plan")
    journey.expect_stage(coordinator_page, "Monitoring actions")
    journey.take_step(csp_chair, review, "Close the review")
    journey.expect_stage(csp_page, "Closed")
    assert world.refresh().state == State.CLOSED
