"""The ledger's pages: a review's ledger and the forms that change it, the partnership's view of a
financial year, the review's navigation, and a 404 for everyone but the partnership's CSP chairs
and coordinators."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import Agency, User
from dhr_tracker.funding.models import BudgetLine, Contribution, CostEntry, Ledger, PartnerKind
from dhr_tracker.funding.services import STALE_MESSAGE
from dhr_tracker.funding.services import ledger as services
from dhr_tracker.reviews.models import Participant, ParticipantKind, Review
from dhr_tracker.reviews.views import PAGE_SIZE
from tests.conftest import EventLog
from tests.factories import UserFactory
from tests.funding.conftest import POUND, FundingWorld
from tests.funding.test_ledger import (
    ACTUAL,
    CHAIR,
    LEGAL,
    NOTHING,
    add_contribution,
    add_cost,
    awarded,
    funding_events,
    rows,
)

pytestmark = pytest.mark.django_db


def url(name: str, *args: Any) -> str:
    return reverse(f"funding:{name}", args=args)


def review_urls(review: Review) -> list[str]:
    return [url(name, review.pk) for name in ("ledger", "ledger_budget", "cost_new", "contribution_new")]


def cost_data(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "commitment",
        "category": CHAIR,
        "description": "Chair contract",
        "supplier": "Review Chairs Ltd",
        "on": timezone.localdate().isoformat(),
        "amount": "1,000",
        "against": "",
    }
    values.update(changes)
    return values


# The ledger of a review -----------------------------------------------------------------------


def test_the_ledger_shows_each_category_with_an_overspend_in_words_and_the_gap(funding_world: FundingWorld) -> None:
    world = funding_world
    services.set_budget(world.first, actor=world.coordinator, version=1, amounts={CHAIR: 1_000 * POUND}, request=None)
    order = add_cost(world, world.first, description="Chair contract", amount_pence=1_200 * POUND)
    add_cost(
        world, world.first, kind=ACTUAL, description="First invoice", amount_pence=300 * POUND, against_id=order.pk
    )
    add_contribution(world, world.first, amount_pence=700 * POUND)
    response = world.client(world.coordinator).get(url("ledger", world.first.pk))
    assert response.status_code == 200
    page = response.text
    assert "<caption" in page
    assert 'scope="col"' in page
    assert "Independent chair" in page
    assert "£1,000.00" in page
    assert "£900.00" in page
    assert "-£200.00" in page
    assert "Overspend" in page
    assert "£500.00 of the forecast is not yet met by contributions" in page
    assert world.partnership.name in page
    assert "£700.00" in page
    assert "Chair contract" in page
    assert "First invoice" in page
    assert url("ledger_export", world.first.pk, "xlsx") in page
    assert url("ledger_export", world.first.pk, "csv") in page
    assert url("partnership_ledger", world.partnership.pk) in page
    for name in ("cost_new", "contribution_new", "ledger_budget"):
        assert url(name, world.first.pk) in page
    assert url("cost_cancel", order.pk) in page


def test_the_ledger_says_when_contributions_cover_the_forecast(funding_world: FundingWorld) -> None:
    world = funding_world
    services.set_budget(world.first, actor=world.coordinator, version=1, amounts={CHAIR: 500 * POUND}, request=None)
    add_cost(world, world.first, amount_pence=500 * POUND)
    add_contribution(world, world.first, amount_pence=500 * POUND)
    page = world.client(world.csp_chair).get(url("ledger", world.first.pk)).text
    assert "Contributions cover the forecast" in page
    assert "not yet met" not in page
    assert "Overspend" not in page


def test_a_ledger_with_nothing_recorded_says_so(funding_world: FundingWorld) -> None:
    world = funding_world
    response = world.client(world.coordinator).get(url("ledger", world.second.pk))
    assert response.status_code == 200
    assert "Nothing is recorded in this ledger yet" in response.text
    assert Ledger.objects.count() == 0


def test_cancelled_entries_and_contributions_are_struck_through_and_labelled(funding_world: FundingWorld) -> None:
    world = funding_world
    entry = add_cost(world, world.first, description="Venue booking")
    services.cancel_cost(entry, actor=world.coordinator, reason="Booked twice", request=None)
    contribution = add_contribution(world, world.first, partner_kind=PartnerKind.PCC)
    services.cancel_contribution(contribution, actor=world.coordinator, reason="Declined", request=None)
    page = world.client(world.coordinator).get(url("ledger", world.first.pk)).text
    assert "<s>Venue booking</s>" in page
    assert "<s>Police and crime commissioner</s>" in page
    assert page.count("Cancelled</strong>") == 2
    assert "Booked twice" in page
    assert "Declined" in page
    assert url("cost_cancel", entry.pk) not in page
    assert url("contribution_cancel", contribution.pk) not in page
    assert url("contribution_receive", contribution.pk) not in page


def test_an_awarded_fund_links_to_its_application_and_is_not_changed_here(funding_world: FundingWorld) -> None:
    world = funding_world
    award = awarded(world, world.first)
    ours = add_contribution(world, world.first)
    page = world.client(world.coordinator).get(url("ledger", world.first.pk)).text
    assert reverse("funding:application", args=[award.application_id]) in page
    assert url("contribution_receive", award.pk) not in page
    assert url("contribution_cancel", award.pk) not in page
    assert url("contribution_receive", ours.pk) in page
    assert url("contribution_cancel", ours.pk) in page


def _entries(world: FundingWorld, review: Review, count: int) -> list[CostEntry]:
    """``count`` commitments of ``review``, one a day back from today, the oldest numbered last."""
    ledger = services.ledger_of(review)
    today = timezone.localdate()
    return CostEntry.objects.bulk_create(
        CostEntry(
            ledger=ledger,
            kind="commitment",
            category=CHAIR,
            description=f"Order {number}",
            on=today - timedelta(days=number),
            amount_pence=POUND,
            recorded_by=world.coordinator,
        )
        for number in range(count)
    )


def test_entries_are_listed_newest_first_a_page_at_a_time(funding_world: FundingWorld) -> None:
    world = funding_world
    _entries(world, world.first, PAGE_SIZE + 1)
    client = world.client(world.coordinator)
    first = client.get(url("ledger", world.first.pk)).text
    assert first.index("Order 0<") < first.index("Order 1<")
    assert f"Order {PAGE_SIZE}<" not in first
    assert "Page 1 of 2" in first
    second = client.get(url("ledger", world.first.pk), {"page": 2}).text
    assert f"Order {PAGE_SIZE}<" in second
    assert "Order 0<" not in second


def test_the_ledger_page_costs_a_fixed_number_of_queries(
    funding_world: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = funding_world
    orders = _entries(world, world.first, 30)
    for order in orders[:10]:
        add_cost(world, world.first, kind=ACTUAL, amount_pence=POUND, against_id=order.pk)
    for _ in range(5):
        add_contribution(world, world.first)
    awarded(world, world.first)
    client = world.client(world.coordinator)
    with django_assert_max_num_queries(20):
        response = client.get(url("ledger", world.first.pk))
    assert response.status_code == 200


# The forms ------------------------------------------------------------------------------------


def test_the_budget_form_shows_the_budget_and_saves_it(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    services.set_budget(world.first, actor=world.coordinator, version=1, amounts={LEGAL: 250 * POUND}, request=None)
    client = world.client(world.csp_chair)
    form = client.get(url("ledger_budget", world.first.pk)).text
    assert 'value="250.00"' in form
    assert 'name="version" value="2"' in form
    response = client.post(url("ledger_budget", world.first.pk), {"version": 2, CHAIR: "£1,250.50", LEGAL: ""})
    assert response.status_code == 302
    assert response["Location"] == url("ledger", world.first.pk)
    assert list(BudgetLine.objects.values_list("category", "amount_pence")) == [(CHAIR, 125_050)]
    assert funding_events(security_events) == ["funding.budget_set", "funding.budget_set"]


def test_the_first_budget_of_a_new_ledger_is_version_1(funding_world: FundingWorld) -> None:
    world = funding_world
    client = world.client(world.coordinator)
    assert 'name="version" value="1"' in client.get(url("ledger_budget", world.second.pk)).text
    assert client.post(url("ledger_budget", world.second.pk), {"version": 1, CHAIR: "10"}).status_code == 302
    assert BudgetLine.objects.get().amount_pence == 10 * POUND


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 1, LEGAL: "-5"}, "The budget for legal cannot be negative"),
        ({"version": 1, LEGAL: "five"}, "Enter the budget for legal as a number of pounds, like 1250 or 1,250.50"),
        ({"version": 1, LEGAL: "5.001"}, "Enter the budget for legal to the nearest penny"),
        ({"version": 0, LEGAL: "5"}, STALE_MESSAGE),
    ],
)
def test_a_bad_or_stale_budget_is_refused_with_a_message(
    funding_world: FundingWorld, security_events: EventLog, data: dict[str, Any], message: str
) -> None:
    world = funding_world
    response = world.client(world.coordinator).post(url("ledger_budget", world.first.pk), data)
    assert response.status_code == 400
    assert message in response.text.replace("&#x27;", "'")
    assert rows() == NOTHING
    assert funding_events(security_events) == []


def test_a_cost_is_added_and_can_settle_a_commitment_chosen_from_the_review(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    order = add_cost(world, world.first, description="Chair contract", on=world.this.start)
    add_cost(world, world.second, description="Other review order")
    client = world.client(world.coordinator)
    form = client.get(url("cost_new", world.first.pk)).text
    label = services.entry_label(order)
    assert f'<option value="{order.pk}">{label}</option>' in form
    assert label.startswith(f"1 April {world.this.start.year}, Independent chair: Chair contract (£1,000.00)")
    assert "Other review order" not in form
    response = client.post(
        url("cost_new", world.first.pk), cost_data(kind="actual", amount="400", against=str(order.pk))
    )
    assert response.status_code == 302
    invoice = CostEntry.objects.get(kind="actual")
    assert (invoice.against_id, invoice.amount_pence, invoice.recorded_by) == (order.pk, 400 * POUND, world.coordinator)
    assert funding_events(security_events)[-1] == "funding.cost_added"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "0"}, "The amount must be more than £0"),
        ({"amount": "-10"}, "The amount cannot be negative"),
        ({"amount": ""}, "Enter the amount"),
        ({"on": "tomorrow"}, "The date must be today or in the past"),
        ({"description": ""}, "Enter what the cost is for"),
        (
            {"kind": "actual", "category": LEGAL, "against": "order"},
            "Choose a commitment of this review in the same category",
        ),
        ({"kind": "actual", "against": "elsewhere"}, "Choose a commitment of this review in the same category"),
    ],
)
def test_a_bad_cost_is_refused_on_the_form_and_nothing_changes(
    funding_world: FundingWorld, security_events: EventLog, changes: dict[str, Any], message: str
) -> None:
    world = funding_world
    order = add_cost(world, world.first)
    elsewhere = add_cost(world, world.second)
    before, events = rows(), funding_events(security_events)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    values = {"order": str(order.pk), "elsewhere": str(elsewhere.pk), "tomorrow": tomorrow}
    data = cost_data(**{name: values.get(value, value) for name, value in changes.items()})
    response = world.client(world.coordinator).post(url("cost_new", world.first.pk), data)
    assert response.status_code == 400
    assert message in response.text
    assert rows() == before
    assert funding_events(security_events) == events


def test_cancelling_a_cost_asks_for_the_reason_and_keeps_it(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    entry = add_cost(world, world.first, description="Venue booking")
    client = world.client(world.coordinator)
    assert "Venue booking" in client.get(url("cost_cancel", entry.pk)).text
    refused = client.post(url("cost_cancel", entry.pk), {"reason": ""})
    assert refused.status_code == 400
    assert "Enter why it is cancelled" in refused.text
    response = client.post(url("cost_cancel", entry.pk), {"reason": "Booked twice"})
    assert response.status_code == 302
    assert response["Location"] == url("ledger", world.first.pk)
    entry.refresh_from_db()
    assert entry.cancel_reason == "Booked twice"
    assert funding_events(security_events) == ["funding.cost_added", "funding.cost_cancelled"]
    again = client.post(url("cost_cancel", entry.pk), {"reason": "Again"})
    assert again.status_code == 400
    assert "This entry has already been cancelled" in again.text


def test_a_commitment_with_actual_costs_is_not_cancelled_and_the_page_says_why(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    order = add_cost(world, world.first)
    invoice = add_cost(world, world.first, kind=ACTUAL, description="First invoice", against_id=order.pk)
    client = world.client(world.coordinator)
    page = client.get(url("cost_cancel", order.pk)).text
    assert "Cancel the actual costs settled against this commitment first" in page
    assert url("cost_cancel", invoice.pk) in page
    assert 'name="reason"' not in page
    before, events = rows(), funding_events(security_events)
    response = client.post(url("cost_cancel", order.pk), {"reason": "Wrong"})
    assert response.status_code == 400
    assert "Cancel the actual costs settled against this commitment first" in response.text
    assert rows() == before
    assert funding_events(security_events) == events


def test_a_contribution_is_added_received_and_cancelled(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    client = world.client(world.coordinator)
    form = client.get(url("contribution_new", world.first.pk)).text
    assert 'value="awarded_fund"' not in form
    response = client.post(
        url("contribution_new", world.first.pk),
        {
            "partner_kind": PartnerKind.OTHER_PARTNER,
            "partner_name": "Exampleshire Integrated Care Board",
            "amount": "1,500",
            "agreed_on": world.last.end.isoformat(),
            "received": "",
            "received_on": "",
            "note": "PO 4471",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("ledger", world.first.pk)
    contribution = Contribution.objects.get()
    assert (contribution.amount_pence, contribution.received_pence) == (1_500 * POUND, 0)
    assert 'value="0.00"' in client.get(url("contribution_receive", contribution.pk)).text
    received = client.post(
        url("contribution_receive", contribution.pk), {"received": "1000", "received_on": world.this.start.isoformat()}
    )
    assert received.status_code == 302
    contribution.refresh_from_db()
    assert (contribution.received_pence, contribution.received_on) == (1_000 * POUND, world.this.start)
    too_much = client.post(
        url("contribution_receive", contribution.pk), {"received": "2000", "received_on": world.this.start.isoformat()}
    )
    assert too_much.status_code == 400
    assert "The amount received cannot be more than the £1,500.00 agreed" in too_much.text
    cancelled = client.post(url("contribution_cancel", contribution.pk), {"reason": "Entered on the wrong review"})
    assert cancelled.status_code == 302
    contribution.refresh_from_db()
    assert (contribution.received_pence, contribution.cancel_reason) == (1_000 * POUND, "Entered on the wrong review")
    assert funding_events(security_events) == [
        "funding.contribution_added",
        "funding.contribution_received",
        "funding.contribution_cancelled",
    ]


def test_an_other_partner_must_be_named_on_the_form(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    response = world.client(world.coordinator).post(
        url("contribution_new", world.first.pk),
        {"partner_kind": PartnerKind.OTHER_PARTNER, "amount": "10", "agreed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "Enter the name of the partner" in response.text
    assert rows() == NOTHING
    assert funding_events(security_events) == []


def test_an_awarded_fund_is_received_through_its_application(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    award = awarded(world, world.first)
    client = world.client(world.coordinator)
    for name in ("contribution_receive", "contribution_cancel"):
        page = client.get(url(name, award.pk)).text
        assert reverse("funding:application", args=[award.application_id]) in page
        assert 'name="reason"' not in page
        assert 'name="received"' not in page
    before = rows()
    response = client.post(
        url("contribution_receive", award.pk), {"received": "10", "received_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 400
    assert "This contribution is paid through its application: record the payment there" in response.text
    assert client.post(url("contribution_cancel", award.pk), {"reason": "No"}).status_code == 400
    assert rows() == before
    assert funding_events(security_events) == []


# The partnership's year -----------------------------------------------------------------------


def test_the_year_defaults_to_the_current_one_and_shows_its_span(funding_world: FundingWorld) -> None:
    world = funding_world
    add_cost(world, world.third, description="Chair contract", amount_pence=321 * POUND)
    response = world.client(world.coordinator).get(url("partnership_ledger", world.partnership.pk))
    assert response.status_code == 200
    page = response.text
    assert f"Costs and contributions in {world.this.label}" in page
    assert world.this.span in page
    assert f'<option value="{world.this.label}" selected>' in page
    assert url("ledger", world.third.pk) in page
    assert "£321.00" in page
    assert f"{url('partnership_ledger_export', world.partnership.pk, 'xlsx')}?year={world.this.label}" in page
    assert f"{url('partnership_ledger_export', world.partnership.pk, 'csv')}?year={world.this.label}" in page


def test_31_march_and_1_april_appear_in_different_years_on_the_page(funding_world: FundingWorld) -> None:
    world = funding_world
    add_cost(world, world.first, on=world.last.end, amount_pence=123 * POUND)
    add_cost(world, world.first, on=world.this.start, amount_pence=456 * POUND)
    add_contribution(world, world.second, agreed_on=world.last.end, amount_pence=789 * POUND)
    add_contribution(world, world.third, agreed_on=world.this.start, amount_pence=987 * POUND)
    client = world.client(world.csp_chair)
    last = client.get(url("partnership_ledger", world.partnership.pk), {"year": world.last.label}).text
    this = client.get(url("partnership_ledger", world.partnership.pk), {"year": world.this.label}).text
    assert world.last.span in last
    assert "£123.00" in last
    assert "£789.00" in last
    assert "£456.00" not in last
    assert "£987.00" not in last
    assert "£456.00" in this
    assert "£987.00" in this
    assert "£123.00" not in this
    assert "£789.00" not in this


@pytest.mark.parametrize("year", ["2025-27", "last year", ""])
def test_a_year_that_is_not_a_financial_year_is_refused_with_a_message(funding_world: FundingWorld, year: str) -> None:
    world = funding_world
    response = world.client(world.coordinator).get(url("partnership_ledger", world.partnership.pk), {"year": year})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    message = {
        "2025-27": "2025-27 is not a financial year: the second year must follow the first",
        "last year": "Enter a financial year like 2025-26",
        "": "Choose a financial year",
    }[year]
    assert message in response.text
    assert "By review" not in response.text


def test_the_year_page_costs_a_fixed_number_of_queries(
    funding_world: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = funding_world
    for review in (world.first, world.second, world.third):
        add_cost(world, review)
        add_contribution(world, review)
    client = world.client(world.coordinator)
    with django_assert_max_num_queries(20):
        response = client.get(url("partnership_ledger", world.partnership.pk))
    assert response.status_code == 200


# Who sees the ledger --------------------------------------------------------------------------


def _participant(world: FundingWorld, review: Review, kind: str) -> User:
    user: User = UserFactory.create(email=f"{kind}@example.org")
    agency = Agency.objects.get(name="Agency A Police") if kind != ParticipantKind.INDEPENDENT_CHAIR else None
    Participant.objects.create(review=review, user=user, kind=kind, agency=agency, added_by=world.coordinator)
    return user


def _someone(world: FundingWorld, who: str) -> User:
    if who in ParticipantKind.values:
        return _participant(world, world.first, who)
    user: User = getattr(world.personas, who)
    return user


@pytest.mark.parametrize(
    "who", [*ParticipantKind.values, "auditor", "contributor_a", "site_admin", "outsider", "unverified"]
)
def test_everyone_but_the_partnership_managers_gets_a_404_and_changes_nothing(
    funding_world: FundingWorld, security_events: EventLog, who: str
) -> None:
    world = funding_world
    entry = add_cost(world, world.first)
    contribution = add_contribution(world, world.first)
    user = _someone(world, who)
    if who == "unverified":
        client = Client()
        client.force_login(user)
    else:
        client = world.client(user)
    before, events = rows(), funding_events(security_events)
    gets = [
        *review_urls(world.first),
        url("cost_cancel", entry.pk),
        url("contribution_receive", contribution.pk),
        url("contribution_cancel", contribution.pk),
        url("partnership_ledger", world.partnership.pk),
    ]
    expected = 302 if who == "unverified" else 404  # sent to set up a second factor first
    for path in gets:
        assert client.get(path).status_code == expected, path
        assert client.post(path, {"version": 1, CHAIR: "10", "reason": "No", "received": "1"}).status_code == expected
    assert rows() == before
    assert funding_events(security_events) == events


def test_a_review_not_yet_commenced_has_no_ledger_pages(funding_world: FundingWorld) -> None:
    world = funding_world
    client = world.client(world.coordinator)
    for path in review_urls(world.pending):
        assert client.get(path).status_code == 404, path
        assert client.post(path, cost_data(version=1)).status_code == 404, path
    assert rows() == NOTHING


def test_the_other_partnership_keeps_its_own_ledger_only(funding_world: FundingWorld) -> None:
    world = funding_world
    client = world.client(world.personas.outsider)
    assert client.get(url("ledger", world.lone.pk)).status_code == 200
    assert client.get(url("partnership_ledger", world.personas.other_partnership.pk)).status_code == 200
    assert client.get(url("ledger", world.first.pk)).status_code == 404
    assert client.get(url("partnership_ledger", world.partnership.pk)).status_code == 404


# The review's navigation ----------------------------------------------------------------------

FUNDING_LINK = "Funding and costs</a>"


@pytest.mark.parametrize("who", ["coordinator", "csp_chair"])
def test_the_partnership_managers_find_the_ledger_in_a_commenced_review(funding_world: FundingWorld, who: str) -> None:
    world = funding_world
    client = world.client(getattr(world.personas, who))
    page = client.get(reverse("reviews:review", args=[world.first.pk])).text
    assert f'href="{url("ledger", world.first.pk)}"' in page
    assert FUNDING_LINK in page
    ledger = client.get(url("ledger", world.first.pk)).text
    assert f'href="{url("ledger", world.first.pk)}" aria-current="page">Funding and costs' in ledger
    assert FUNDING_LINK not in client.get(reverse("reviews:review", args=[world.pending.pk])).text


@pytest.mark.parametrize("kind", [ParticipantKind.INDEPENDENT_CHAIR, ParticipantKind.PANEL_MEMBER])
def test_the_chair_and_panel_of_a_review_are_not_shown_its_funding(funding_world: FundingWorld, kind: str) -> None:
    world = funding_world
    user = _participant(world, world.first, kind)
    response = world.client(user).get(reverse("reviews:review", args=[world.first.pk]))
    assert response.status_code == 200
    assert "Overview" in response.text
    assert FUNDING_LINK not in response.text
