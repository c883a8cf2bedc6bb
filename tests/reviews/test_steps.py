"""The lifecycle through its pages: decision, Home Office, direction, pauses, extensions, withdrawal."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.deadlines import Rag
from dhr_tracker.reviews.models import Participant, Review, StepRecord
from dhr_tracker.reviews.services import steps
from tests.conftest import EventLog
from tests.reviews.conftest import ReviewWorld

pytestmark = pytest.mark.django_db


def url(name: str, world: ReviewWorld, *args: str) -> str:
    return reverse(f"reviews:{name}", args=[world.review.pk, *args])


def decision_data(world: ReviewWorld, **changes: str) -> dict[str, object]:
    review = world.refresh()
    data: dict[str, object] = {
        "version": review.version,
        "outcome": "commission",
        "decided_on": (review.notified_on + timedelta(days=3)).isoformat(),
        "criteria": ["aged_16", "abuse", "relationship"],
        "reasons": "The statutory criteria are met.",
        "partners_consulted": "Police, health",
    }
    data.update(changes)
    return data


def briefed(world: ReviewWorld) -> Review:
    coordinator = verified_client_for(world, world.personas.coordinator)
    for name in ("start_scoping", "brief_chair"):
        response = coordinator.post(url("step", world, name), {"version": world.refresh().version})
        assert response.status_code == 302, response.text
    return world.refresh()


def verified_client_for(world: ReviewWorld, user: object) -> Client:
    return world.client(user)


def test_coordinator_moves_to_scoping_and_briefs_the_chair(
    review_world: ReviewWorld, security_events: EventLog
) -> None:
    review = briefed(review_world)

    assert review.state == "decision_pending"
    assert [step.name for step in StepRecord.objects.filter(review=review)] == ["start_scoping", "brief_chair"]
    event = security_events.find("reviews.step")
    assert event.details == {"step": "brief_chair", "from_state": "scoping", "to_state": "decision_pending"}


def test_only_the_csp_chair_decides(review_world: ReviewWorld) -> None:
    briefed(review_world)
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)

    assert coordinator.get(url("decision", review_world)).status_code == 403
    assert coordinator.post(url("decision", review_world), decision_data(review_world)).status_code == 403
    assert review_world.refresh().state == "decision_pending"


def test_chair_commissions_then_tells_the_home_office_with_generated_text(
    review_world: ReviewWorld, security_events: EventLog
) -> None:
    briefed(review_world)
    chair = verified_client_for(review_world, review_world.personas.csp_chair)

    response = chair.post(url("decision", review_world), decision_data(review_world))

    assert response.status_code == 302
    assert response["Location"] == url("home_office", review_world)
    review = review_world.refresh()
    assert review.state == "commissioned"
    assert review.criteria_met == ["abuse", "aged_16", "relationship"]
    page = chair.get(url("home_office", review_world)).text
    assert "Person who died (pseudonym): Adult A" in page
    assert "Decision: to commission a review" in page
    assert "Jane Realname" not in page

    coordinator = verified_client_for(review_world, review_world.personas.coordinator)
    assert review.decided_on is not None
    told = coordinator.post(
        url("home_office", review_world),
        {"version": review.version, "told_on": review.decided_on.isoformat(), "method": "E-mail", "response": ""},
    )
    assert told.status_code == 302
    assert review_world.refresh().home_office_told_on == review.decided_on
    assert security_events.find("reviews.home_office_told")


def test_decision_before_notification_or_without_reasons_is_refused(review_world: ReviewWorld) -> None:
    review = briefed(review_world)
    chair = verified_client_for(review_world, review_world.personas.csp_chair)

    early = chair.post(
        url("decision", review_world),
        decision_data(review_world, decided_on=(review.notified_on - timedelta(days=1)).isoformat()),
    )
    assert early.status_code == 400
    assert "The decision date must be on or after the date notified" in early.text

    no_reasons = chair.post(url("decision", review_world), decision_data(review_world, reasons=""))
    assert no_reasons.status_code == 400
    assert "Enter the reasons for the decision" in no_reasons.text
    assert review_world.refresh().state == "decision_pending"


def test_setup_waits_for_the_home_office_to_be_told(review_world: ReviewWorld) -> None:
    review_world.decide()
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)

    response = coordinator.post(url("step", review_world, "begin_setup"), {"version": review_world.refresh().version})

    assert response.status_code == 400
    assert "Record when and how the Home Office was told of the decision first" in response.text
    assert review_world.refresh().state == "commissioned"


def test_a_step_not_allowed_from_the_current_state_says_why(review_world: ReviewWorld) -> None:
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)

    response = coordinator.post(url("step", review_world, "brief_chair"), {"version": review_world.review.version})

    assert response.status_code == 400
    assert (
        "“Brief the CSP chair for a decision” is not possible while the review is at the stage “Notified”"
        in response.text
    )
    assert review_world.refresh().state == "notified"


def test_a_stale_step_is_refused(review_world: ReviewWorld) -> None:
    version = review_world.review.version
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)
    assert coordinator.post(url("step", review_world, "start_scoping"), {"version": version}).status_code == 302

    chair = verified_client_for(review_world, review_world.personas.csp_chair)
    response = chair.post(url("step", review_world, "withdraw"), {"version": version, "rationale": "Duplicate"})

    assert response.status_code == 400
    assert "Someone else changed this review" in response.text
    assert review_world.refresh().state == "scoping"


def test_no_review_then_home_office_direction_starts_the_completion_clock(review_world: ReviewWorld) -> None:
    review_world.decide(commission=False)
    review_world.tell_home_office()
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)
    today = timezone.localdate()

    response = coordinator.post(
        url("direction", review_world),
        {
            "version": review_world.refresh().version,
            "directed_on": today.isoformat(),
            "rationale": "Directed under s9(2)",
        },
    )

    assert response.status_code == 302
    review = review_world.refresh()
    assert review.state == "commissioned"
    status = schedule.status_of(schedule.with_schedule(Review.objects.filter(pk=review.pk)).get(), today)
    completion = next(d for d in status.deadlines if d.key == "completion")
    assert "Decision: not to commission a review" in steps.home_office_text(review)
    assert completion.clock is not None
    assert completion.clock.start == today


def test_pause_for_a_trial_stops_the_clock_and_resume_returns_to_the_same_stage(
    review_world: ReviewWorld, security_events: EventLog
) -> None:
    review = review_world.in_setup()
    p = review_world.personas
    chair = verified_client_for(review_world, p.csp_chair)
    today = timezone.localdate()

    paused = chair.post(
        url("pause", review_world),
        {
            "version": review.version,
            "reason": "criminal_trial",
            "body": "Exampletown Crown Court",
            "reference": "T2026001",
            "started_on": today.isoformat(),
            "requested_by": p.coordinator.pk,
            "rationale": "The trial must finish before family interviews",
        },
    )

    assert paused.status_code == 302
    review = review_world.refresh()
    assert (review.state, review.paused_from) == ("paused", "setup")
    status = schedule.status_of(
        schedule.with_schedule(Review.objects.filter(pk=review.pk)).get(), today + timedelta(days=10)
    )
    assert status.rag == Rag.PAUSED
    assert status.paused_days == 10
    page = chair.get(url("review", review_world)).text
    assert "Paused since" in page
    assert "Exampletown Crown Court" in page

    resumed = chair.post(
        url("resume", review_world), {"version": review.version, "ended_on": today.isoformat(), "outcome": "Convicted"}
    )
    assert resumed.status_code == 302
    review = review_world.refresh()
    assert (review.state, review.paused_from) == ("setup", "")
    assert security_events.find("reviews.pause_ended")


def test_only_the_csp_chair_approves_a_pause(review_world: ReviewWorld) -> None:
    review_world.in_setup()
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)
    assert coordinator.get(url("pause", review_world)).status_code == 403


def test_pause_asked_for_by_someone_outside_the_review_is_refused(review_world: ReviewWorld) -> None:
    review = review_world.in_setup()
    chair = verified_client_for(review_world, review_world.personas.csp_chair)

    response = chair.post(
        url("pause", review_world),
        {
            "version": review.version,
            "reason": "inquest",
            "started_on": timezone.localdate().isoformat(),
            "requested_by": review_world.personas.outsider.pk,
            "rationale": "Inquest",
        },
    )

    assert response.status_code == 400
    assert review_world.refresh().state == "setup"


def test_extension_moves_the_completion_target_with_its_reason(review_world: ReviewWorld) -> None:
    review_world.in_setup()
    chair = verified_client_for(review_world, review_world.personas.csp_chair)
    before = chair.get(url("review", review_world)).text
    assert "extended by" not in before

    response = chair.post(url("extension", review_world), {"clock": "completion", "days": "30", "reason": "Late IMRs"})

    assert response.status_code == 302
    assert "extended by 30 days" in chair.get(url("review", review_world)).text
    missing = chair.post(url("extension", review_world), {"clock": "completion", "days": "0", "reason": ""})
    assert missing.status_code == 400
    assert "Enter a number of days of 1 or more" in missing.text
    assert "Enter the reason for the extension" in missing.text


def test_withdrawal_needs_reasons_and_ends_the_review(review_world: ReviewWorld) -> None:
    chair = verified_client_for(review_world, review_world.personas.csp_chair)
    version = review_world.review.version

    no_reasons = chair.post(url("step", review_world, "withdraw"), {"version": version, "rationale": " "})
    assert no_reasons.status_code == 400
    assert "Enter the reasons for this step" in no_reasons.text

    done = chair.post(url("step", review_world, "withdraw"), {"version": version, "rationale": "Notified in error"})
    assert done.status_code == 302
    review = review_world.refresh()
    assert review.state == "withdrawn"
    assert review.ended_on == timezone.localdate()
    coordinator = verified_client_for(review_world, review_world.personas.coordinator)
    assert coordinator.get(url("edit", review_world)).status_code == 403


def test_panel_member_sees_the_review_but_takes_no_step(review_world: ReviewWorld) -> None:
    review_world.in_setup()
    Participant.objects.create(
        review=review_world.review,
        user=review_world.panel_member,
        kind="panel_member",
        agency=review_world.agency_a,
        added_by=review_world.personas.coordinator,
    )
    member = verified_client_for(review_world, review_world.panel_member)
    page = member.get(url("review", review_world))
    assert page.status_code == 200
    assert "Next steps" not in page.text
    for name in ("pause", "decision", "extension"):
        assert member.get(url(name, review_world)).status_code == 403
    assert member.post(url("step", review_world, "start_gathering"), {"version": 1}).status_code == 403
