"""Funding applications through the services: the lifecycle from draft to paid, the eligibility check
before submission, and every refusal leaving nothing changed."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.funding.models import (
    Application,
    ApplicationCost,
    ApplicationReview,
    ApplicationStatus,
    Contribution,
    FundingStream,
    PartnerKind,
    SupportingDocument,
)
from dhr_tracker.funding.services import STALE_MESSAGE
from dhr_tracker.funding.services import applications as services
from dhr_tracker.funding.years import long_date
from dhr_tracker.reviews.models import Review
from sharing.models import Classification, Document, Space
from sharing.services import documents
from sharing.uploads import SpooledUpload
from tests.conftest import EventLog
from tests.funding.conftest import POUND, FundingWorld
from tests.sharing.conftest import clean_storage

__all__ = ["clean_storage"]  # a fixture, used by name

LETTER = b"%PDF-1.4\n% The funder's decision letter\n"
TODAY = timezone.localdate()
# A breakdown of £24,000 for two reviews.
COSTS = {
    "chair": (12_000 * POUND, "Two reviews, 30 days each"),
    "author": (8_000 * POUND, ""),
    "legal": (4_000 * POUND, ""),
}


def spooled(content: bytes = LETTER, name: str = "letter.pdf") -> SpooledUpload:
    """A PDF as received through the encrypting upload handler."""
    return documents.receive_bytes(content, name)


def draft(
    world: FundingWorld,
    reviews: list[Review],
    *,
    stream: FundingStream | None = None,
    actor: User | None = None,
    requested: int = 15_000 * POUND,
    costs: dict[str, tuple[int, str]] | None = None,
) -> Application:
    """A draft to ``stream`` (the national fund) for ``reviews``, with costs and an amount requested."""
    actor = actor or world.coordinator
    partnership = reviews[0].partnership_id if reviews else world.partnership.pk
    application = services.create_application(
        stream or world.national, actor=actor, partnership_id=partnership, request=None
    )
    return services.update_application(
        application,
        actor=actor,
        version=application.version,
        review_ids=[review.pk for review in reviews],
        costs=COSTS if costs is None else costs,
        requested_pence=requested,
        justification="Two reviews commenced in the year.",
        request=None,
    )


def submitted(world: FundingWorld, reviews: list[Review] | None = None, **kwargs: Any) -> Application:
    application = draft(world, [world.first, world.second] if reviews is None else reviews, **kwargs)
    return services.submit_application(application, actor=world.csp_chair, request=None)


def decide(world: FundingWorld, application: Application, space: Space, **fields: Any) -> Application:
    arguments: dict[str, Any] = {
        "outcome": ApplicationStatus.APPROVED,
        "decided_on": TODAY,
        "awarded_pence": application.requested_pence,
        "conditions": "",
        "shares": None,
    }
    arguments.update(fields)
    return services.record_decision(
        application, actor=world.coordinator, space=space, upload=spooled(), request=None, **arguments
    )


def state() -> list[Any]:
    """Every funding row and document, to show that a refusal changed nothing."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Application, ApplicationReview, ApplicationCost, SupportingDocument, Contribution, Document)
    ]


def funding_events(events: EventLog) -> list[str]:
    return [action for action in events.actions() if action.startswith("funding.")]


@pytest.fixture
def space(funding_world: FundingWorld, clean_storage: Iterator[None]) -> Space:
    return funding_world.space()


def refused(events: EventLog, call: Any, error: type[Exception] = ValidationError) -> Exception:
    """Run ``call``, which must raise ``error`` and change no row nor record any funding event."""
    before, recorded = state(), funding_events(events)
    with pytest.raises(error) as raised:
        call()
    assert state() == before
    assert funding_events(events) == recorded
    return raised.value


def messages(error: Exception) -> list[str]:
    assert isinstance(error, ValidationError)
    return error.messages


# The lifecycle ------------------------------------------------------------------------------


