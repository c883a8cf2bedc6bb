"""A review goes from notification to information gathering through the browser, as its people run it.

The issue's "Done when" journey: the CSP coordinator records a second death of the partnership,
takes it to the CSP chair, who commissions a review; the Home Office is told; the coordinator
opens the secure space, appoints and confirms the independent chair and forms the panel; the terms
of reference are drafted, agreed and approved, and downloaded as a PDF; the CSP chair pauses the
review for a criminal trial and resumes it; the independent chair starts gathering information.
The stage, the RAG status, the deadlines and the timeline are checked at every step, and every
page is checked for accessibility and CSP violations.
"""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from dhr_tracker.reviews.models import Participant, ParticipantKind, Review
from sharing.dates import add_months
from sharing.models import SpaceMember
from tests.e2e import test_sharing_browser as sharing_browser
from tests.e2e.conftest import CheckedPage
from tests.e2e.test_sharing_browser import OpenPage, sign_in
from tests.reviews import conftest as review_fixtures
from tests.reviews.conftest import ReviewWorld
from tests.reviews.panel_helpers import CHAIR_DECLARATION, PANEL_DECLARATION
from tests.reviews.test_panel import agency_c

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# pytest looks for fixtures only in conftest files on a test's own path: the review tests' world, and
# the sharing journey's browser context per person.
review_world = review_fixtures.review_world
open_page = sharing_browser.open_page

REFERENCE = "DHR-2026-02"
VICTIM_PSEUDONYM, VICTIM_NAME = "Adult C", "Mary Hiddenname"
PERPETRATOR_PSEUDONYM, PERPETRATOR_NAME = "Adult D", "Peter Hiddenname"
PLACE_OF_DEATH = "7 Secret Lane, Exampletown EX2 2BB"
REAL_DETAILS = (VICTIM_NAME, PERPETRATOR_NAME, PLACE_OF_DEATH)

TERMS_TEXT = {
    "Why the period starts then": "Adult C and Adult D met then.",
    "Key lines of enquiry": "Risk assessment (DASH, MARAC)\nCoercive control and economic abuse",
    "Equality and diversity": "The protected characteristics of Adult C.",
    "Involvement of family, friends and colleagues": "Adult C's brother, through his AAFDA advocate.",
    "Involvement of the perpetrator": "Adult D will be invited after the trial.",
    "Parallel processes": "Criminal trial; liaison with the senior investigating officer.",
    "Method": "IMRs and a combined chronology.",
    "Timetable": "Six months from commissioning.",
}


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def expect_status(page: Page, *, stage: str, rag: str) -> None:
    """The stage in the review's header and the overall RAG tag under "Status"."""
    expect(page.locator("p:has-text('Stage:') > .govuk-tag")).to_have_text(stage)
    expect(page.locator("h2:has-text('Status') + p > .govuk-tag")).to_have_text(rag)


def deadline_row(page: Page, label: str) -> Locator:
    table = page.get_by_role("table", name="Deadlines of the review and their status")
    return table.get_by_role("row").filter(has_text=label)


def timeline_table(page: Page) -> Locator:
    """Open the "Timeline as a table" details and return the table."""
    page.get_by_text("Timeline as a table", exact=True).click()
    table = page.get_by_role("table", name="Timeline as a table, in date order")
    expect(table).to_be_visible()
    return table


def expect_no_real_details(page: Page) -> None:
    html = page.content()
    assert not [detail for detail in REAL_DETAILS if detail in html], page.url


def take_step(checked: CheckedPage, label: str) -> None:
    """Follow a next step's button from the overview, check its page and take it."""
    page = checked.page
    page.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()
    checked.check()
    page.get_by_role("button", name=label, exact=True).click()
    expect(page).to_have_url(re.compile(r"/reviews/\d+/$"))


def go_to_overview(checked: CheckedPage, review: Review) -> None:
    checked.goto(f"/reviews/{review.pk}/")
    expect(checked.page.get_by_role("heading", name=VICTIM_PSEUDONYM, exact=True)).to_be_visible()


