"""Funding application pages: the lifecycle through the browser, the live eligibility check, the
list and its filters, and who gets 404, 403 or 405 with nothing changed."""

import html
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from dhr_tracker.accounts.models import PartnershipRoleKind, User
from dhr_tracker.funding.models import (
    Application,
    ApplicationStatus,
    Contribution,
    FundingStream,
    SupportingDocument,
)
from dhr_tracker.funding.years import long_date
from dhr_tracker.reviews.views import PAGE_SIZE
from sharing.models import Space
from tests.conftest import EventLog
from tests.factories import PartnershipRoleFactory
from tests.funding.conftest import POUND, FundingWorld
from tests.funding.test_applications import LETTER, TODAY, decide, draft, funding_events, state, submitted
from tests.sharing.conftest import clean_storage, post_file, spooled_files

__all__ = ["clean_storage"]  # a fixture, used by name


def url(name: str, *args: Any) -> str:
    return reverse(f"funding:{name}", args=args)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def space(funding_world: FundingWorld, clean_storage: Iterator[None]) -> Space:
    return funding_world.space()


def edit_data(application: Application, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reviews": [],
        "cost_chair": "12,000",
        "note_chair": "Two reviews, 30 days each",
        "cost_author": "£8,000.00",
        "cost_legal": "4000",
        "requested": "15000",
        "justification": "Two reviews commenced in the year.",
        "version": str(application.version),
    }
    data.update(fields)
    return data


