"""The ledger of a review: its budget, costs and contributions (``services.ledger``), what they add
up to (``ledgers.summary``) and a partnership's financial year (``ledgers.year_view``). Every
refusal changes nothing and records no event. Helpers here are shared by the page tests."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.funding import ledgers
from dhr_tracker.funding.models import (
    Application,
    ApplicationStatus,
    BudgetLine,
    Contribution,
    CostCategory,
    CostEntry,
    CostKind,
    Ledger,
    PartnerKind,
)
from dhr_tracker.funding.services import STALE_MESSAGE
from dhr_tracker.funding.services import ledger as services
from dhr_tracker.reviews.models import Review
from tests.conftest import EventLog
from tests.funding.conftest import POUND, FundingWorld

pytestmark = pytest.mark.django_db

CHAIR, LEGAL, VENUE = CostCategory.CHAIR, CostCategory.LEGAL, CostCategory.VENUE
COMMITMENT, ACTUAL = CostKind.COMMITMENT, CostKind.ACTUAL


def add_cost(world: FundingWorld, review: Review, **changes: Any) -> CostEntry:
    """The coordinator records a £1,000 commitment for the independent chair, dated today."""
    values: dict[str, Any] = {
        "kind": COMMITMENT,
        "category": CHAIR,
        "description": "Independent chair's contract",
        "supplier": "Independent Review Chairs Ltd",
        "on": timezone.localdate(),
        "amount_pence": 1_000 * POUND,
        "against_id": None,
    }
    values.update(changes)
    return services.add_cost(review, actor=world.coordinator, request=None, **values)


def add_contribution(world: FundingWorld, review: Review, **changes: Any) -> Contribution:
    """The coordinator records £500 agreed by the partnership today, nothing received yet."""
    values: dict[str, Any] = {
        "partner_kind": PartnerKind.PARTNERSHIP,
        "partner_name": "",
        "amount_pence": 500 * POUND,
        "agreed_on": timezone.localdate(),
        "received_pence": 0,
        "received_on": None,
        "note": "",
    }
    values.update(changes)
    return services.add_contribution(review, actor=world.coordinator, request=None, **values)


def awarded(world: FundingWorld, review: Review, amount: int = 2_000 * POUND) -> Contribution:
    """An awarded fund, as recording an application's award makes it."""
    application = Application.objects.create(
        partnership=world.partnership,
        stream=world.local,
        status=ApplicationStatus.APPROVED,
        requested_pence=amount,
        awarded_pence=amount,
        created_by=world.coordinator,
    )
    return Contribution.objects.create(
        ledger=services.ledger_of(review),
        partner_kind=PartnerKind.AWARDED_FUND,
        partner_name=world.local.funder,
        amount_pence=amount,
        agreed_on=timezone.localdate(),
        application=application,
        recorded_by=world.coordinator,
    )


def funding_events(events: EventLog) -> list[str]:
    return [action for action in events.actions() if action.startswith("funding.")]


def refused(call: Callable[[], Any], field: str | None, message: str) -> None:
    """``call`` is refused with ``message``, on ``field`` (``None``: the whole form)."""
    with pytest.raises(ValidationError) as caught:
        call()
    if field is None:
        assert caught.value.messages == [message]
    else:
        assert caught.value.message_dict[field] == [message]


def rows() -> list[list[Any]]:
    """Everything the ledger services write, to show that a refusal changed nothing."""
    return [
        list(Ledger.objects.order_by("pk").values_list("pk", "version")),
        list(BudgetLine.objects.values_list("pk", "category", "amount_pence")),
        list(CostEntry.objects.values_list("pk", "cancelled_at", "cancel_reason")),
        list(Contribution.objects.values_list("pk", "received_pence", "received_on", "cancelled_at", "cancel_reason")),
    ]


NOTHING: list[list[Any]] = [[], [], [], []]