def test_review_goes_from_notification_to_information_gathering(
    checked_page: CheckedPage, open_page: OpenPage, review_world: ReviewWorld, tmp_path: Path
) -> None:
    world = review_world
    people = world.personas
    housing = agency_c(world)
    today = timezone.localdate()
    # In the past, so that a pause can start days ago: a pause never starts before the decision.
    died_on, notified_on, decided_on, paused_on = (today - timedelta(days=days) for days in (9, 7, 5, 3))
    decision_due = add_months(notified_on, 1)
    completion_due = add_months(decided_on, 6)

    # 1. The coordinator records the notification of a second death.
    coordinator = checked_page
    page = coordinator.page
    sign_in(coordinator, people.coordinator)
    page.get_by_role("link", name="Reviews", exact=True).click()
    expect(page.get_by_role("heading", name="Reviews")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Record a notification").click()
    expect(page.get_by_role("heading", name="Record a notification of a death")).to_be_visible()
    coordinator.check()
    page.get_by_label("Reference", exact=True).fill(REFERENCE)
    page.get_by_label("Date the partnership was notified").fill(notified_on.isoformat())
    page.get_by_label("Police", exact=True).check()
    page.get_by_label("Agency or role of the person who notified").fill("Exampleshire Police major crime team")
    page.get_by_label("Date of death").fill(died_on.isoformat())
    page.get_by_label("Place of death").fill(PLACE_OF_DEATH)
    page.get_by_label("Homicide", exact=True).check()
    page.get_by_label("Relationship of the alleged perpetrator to the person who died").select_option(
        label="Current intimate partner"
    )
    page.get_by_label("Criminal proceedings").select_option(label="Charged, awaiting trial")
    victim = page.get_by_role("group", name="The person who died")
    victim.get_by_label("Pseudonym").fill(VICTIM_PSEUDONYM)
    victim.get_by_label("Full name").fill(VICTIM_NAME)
    victim.get_by_label("Date of birth").fill("1985-03-09")
    perpetrator = page.get_by_role("group", name="Person 2")
    expect(perpetrator.get_by_label("Role")).to_have_value("perpetrator")
    perpetrator.get_by_label("Pseudonym").fill(PERPETRATOR_PSEUDONYM)
    perpetrator.get_by_label("Full name").fill(PERPETRATOR_NAME)
    page.get_by_role("button", name="Record the notification").click()

    expect(page.get_by_role("heading", name=VICTIM_PSEUDONYM, exact=True)).to_be_visible()
    review = Review.objects.get(reference=REFERENCE)
    expect(page).to_have_url(re.compile(rf"/reviews/{review.pk}/$"))
    expect_status(page, stage="Notified", rag="On track")
    expect(deadline_row(page, "CSP chair's decision")).to_contain_text(long_date(decision_due))
    expect(deadline_row(page, "Overview report to the Home Office")).to_have_count(0)
    # The picture is named by its title and its summary in words.
    picture = page.locator("figure").get_by_role("img", name=re.compile(rf"^Timeline of {REFERENCE}\b"))
    expect(picture).to_have_accessible_name(re.compile("The review is now notified and on track, with 0 pauses"))
    timeline = timeline_table(page)
    notified_row = timeline.get_by_role("row").filter(has_text="Notified to the partnership")
    expect(notified_row).to_contain_text(long_date(notified_on))
    expect(notified_row).to_contain_text("By police")
    expect(page.get_by_text(f"{PERPETRATOR_PSEUDONYM} (alleged perpetrator)")).to_be_visible()
    expect_no_real_details(page)
    coordinator.check()

    # 2. The coordinator asks agencies to secure their records and briefs the CSP chair.
    take_step(coordinator, "Ask agencies to check and secure their records")
    expect_status(page, stage="Scoping", rag="On track")
    coordinator.check()
    take_step(coordinator, "Brief the CSP chair for a decision")
    expect_status(page, stage="Awaiting decision", rag="On track")
    expect(page.get_by_role("link", name="Record the decision")).to_have_count(0)
    coordinator.check()

    # 3. The CSP chair commissions a review and is shown the Home Office notification to send.
    csp_chair = open_page()
    chair_page = csp_chair.page
    sign_in(csp_chair, people.csp_chair)
    go_to_overview(csp_chair, review)
    expect_status(chair_page, stage="Awaiting decision", rag="On track")
    csp_chair.check()
    chair_page.get_by_role("link", name="Record the decision").click()
    expect(chair_page.get_by_role("heading", name="Record the CSP chair's decision")).to_be_visible()
    csp_chair.check()
    chair_page.get_by_label("Commission a review").check()
    chair_page.get_by_label("Date of the decision").fill(decided_on.isoformat())
    for criterion in ("aged 16 or over", "resulted from violence, abuse or neglect", "By a relative"):
        chair_page.get_by_label(criterion).check()
    chair_page.get_by_label("Reasons for the decision").fill("The criteria are met; agencies knew Adult C.")
    chair_page.get_by_label("Partners consulted").fill("Police, health, adult social care")
    chair_page.get_by_role("button", name="Record the decision").click()

    expect(chair_page.get_by_role("heading", name="Tell the Home Office of the decision")).to_be_visible()
    text = chair_page.get_by_label("Notification text to copy")
    expect(text).to_have_value(re.compile(f"Person who died \\(pseudonym\\): {VICTIM_PSEUDONYM}"))
    expect(text).to_have_value(re.compile(f"Decision: to commission a review, made on {decided_on:%d %B %Y}"))
    expect(text).to_have_value(re.compile("Partners consulted: Police, health, adult social care"))
    assert VICTIM_NAME not in text.input_value()
    expect(chair_page.locator("p:has-text('Stage:') > .govuk-tag")).to_have_text("Commissioned")
    expect_no_real_details(chair_page)
    csp_chair.check()

    # The coordinator records that the Home Office was told, then begins setting up.
    go_to_overview(coordinator, review)
    expect_status(page, stage="Commissioned", rag="On track")
    expect(page.get_by_text("Record when and how the Home Office was told of the decision first")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Tell the Home Office").click()
    expect(page.get_by_role("heading", name="Tell the Home Office of the decision")).to_be_visible()
    coordinator.check()
    page.get_by_label("Date the Home Office was told").fill(decided_on.isoformat())
    page.get_by_label("How it was told").fill("E-mail to the Home Office DHR mailbox")
    page.get_by_role("button", name="Record that the Home Office was told").click()
    expect(page.get_by_text(f"{long_date(decided_on)}, E-mail to the Home Office DHR mailbox")).to_be_visible()
    coordinator.check()
    take_step(coordinator, "Begin setting up the review")
    expect_status(page, stage="Setting up", rag="On track")
    decision = deadline_row(page, "CSP chair's decision")
    expect(decision).to_contain_text(long_date(decided_on))
    expect(decision.locator(".govuk-tag")).to_have_text("Done")
    completion = deadline_row(page, "Overview report to the Home Office")
    expect(completion).to_contain_text(long_date(completion_due))
    expect(completion.locator(".govuk-tag")).to_have_text("On track")
    coordinator.check()

    # 4. The coordinator opens the secure space, appoints and confirms the chair, and forms the panel.
    page.get_by_role("navigation", name="Review sections").get_by_role("link", name="Chair and panel").click()
    expect(page.get_by_role("heading", name="Secure space")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Open the secure space").click()
    expect(page.get_by_role("heading", name="Open the review's secure space")).to_be_visible()
    coordinator.check()
    page.get_by_label(str(world.protocol)).check()
    page.get_by_role("button", name="Open the secure space").click()
    expect(page.get_by_text(f'under the information-sharing protocol "{world.protocol.title}"')).to_be_visible()
    coordinator.check()

    page.get_by_role("link", name="Appoint an independent chair").click()
    expect(page.get_by_role("heading", name="Appoint an independent chair")).to_be_visible()
    coordinator.check()
    page.get_by_label("Independent chair", exact=True).select_option(label=world.independent_chair.full_name)
    page.get_by_label("Training or accreditation").fill("AAFDA chair training, 2024")
    page.get_by_label("How the chair was procured").fill("Three quotes sought; the lowest met the specification")
    page.get_by_label("Chair's fee, in pounds").fill("4,500.00")
    page.get_by_label("Budget for the chair, in pounds").fill("6,000.00")
    page.get_by_role("button", name="Appoint the chair").click()
    expect(page.get_by_text("Independence declaration needed")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Record the independence declaration").click()
    expect(
        page.get_by_role("heading", name=f"{world.independent_chair.full_name}'s independence declaration")
    ).to_be_visible()
    coordinator.check()
    page.get_by_label("The chair's declaration").fill(CHAIR_DECLARATION)
    page.get_by_label("The chair has signed this declaration").check()
    page.get_by_role("button", name="Record the declaration").click()
    expect(page.get_by_text("Awaiting confirmation")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Confirm the appointment").click()
    expect(
        page.get_by_role("heading", name=f"Confirm {world.independent_chair.full_name} as independent chair")
    ).to_be_visible()
    coordinator.check()
    page.get_by_role("button", name="Confirm the appointment").click()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    expect(page.get_by_text(CHAIR_DECLARATION)).to_be_visible()
    coordinator.check()

    agencies = page.get_by_role("table", name="The partnership's agencies")
    for agency in (world.agency_a, world.agency_b):
        agency_row = agencies.get_by_role("row").filter(has_text=agency.name)
        agency_row.get_by_role("button", name="Scope into the review").click()
        expect(agency_row).to_contain_text("Scoped")
    housing_row = agencies.get_by_role("row").filter(has_text=housing.name)
    expect(housing_row).to_contain_text("Not a party yet")
    expect(housing_row).to_contain_text("Cannot be scoped until it is a party to the protocol")
    expect(housing_row.get_by_role("button")).to_have_count(0)
    coordinator.check()

    page.get_by_role("link", name="Add a panel member or contributor").click()
    expect(page.get_by_role("heading", name="Add a panel member or agency contributor")).to_be_visible()
    coordinator.check()
    page.get_by_label("Agency they act for").select_option(label=world.agency_a.name)
    page.get_by_label("Person", exact=True).select_option(label=world.panel_member.full_name)
    page.get_by_label("Panel member", exact=True).check()
    page.get_by_label("Their role in their agency").fill("Head of public protection")
    page.get_by_label("Seniority").select_option(label="Senior manager")
    page.get_by_label("Declaration of independence from the case (panel members)").fill(PANEL_DECLARATION)
    page.get_by_label("Date the independence declaration was signed").fill(today.isoformat())
    page.get_by_label("Date the confidentiality agreement was signed").fill(today.isoformat())
    page.get_by_role("button", name="Add to the review").click()
    members = page.get_by_role("table", name=world.agency_a.name)
    member_row = members.get_by_role("row").filter(has_text=world.panel_member.full_name)
    expect(member_row).to_contain_text("Panel member")
    expect(member_row).to_contain_text("Senior manager")
    expect(member_row).to_contain_text(long_date(today))
    coordinator.check()
    review.refresh_from_db()
    assert review.space_id is not None
    current = SpaceMember.objects.filter(space_id=review.space_id, removed_at__isnull=True)
    assert current.filter(user=world.panel_member).exists()
    assert current.filter(user=world.independent_chair).exists()
    assert (
        Participant.objects.current().get(review=review, user=world.panel_member).kind == ParticipantKind.PANEL_MEMBER
    )

    # 5. The terms of reference: drafted and agreed by the coordinator, approved by the CSP chair.
    page.get_by_role("navigation", name="Review sections").get_by_role("link", name="Terms of reference").click()
    expect(page.get_by_role("heading", name="Terms of reference", exact=True)).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Draft the terms of reference").click()
    expect(page.get_by_role("heading", name="Draft the terms of reference")).to_be_visible()
    coordinator.check()
    page.get_by_label("Start of the period under review").fill((died_on - timedelta(days=730)).isoformat())
    expect(page.get_by_label("End of the period under review")).to_have_value(died_on.isoformat())
    page.get_by_label(f"{VICTIM_PSEUDONYM} (victim)").check()
    page.get_by_label(f"{PERPETRATOR_PSEUDONYM} (alleged perpetrator)").check()
    page.get_by_label(world.agency_a.name).check()
    page.get_by_label(world.agency_b.name).check()
    for label, value in TERMS_TEXT.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Terms of reference, version 1")).to_be_visible()
    expect(page.locator(".govuk-tag", has_text="Draft")).to_be_visible()
    coordinator.check()
    page.get_by_role("link", name="Record the panel's agreement").click()
    expect(page.get_by_role("heading", name="Record the panel's agreement to version 1")).to_be_visible()
    coordinator.check()
    page.get_by_label("Date the panel agreed it").fill(today.isoformat())
    page.get_by_role("button", name="Record the agreement").click()
    expect(page.locator(".govuk-tag", has_text="Agreed by the panel")).to_be_visible()
    expect(page.get_by_role("link", name="Change the draft")).to_have_count(0)
    coordinator.check()

    go_to_overview(csp_chair, review)
    chair_page.get_by_role("navigation", name="Review sections").get_by_role("link", name="Terms of reference").click()
    chair_page.get_by_role("link", name="Version 1", exact=True).click()
    chair_page.get_by_role("link", name="Approve version 1", exact=True).click()
    expect(chair_page.get_by_role("heading", name="Approve version 1 of the terms of reference")).to_be_visible()
    csp_chair.check()
    chair_page.get_by_role("button", name="Approve version 1", exact=True).click()
    expect(chair_page.get_by_role("heading", name="Terms of reference, version 1")).to_be_visible()
    expect(chair_page.locator(".govuk-tag", has_text="Approved")).to_be_visible()
    expect(chair_page.locator("main")).to_contain_text(VICTIM_PSEUDONYM)
    expect_no_real_details(chair_page)
    csp_chair.check()
    with chair_page.expect_download() as started:
        chair_page.get_by_role("link", name="PDF of version 1").click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename == f"{REFERENCE}-terms-v1.pdf"
    saved = tmp_path / "terms.pdf"
    download.save_as(saved)
    pdf_text = "\n".join(page_of.extract_text() for page_of in PdfReader(saved).pages)
    assert VICTIM_PSEUDONYM in pdf_text
    assert PERPETRATOR_PSEUDONYM in pdf_text
    assert not [detail for detail in REAL_DETAILS if detail in pdf_text]

    # 6. The CSP chair pauses the review for the criminal trial, at the coordinator's request, then resumes it.
    go_to_overview(csp_chair, review)
    chair_page.get_by_role("link", name="Pause the review").click()
    expect(chair_page.get_by_role("heading", name="Pause the review")).to_be_visible()
    csp_chair.check()
    chair_page.get_by_label("Criminal investigation or trial").check()
    chair_page.get_by_label("Body", exact=True).fill("Exampleshire Crown Court")
    chair_page.get_by_label("Their reference").fill("T2026-0417")
    chair_page.get_by_label("Pause starts").fill(paused_on.isoformat())
    chair_page.get_by_label("Asked for by").select_option(label=people.coordinator.full_name)
    chair_page.get_by_label("Why the review must pause").fill("The SIO asked us to wait until the verdict.")
    chair_page.get_by_role("button", name="Pause the review").click()
    expect_status(chair_page, stage="Paused", rag="Paused")
    expect(
        chair_page.get_by_text(f"Paused since {long_date(paused_on)}: Criminal investigation or trial")
    ).to_be_visible()
    expect(chair_page.get_by_text("4 days active, 3 days paused.")).to_be_visible()
    expect(deadline_row(chair_page, "Overview report to the Home Office")).to_contain_text(
        "Waiting for the pause to end"
    )
    svg = chair_page.locator("figure svg[role=img]")
    expect(svg.locator("rect.app-timeline__pause-shade")).to_have_count(1)
    expect(
        svg.locator("text.app-timeline__lane-label", has_text="Paused: Criminal investigation or trial")
    ).to_have_count(1)
    pause_row = timeline_table(chair_page).get_by_role("row").filter(has_text="Paused: Criminal investigation or trial")
    expect(pause_row).to_contain_text(long_date(paused_on))
    expect(pause_row).to_contain_text("Exampleshire Crown Court, T2026-0417")
    csp_chair.check()

    chair_page.get_by_role("link", name="Resume the review").click()
    expect(chair_page.get_by_role("heading", name="End the pause and resume the review")).to_be_visible()
    expect(chair_page.get_by_label("Pause ends")).to_have_value(today.isoformat())
    csp_chair.check()
    chair_page.get_by_label("Outcome of the proceedings").fill("Adult D was convicted.")
    chair_page.get_by_role("button", name="Resume the review").click()
    expect_status(chair_page, stage="Setting up", rag="On track")
    expect(chair_page.get_by_text("4 days active, 3 days paused.")).to_be_visible()
    # The three paused days push the completion target back by as many.
    completion = deadline_row(chair_page, "Overview report to the Home Office")
    expect(completion).to_contain_text(long_date(completion_due + timedelta(days=3)))
    expect(completion.locator(".govuk-tag")).to_have_text("On track")
    ended_row = (
        timeline_table(chair_page).get_by_role("row").filter(has_text="Pause ended: Criminal investigation or trial")
    )
    expect(ended_row).to_contain_text(long_date(today))
    expect(ended_row).to_contain_text("3 days paused")
    expect(chair_page.locator("figure svg[role=img] rect.app-timeline__pause-shade")).to_have_count(1)
    csp_chair.check()

    # 7. The independent chair finds the review on their dashboard and starts gathering information.
    independent = open_page()
    chair_of_review = independent.page
    sign_in(independent, world.independent_chair)
    chair_of_review.get_by_role("link", name="Reviews", exact=True).click()
    expect(chair_of_review.get_by_role("heading", name="Reviews")).to_be_visible()
    row = chair_of_review.get_by_role("row").filter(has_text=REFERENCE)
    expect(row).to_contain_text(VICTIM_PSEUDONYM)
    expect(row).to_contain_text("Setting up")
    expect(row).to_contain_text("On track")
    # The partnership's other review is none of theirs.
    expect(chair_of_review.get_by_role("link", name=world.review.reference)).to_have_count(0)
    independent.check()
    row.get_by_role("link", name=REFERENCE).click()
    expect(chair_of_review.get_by_role("heading", name=VICTIM_PSEUDONYM, exact=True)).to_be_visible()
    expect_status(chair_of_review, stage="Setting up", rag="On track")
    independent.check()
    take_step(independent, "Start gathering information")
    expect_status(chair_of_review, stage="Gathering information", rag="On track")
    stages = chair_of_review.locator("figure svg[role=img] text.app-timeline__lane-label")
    expect(stages).to_contain_text(
        [
            "Death",
            "Notified",
            "Scoping",
            "Awaiting decision",
            "Commissioned",
            "Setting up",
            "Paused",
            "Gathering information",
            "Paused: Criminal investigation or trial",
        ]
    )
    gathering = timeline_table(chair_of_review).get_by_role("row").filter(has_text="Stage: Gathering information")
    expect(gathering).to_contain_text(long_date(today))
    expect(gathering).to_contain_text("Start gathering information")
    expect_no_real_details(chair_of_review)
    independent.check()
