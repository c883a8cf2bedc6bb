"""The lifecycle: every move of a review, through ``lifecycle.check``, recorded and audited.

Steps that carry facts of their own (the decision, a Home Office direction, a pause and its end)
have their own function; the rest go through ``take_step``.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dhr_tracker.reviews import access, lifecycle
from dhr_tracker.reviews.lifecycle import Fact, State, TransitionRefused
from dhr_tracker.reviews.models import (
    ChairAppointment,
    ClockKind,
    Criterion,
    Extension,
    Participant,
    ParticipantKind,
    Pause,
    Review,
    StepRecord,
    TermsStatus,
)
from dhr_tracker.reviews.services import check_not_before, check_not_future, locked, record_change

# Steps with a form of their own; ``take_step`` refuses them so their facts are never skipped.
SPECIAL = frozenset({"commission", "decline", "home_office_direction", "pause", "resume"})
# Milestones a step sets on the review.
_MILESTONES = {
    "submit_to_home_office": "submitted_on",
    "publish": "published_on",
    "close": "ended_on",
    "close_no_review": "ended_on",
    "withdraw": "ended_on",
}


# Other apps establish the later facts (the report's sign-off, the Home Office's areas for
# development, the anonymisation check, the action plan): reviews imports nothing of them.
FactSource = Callable[[Review], set[Fact]]
_FACT_SOURCES: list[FactSource] = []


def register_facts(source: FactSource) -> None:
    """Add a source of facts about a review; registering the same source twice adds it once."""
    if source not in _FACT_SOURCES:
        _FACT_SOURCES.append(source)


def facts_of(review: Review) -> set[Fact]:
    """What holds of the review now, for the steps that require it."""
    facts: set[Fact] = set()
    for source in _FACT_SOURCES:
        facts |= source(review)
    if review.home_office_told_on:
        facts.add(Fact.HOME_OFFICE_TOLD)
    if ChairAppointment.objects.filter(review=review, ended_at__isnull=True, confirmed_at__isnull=False).exists():
        facts.add(Fact.CHAIR_CONFIRMED)
    if Participant.objects.current().filter(review=review, kind=ParticipantKind.PANEL_MEMBER).exists():
        facts.add(Fact.PANEL_FORMED)
    if review.terms.filter(status=TermsStatus.APPROVED).exists():
        facts.add(Fact.TERMS_APPROVED)
    return facts


def _move(review: Review, name: str, *, actor: Any, rationale: str, request: HttpRequest | None) -> State:
    """Check and make the move on a locked review; record it. Returns the state it left."""
    source = State(review.state)
    paused_from = State(review.paused_from) if review.paused_from else None
    try:
        target = lifecycle.check(
            name,
            state=source,
            roles=access.lifecycle_roles(actor, review),
            rationale=rationale,
            facts=facts_of(review),
            paused_from=paused_from,
        )
    except TransitionRefused as refused:
        field = "rationale" if refused.rule == "rationale" else None
        if refused.rule == "role":
            raise PermissionDenied from None
        raise ValidationError({field: refused.message} if field else refused.message, code=refused.rule) from None
    review.state = target
    review.paused_from = source if target == State.PAUSED else ""
    review.state_changed_at = timezone.now()
    if name in _MILESTONES:
        setattr(review, _MILESTONES[name], timezone.localdate())
    review.save()
    StepRecord.objects.create(
        review=review, name=name, from_state=source, to_state=target, actor=actor, rationale=rationale.strip()
    )
    record_change(
        "reviews.step", actor=actor, review=review, request=request, step=name, from_state=source, to_state=target
    )
    return source


# Steps another app takes along with a record of its own (a Home Office submission, a
# publication), by the URL name of the page that takes them. Registered from that app's ``ready``.
_OTHER_PAGES: dict[str, str] = {}


def register_step_page(name: str, url_name: str) -> None:
    """Say that another app's page (and service) takes the step ``name``; the generic page refuses it."""
    if name not in lifecycle.TRANSITIONS:
        raise ValueError(f"There is no step called {name!r}")
    _OTHER_PAGES[name] = url_name


def other_pages() -> dict[str, str]:
    return dict(_OTHER_PAGES)


def has_own_page(name: str) -> bool:
    return name in SPECIAL or name in _OTHER_PAGES


