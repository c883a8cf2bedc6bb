"""The deadlines of a review as they stand on a day, read from its rows through ``deadlines``.

Each review has a decision clock (from notification), a completion clock (from the decision, net
of pauses, plus extensions) and the open actions of its panel meetings. Apps that depend on this
one add their own deadlines (the requests to agencies, later the action plan) through
``register_source``, from their ``AppConfig.ready``, since this app imports none of them.
``status_of`` turns them all into one ``Status``: every deadline with its RAG and owner, the
review's worst RAG, its next due date, and its days active and paused.

Callers that show many reviews prefetch ``pauses``, ``extensions``, ``meetings__actions`` and
what each source reads (see ``with_schedule``), so this module issues no queries of its own.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, QuerySet, prefetch_related_objects

from dhr_tracker.reviews import deadlines
from dhr_tracker.reviews.deadlines import Allowance, Clock, Policy, Rag
from dhr_tracker.reviews.lifecycle import FINAL, State
from dhr_tracker.reviews.models import ClockKind, MeetingAction, Review


def policy() -> Policy:
    """The instance's deadline policy, from settings."""
    return Policy(
        decision_months=settings.REVIEW_DECISION_MONTHS,
        completion_months=settings.REVIEW_COMPLETION_MONTHS,
        scoping_working_days=settings.REVIEW_SCOPING_WORKING_DAYS,
        request_weeks=settings.REVIEW_REQUEST_WEEKS,
        amber_days=settings.REVIEW_AMBER_DAYS,
    )


@dataclass(frozen=True)
class Deadline:
    key: str  # stable across days, for reminders: "decision", "completion", "action:<id>"
    label: str
    due: date | None  # None while an open pause holds it
    rag: Rag
    done_on: date | None
    owner: str  # "csp_chair", "independent_chair", "coordinator", "user:<id>" or "agency:<id>"
    clock: Clock | None = None
    # The page of the deadline for its owner, when that is not the review's (an agency's
    # contributors see their requests, not the review): a path such as "/requests/7/".
    page: str = ""


@dataclass(frozen=True)
class Status:
    deadlines: list[Deadline]
    rag: Rag
    next_due: Deadline | None
    active_days: int
    paused_days: int
    paused: bool


Lookups = tuple[str | Prefetch, ...]


@dataclass(frozen=True)
class DeadlineSource:
    """Deadlines another app adds to the status of every review not yet final.

    ``lookups`` returns the prefetches ``deadlines`` reads (fresh ones each call: a ``Prefetch``
    is changed as it is used); ``deadlines(review, today, policy)`` must read only those, so a
    list of reviews costs a fixed number of queries however long it is.
    """

    lookups: Callable[[], Lookups]
    deadlines: Callable[[Review, date, Policy], list[Deadline]]


_sources: list[DeadlineSource] = []


def register_source(source: DeadlineSource) -> None:
    """Add ``source`` to every review's status (once, however often an app is made ready)."""
    if source not in _sources:
        _sources.append(source)


def _lookups() -> Lookups:
    open_actions = MeetingAction.objects.filter(done_on__isnull=True).order_by("due_on")
    found: Lookups = ("pauses", "extensions", Prefetch("meetings__actions", queryset=open_actions))
    for source in _sources:
        found += source.lookups()
    return found


def with_schedule(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """Prefetch what ``status_of`` reads."""
    return reviews.prefetch_related(*_lookups())


def load_schedule(review: Review) -> None:
    """Prefetch what ``status_of`` reads onto one review already fetched."""
    prefetch_related_objects([review], *_lookups())


def pauses_of(review: Review) -> list[deadlines.Pause]:
    return [
        deadlines.Pause(start=pause.started_on, end=pause.ended_on, reason=deadlines.PauseReason(pause.reason))
        for pause in review.pauses.all()
    ]


def _extensions(review: Review, kind: str) -> list[deadlines.Extension]:
    return [
        deadlines.Extension(days=ext.days, reason=ext.reason, granted_on=ext.granted_on)
        for ext in review.extensions.all()
        if ext.clock == kind
    ]


def decision_clock(review: Review, today: date, rules: Policy) -> Clock:
    return deadlines.clock(
        review.notified_on,
        max(today, review.notified_on),
        Allowance(months=rules.decision_months),
        rules,
        extensions=_extensions(review, ClockKind.DECISION),
        done_on=review.decided_on,
    )


def completion_start(review: Review) -> date | None:
    """T1: the decision to review, or the Home Office's direction after a decision not to."""
    if review.directed_on:
        return review.directed_on
    if State(review.state) in (State.NOT_COMMISSIONED, State.CLOSED_NO_REVIEW):
        return None
    return review.decided_on


def completion_clock(review: Review, today: date, rules: Policy, pauses: list[deadlines.Pause]) -> Clock | None:
    start = completion_start(review)
    if start is None:
        return None
    return deadlines.clock(
        start,
        max(today, start),
        Allowance(months=rules.completion_months),
        rules,
        pauses=pauses,
        extensions=_extensions(review, ClockKind.COMPLETION),
        done_on=review.submitted_on,
    )


def _end_of_clock(review: Review, today: date) -> date:
    """Days are counted up to today, or to the day the review ended."""
    if State(review.state) in FINAL and review.ended_on:
        return min(review.ended_on, today)
    return today


def status_of(review: Review, today: date, rules: Policy | None = None) -> Status:
    """Every deadline of the review on ``today``, its overall RAG and its days active and paused."""
    rules = rules or policy()
    pauses = pauses_of(review)
    found: list[Deadline] = []
    decision = decision_clock(review, today, rules)
    found.append(
        Deadline(
            "decision", "CSP chair's decision", decision.due.on, decision.rag, review.decided_on, "csp_chair", decision
        )
    )
    completion = completion_clock(review, today, rules, pauses)
    if completion is not None:
        found.append(
            Deadline(
                "completion",
                "Overview report to the Home Office",
                completion.due.on,
                completion.rag,
                review.submitted_on,
                "independent_chair",
                completion,
            )
        )
    if State(review.state) not in FINAL:
        for meeting in review.meetings.all():
            for action in meeting.actions.all():
                if action.done_on is None:
                    found.append(
                        Deadline(
                            f"action:{action.pk}",
                            f"Meeting action: {action.text[:80]}",
                            action.due_on,
                            deadlines.action_target(action.due_on, today, rules),
                            None,
                            f"user:{action.owner_id}",
                        )
                    )
        for source in _sources:
            found.extend(source.deadlines(review, today, rules))
    end = _end_of_clock(review, today)
    start = review.notified_on
    until = max(start, end)
    active = deadlines.active_days(start, until, pauses)
    paused = deadlines.paused_days(start, until, pauses)
    is_paused = review.state == State.PAUSED
    open_deadlines = [d for d in found if d.done_on is None]
    if State(review.state) in FINAL:
        overall = Rag.COMPLETE
    else:
        overall = deadlines.worst([d.rag for d in open_deadlines]) if open_deadlines else Rag.GREEN
    dated = sorted((d for d in open_deadlines if d.due is not None), key=lambda d: d.due or today)
    return Status(
        found, overall, dated[0] if dated and State(review.state) not in FINAL else None, active, paused, is_paused
    )
