"""A partnership applies for funding for two reviews, is awarded it, and sees it against each review's costs.

The issue's "Done when" journey through the browser: the coordinator records budgets and actual
costs in two reviews' ledgers, one dated 31 March of last financial year and one 1 April of this
one, and the partnership's year view counts each in its own year; the coordinator finds the
national fund under the dashboard's funding deadlines and builds an application for the two
reviews commenced in its year (a typed amount that is not money is refused and nothing saved; a
review commenced on 1 April, the next year, fails the check by name) and cannot submit it; the
CSP chair submits; the coordinator records the award and its letter, and each review's ledger
shows its share against its costs. Another partnership, with one review commenced in the year,
fails the check and is refused when its chair submits. Every page is checked for accessibility
and CSP violations.
"""

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dhr_tracker.funding.models import Application, ApplicationStatus, Contribution, PartnerKind
from tests.conftest import EventLog
from tests.e2e import funding_journey as journey
from tests.e2e import reports_journey
from tests.e2e import test_sharing_browser as sharing_browser
from tests.e2e.conftest import CheckedPage
from tests.e2e.test_sharing_browser import OpenPage, sign_in
from tests.funding import conftest as funding_fixtures
from tests.funding.conftest import FundingWorld
from tests.sharing import conftest as sharing_fixtures

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_storage"),
]

# pytest looks for fixtures only in conftest files on a test's own path: the funding tests' world,
# the secure space's storage, and the sharing journey's browser context per person.
funding_world = funding_fixtures.funding_world
clean_storage = sharing_fixtures.clean_storage
open_page = sharing_browser.open_page

FUND = "Domestic Homicide Review fund"
AWARD_FROM = "Home Office: Domestic Homicide Review fund"
COSTS = {"Independent chair": "9,000", "Advocacy": "1500.50", "Translation and interpreting": "£600"}
BY_REVIEW = "By review"