def test_an_application_goes_from_draft_to_paid(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = services.create_application(
        world.national, actor=world.coordinator, partnership_id=world.partnership.pk, request=None
    )
    assert application.status == ApplicationStatus.DRAFT
    assert security_events.find("funding.application_created").details == {"stream": world.national.pk}

    changed = services.update_application(
        application,
        actor=world.coordinator,
        version=1,
        review_ids=[world.first.pk, world.second.pk],
        costs={**COSTS, "venue": (0, "")},
        requested_pence=15_000 * POUND,
        justification="  Two reviews commenced in the year.  ",
        request=None,
    )
    assert changed.version == 2
    assert changed.justification == "Two reviews commenced in the year."
    assert {row.review for row in changed.covered.all()} == {world.first, world.second}
    assert dict(changed.costs.values_list("category", "amount_pence")) == {
        "chair": 1_200_000,
        "author": 800_000,
        "legal": 400_000,
    }
    assert security_events.find("funding.application_changed").details == {
        "reviews": sorted([world.first.pk, world.second.pk]),
        "costs": {"author": 800_000, "chair": 1_200_000, "legal": 400_000},
        "requested": 1_500_000,
    }

    supporting = services.add_supporting_document(
        changed, actor=world.coordinator, space=space, title="Budget breakdown", upload=spooled(), request=None
    )
    assert supporting.document.space == space
    assert supporting.document.classification == Classification.OFFICIAL_SENSITIVE
    assert security_events.find("funding.document_added").details["document"] == supporting.document_id

    done = services.submit_application(changed, actor=world.csp_chair, request=None)
    assert (done.status, done.submitted_on, done.submitted_by) == (ApplicationStatus.SUBMITTED, TODAY, world.csp_chair)
    submitted_event = security_events.find("funding.application_submitted")
    assert submitted_event.details["requested"] == 1_500_000
    assert submitted_event.details["rules"]["min_reviews_commenced"] == 2

    decided = decide(world, done, space, outcome=ApplicationStatus.PART_APPROVED, awarded_pence=1_000_001)
    assert (decided.status, decided.awarded_pence, decided.decided_on) == (
        ApplicationStatus.PART_APPROVED,
        1_000_001,
        TODAY,
    )
    assert decided.decision_letter is not None
    assert decided.decision_letter.space == space
    shares = dict(decided.covered.values_list("review_id", "awarded_pence"))
    assert shares == {world.first.pk: 500_001, world.second.pk: 500_000}
    contributions = list(Contribution.objects.filter(application=decided).order_by("pk"))
    assert [(c.ledger.review_id, c.amount_pence) for c in contributions] == [
        (world.first.pk, 500_001),
        (world.second.pk, 500_000),
    ]
    for contribution in contributions:
        assert contribution.partner_kind == PartnerKind.AWARDED_FUND
        assert contribution.partner_name == "Home Office: Domestic Homicide Review fund"
        assert contribution.agreed_on == TODAY
    assert security_events.find("funding.application_decided").details["shares"] == {
        str(world.first.pk): 500_001,
        str(world.second.pk): 500_000,
    }

    paid = services.record_payment(decided, actor=world.csp_chair, paid_on=TODAY, paid_pence=999_999, request=None)
    assert (paid.status, paid.paid_pence, paid.paid_on) == (ApplicationStatus.PAID, 999_999, TODAY)
    received = [(c.received_pence, c.received_on) for c in Contribution.objects.filter(application=paid).order_by("pk")]
    # 999,999 in proportion to 500,001 and 500,000: 500,000.0 and 499,999.0 to the penny, no penny lost.
    assert received == [(500_000, TODAY), (499_999, TODAY)]
    assert security_events.find("funding.application_paid").details["paid"] == 999_999

    assert funding_events(security_events) == [
        "funding.application_created",
        "funding.application_changed",
        "funding.document_added",
        "funding.application_submitted",
        "funding.application_decided",
        "funding.application_paid",
    ]
    assert Document.objects.count() == 2


def test_equal_shares_go_to_the_reviews_of_an_approved_award(funding_world: FundingWorld, space: Space) -> None:
    world = funding_world
    application = decide(world, submitted(world, requested=10_000 * POUND + 1), space)
    assert application.status == ApplicationStatus.APPROVED
    shares = application.covered.order_by("review__reference").values_list("awarded_pence", flat=True)
    # The odd penny goes to the first review.
    assert list(shares) == [500_001, 500_000]


def test_shares_given_are_kept_and_a_zero_share_makes_no_contribution(
    funding_world: FundingWorld, space: Space
) -> None:
    world = funding_world
    application = submitted(world)
    decided = decide(world, application, space, shares={world.first.pk: 15_000 * POUND, world.second.pk: 0})
    assert dict(decided.covered.values_list("review_id", "awarded_pence")) == {
        world.first.pk: 1_500_000,
        world.second.pk: 0,
    }
    assert list(Contribution.objects.values_list("ledger__review_id", "amount_pence")) == [(world.first.pk, 1_500_000)]


def test_a_rejection_awards_nothing_and_makes_no_contribution(funding_world: FundingWorld, space: Space) -> None:
    world = funding_world
    decided = decide(world, submitted(world), space, outcome=ApplicationStatus.REJECTED, awarded_pence=None)
    assert (decided.status, decided.awarded_pence) == (ApplicationStatus.REJECTED, 0)
    assert not Contribution.objects.exists()
    assert set(decided.covered.values_list("awarded_pence", flat=True)) == {None}


def test_withdrawing_an_award_cancels_its_contributions(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = decide(world, submitted(world), space)
    withdrawn = services.withdraw_application(
        application, actor=world.coordinator, reason="The reviews are funded by the council.", request=None
    )
    assert (withdrawn.status, withdrawn.withdrawn_on) == (ApplicationStatus.WITHDRAWN, TODAY)
    assert withdrawn.withdrawn_reason == "The reviews are funded by the council."
    contributions = Contribution.objects.filter(application=withdrawn)
    assert contributions.count() == 2
    assert not contributions.live().exists()
    assert {c.cancelled_by for c in contributions} == {world.coordinator}
    assert all("funded by the council" in c.cancel_reason for c in contributions)
    event = security_events.find("funding.application_withdrawn")
    assert event.details["was"] == ApplicationStatus.APPROVED
    assert sorted(event.details["cancelled"]) == sorted(c.pk for c in contributions)
    assert "council" not in str(event.details)


def test_a_draft_can_be_withdrawn_and_then_not_changed(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = services.withdraw_application(
        draft(world, [world.first]), actor=world.csp_chair, reason="Applied to the local fund instead.", request=None
    )
    error = refused(
        security_events,
        lambda: services.update_application(
            application,
            actor=world.coordinator,
            version=application.version,
            review_ids=[],
            costs={},
            requested_pence=0,
            justification="",
            request=None,
        ),
    )
    assert messages(error) == [f"This application was withdrawn on {long_date(TODAY)}, so it cannot be changed"]


# Eligibility --------------------------------------------------------------------------------


def test_two_reviews_commenced_in_the_year_pass_the_national_funds_rules(funding_world: FundingWorld) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    assert services.submit_application(application, actor=world.csp_chair, request=None).status == "submitted"


def test_a_partnership_with_one_review_in_the_year_is_told_exactly_why(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    outsider = world.personas.outsider
    application = draft(world, [world.lone], actor=outsider)
    error = refused(security_events, lambda: services.submit_application(application, actor=outsider, request=None))
    assert messages(error) == [
        f"Otherborough Community Safety Partnership commenced 1 review in {world.last.label} "
        f"({world.last.span}); this fund needs at least 2"
    ]
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.DRAFT


def test_a_review_commenced_on_1_april_of_this_year_fails_the_year_rule(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second, world.third])
    error = refused(
        security_events, lambda: services.submit_application(application, actor=world.csp_chair, request=None)
    )
    assert messages(error) == [
        f"{world.third.title} commenced on 1 April {world.this.start_year}, in {world.this.label}; "
        f"this fund is for reviews commenced in {world.last.label} ({world.last.span})"
    ]


def test_every_failing_rule_is_listed_at_once(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.third], requested=0, costs={})
    error = refused(
        security_events, lambda: services.submit_application(application, actor=world.csp_chair, request=None)
    )
    assert len(messages(error)) == 2
    assert messages(error)[1] == "Enter the amount requested"


def test_a_submission_after_the_fund_closed_is_refused(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    closed_on = TODAY - timedelta(days=1)
    FundingStream.objects.filter(pk=world.national.pk).update(closes_on=closed_on)
    application.refresh_from_db()
    error = refused(
        security_events, lambda: services.submit_application(application, actor=world.csp_chair, request=None)
    )
    assert messages(error) == [f"This fund closed on {long_date(closed_on)}: applications can no longer be submitted"]


def test_no_application_is_started_to_a_closed_fund(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    closed_on = TODAY - timedelta(days=1)
    FundingStream.objects.filter(pk=world.national.pk).update(closes_on=closed_on)
    world.national.refresh_from_db()
    error = refused(
        security_events,
        lambda: services.create_application(
            world.national, actor=world.coordinator, partnership_id=world.partnership.pk, request=None
        ),
    )
    assert messages(error) == [f"This fund closed on {long_date(closed_on)}: applications can no longer be made"]


def test_only_the_csp_chair_submits(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    refused(
        security_events,
        lambda: services.submit_application(application, actor=world.coordinator, request=None),
        PermissionDenied,
    )


# Refusals while drafting --------------------------------------------------------------------


def change(world: FundingWorld, application: Application, **fields: Any) -> Application:
    arguments: dict[str, Any] = {
        "actor": world.coordinator,
        "version": application.version,
        "review_ids": [world.first.pk, world.second.pk],
        "costs": COSTS,
        "requested_pence": 15_000 * POUND,
        "justification": "",
    }
    arguments.update(fields)
    return services.update_application(application, request=None, **arguments)


def test_a_submitted_application_cannot_be_changed(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = submitted(world)
    error = refused(security_events, lambda: change(world, application, requested_pence=1))
    assert messages(error) == [f"This application was submitted on {long_date(TODAY)}, so it cannot be changed"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"requested_pence": 20_000 * POUND + 1},
            "requested",
            "The amount requested, £20,000.01, is more than this fund's maximum award of £20,000.00",
        ),
        ({"requested_pence": -1}, "requested", "The amount requested cannot be negative"),
        ({"costs": {"chair": (-100, "")}}, "cost_chair", "The cost of independent chair cannot be negative"),
        ({"costs": {"catering": (100, "")}}, "costs", "Enter costs only in the categories listed"),
        ({"costs": {"venue": (100, "x" * 201)}}, "note_venue", "The note on venue must be 200 characters or fewer"),
        ({"justification": "x" * 10_001}, "justification", "The justification must be 10,000 characters or fewer"),
    ],
)
def test_bad_amounts_and_text_are_refused_naming_the_field(
    funding_world: FundingWorld, security_events: EventLog, fields: dict[str, Any], field: str, message: str
) -> None:
    world = funding_world
    application = draft(world, [world.first])
    error = refused(security_events, lambda: change(world, application, **fields))
    assert isinstance(error, ValidationError)
    assert error.message_dict == {field: [message]}


@pytest.mark.parametrize("review", ["lone", "unknown"])
def test_a_review_not_the_partnerships_is_refused_without_naming_it(
    funding_world: FundingWorld, security_events: EventLog, review: str
) -> None:
    world = funding_world
    application = draft(world, [world.first])
    review_id = (
        world.lone.pk if review == "lone" else Review.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    )
    error = refused(security_events, lambda: change(world, application, review_ids=[world.first.pk, review_id]))
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"reviews": ["Choose reviews of Exampleshire Community Safety Partnership"]}


def test_a_change_from_a_stale_form_is_refused(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.first])
    error = refused(security_events, lambda: change(world, application, version=application.version - 1))
    assert messages(error) == [STALE_MESSAGE]


def test_only_those_who_manage_the_partnership_change_its_draft(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    application = draft(world, [world.first])
    personas = world.personas
    for user in (personas.outsider, personas.auditor, personas.contributor_a, personas.site_admin):
        refused(security_events, lambda user=user: change(world, application, actor=user), PermissionDenied)
        refused(
            security_events,
            lambda user=user: services.withdraw_application(application, actor=user, reason="No", request=None),
            PermissionDenied,
        )


def test_a_draft_for_a_partnership_the_user_does_not_manage_is_refused(
    funding_world: FundingWorld, security_events: EventLog
) -> None:
    world = funding_world
    other = world.personas.other_partnership.pk
    error = refused(
        security_events,
        lambda: services.create_application(
            world.national, actor=world.coordinator, partnership_id=other, request=None
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"partnership": ["Choose the partnership this application is for"]}
    refused(
        security_events,
        lambda: services.create_application(
            world.local, actor=world.personas.outsider, partnership_id=other, request=None
        ),
        PermissionDenied,
    )


def test_a_document_goes_only_into_a_space_of_the_partnership_the_user_is_a_member_of(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = draft(world, [world.first])
    upload = spooled()
    error = refused(
        security_events,
        lambda: services.add_supporting_document(
            application, actor=world.csp_chair, space=space, title=" ", upload=upload, request=None
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"title": ["Enter a title for the document"]}
    other = draft(world, [world.lone], actor=world.personas.outsider)
    error = refused(
        security_events,
        lambda: services.add_supporting_document(
            other, actor=world.personas.outsider, space=space, title="Budget", upload=upload, request=None
        ),
    )
    assert isinstance(error, ValidationError)
    assert error.message_dict == {"space": ["Choose a secure space of Otherborough Community Safety Partnership"]}
    upload.discard()


def test_a_draft_submitted_meanwhile_takes_no_document(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    stale = Application.objects.get(pk=application.pk)
    services.submit_application(application, actor=world.csp_chair, request=None)
    upload = spooled()
    error = refused(
        security_events,
        lambda: services.add_supporting_document(
            stale, actor=world.coordinator, space=space, title="Budget", upload=upload, request=None
        ),
    )
    assert messages(error) == [f"This application was submitted on {long_date(TODAY)}, so it cannot be changed"]
    upload.discard()


@pytest.mark.parametrize("action", ["document", "decision"])
def test_a_failure_after_the_upload_hands_the_file_back(
    funding_world: FundingWorld, space: Space, security_events: EventLog, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """The document's version took the spooled file over; once it is rolled back, the request deletes the file."""
    world = funding_world
    application = draft(world, [world.first, world.second])
    if action == "decision":
        application = services.submit_application(application, actor=world.csp_chair, request=None)

    def unavailable(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("The audit trail is unavailable")

    monkeypatch.setattr(services, "record_change", unavailable)
    upload = spooled()

    def act() -> Any:
        if action == "document":
            return services.add_supporting_document(
                application, actor=world.coordinator, space=space, title="Budget", upload=upload, request=None
            )
        return services.record_decision(
            application,
            actor=world.coordinator,
            outcome=ApplicationStatus.APPROVED,
            decided_on=TODAY,
            awarded_pence=application.requested_pence,
            conditions="",
            shares=None,
            space=space,
            upload=upload,
            request=None,
        )

    refused(security_events, act, RuntimeError)
    assert upload.kept is False
    upload.discard()
    assert not upload.path.exists()