def take_step(
    review: Review, name: str, *, actor: Any, rationale: str, version: int | None, request: HttpRequest | None
) -> Review:
    """Take a lifecycle step that needs nothing but (for some) a rationale."""
    if has_own_page(name) or name not in lifecycle.TRANSITIONS:
        raise ValidationError("This step has its own page")
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.has_step_role(actor, r, name))
        _move(current, name, actor=actor, rationale=rationale, request=request)
    return current


def take_registered_step(
    review: Review, name: str, *, actor: Any, rationale: str, request: HttpRequest | None
) -> Review:
    """Take a step registered by another app, from that app's service, inside its transaction.

    The caller has made its own checks and records; this checks the lifecycle's rules (state,
    role, facts) on the locked review and records the move. A refusal rolls back the caller's work.
    """
    if name not in _OTHER_PAGES:
        raise ValidationError("This step is not taken this way")
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.has_step_role(actor, r, name))
        _move(current, name, actor=actor, rationale=rationale, request=request)
    return current


def decide(
    review: Review,
    *,
    actor: Any,
    commission: bool,
    decided_on: date,
    reasons: str,
    criteria: list[str],
    partners_consulted: str,
    version: int | None,
    request: HttpRequest | None,
) -> Review:
    """Record the CSP chair's decision to commission a review, or not, with its reasons."""
    check_not_future(decided_on, "decided_on", "The decision date")
    check_not_before(
        decided_on, review.notified_on, "decided_on", "The decision date must be on or after the date notified"
    )
    unknown = set(criteria) - set(Criterion.values)
    if unknown:
        raise ValidationError({"criteria": "Choose criteria from the list"})
    if commission and not criteria:
        raise ValidationError({"criteria": "Select the criteria for a review that are met"})
    if not partners_consulted.strip():
        raise ValidationError({"partners_consulted": "Enter the partners consulted before the decision"})
    name = "commission" if commission else "decline"
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.has_step_role(actor, r, name))
        current.decided_on, current.decided_by = decided_on, actor
        current.decision_reasons = reasons.strip()
        current.criteria_met = sorted(criteria)
        current.partners_consulted = partners_consulted.strip()
        _move(current, name, actor=actor, rationale=reasons, request=request)
    return current


def home_office_text(review: Review) -> str:
    """The notification of the decision to the Home Office, to copy into an e-mail; pseudonyms only."""
    partnership = review.partnership
    victim = review.people.filter(role="victim").first()
    # The state cannot tell: a review declined and then directed by the Home Office is commissioned now.
    declined = review.steps.filter(name="decline").exists()
    decision = "not to commission" if declined else "to commission"
    criteria = "\n".join(f"- {Criterion(value).label}" for value in review.criteria_met) or "- None recorded"
    return (
        f"{partnership.name}: notification of a {partnership.review_type_label} decision\n\n"
        f"Our reference: {review.reference}\n"
        f"Person who died (pseudonym): {victim.pseudonym if victim else 'not recorded'}\n"
        f"Date of death: {review.died_on:%d %B %Y}\n"
        f"Type of death: {review.get_death_type_display()}\n"
        f"Date the death was notified to the partnership: {review.notified_on:%d %B %Y}\n"
        f"Decision: {decision} a review, made on {review.decided_on:%d %B %Y} by the chair of the partnership\n\n"
        f"Criteria met:\n{criteria}\n\n"
        f"Reasons:\n{review.decision_reasons or 'None recorded'}\n\n"
        f"Partners consulted: {review.partners_consulted or 'None recorded'}\n"
        f"Criminal proceedings: {review.get_criminal_status_display()}\n"
    )


def record_home_office(
    review: Review,
    *,
    actor: Any,
    told_on: date,
    method: str,
    response: str,
    version: int | None,
    request: HttpRequest | None,
) -> Review:
    """Record when and how the Home Office was told of the decision, and any response."""
    check_not_future(told_on, "told_on", "The date the Home Office was told")
    check_not_before(told_on, review.decided_on, "told_on", "The Home Office cannot be told before the decision date")
    if not method.strip():
        raise ValidationError({"method": "Enter how the Home Office was told, for example by e-mail"})
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.can_record_home_office(actor, r))
        current.home_office_told_on, current.home_office_method = told_on, method.strip()
        current.home_office_response = response.strip()
        current.save()
        record_change(
            "reviews.home_office_told", actor=actor, review=current, request=request, told_on=told_on.isoformat()
        )
    return current


