"""Home Office quality assurance: submissions, the letter with its areas for final development,
resubmissions, turnaround, and who may record what."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.accounts.models import User
from dhr_tracker.reports.models import (
    AreaForDevelopment,
    QAOutcome,
    QASubmission,
    ReportKind,
    ReportVersion,
    SignOff,
    SignOffKind,
)
from dhr_tracker.reviews.lifecycle import State
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.services import steps
from sharing.models import Document
from sharing.services import protocols
from tests.conftest import EventLog
from tests.factories import AgencyMembershipFactory
from tests.reports.conftest import ReportWorld, make_version
from tests.sharing.conftest import clean_storage, post_file, spooled_files

__all__ = ["clean_storage"]  # a fixture, used by name

LETTER = b"%PDF-1.4\n% Home Office quality assurance letter\n"
TODAY = timezone.localdate()


def approve(world: ReportWorld) -> tuple[ReportVersion, ReportVersion]:
    """Bring the review to CSP sign-off with a live panel agreement and CSP approval."""
    overview, summary = make_version(world), make_version(world, ReportKind.SUMMARY)
    world.step("share_with_family")
    world.step("seek_panel_signoff")
    for kind, person in ((SignOffKind.PANEL, world.independent_chair), (SignOffKind.CSP, world.csp_chair)):
        SignOff.objects.create(
            review=world.review,
            kind=kind,
            overview=overview,
            summary=summary,
            signed_on=TODAY,
            person=person,
            recorded_by=person,
        )
        if kind == SignOffKind.PANEL:
            world.step("seek_csp_signoff")
    assert world.refresh().state == State.CSP_SIGNOFF
    return overview, summary


def submit(client: Client, review: Review, versions: list[int], **fields: Any) -> Any:
    data = {"submitted_on": (TODAY - timedelta(days=10)).isoformat(), "versions": versions, "action_plan_sent": "on"}
    data.update(fields)
    return client.post(reverse("reports:qa_submit", args=[review.pk]), data)


def letter(client: Client, review: Review, **fields: str) -> Any:
    data = {
        "panel_met_on": (TODAY - timedelta(days=5)).isoformat(),
        "letter_on": (TODAY - timedelta(days=2)).isoformat(),
        "outcome": QAOutcome.PUBLISH_WITH_CHANGES,
        "strengths": "A clear account of the agencies' contact.",
        "areas": "Use the Appendix 4 layout\n\nName coercive control\n",
    }
    data.update(fields)
    return post_file(client, reverse("reports:qa_outcome", args=[review.pk]), LETTER, name="letter.pdf", **data)


def join_space(world: ReportWorld, user: User) -> None:
    """Make ``user`` a member of the review's secure space, acting for agency A, where they work.

    Only the space's members upload into it; CSP chairs and coordinators are not members unless added.
    """
    space = world.review.space
    assert space is not None
    agency = world.chronologies.agency_a
    AgencyMembershipFactory.create(user=user, agency=agency)
    protocols.add_member(space, actor=world.coordinator, user_id=user.pk, party_id=agency.pk, request=None)


@pytest.fixture
def approved(report_world: ReportWorld, clean_storage: Iterator[None]) -> ReportWorld:
    approve(report_world)
    join_space(report_world, report_world.coordinator)
    return report_world


def test_full_cycle_from_submission_to_publication_ready(approved: ReportWorld, security_events: EventLog) -> None:
    world = approved
    review = world.review
    coordinator = world.client(world.coordinator)
    assert "Record a submission" in coordinator.get(reverse("reports:qa", args=[review.pk])).content.decode()
    page = coordinator.get(reverse("reports:qa_submit", args=[review.pk]))
    assert page.status_code == 200
    overview, summary = ReportVersion.objects.order_by("report__kind")
    # The latest overview and summary are ticked by default.
    assert page.content.decode().count("checked") >= 2

    response = submit(coordinator, review, [overview.pk, summary.pk], commissioner_copied_on=TODAY.isoformat())
    assert response.status_code == 302
    assert world.refresh().state == State.SUBMITTED_TO_HO
    submission = QASubmission.objects.get(review=review)
    assert submission.number == 1
    assert set(submission.versions.all()) == {overview, summary}
    assert submission.commissioner_copied_on == TODAY
    assert security_events.find("reports.qa_submitted").details["number"] == 1

    response = letter(coordinator, review)
    assert response.status_code == 302, response.content.decode()
    assert world.refresh().state == State.QA_OUTCOME
    submission.refresh_from_db()
    assert submission.outcome == QAOutcome.PUBLISH_WITH_CHANGES
    assert submission.letter is not None
    assert submission.letter.classification == "official_sensitive"
    assert submission.letter.space_id == review.space_id
    assert submission.turnaround_days == 8
    areas = list(submission.areas.order_by("number"))
    assert [(area.number, area.text) for area in areas] == [
        (1, "Use the Appendix 4 layout"),
        (2, "Name coercive control"),
    ]
    event = security_events.find("reports.qa_outcome_recorded")
    assert event.details["areas"] == 2
    assert "coercive" not in str(event.details)
    assert "sharing.document_uploaded" in security_events.actions()

    shown = coordinator.get(reverse("reports:qa", args=[review.pk])).content.decode()
    assert "First submission" in shown
    assert "Record a resubmission" not in shown
    assert "8 days from submission to letter" in shown
    assert "May be published once changes are made" in shown
    assert reverse("sharing:document", args=[submission.letter_id]) in shown
    assert "2 still to do" in shown

    world.step("start_amending", actor=world.csp_chair)
    with pytest.raises(ValidationError, match="area for final development"):
        world.step("prepare_publication", actor=world.csp_chair)

    response = coordinator.post(
        reverse("reports:area_done", args=[areas[0].pk]),
        {f"area-{areas[0].pk}-done_on": TODAY.isoformat(), f"area-{areas[0].pk}-how_addressed": "Restructured"},
    )
    assert response.status_code == 302
    with pytest.raises(ValidationError, match="area for final development"):
        world.step("prepare_publication", actor=world.csp_chair)
    # The independent chair amends the report, so may mark areas done too.
    chair = world.client(world.independent_chair)
    response = chair.post(
        reverse("reports:area_done", args=[areas[1].pk]),
        {f"area-{areas[1].pk}-done_on": TODAY.isoformat(), f"area-{areas[1].pk}-how_addressed": "Named in s12"},
    )
    assert response.status_code == 302
    assert security_events.find("reports.qa_area_done").details["number"] == 2
    assert world.step("prepare_publication", actor=world.csp_chair).state == State.READY_TO_PUBLISH


def test_revise_and_resubmit_counts_a_resubmission(approved: ReportWorld) -> None:
    world = approved
    review = world.review
    coordinator = world.client(world.coordinator)
    overview, _ = ReportVersion.objects.order_by("report__kind")
    assert (
        submit(coordinator, review, [overview.pk], submitted_on=(TODAY - timedelta(days=20)).isoformat()).status_code
        == 302
    )
    response = letter(
        coordinator,
        review,
        outcome=QAOutcome.RESUBMIT,
        panel_met_on=(TODAY - timedelta(days=15)).isoformat(),
        letter_on=(TODAY - timedelta(days=12)).isoformat(),
        areas="Deepen the equality analysis",
    )
    assert response.status_code == 302
    world.step("start_amending", actor=world.csp_chair)
    # A resubmission before the letter's date is refused.
    early = submit(coordinator, review, [overview.pk], submitted_on=(TODAY - timedelta(days=13)).isoformat())
    assert early.status_code == 400
    assert "on or after the date of the last letter" in early.content.decode()
    new_overview = make_version(world)
    page = coordinator.get(reverse("reports:qa_submit", args=[review.pk])).content.decode()
    assert "Record the resubmission 1" in page
    assert submit(coordinator, review, [new_overview.pk]).status_code == 302
    assert world.refresh().state == State.SUBMITTED_TO_HO
    assert list(QASubmission.objects.filter(review=review).values_list("number", flat=True).order_by("number")) == [
        1,
        2,
    ]
    page = coordinator.get(reverse("reports:qa", args=[review.pk])).content.decode()
    assert "Resubmission 1" in page
    assert "resubmissions: <strong>1</strong>" in page
    assert "Revise and resubmit" in page
    assert "8 days from submission to letter" in page


def test_configured_wording_is_shown(approved: ReportWorld, settings: Any) -> None:
    settings.REPORT_QA_OUTCOME_WORDING = "publish_with_changes=Publishable subject to final amendments"
    world = approved
    coordinator = world.client(world.coordinator)
    overview, _ = ReportVersion.objects.order_by("report__kind")
    submit(coordinator, world.review, [overview.pk])
    form = coordinator.get(reverse("reports:qa_outcome", args=[world.review.pk])).content.decode()
    assert "Publishable subject to final amendments" in form
    assert "Revise and resubmit" in form
    letter(coordinator, world.review)
    page = coordinator.get(reverse("reports:qa", args=[world.review.pk])).content.decode()
    assert "Publishable subject to final amendments" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"submitted_on": (TODAY + timedelta(days=1)).isoformat()}, "must be today or in the past"),
        ({"versions": "summary"}, "Select the version of the overview report that was sent"),
        ({"commissioner_copied_on": (TODAY - timedelta(days=11)).isoformat()}, "cannot be copied before"),
    ],
)
def test_bad_submission_is_refused_and_nothing_saved(
    approved: ReportWorld, fields: dict[str, str], message: str
) -> None:
    world = approved
    overview, summary = ReportVersion.objects.order_by("report__kind")
    versions = [summary.pk] if fields.pop("versions", None) else [overview.pk, summary.pk]
    response = submit(world.client(world.coordinator), world.review, versions, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not QASubmission.objects.exists()
    assert world.refresh().state == State.CSP_SIGNOFF


def test_submission_without_csp_approval_is_refused_with_the_lifecycle_message(approved: ReportWorld) -> None:
    world = approved
    SignOff.objects.filter(kind=SignOffKind.CSP).update(withdrawn_at=timezone.now())
    overview, _ = ReportVersion.objects.order_by("report__kind")
    response = submit(world.client(world.coordinator), world.review, [overview.pk])
    assert response.status_code == 400
    assert "Record the CSP chair&#x27;s approval of the report first" in response.content.decode()
    assert not QASubmission.objects.exists()


@pytest.fixture
def submitted(approved: ReportWorld) -> ReportWorld:
    overview, _ = ReportVersion.objects.order_by("report__kind")
    assert submit(approved.client(approved.coordinator), approved.review, [overview.pk]).status_code == 302
    return approved


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"letter_on": (TODAY + timedelta(days=1)).isoformat()}, "The date of the letter must be today or in the past"),
        ({"letter_on": (TODAY - timedelta(days=11)).isoformat()}, "The letter cannot be dated before the submission"),
        ({"letter_on": (TODAY - timedelta(days=6)).isoformat()}, "The letter cannot be dated before the panel met"),
        ({"panel_met_on": (TODAY - timedelta(days=30)).isoformat()}, "The panel cannot meet before"),
        ({"areas": "\n \n"}, "Enter the areas for final development"),
        ({"outcome": "maybe"}, "Select a valid choice"),
    ],
)
def test_bad_letter_is_refused_and_nothing_saved(submitted: ReportWorld, fields: dict[str, str], message: str) -> None:
    world = submitted
    response = letter(world.client(world.coordinator), world.review, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    submission = QASubmission.objects.get()
    assert submission.outcome == ""
    assert submission.letter is None
    assert not AreaForDevelopment.objects.exists()
    assert not Document.objects.filter(title__contains="quality assurance letter").exists()
    assert world.refresh().state == State.SUBMITTED_TO_HO
    assert spooled_files() == []


def test_publish_outcome_needs_no_areas(submitted: ReportWorld) -> None:
    world = submitted
    response = letter(world.client(world.coordinator), world.review, outcome=QAOutcome.PUBLISH, areas="")
    assert response.status_code == 302
    assert world.step("prepare_publication", actor=world.csp_chair).state == State.READY_TO_PUBLISH


def test_only_members_of_the_secure_space_upload_the_letter(submitted: ReportWorld) -> None:
    world = submitted
    client = world.client(world.csp_chair)
    page = client.get(reverse("reports:qa_outcome", args=[world.review.pk]))
    text = page.content.decode()
    assert "Only members of the review's secure space can upload the letter" in text
    # The CSP chair runs the partnership's spaces, so the page shows where to join this one.
    space = world.refresh().space
    assert space is not None
    assert reverse("sharing:member_add", args=[space.pk]) in text
    assert letter(client, world.review).status_code == 400
    assert QASubmission.objects.get().outcome == ""
    assert spooled_files() == []


def test_letter_needs_a_file(submitted: ReportWorld) -> None:
    world = submitted
    client = world.client(world.coordinator)
    response = client.post(
        reverse("reports:qa_outcome", args=[world.review.pk]),
        {"panel_met_on": TODAY.isoformat(), "letter_on": TODAY.isoformat(), "outcome": QAOutcome.PUBLISH},
    )
    assert response.status_code == 400
    assert "Select a file" in response.content.decode()
    assert QASubmission.objects.get().outcome == ""


def test_refused_step_rolls_the_letter_back(submitted: ReportWorld) -> None:
    """A refusal after the upload (here, the review moved on meanwhile) leaves no document, no spool file."""
    world = submitted
    submission = QASubmission.objects.get()
    Review.objects.filter(pk=world.review.pk).update(state=State.AMENDING)
    response = letter(world.client(world.coordinator), world.review)
    assert response.status_code == 400
    submission.refresh_from_db()
    assert submission.outcome == ""
    assert not Document.objects.filter(title__contains="quality assurance letter").exists()
    assert spooled_files() == []


def test_outsiders_get_404_and_change_nothing(submitted: ReportWorld) -> None:
    world = submitted
    personas = world.chronologies.reviews.personas
    submission = QASubmission.objects.get()
    area = AreaForDevelopment.objects.create(submission=submission, number=1, text="Name coercive control")
    for user in (personas.outsider, personas.auditor, personas.site_admin, world.contributor_a):
        client = world.client(user)
        for url in (
            reverse("reports:qa", args=[world.review.pk]),
            reverse("reports:qa_submit", args=[world.review.pk]),
            reverse("reports:qa_outcome", args=[world.review.pk]),
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert letter(client, world.review).status_code == 404
        done = {f"area-{area.pk}-done_on": TODAY.isoformat(), f"area-{area.pk}-how_addressed": "Done"}
        assert client.post(reverse("reports:area_done", args=[area.pk]), done).status_code == 404
        assert client.get(reverse("reports:area_done", args=[area.pk])).status_code == 404
    submission.refresh_from_db()
    area.refresh_from_db()
    assert submission.outcome == ""
    assert area.done_on is None
    assert spooled_files() == []


def test_independent_chair_and_panel_cannot_record_submissions_or_letters(approved: ReportWorld) -> None:
    world = approved
    overview, _ = ReportVersion.objects.order_by("report__kind")
    for user in (world.independent_chair, world.panel_member):
        client = world.client(user)
        assert client.get(reverse("reports:qa", args=[world.review.pk])).status_code == 200
        assert client.get(reverse("reports:qa_submit", args=[world.review.pk])).status_code == 403
        assert submit(client, world.review, [overview.pk]).status_code == 403
    assert not QASubmission.objects.exists()
    submit(world.client(world.coordinator), world.review, [overview.pk])
    for user in (world.independent_chair, world.panel_member):
        assert letter(world.client(user), world.review).status_code == 403
    assert QASubmission.objects.get().outcome == ""
    assert spooled_files() == []


def test_panel_member_cannot_mark_areas_done(submitted: ReportWorld) -> None:
    world = submitted
    letter(world.client(world.coordinator), world.review)
    area = AreaForDevelopment.objects.get(number=1)
    client = world.client(world.panel_member)
    done = {f"area-{area.pk}-done_on": TODAY.isoformat(), f"area-{area.pk}-how_addressed": "Done"}
    assert client.post(reverse("reports:area_done", args=[area.pk]), done).status_code == 403
    assert client.post(reverse("reports:area_reopen", args=[area.pk])).status_code == 403
    area.refresh_from_db()
    assert area.done_on is None


def test_area_needs_how_it_was_addressed_and_can_be_reopened(submitted: ReportWorld, security_events: EventLog) -> None:
    world = submitted
    client = world.client(world.coordinator)
    letter(client, world.review)
    area = AreaForDevelopment.objects.get(number=1)
    url = reverse("reports:area_done", args=[area.pk])
    response = client.post(url, {f"area-{area.pk}-done_on": TODAY.isoformat(), f"area-{area.pk}-how_addressed": " "})
    assert response.status_code == 400
    assert "Enter how the report now addresses this area" in response.content.decode()
    future = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(url, {f"area-{area.pk}-done_on": future, f"area-{area.pk}-how_addressed": "Fixed"})
    assert response.status_code == 400
    area.refresh_from_db()
    assert area.done_on is None
    client.post(url, {f"area-{area.pk}-done_on": TODAY.isoformat(), f"area-{area.pk}-how_addressed": "Fixed"})
    area.refresh_from_db()
    assert area.done_on == TODAY
    assert area.how_addressed == "Fixed"
    assert area.done_by == world.coordinator
    assert client.get(reverse("reports:area_reopen", args=[area.pk])).status_code == 405
    assert client.post(reverse("reports:area_reopen", args=[area.pk])).status_code == 302
    area.refresh_from_db()
    assert area.done_on is None
    assert area.how_addressed == ""
    assert security_events.find("reports.qa_area_reopened").details["number"] == 1


def test_registered_steps_are_refused_on_the_generic_page(approved: ReportWorld) -> None:
    with pytest.raises(ValidationError, match="its own page"):
        steps.take_step(
            approved.refresh(),
            "submit_to_home_office",
            actor=approved.csp_chair,
            rationale="",
            version=None,
            request=None,
        )