def test_two_reviews_commenced_in_the_year_are_funded_and_the_award_meets_each_ledger(
    checked_page: CheckedPage,
    open_page: OpenPage,
    funding_world: FundingWorld,
    security_events: EventLog,
    tmp_path: Path,
) -> None:
    world = funding_world
    first, second, third = world.first, world.second, world.third
    today = timezone.localdate()
    # The letter is kept in a secure space of the partnership, of which the coordinator and chair are members.
    world.space()

    # 1. The coordinator records each review's budget and an actual cost either side of 1 April.
    coordinator = checked_page
    page = coordinator.page
    sign_in(coordinator, world.coordinator)
    journey.go_to_ledger(coordinator, first)
    expect(page.get_by_text("Nothing is recorded in this ledger yet")).to_be_visible()
    journey.set_budget(coordinator, {"Independent chair": "6000"})
    journey.add_actual_cost(
        coordinator,
        category="Independent chair",
        description="Chair's invoice, March",
        on=world.last.end,
        amount="4500",
    )
    expect(page.get_by_text("£4,500.00 of the forecast is not yet met by contributions.")).to_be_visible()
    journey.go_to_ledger(coordinator, second)
    journey.set_budget(coordinator, {"Independent chair": "8,000"})
    journey.add_actual_cost(
        coordinator,
        category="Independent chair",
        description="Chair's invoice, April",
        on=world.this.start,
        amount="7000",
    )
    expect(page.get_by_text("£7,000.00 of the forecast is not yet met by contributions.")).to_be_visible()

    # The partnership's year view counts 31 March in last year, 1 April in this one.
    year_view = reverse("funding:partnership_ledger", args=[world.partnership.pk])
    for year, actual in (
        (world.last, {first: "£4,500.00", second: "£0.00"}),
        (world.this, {first: "£0.00", second: "£7,000.00"}),
    ):
        coordinator.goto(f"{year_view}?year={year.label}")
        expect(page.get_by_role("heading", name=f"Costs and contributions in {year.label}")).to_be_visible()
        coordinator.check()
        rows = journey.table(page, BY_REVIEW)
        # Budget, committed, actual, contributions agreed, contributions received.
        assert {title: cells[2] for title, cells in rows.items()} == {
            review.title: amount for review, amount in actual.items()
        }
        assert rows[first.title][0] == "£6,000.00"
        assert rows[second.title][0] == "£8,000.00"

    # 2. The coordinator finds the national fund under the dashboard's deadlines and starts an application.
    journey.open_fund_from_dashboard(coordinator, FUND)
    journey.start_application(coordinator, FUND)
    application = Application.objects.get(partnership=world.partnership, stream=world.national)
    commenced = {first: world.last.start, second: world.last.end}

    # A typed amount that is not money is refused with its field's message, and nothing is saved.
    journey.choose_reviews(page, commenced)
    journey.fill_amounts(page, {**COSTS, "Advocacy": "-50", "The amount requested": "ten pounds"})
    page.get_by_role("button", name="Save the application").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("link", name="The cost of advocacy cannot be negative")).to_be_visible()
    expect(
        summary.get_by_role("link", name="Enter the amount requested as a number of pounds, like 1250 or 1,250.50")
    ).to_be_visible()
    coordinator.check()
    application.refresh_from_db()
    assert (application.requested_pence, application.costs.count(), application.covered.count()) == (0, 0, 0)
    assert "funding.application_changed" not in security_events.actions()

    # With the 1 April review ticked too, the check names it as commenced outside the fund's year.
    journey.choose_reviews(page, {third: world.this.start})
    journey.fill_amounts(page, {**COSTS, "The amount requested": "10,000"})
    page.get_by_label("Justification").fill("Two reviews commenced in the year; the chair's fees are most of it.")
    journey.save_application(coordinator)
    assert journey.eligibility_failures(page) == [
        f"{third.title} commenced on {journey.day(world.this.start)}, in {world.this.label}; "
        f"this fund is for reviews commenced in {world.last.label} ({world.last.span})"
    ]

    page.get_by_role("link", name="Change the application").click()
    expect(page.get_by_role("heading", name="Change the application")).to_be_visible()
    coordinator.check()
    journey.choose_reviews(page, {}, unchosen={third: world.this.start})
    journey.save_application(coordinator)
    expect(page.get_by_text(journey.ELIGIBLE)).to_be_visible()
    expect(page.get_by_text(journey.NOT_YET)).to_have_count(0)
    assert journey.table(page, "Cost breakdown") == {
        "Independent chair": ["", "£9,000.00"],
        "Advocacy": ["", "£1,500.50"],
        "Translation and interpreting": ["", "£600.00"],
        "Total": ["£11,100.50"],
    }
    assert set(journey.table(page, "Reviews covered")) == {first.title, second.title}
    journey.expect_status(page, "Draft")

    # The coordinator cannot submit: no button, and the submit address refuses them.
    expect(page.get_by_role("button", name="Submit the application")).to_have_count(0)
    expect(page.get_by_text("Only the partnership's CSP chair can submit this application.")).to_be_visible()
    detail = page.url
    refused = page.goto(coordinator.base_url + reverse("funding:application_submit", args=[application.pk]))
    assert refused is not None
    assert refused.status == 403
    coordinator.check()

    # 3. The CSP chair opens the draft from the dashboard and submits it.
    chair = open_page()
    chair_page = chair.page
    sign_in(chair, world.csp_chair)
    deadlines = chair_page.get_by_role("table", name=journey.DEADLINES)
    deadlines.get_by_role("link", name=f"Draft application {application.pk}").click()
    expect(chair_page.get_by_role("heading", name=f"Application to Home Office: {FUND}")).to_be_visible()
    expect(chair_page.get_by_text(journey.ELIGIBLE)).to_be_visible()
    chair.check()
    chair_page.get_by_role("button", name="Submit the application").click()
    journey.expect_status(chair_page, "Submitted")
    expect(chair_page.get_by_text(f"{journey.day(today)} by {world.csp_chair.get_full_name()}")).to_be_visible()
    chair.check()
    assert security_events.find("funding.application_submitted").actor_id == world.csp_chair.pk

    # 4. The coordinator records the award, shared equally, with the funder's letter.
    page.goto(detail)
    journey.expect_status(page, "Submitted")
    coordinator.check()
    page.get_by_role("link", name="Record the funder's decision").click()
    expect(page.get_by_role("heading", name="Record the funder's decision")).to_be_visible()
    expect(page.get_by_label(f"Share of {first.title}")).to_be_empty()
    expect(page.get_by_label(f"Share of {second.title}")).to_be_empty()
    coordinator.check()
    letter = reports_journey.pdf(tmp_path / "decision.pdf", "Home Office.", "We award you £10,000.")
    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Date of the decision").fill(today.isoformat())
    page.get_by_label("The amount awarded").fill("10000")
    page.get_by_label("The funder's decision letter").set_input_files(letter)
    page.get_by_label("Exampleshire funding").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_role("heading", name="The funder's decision")).to_be_visible()
    journey.expect_status(page, "Approved")
    expect(page.get_by_text(f"Approved, on {journey.day(today)}")).to_be_visible()
    expect(page.get_by_role("link", name="Decision letter: Home Office, Domestic Homicide Review fund")).to_be_visible()
    coordinator.check()
    covered = journey.table(page, "Reviews covered")
    assert {title: cells[1] for title, cells in covered.items()} == {
        first.title: "£5,000.00",
        second.title: "£5,000.00",
    }

    # 5. Each review's ledger shows its share of the award against its costs.
    for review, gap in (
        (first, "Contributions cover the forecast."),
        (second, "£2,000.00 of the forecast is not yet met by contributions."),
    ):
        page.goto(detail)
        page.get_by_role("link", name=f"Cost ledger of {review.title}").click()
        expect(page.get_by_role("heading", name="Funding and costs", exact=True)).to_be_visible()
        coordinator.check()
        expect(page.get_by_text(gap)).to_be_visible()
        assert journey.table(page, "Contributions by partner")["Awarded fund"] == ["£5,000.00", "£0.00"]
        contributions = journey.table(page, "Each contribution")
        assert list(contributions) == [f"{AWARD_FROM}\nAwarded fund"]
        assert contributions[f"{AWARD_FROM}\nAwarded fund"][:2] == ["£5,000.00", journey.day(today)]
    awards = Contribution.objects.filter(application=application, partner_kind=PartnerKind.AWARDED_FUND)
    assert sorted(awards.values_list("ledger__review_id", "amount_pence")) == sorted(
        [(first.pk, 500_000), (second.pk, 500_000)]
    )
    application.refresh_from_db()
    assert (application.status, application.awarded_pence) == (ApplicationStatus.APPROVED, 1_000_000)


def test_a_partnership_with_one_review_commenced_in_the_year_is_told_why_and_refused(
    checked_page: CheckedPage, funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    chair = checked_page
    page = chair.page
    other = world.personas.other_partnership
    lone = world.lone
    sign_in(chair, world.personas.outsider)
    journey.open_fund_from_dashboard(chair, FUND)
    journey.start_application(chair, FUND)
    assert lone.decided_on is not None
    journey.choose_reviews(page, {lone: lone.decided_on})
    journey.fill_amounts(page, {"Independent chair": "9000", "The amount requested": "8000"})
    journey.save_application(chair)
    needs_two = f"{other.name} commenced 1 review in {world.last.label} ({world.last.span}); this fund needs at least 2"
    assert journey.eligibility_failures(page) == [needs_two]

    page.get_by_role("button", name="Submit the application").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("heading", name="This application cannot be submitted yet")).to_be_visible()
    expect(summary.get_by_role("link", name=needs_two)).to_be_visible()
    journey.expect_status(page, "Draft")
    chair.check()
    application = Application.objects.get(partnership=other, stream=world.national)
    assert application.status == ApplicationStatus.DRAFT
    assert application.submitted_on is None
    assert "funding.application_submitted" not in security_events.actions()