def record_direction(
    review: Review, *, actor: Any, directed_on: date, rationale: str, version: int | None, request: HttpRequest | None
) -> Review:
    """Record a Home Office direction (s9(2)) to hold a review after a decision not to."""
    check_not_future(directed_on, "directed_on", "The date of the direction")
    check_not_before(
        directed_on, review.decided_on, "directed_on", "The direction must be on or after the decision date"
    )
    with transaction.atomic():
        current = locked(
            review, version=version, allowed=lambda r: access.has_step_role(actor, r, "home_office_direction")
        )
        current.directed_on = directed_on
        _move(current, "home_office_direction", actor=actor, rationale=rationale, request=request)
    return current


def pause_review(
    review: Review,
    *,
    actor: Any,
    reason: str,
    body: str,
    reference: str,
    started_on: date,
    expected_end_on: date | None,
    requested_by: Any,
    rationale: str,
    version: int | None,
    request: HttpRequest | None,
) -> Pause:
    """Stop the review's clock for parallel proceedings; asked for by the coordinator or chair, approved by the CSP chair."""
    check_not_future(started_on, "started_on", "The date the pause starts")
    check_not_before(started_on, review.decided_on, "started_on", "A pause cannot start before the decision to review")
    last = review.pauses.exclude(ended_on__isnull=True).order_by("-ended_on").first()
    if last is not None:
        check_not_before(started_on, last.ended_on, "started_on", "A pause cannot start before the last pause ended")
    check_not_before(expected_end_on, started_on, "expected_end_on", "The expected end must be after the pause starts")
    requesters = access.managers_and_chair(review)
    if requested_by.pk not in requesters:
        raise ValidationError({"requested_by": "Choose the coordinator or independent chair who asked for the pause"})
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.has_step_role(actor, r, "pause"))
        _move(current, "pause", actor=actor, rationale=rationale, request=request)
        pause = Pause.objects.create(
            review=current,
            reason=reason,
            body=body.strip(),
            reference=reference.strip(),
            started_on=started_on,
            expected_end_on=expected_end_on,
            requested_by=requested_by,
            approved_by=actor,
        )
        record_change(
            "reviews.paused",
            actor=actor,
            review=current,
            request=request,
            reason=reason,
            started_on=started_on.isoformat(),
        )
    return pause


def end_pause(
    review: Review, *, actor: Any, ended_on: date, outcome: str, version: int | None, request: HttpRequest | None
) -> Review:
    """End the open pause; the review returns to the state it was paused in and its clock runs again."""
    check_not_future(ended_on, "ended_on", "The date the pause ends")
    with transaction.atomic():
        current = locked(review, version=version, allowed=lambda r: access.has_step_role(actor, r, "resume"))
        pause = current.pauses.select_for_update().filter(ended_on__isnull=True).first()
        if pause is None:
            raise ValidationError("This review is not paused")
        check_not_before(ended_on, pause.started_on, "ended_on", "The pause must end on or after the day it started")
        pause.ended_on, pause.outcome = ended_on, outcome.strip()
        pause.save(update_fields=["ended_on", "outcome"])
        _move(current, "resume", actor=actor, rationale=outcome, request=request)
        record_change(
            "reviews.pause_ended", actor=actor, review=current, request=request, ended_on=ended_on.isoformat()
        )
    return current


def extend(review: Review, *, actor: Any, clock: str, days: int, reason: str, request: HttpRequest | None) -> Extension:
    """Give a clock extra days, with the reason; the CSP chair's decision."""
    if clock not in ClockKind.values:
        raise ValidationError({"clock": "Choose which deadline to extend"})
    if days <= 0:
        raise ValidationError({"days": "Enter a number of days of 1 or more"})
    if not reason.strip():
        raise ValidationError({"reason": "Enter the reason for the extension"})
    if clock == ClockKind.DECISION and review.decided_on is not None:
        raise ValidationError({"clock": "The decision has been made; its deadline can no longer be extended"})
    if clock == ClockKind.COMPLETION and review.submitted_on is not None:
        raise ValidationError({"clock": "The report has been submitted; its deadline can no longer be extended"})
    with transaction.atomic():
        current = locked(review, version=None, allowed=lambda r: access.can_extend(actor, r))
        extension = Extension.objects.create(
            review=current,
            clock=clock,
            days=days,
            reason=reason.strip(),
            granted_on=timezone.localdate(),
            granted_by=actor,
        )
        record_change("reviews.extended", actor=actor, review=current, request=request, clock=clock, days=days)
    return extension