def test_an_application_goes_from_draft_to_paid_through_the_pages(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    coordinator, chair = world.client(world.coordinator), world.client(world.csp_chair)
    new = coordinator.get(url("application_new", world.national.pk))
    assert new.status_code == 200
    assert "Start an application" in text(new)
    response = coordinator.post(url("application_new", world.national.pk), {"partnership": world.partnership.pk})
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("application_edit", application.pk)

    edit = text(coordinator.get(url("application_edit", application.pk)))
    assert f"{world.first.title}, commenced on 1 April {world.last.start_year}" in edit
    assert world.pending.title not in edit
    assert world.lone.title not in edit
    response = coordinator.post(
        url("application_edit", application.pk), edit_data(application, reviews=[world.first.pk, world.second.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == url("application", application.pk)
    application.refresh_from_db()
    assert application.requested_pence == 15_000 * POUND
    assert dict(application.costs.values_list("category", "amount_pence")) == {
        "chair": 1_200_000,
        "author": 800_000,
        "legal": 400_000,
    }

    page = text(coordinator.get(url("application", application.pk)))
    assert "This application can be submitted" in page
    assert "£24,000.00" in page
    assert "Only the partnership's CSP chair can submit this application" in page
    assert url("application_export", application.pk, "xlsx") in page
    assert url("application_export", application.pk, "csv") in page

    assert coordinator.get(url("application_document_add", application.pk)).status_code == 200
    response = post_file(
        coordinator,
        url("application_document_add", application.pk),
        LETTER,
        name="budget.pdf",
        title="Budget breakdown",
        space=str(space.pk),
    )
    assert response.status_code == 302
    supporting = SupportingDocument.objects.get(application=application)
    assert supporting.document.title == "Budget breakdown"

    assert coordinator.post(url("application_submit", application.pk)).status_code == 403
    assert Application.objects.get().status == ApplicationStatus.DRAFT
    assert "Submit the application" in text(chair.get(url("application", application.pk)))
    response = chair.post(url("application_submit", application.pk))
    assert response.status_code == 302
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED

    assert coordinator.get(url("application_decision", application.pk)).status_code == 200
    response = post_file(
        coordinator,
        url("application_decision", application.pk),
        LETTER,
        name="letter.pdf",
        outcome=ApplicationStatus.PART_APPROVED,
        decided_on=TODAY.isoformat(),
        awarded="10,000",
        conditions="Report on spending each quarter.",
        space=str(space.pk),
        **{f"share_{world.first.pk}": "6000", f"share_{world.second.pk}": "4,000.00"},
    )
    assert response.status_code == 302, text(response)
    application.refresh_from_db()
    assert (application.status, application.awarded_pence) == (ApplicationStatus.PART_APPROVED, 10_000 * POUND)
    assert sorted(Contribution.objects.values_list("ledger__review_id", "amount_pence")) == sorted(
        [(world.first.pk, 600_000), (world.second.pk, 400_000)]
    )

    response = coordinator.post(
        url("application_payment", application.pk), {"paid_on": TODAY.isoformat(), "paid": "10000.00"}
    )
    assert response.status_code == 302
    assert sorted(Contribution.objects.values_list("received_pence", flat=True)) == [400_000, 600_000]

    page = text(coordinator.get(url("application", application.pk)))
    assert "£10,000.00 paid on" in page
    assert "Part approved, on" in page
    assert "Report on spending each quarter." in page
    assert url("ledger", world.first.pk) in page
    assert reverse("sharing:document", args=[supporting.document_id]) in page
    assert reverse("sharing:document", args=[application.decision_letter_id]) in page
    assert funding_events(security_events) == [
        "funding.application_created",
        "funding.application_changed",
        "funding.document_added",
        "funding.application_submitted",
        "funding.application_decided",
        "funding.application_paid",
    ]
    assert spooled_files() == []


def test_the_draft_page_says_exactly_which_rules_fail(funding_world: FundingWorld) -> None:
    world = funding_world
    outsider = world.personas.outsider
    application = draft(world, [world.lone], actor=outsider)
    page = text(world.client(outsider).get(url("application", application.pk)))
    assert "This application cannot be submitted yet" in page
    assert (
        f"Otherborough Community Safety Partnership commenced 1 review in {world.last.label} ({world.last.span}); "
        "this fund needs at least 2"
    ) in page
    assert "This application can be submitted" not in page


def test_a_refused_submission_lists_each_failing_rule(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second, world.third], costs={})
    before = state()
    response = world.client(world.csp_chair).post(url("application_submit", application.pk))
    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" not in page
    summary = page.split('govuk-error-summary__list">')[1].split("</ul>")[0]
    assert summary.count("<li>") == 2
    assert f"{world.third.title} commenced on 1 April {world.this.start_year}" in summary
    assert "The amount requested, £15,000.00, is more than the costs set out, £0.00" in summary
    assert state() == before
    assert "funding.application_submitted" not in funding_events(security_events)


def test_submitting_is_post_only_and_for_the_chair(funding_world: FundingWorld) -> None:
    world = funding_world
    application = draft(world, [world.first, world.second])
    assert world.client(world.csp_chair).get(url("application_submit", application.pk)).status_code == 405
    assert world.client(world.coordinator).get(url("application_submit", application.pk)).status_code == 403
    assert Application.objects.get().status == ApplicationStatus.DRAFT


def test_a_submitted_application_cannot_be_edited(funding_world: FundingWorld, security_events: EventLog) -> None:
    world = funding_world
    application = submitted(world)
    coordinator = world.client(world.coordinator)
    message = f"This application was submitted on {long_date(TODAY)}, so it cannot be changed"
    page = coordinator.get(url("application_edit", application.pk))
    assert page.status_code == 403
    assert message in text(page)
    before, recorded = state(), funding_events(security_events)
    response = coordinator.post(
        url("application_edit", application.pk), edit_data(application, reviews=[world.first.pk], requested="1")
    )
    assert response.status_code == 403
    assert message in text(response)
    assert coordinator.post(url("application_submit", application.pk)).status_code == 403
    assert state() == before
    assert funding_events(security_events) == recorded
    detail = text(coordinator.get(url("application", application.pk)))
    assert url("application_edit", application.pk) not in detail
    assert url("application_decision", application.pk) in detail


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"requested": "-5"}, "The amount requested cannot be negative"),
        ({"requested": "five thousand"}, "Enter the amount requested as a number of pounds, like 1250 or 1,250.50"),
        ({"requested": ""}, "Enter the amount requested"),
        ({"cost_venue": "-250"}, "The cost of venue cannot be negative"),
        (
            {"cost_chair": "12.345"},
            "Enter the cost of independent chair to the nearest penny, with no more than 2 decimal places",
        ),
        (
            {"requested": "20,000.01"},
            "The amount requested, £20,000.01, is more than this fund's maximum award of £20,000.00",
        ),
        ({"reviews": ["lone"]}, "Choose reviews of Exampleshire Community Safety Partnership that have commenced"),
        ({"reviews": ["pending"]}, "Choose reviews of Exampleshire Community Safety Partnership that have commenced"),
        ({"version": "0"}, "Someone else changed this after you opened this page"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_changed(
    funding_world: FundingWorld, security_events: EventLog, fields: dict[str, Any], message: str
) -> None:
    world = funding_world
    application = draft(world, [world.first])
    if "reviews" in fields:
        fields = {"reviews": [getattr(world, name).pk for name in fields["reviews"]]}
    before, recorded = state(), funding_events(security_events)
    response = world.client(world.coordinator).post(
        url("application_edit", application.pk), edit_data(application, **fields)
    )
    assert response.status_code == 400
    assert message in text(response)
    assert state() == before
    assert funding_events(security_events) == recorded


def test_a_decision_whose_shares_do_not_add_up_is_refused(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    application = submitted(world)
    before, recorded = state(), funding_events(security_events)
    response = post_file(
        world.client(world.coordinator),
        url("application_decision", application.pk),
        LETTER,
        name="letter.pdf",
        outcome=ApplicationStatus.APPROVED,
        decided_on=TODAY.isoformat(),
        awarded="15000",
        conditions="",
        space=str(space.pk),
        **{f"share_{world.first.pk}": "10000", f"share_{world.second.pk}": "4000"},
    )
    assert response.status_code == 400
    assert "The shares must add up to the amount awarded, £15,000.00; they add up to £14,000.00" in text(response)
    assert state() == before
    assert funding_events(security_events) == recorded
    assert spooled_files() == []


def test_uploads_need_a_secure_space_of_the_partnership(
    funding_world: FundingWorld, clean_storage: Iterator[None], security_events: EventLog
) -> None:
    """The coordinator is a member of no space: the page says how to get one, and an upload is refused unread."""
    world = funding_world
    application = draft(world, [world.first, world.second])
    coordinator = world.client(world.coordinator)
    page = coordinator.get(url("application_document_add", application.pk))
    assert page.status_code == 200
    assert "You are not a member of any" in text(page)
    assert reverse("sharing:spaces") in text(page)
    before = state()
    response = post_file(
        coordinator, url("application_document_add", application.pk), LETTER, name="budget.pdf", title="Budget"
    )
    assert response.status_code == 400
    assert state() == before
    assert funding_events(security_events) == ["funding.application_created", "funding.application_changed"]
    assert spooled_files() == []


def test_withdrawing_through_the_page_cancels_the_awards_contributions(
    funding_world: FundingWorld, space: Space
) -> None:
    world = funding_world
    application = decide(world, submitted(world), space)
    client = world.client(world.csp_chair)
    page = text(client.get(url("application_withdraw", application.pk)))
    assert "their contributions from this fund are cancelled" in page
    assert client.post(url("application_withdraw", application.pk), {"reason": ""}).status_code == 400
    assert Contribution.objects.live().count() == 2
    response = client.post(url("application_withdraw", application.pk), {"reason": "Funded by the council instead."})
    assert response.status_code == 302
    assert Application.objects.get().status == ApplicationStatus.WITHDRAWN
    assert not Contribution.objects.live().exists()
    assert client.get(url("application_withdraw", application.pk)).status_code == 403


def test_payment_and_decision_pages_refuse_applications_not_awaiting_them(funding_world: FundingWorld) -> None:
    world = funding_world
    application = draft(world, [world.first])
    client = world.client(world.coordinator)
    response = client.get(url("application_decision", application.pk))
    assert response.status_code == 403
    assert "This application has not been submitted, so a decision cannot be recorded" in text(response)
    assert client.post(url("application_payment", application.pk), {"paid": "1"}).status_code == 403


# Who sees what ------------------------------------------------------------------------------


def outsiders(world: FundingWorld) -> list[User]:
    personas = world.personas
    return [personas.outsider, personas.auditor, personas.contributor_a, personas.contributor_b, personas.site_admin]


def test_everyone_but_the_partnerships_managers_gets_404_and_changes_nothing(
    funding_world: FundingWorld, space: Space, security_events: EventLog
) -> None:
    world = funding_world
    drafted = draft(world, [world.first, world.second])
    awaiting = submitted(world)
    awarded = decide(world, submitted(world), space)
    before, recorded, spooled = state(), funding_events(security_events), spooled_files()
    for user in outsiders(world):
        client = world.client(user)
        for application in (drafted, awaiting, awarded):
            for name in ("application", "application_edit", "application_payment", "application_withdraw"):
                assert client.get(url(name, application.pk)).status_code == 404, (user, name)
                assert client.post(url(name, application.pk), {"reason": "x", "paid": "1"}).status_code == 404
            assert client.post(url("application_submit", application.pk)).status_code == 404
            assert client.get(url("application_submit", application.pk)).status_code == 404
            for name in ("application_decision", "application_document_add"):
                assert client.get(url(name, application.pk)).status_code == 404, (user, name)
                response = post_file(
                    client, url(name, application.pk), LETTER, name="letter.pdf", title="x", space=str(space.pk)
                )
                assert response.status_code == 404
        response = client.post(url("application_new", world.local.pk), {"partnership": world.partnership.pk})
        assert response.status_code == 404
    assert state() == before
    assert funding_events(security_events) == recorded
    assert spooled_files() == spooled


def test_the_list_is_for_those_who_manage_a_partnership(funding_world: FundingWorld) -> None:
    world = funding_world
    ours = draft(world, [world.first])
    personas = world.personas
    for user in (personas.auditor, personas.contributor_a, personas.contributor_b, personas.site_admin):
        assert world.client(user).get(url("applications")).status_code == 404
    theirs = draft(world, [world.lone], actor=personas.outsider)
    page = text(world.client(personas.outsider).get(url("applications")))
    assert url("application", theirs.pk) in page
    assert url("application", ours.pk) not in page


def test_starting_an_application_needs_a_partnership_to_apply_for(funding_world: FundingWorld) -> None:
    world = funding_world
    personas = world.personas
    # The site administrator sees the national fund but applies for no partnership; the local fund is Exampleshire's.
    assert world.client(personas.site_admin).get(url("application_new", world.national.pk)).status_code == 403
    assert world.client(personas.outsider).get(url("application_new", world.local.pk)).status_code == 404
    assert world.client(personas.auditor).get(url("application_new", world.national.pk)).status_code == 404
    assert not Application.objects.exists()


def test_a_closed_fund_offers_no_application(funding_world: FundingWorld) -> None:
    world = funding_world
    FundingStream.objects.filter(pk=world.national.pk).update(closes_on=world.last.end)
    client = world.client(world.coordinator)
    page = text(client.get(url("application_new", world.national.pk)))
    assert f"This fund closed on {long_date(world.last.end)}" in page
    assert "Start the application" not in page
    response = client.post(url("application_new", world.national.pk), {"partnership": world.partnership.pk})
    assert response.status_code == 400
    assert not Application.objects.exists()


# The list -----------------------------------------------------------------------------------


@pytest.fixture
def two_partnerships(funding_world: FundingWorld) -> FundingWorld:
    """The coordinator coordinates Otherborough too."""
    PartnershipRoleFactory.create(
        user=funding_world.coordinator,
        partnership=funding_world.personas.other_partnership,
        role=PartnershipRoleKind.CSP_COORDINATOR,
    )
    return funding_world


def test_a_coordinator_of_two_partnerships_chooses_which_applies(two_partnerships: FundingWorld) -> None:
    world = two_partnerships
    client = world.client(world.coordinator)
    page = text(client.get(url("application_new", world.national.pk)))
    assert "Which partnership is applying?" in page
    assert "Otherborough Community Safety Partnership" in page
    response = client.post(url("application_new", world.national.pk), {"partnership": ""})
    assert response.status_code == 400
    assert "Select the partnership this application is for" in text(response)
    other = world.personas.other_partnership
    assert client.post(url("application_new", world.national.pk), {"partnership": other.pk}).status_code == 302
    assert Application.objects.get().partnership == other


def test_the_list_filters_by_status_year_and_partnership(
    two_partnerships: FundingWorld, django_assert_max_num_queries: Any
) -> None:
    world = two_partnerships
    other = world.personas.other_partnership
    for index in range(PAGE_SIZE + 5):
        Application.objects.create(
            partnership=world.partnership if index % 2 else other,
            stream=world.national if index % 3 else world.local,
            status=ApplicationStatus.SUBMITTED if index % 5 == 0 else ApplicationStatus.DRAFT,
            requested_pence=index * POUND,
            created_by=world.coordinator,
        )
    client = world.client(world.coordinator)
    with django_assert_max_num_queries(13):
        response = client.get(url("applications"))
    page = text(response)
    assert response.status_code == 200
    assert f"{PAGE_SIZE + 5} applications" in page
    assert "Page 1 of 2" in page
    assert url("applications_export", "xlsx") in page
    assert url("applications_export", "csv") in page

    submitted_only = text(client.get(url("applications"), {"status": "submitted"}))
    assert f"{len(range(0, PAGE_SIZE + 5, 5))} applications" in submitted_only
    assert "status=submitted" in submitted_only
    local = Application.objects.filter(stream=world.local, partnership=world.partnership).count()
    chosen = text(client.get(url("applications"), {"year": world.this.label, "partnership": str(world.partnership.pk)}))
    assert f"{local} application" in chosen
    assert client.get(url("applications"), {"status": "lost"}).status_code == 400
    assert client.get(url("applications"), {"year": "2025-27"}).status_code == 400