def on_days(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with "today" and "tomorrow" as dates."""
    days = {"today": timezone.localdate(), "tomorrow": timezone.localdate() + timedelta(days=1)}
    return {name: days.get(value, value) if isinstance(value, str) else value for name, value in changes.items()}


# The budget -----------------------------------------------------------------------------------


def test_the_budget_is_set_by_category_and_zero_removes_a_line(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    ledger = services.set_budget(
        world.first,
        actor=world.coordinator,
        version=1,
        amounts={CHAIR: 6_000 * POUND, LEGAL: 1_500 * POUND, VENUE: 0},
        request=None,
    )
    assert ledger.version == 2
    assert dict(BudgetLine.objects.filter(ledger=ledger).values_list("category", "amount_pence")) == {
        CHAIR: 6_000 * POUND,
        LEGAL: 1_500 * POUND,
    }
    event = security_events.find("funding.budget_set")
    assert event.details["pence"] == {CHAIR: 6_000 * POUND, LEGAL: 1_500 * POUND}
    assert event.details["total_pence"] == 7_500 * POUND
    assert event.partnership_id == world.partnership.pk

    services.set_budget(
        world.first, actor=world.csp_chair, version=2, amounts={CHAIR: 7_000 * POUND, LEGAL: 0}, request=None
    )
    assert dict(BudgetLine.objects.filter(ledger=ledger).values_list("category", "amount_pence")) == {
        CHAIR: 7_000 * POUND
    }
    assert security_events.find("funding.budget_set").details["total_pence"] == 7_000 * POUND


def test_a_budget_saved_from_a_stale_form_changes_nothing(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    services.set_budget(world.first, actor=world.coordinator, version=1, amounts={CHAIR: 100 * POUND}, request=None)
    before = rows()
    with pytest.raises(ValidationError) as caught:
        services.set_budget(world.first, actor=world.csp_chair, version=1, amounts={CHAIR: 200 * POUND}, request=None)
    assert caught.value.code == "stale"
    assert caught.value.messages == [STALE_MESSAGE]
    assert rows() == before
    assert Ledger.objects.get(review=world.first).version == 2
    assert funding_events(security_events) == ["funding.budget_set"]


def test_a_negative_budget_is_refused_and_makes_no_ledger(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    refused(
        lambda: services.set_budget(world.first, actor=world.coordinator, version=1, amounts={LEGAL: -1}, request=None),
        LEGAL,
        "The budget for legal cannot be negative",
    )
    assert rows() == NOTHING
    assert funding_events(security_events) == []


def test_a_budget_for_a_category_that_does_not_exist_is_refused(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    refused(
        lambda: services.set_budget(
            world.first, actor=world.coordinator, version=1, amounts={"catering": POUND}, request=None
        ),
        "__all__",
        "Choose categories from the list",
    )
    assert rows() == NOTHING
    assert funding_events(security_events) == []


# Commitments and actual costs -----------------------------------------------------------------


def test_a_commitment_and_an_actual_cost_settling_it_are_recorded(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    order = add_cost(world, world.first, on=world.last.end)
    invoice = add_cost(world, world.first, kind=ACTUAL, amount_pence=400 * POUND, against_id=order.pk)
    assert invoice.against == order
    assert invoice.ledger == order.ledger == Ledger.objects.get(review=world.first)
    event = security_events.find("funding.cost_added")
    assert event.details == {
        "review": world.first.pk,
        "kind": ACTUAL,
        "category": CHAIR,
        "on": timezone.localdate().isoformat(),
        "amount_pence": 400 * POUND,
        "against": order.pk,
    }
    assert "Independent" not in event.details_json
    assert funding_events(security_events) == ["funding.cost_added", "funding.cost_added"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_pence": 0}, "amount", "The amount must be more than £0"),
        ({"amount_pence": -5}, "amount", "The amount must be more than £0"),
        ({"on": "tomorrow"}, "on", "The date must be today or in the past"),
        ({"description": "   "}, "description", "Enter what the cost is for"),
        ({"description": "x" * 201}, "description", "The description must be 200 characters or fewer"),
        ({"supplier": "x" * 201}, "supplier", "The supplier must be 200 characters or fewer"),
        ({"kind": "gift"}, "kind", "Choose whether this is a commitment or an actual cost"),
        ({"category": "catering"}, "category", "Choose the category of the cost"),
    ],
)
def test_a_bad_cost_is_refused_with_its_message(
    funding_world: FundingWorld, security_events: EventLog, changes: dict[str, Any], field: str, message: str
) -> None:
    world = funding_world
    refused(lambda: add_cost(world, world.first, **on_days(changes)), field, message)
    assert rows() == NOTHING
    assert funding_events(security_events) == []


def test_only_an_actual_cost_settles_a_commitment(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    order = add_cost(world, world.first)
    before = rows()
    refused(
        lambda: add_cost(world, world.first, against_id=order.pk),
        "against",
        "Only an actual cost settles a commitment: choose none for a commitment",
    )
    assert rows() == before
    assert funding_events(security_events) == ["funding.cost_added"]


@pytest.mark.parametrize("which", ["other_category", "other_review", "actual_cost", "cancelled", "unknown"])
def test_an_actual_cost_settles_only_a_live_commitment_of_the_review_in_its_category(
    funding_world: FundingWorld, security_events: EventLog, which: str
) -> None:
    world = funding_world
    against = {
        "other_category": lambda: add_cost(world, world.first, category=LEGAL),
        "other_review": lambda: add_cost(world, world.second),
        "actual_cost": lambda: add_cost(world, world.first, kind=ACTUAL),
        "cancelled": lambda: services.cancel_cost(
            add_cost(world, world.first), actor=world.coordinator, reason="Raised twice", request=None
        ),
        "unknown": lambda: None,
    }[which]()
    against_id = against.pk if against is not None else 999_999
    before, events = rows(), funding_events(security_events)
    refused(
        lambda: add_cost(world, world.first, kind=ACTUAL, against_id=against_id),
        "against",
        "Choose a commitment of this review in the same category",
    )
    assert rows() == before
    assert funding_events(security_events) == events


def test_cancelling_keeps_the_entry_with_its_reason(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    entry = add_cost(world, world.first)
    services.cancel_cost(entry, actor=world.csp_chair, reason="Entered against the wrong review", request=None)
    entry.refresh_from_db()
    assert entry.cancelled_at is not None
    assert entry.cancelled_by == world.csp_chair
    assert entry.cancel_reason == "Entered against the wrong review"
    event = security_events.find("funding.cost_cancelled")
    assert event.details == {"review": world.first.pk, "kind": COMMITMENT, "category": CHAIR, "amount_pence": 100_000}
    assert "wrong" not in event.details_json


def test_a_cost_is_cancelled_once_and_only_with_a_reason(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    entry = add_cost(world, world.first)
    refused(
        lambda: services.cancel_cost(entry, actor=world.coordinator, reason=" ", request=None),
        "reason",
        "Enter why the entry is cancelled",
    )
    services.cancel_cost(entry, actor=world.coordinator, reason="Raised twice", request=None)
    before = rows()
    refused(
        lambda: services.cancel_cost(entry, actor=world.coordinator, reason="Again", request=None),
        None,
        "This entry has already been cancelled",
    )
    assert rows() == before
    assert CostEntry.objects.get(pk=entry.pk).cancel_reason == "Raised twice"
    assert funding_events(security_events) == ["funding.cost_added", "funding.cost_cancelled"]


def test_a_commitment_is_cancelled_only_once_its_actual_costs_are(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    order = add_cost(world, world.first)
    invoice = add_cost(world, world.first, kind=ACTUAL, amount_pence=300 * POUND, against_id=order.pk)
    before = rows()
    refused(
        lambda: services.cancel_cost(order, actor=world.coordinator, reason="Wrong supplier", request=None),
        None,
        "Cancel the actual costs settled against this commitment first",
    )
    assert rows() == before
    services.cancel_cost(invoice, actor=world.coordinator, reason="Wrong supplier", request=None)
    services.cancel_cost(order, actor=world.coordinator, reason="Wrong supplier", request=None)
    assert CostEntry.objects.live().count() == 0
    assert funding_events(security_events).count("funding.cost_cancelled") == 2


# Contributions --------------------------------------------------------------------------------


def test_contributions_name_their_partner_or_take_a_default_name(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    ours = add_contribution(world, world.first)
    pcc = add_contribution(world, world.first, partner_kind=PartnerKind.PCC)
    health = add_contribution(
        world,
        world.first,
        partner_kind=PartnerKind.OTHER_PARTNER,
        partner_name=" Exampleshire Integrated Care Board ",
        received_pence=200 * POUND,
        received_on=world.this.start,
        note="PO 4471",
    )
    assert ours.partner_name == world.partnership.name
    assert pcc.partner_name == "Police and crime commissioner"
    assert health.partner_name == "Exampleshire Integrated Care Board"
    assert (health.received_pence, health.received_on, health.note) == (200 * POUND, world.this.start, "PO 4471")
    event = security_events.find("funding.contribution_added")
    assert event.details == {
        "review": world.first.pk,
        "partner_kind": PartnerKind.OTHER_PARTNER,
        "amount_pence": 500 * POUND,
        "agreed_on": timezone.localdate().isoformat(),
        "received_pence": 200 * POUND,
        "received_on": world.this.start.isoformat(),
    }
    assert "Integrated" not in event.details_json


def test_awarded_funds_are_not_added_by_hand(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    refused(
        lambda: add_contribution(world, world.first, partner_kind=PartnerKind.AWARDED_FUND, partner_name="Home Office"),
        "partner_kind",
        "Awarded funds are added when the award is recorded on the application",
    )
    assert rows() == NOTHING
    assert funding_events(security_events) == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"partner_kind": PartnerKind.OTHER_PARTNER}, "partner_name", "Enter the name of the partner"),
        ({"partner_kind": "friend"}, "partner_kind", "Choose who the contribution is from"),
        ({"partner_name": "x" * 201}, "partner_name", "The partner's name must be 200 characters or fewer"),
        ({"amount_pence": 0}, "amount", "The amount must be more than £0"),
        ({"agreed_on": "tomorrow"}, "agreed_on", "The date must be today or in the past"),
        (
            {"received_pence": 501 * POUND, "received_on": "today"},
            "received",
            "The amount received cannot be more than the £500.00 agreed",
        ),
        ({"received_pence": -1}, "received", "The amount received cannot be negative"),
        ({"received_pence": 100 * POUND}, "received_on", "Enter the date it was received"),
        ({"received_on": "today"}, "received_on", "Leave the date received empty when nothing has been received"),
        (
            {"received_pence": 100 * POUND, "received_on": "tomorrow"},
            "received_on",
            "The date must be today or in the past",
        ),
        ({"note": "x" * 201}, "note", "The note must be 200 characters or fewer"),
    ],
)
def test_a_bad_contribution_is_refused_with_its_message(
    funding_world: FundingWorld, security_events: EventLog, changes: dict[str, Any], field: str, message: str
) -> None:
    world = funding_world
    refused(lambda: add_contribution(world, world.first, **on_days(changes)), field, message)
    assert rows() == NOTHING
    assert funding_events(security_events) == []


def test_receiving_sets_the_total_received_so_far(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    contribution = add_contribution(world, world.first, received_pence=100 * POUND, received_on=world.last.end)
    services.receive_contribution(
        contribution, actor=world.csp_chair, received_pence=500 * POUND, received_on=world.this.start, request=None
    )
    contribution.refresh_from_db()
    assert (contribution.received_pence, contribution.received_on) == (500 * POUND, world.this.start)
    event = security_events.find("funding.contribution_received")
    assert event.details == {
        "review": world.first.pk,
        "received_pence": 500 * POUND,
        "before_pence": 100 * POUND,
        "received_on": world.this.start.isoformat(),
    }


@pytest.mark.parametrize(
    ("received", "on", "field", "message"),
    [
        (501 * POUND, "today", "received", "The amount received cannot be more than the £500.00 agreed"),
        (-1, None, "received", "The amount received cannot be negative"),
        (100 * POUND, None, "received_on", "Enter the date it was received"),
        (100 * POUND, "tomorrow", "received_on", "The date must be today or in the past"),
    ],
)
def test_a_bad_receipt_is_refused_and_changes_nothing(
    funding_world: FundingWorld, security_events: EventLog, received: int, on: str | None, field: str, message: str
) -> None:
    world = funding_world
    contribution = add_contribution(world, world.first)
    before = rows()
    refused(
        lambda: services.receive_contribution(
            contribution,
            actor=world.coordinator,
            received_pence=received,
            received_on=on_days({"on": on})["on"],
            request=None,
        ),
        field,
        message,
    )
    assert rows() == before
    assert funding_events(security_events) == ["funding.contribution_added"]


def test_awarded_funds_are_received_and_cancelled_only_through_their_application(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    award = awarded(world, world.first)
    before = rows()
    refused(
        lambda: services.receive_contribution(
            award, actor=world.coordinator, received_pence=100, received_on=timezone.localdate(), request=None
        ),
        None,
        "This contribution is paid through its application: record the payment there",
    )
    refused(
        lambda: services.cancel_contribution(award, actor=world.coordinator, reason="Withdrawn", request=None),
        None,
        "This contribution is an award: withdraw the application to cancel it",
    )
    assert rows() == before
    assert funding_events(security_events) == []


def test_a_contribution_is_cancelled_once_with_a_reason_and_then_not_received(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    contribution = add_contribution(world, world.first, partner_kind=PartnerKind.PCC)
    refused(
        lambda: services.cancel_contribution(contribution, actor=world.coordinator, reason="", request=None),
        "reason",
        "Enter why the contribution is cancelled",
    )
    services.cancel_contribution(contribution, actor=world.coordinator, reason="The PCC declined", request=None)
    contribution.refresh_from_db()
    assert (contribution.cancelled_by, contribution.cancel_reason) == (world.coordinator, "The PCC declined")
    event = security_events.find("funding.contribution_cancelled")
    assert event.details == {
        "review": world.first.pk,
        "partner_kind": PartnerKind.PCC,
        "amount_pence": 500 * POUND,
        "received_pence": 0,
    }
    before = rows()
    refused(
        lambda: services.cancel_contribution(contribution, actor=world.coordinator, reason="Again", request=None),
        None,
        "This contribution has already been cancelled",
    )
    refused(
        lambda: services.receive_contribution(
            contribution, actor=world.coordinator, received_pence=0, received_on=None, request=None
        ),
        None,
        "This contribution has already been cancelled",
    )
    assert rows() == before
    assert funding_events(security_events) == ["funding.contribution_added", "funding.contribution_cancelled"]


# Who keeps the ledger -------------------------------------------------------------------------


def _every_change(world: FundingWorld, review: Review, actor: User) -> list[Callable[[], Any]]:
    entry = CostEntry.objects.filter(ledger__review=review).first()
    contribution = Contribution.objects.filter(ledger__review=review).first()
    today = timezone.localdate()
    calls: list[Callable[[], Any]] = [
        lambda: services.set_budget(review, actor=actor, version=1, amounts={CHAIR: POUND}, request=None),
        lambda: services.add_cost(
            review,
            actor=actor,
            kind=COMMITMENT,
            category=CHAIR,
            description="Chair",
            supplier="",
            on=today,
            amount_pence=POUND,
            against_id=None,
            request=None,
        ),
        lambda: services.add_contribution(
            review,
            actor=actor,
            partner_kind=PartnerKind.PCC,
            partner_name="",
            amount_pence=POUND,
            agreed_on=today,
            received_pence=0,
            received_on=None,
            note="",
            request=None,
        ),
    ]
    if entry is not None and contribution is not None:
        calls += [
            lambda: services.cancel_cost(entry, actor=actor, reason="No", request=None),
            lambda: services.receive_contribution(
                contribution, actor=actor, received_pence=POUND, received_on=today, request=None
            ),
            lambda: services.cancel_contribution(contribution, actor=actor, reason="No", request=None),
        ]
    return calls


@pytest.mark.parametrize("who", ["auditor", "contributor_a", "site_admin", "outsider"])
def test_only_the_partnership_managers_change_a_ledger(
    funding_world: FundingWorld, security_events: EventLog, who: str
) -> None:
    world = funding_world
    add_cost(world, world.first)
    add_contribution(world, world.first)
    before, events = rows(), funding_events(security_events)
    calls = _every_change(world, world.first, getattr(world.personas, who))
    assert len(calls) == 6
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert rows() == before
    assert funding_events(security_events) == events


def test_a_review_not_yet_commenced_has_no_ledger(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    for call in _every_change(world, world.pending, world.coordinator):
        with pytest.raises(PermissionDenied):
            call()
    assert rows() == NOTHING
    assert funding_events(security_events) == []


# What the ledger adds up to -------------------------------------------------------------------


def test_outstanding_is_what_commitments_still_hold_and_never_below_nothing(funding_world: FundingWorld) -> None:
    world = funding_world
    chair = add_cost(world, world.first, amount_pence=1_000 * POUND)
    add_cost(world, world.first, kind=ACTUAL, amount_pence=400 * POUND, against_id=chair.pk)
    add_cost(world, world.first, kind=ACTUAL, amount_pence=50 * POUND)
    venue = add_cost(world, world.first, category=VENUE, amount_pence=100 * POUND)
    add_cost(world, world.first, kind=ACTUAL, category=VENUE, amount_pence=150 * POUND, against_id=venue.pk)
    lines = {line.category: line for line in ledgers.summary(world.first).lines}
    assert (lines[CHAIR].committed, lines[CHAIR].actual, lines[CHAIR].outstanding) == (
        1_000 * POUND,
        450 * POUND,
        600 * POUND,
    )
    assert lines[CHAIR].forecast == 1_050 * POUND
    assert (lines[VENUE].committed, lines[VENUE].actual, lines[VENUE].outstanding) == (100 * POUND, 150 * POUND, 0)
    assert lines[VENUE].forecast == 150 * POUND
    assert (lines[LEGAL].committed, lines[LEGAL].forecast) == (0, 0)


def test_variance_gap_and_totals_leave_out_what_was_cancelled(funding_world: FundingWorld) -> None:
    world = funding_world
    services.set_budget(
        world.first,
        actor=world.coordinator,
        version=1,
        amounts={CHAIR: 1_000 * POUND, LEGAL: 500 * POUND},
        request=None,
    )
    order = add_cost(world, world.first, amount_pence=1_200 * POUND)
    add_cost(world, world.first, kind=ACTUAL, amount_pence=300 * POUND, against_id=order.pk)
    mistake = add_cost(world, world.first, category=LEGAL, amount_pence=9_000 * POUND)
    services.cancel_cost(mistake, actor=world.coordinator, reason="Typo", request=None)
    add_contribution(
        world, world.first, amount_pence=700 * POUND, received_pence=200 * POUND, received_on=world.this.start
    )
    add_contribution(world, world.first, partner_kind=PartnerKind.PCC, amount_pence=300 * POUND)
    withdrawn = add_contribution(world, world.first, partner_kind=PartnerKind.PCC, amount_pence=5_000 * POUND)
    services.cancel_contribution(withdrawn, actor=world.coordinator, reason="Declined", request=None)
    awarded(world, world.first, amount=100 * POUND)

    summary = ledgers.summary(world.first)
    lines = {line.category: line for line in summary.lines}
    assert [line.category for line in summary.lines] == CostCategory.values
    assert lines[CHAIR].variance == -200 * POUND  # budget 1,000, forecast 1,200: an overspend
    assert (lines[LEGAL].committed, lines[LEGAL].variance) == (0, 500 * POUND)
    assert (summary.total.budget, summary.total.forecast, summary.total.variance) == (
        1_500 * POUND,
        1_200 * POUND,
        300 * POUND,
    )
    partners = {line.kind: (line.agreed, line.received) for line in summary.partners}
    assert partners == {
        PartnerKind.PARTNERSHIP: (700 * POUND, 200 * POUND),
        PartnerKind.PCC: (300 * POUND, 0),
        PartnerKind.OTHER_PARTNER: (0, 0),
        PartnerKind.AWARDED_FUND: (100 * POUND, 0),
    }
    assert (summary.agreed, summary.received) == (1_100 * POUND, 200 * POUND)
    assert summary.gap == 100 * POUND


# A partnership's year -------------------------------------------------------------------------


def _boundary(world: FundingWorld) -> None:
    """Costs and contributions of ``first`` on 31 March of last year and 1 April of this one."""
    add_cost(world, world.first, on=world.last.end, amount_pence=100 * POUND)
    add_cost(world, world.first, on=world.this.start, amount_pence=200 * POUND, category=LEGAL)
    add_cost(world, world.first, kind=ACTUAL, on=world.last.end, amount_pence=10 * POUND)
    add_cost(world, world.first, kind=ACTUAL, on=world.this.start, amount_pence=20 * POUND)
    add_contribution(
        world,
        world.first,
        agreed_on=world.last.end,
        amount_pence=50 * POUND,
        received_pence=50 * POUND,
        received_on=world.this.start,
    )
    add_contribution(
        world, world.first, partner_kind=PartnerKind.PCC, agreed_on=world.this.start, amount_pence=70 * POUND
    )


def test_31_march_and_1_april_fall_in_different_financial_years(funding_world: FundingWorld) -> None:
    world = funding_world
    _boundary(world)
    last = ledgers.year_view(world.partnership.pk, world.last)
    this = ledgers.year_view(world.partnership.pk, world.this)
    assert [(row.review_id, row.committed, row.actual, row.agreed, row.received) for row in last.rows] == [
        (world.first.pk, 100 * POUND, 10 * POUND, 50 * POUND, 0)
    ]
    assert [(row.review_id, row.committed, row.actual, row.agreed, row.received) for row in this.rows] == [
        (world.first.pk, 200 * POUND, 20 * POUND, 70 * POUND, 50 * POUND)
    ]
    last_categories = {label: (committed, actual) for label, committed, actual in last.categories}
    assert last_categories["Independent chair"] == (100 * POUND, 10 * POUND)
    this_categories = {label: (committed, actual) for label, committed, actual in this.categories}
    assert this_categories["Independent chair"] == (0, 20 * POUND)
    assert this_categories["Legal"] == (200 * POUND, 0)
    this_partners = {line.kind: (line.agreed, line.received) for line in this.partners}
    assert this_partners[PartnerKind.PARTNERSHIP] == (0, 50 * POUND)
    assert this_partners[PartnerKind.PCC] == (70 * POUND, 0)
    assert {line.kind: line.agreed for line in last.partners}[PartnerKind.PARTNERSHIP] == 50 * POUND


def test_the_year_lists_reviews_with_a_budget_and_totals_them_leaving_out_other_partnerships(
    funding_world: FundingWorld,
) -> None:
    world = funding_world
    services.set_budget(world.second, actor=world.coordinator, version=1, amounts={CHAIR: 900 * POUND}, request=None)
    add_cost(world, world.third, amount_pence=300 * POUND)
    cancelled = add_cost(world, world.third, amount_pence=5_000 * POUND)
    services.cancel_cost(cancelled, actor=world.coordinator, reason="Typo", request=None)
    services.add_cost(
        world.lone,
        actor=world.personas.outsider,
        kind=COMMITMENT,
        category=CHAIR,
        description="Chair",
        supplier="",
        on=timezone.localdate(),
        amount_pence=7_000 * POUND,
        against_id=None,
        request=None,
    )
    view = ledgers.year_view(world.partnership.pk, world.this)
    assert [(row.review_id, row.budget, row.committed) for row in view.rows] == [
        (world.second.pk, 900 * POUND, 0),
        (world.third.pk, 0, 300 * POUND),
    ]
    assert (view.total.budget, view.total.committed) == (900 * POUND, 300 * POUND)
    assert view.year == world.this
