"""Funding applications through the services: the funder's decision, the payment and withdrawal
refused with a message naming the field, and nothing changed."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dhr_tracker.funding.models import Application, ApplicationStatus, Contribution
from dhr_tracker.funding.services import applications as services
from dhr_tracker.funding.years import long_date
from sharing.models import Space
from tests.conftest import EventLog
from tests.funding.conftest import POUND, FundingWorld
from tests.funding.test_applications import TODAY, decide, draft, messages, refused, space, spooled, submitted
from tests.sharing.conftest import clean_storage

__all__ = ["clean_storage", "space"]  # fixtures, used by name


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"outcome": "paid"}, "outcome", "Select the funder's decision"),
        ({"awarded_pence": None}, "awarded", "Enter the amount awarded"),
        (
            {"awarded_pence": 14_000 * POUND},
            "awarded",
            "An approved application is awarded the amount requested, £15,000.00: select part approved for less",
        ),
        (
            {"outcome": ApplicationStatus.PART_APPROVED},
            "awarded",
            "A part approved application is awarded less than the amount requested, £15,000.00",
        ),
        (
            {"outcome": ApplicationStatus.PART_APPROVED, "awarded_pence": 16_000 * POUND},
            "awarded",
            "The amount awarded, £16,000.00, is more than the amount requested, £15,000.00",
        ),
        (
            {"outcome": ApplicationStatus.REJECTED, "awarded_pence": 100},
            "awarded",
            "A rejected application is awarded nothing: leave the amount empty",
        ),
        (
            {"outcome": ApplicationStatus.REJECTED, "awarded_pence": None, "shares": {1: 100}},
            "shares",
            "A rejected application has no shares to give",
        ),
        (
            {"decided_on": TODAY + timedelta(days=1)},
            "decided_on",
            "The date of the decision must be today or in the past",
        ),
        (
            {"decided_on": TODAY - timedelta(days=1)},
            "decided_on",
            f"The decision cannot be dated before the application was submitted, on {long_date(TODAY)}",
        ),
    ],
)
def test_a_bad_decision_changes_nothing_and_hands_the_letter_back(
    funding_world: FundingWorld,
    space: Space,
    security_events: EventLog,
    fields: dict[str, Any],
    field: str,
    message: str,
) -> None:
    world = funding_world
    application = submitted(world)
    arguments: dict[str, Any] = {
        "outcome": ApplicationStatus.APPROVED,
        "decided_on": TODAY,
        "awarded_pence": application.requested_pence,
        "conditions": "",
        "shares": None,
        **fields,
    }
    upload = spooled()
    error = refused(
        security_events,
        lambda: services.record_decision(
            application, actor=world.coordinator, space=space, upload=upload, request=None, **arguments
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {field: [message]}
    assert upload.kept is False
    upload.discard()


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        (
            {"first": 9_000 * POUND, "second": 5_000 * POUND},
            "The shares must add up to the amount awarded, £15,000.00; they add up to £14,000.00",
        ),
        ({"first": 16_000 * POUND, "second": -1_000 * POUND}, "A share cannot be negative"),
        ({"first": 5_000 * POUND, "lone": 10_000 * POUND}, "Give shares only for the reviews this application covers"),
    ],
)
def test_shares_must_be_of_the_reviews_covered_and_add_up_to_the_award(
    funding_world: FundingWorld, space: Space, security_events: EventLog, shares: dict[str, int], message: str
) -> None:
    world = funding_world
    application = submitted(world)
    by_review = {getattr(world, name).pk: pence for name, pence in shares.items()}
    upload = spooled()
    error = refused(
        security_events,
        lambda: services.record_decision(
            application,
            actor=world.coordinator,
            outcome=ApplicationStatus.APPROVED,
            decided_on=TODAY,
            awarded_pence=application.requested_pence,
            conditions="",
            shares=by_review,
            space=space,
            upload=upload,
            request=None,
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"shares": [message]}
    upload.discard()


def test_awards_stay_within_the_funds_pot(funding_world: FundingWorld, space: Space, security_events: EventLog) -> None:
    world = funding_world
    for _ in range(3):
        Application.objects.create(
            partnership=world.partnership,
            stream=world.local,
            status=ApplicationStatus.APPROVED,
            requested_pence=5_000 * POUND,
            awarded_pence=5_000 * POUND,
            created_by=world.coordinator,
        )
    Application.objects.create(
        partnership=world.partnership,
        stream=world.local,
        status=ApplicationStatus.PAID,
        requested_pence=4_000 * POUND,
        awarded_pence=4_000 * POUND,
        created_by=world.coordinator,
    )
    application = submitted(world, [world.third], stream=world.local, requested=2_000 * POUND)
    upload = spooled()
    error = refused(
        security_events,
        lambda: services.record_decision(
            application,
            actor=world.coordinator,
            outcome=ApplicationStatus.APPROVED,
            decided_on=TODAY,
            awarded_pence=2_000 * POUND,
            conditions="",
            shares=None,
            space=space,
            upload=upload,
            request=None,
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {
        "awarded": ["This award would bring the fund's awards to £21,000.00, more than its total pot of £20,000.00"]
    }
    upload.discard()
    decided = decide(world, application, space, outcome=ApplicationStatus.PART_APPROVED, awarded_pence=1_000 * POUND)
    assert decided.awarded_pence == 1_000 * POUND


def test_a_decision_is_recorded_only_on_a_submitted_application(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    error = refused(security_events, lambda: decide(world, application, space))
    assert messages(error) == ["This application has not been submitted, so a decision cannot be recorded"]
    decided = decide(world, services.submit_application(application, actor=world.csp_chair, request=None), space)
    error = refused(security_events, lambda: decide(world, decided, space))
    assert messages(error) == [f"This application was approved on {long_date(TODAY)}, so a decision cannot be recorded"]


@pytest.mark.parametrize(
    ("paid", "paid_on", "field", "message"),
    [
        (0, TODAY, "paid", "Enter the amount paid"),
        (15_000 * POUND + 1, TODAY, "paid", "The amount paid cannot be more than the amount awarded, £15,000.00"),
        (100, TODAY + timedelta(days=1), "paid_on", "The date of payment must be today or in the past"),
        (
            100,
            TODAY - timedelta(days=1),
            "paid_on",
            f"The payment cannot be dated before the decision, on {long_date(TODAY)}",
        ),
    ],
)
def test_a_bad_payment_changes_nothing(
    funding_world: FundingWorld,
    space: Space,
    security_events: EventLog,
    paid: int,
    paid_on: Any,
    field: str,
    message: str,
) -> None:
    world = funding_world
    application = decide(world, submitted(world), space)
    error = refused(
        security_events,
        lambda: services.record_payment(
            application, actor=world.coordinator, paid_on=paid_on, paid_pence=paid, request=None
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {field: [message]}


def test_a_payment_is_recorded_once(funding_world: FundingWorld, space: Space, security_events: EventLog) -> None:
    world = funding_world
    application = decide(world, submitted(world), space)
    paid = services.record_payment(
        application, actor=world.coordinator, paid_on=TODAY, paid_pence=15_000 * POUND, request=None
    )
    assert [c.received_pence for c in Contribution.objects.order_by("pk")] == [750_000, 750_000]
    error = refused(
        security_events,
        lambda: services.record_payment(paid, actor=world.coordinator, paid_on=TODAY, paid_pence=1, request=None),
    )
    assert messages(error) == [f"This application was paid on {long_date(TODAY)}, so a payment cannot be recorded"]
    error = refused(
        security_events,
        lambda: services.withdraw_application(paid, actor=world.coordinator, reason="Too late", request=None),
    )
    assert messages(error) == [f"This application was paid on {long_date(TODAY)}, so it cannot be withdrawn"]


def test_a_withdrawal_needs_a_reason(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.first])
    error = refused(
        security_events,
        lambda: services.withdraw_application(application, actor=world.coordinator, reason="  ", request=None),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"reason": ["Enter why the application is being withdrawn"]}
