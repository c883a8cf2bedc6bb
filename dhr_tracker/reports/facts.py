"""What the reports establish about a review, for the lifecycle steps that require it (DHR.md s19).

- ``PANEL_AGREED`` / ``CSP_APPROVED``: a live sign-off of that kind.
- ``AREAS_DONE``: the latest quality assurance letter allows publication and every area for
  final development it named is done.
- ``ANONYMISATION_CLEAR``: each item to be published has a checked candidate whose every hit is a
  false positive (or an override), and the overview report and executive summary are among them.
- ``ACTIONS_CLOSED``: the review has recommendations, each has at least one action, and every
  action is complete.
"""

from collections.abc import Callable

from django.db.models import Exists, OuterRef

from dhr_tracker.reports.models import (
    Action,
    Candidate,
    CandidateStatus,
    HitResolution,
    PublicationItemKind,
    QAOutcome,
    QASubmission,
    Recommendation,
    SignOff,
    SignOffKind,
)
from dhr_tracker.reviews.lifecycle import TRANSITIONS, Fact, State
from dhr_tracker.reviews.models import Review

# What must be published: the report and its summary; the plan summary and the letter may follow.
REQUIRED_ITEMS = frozenset({PublicationItemKind.OVERVIEW, PublicationItemKind.SUMMARY})


def live_candidates(review: Review) -> list[Candidate]:
    return list(Candidate.objects.filter(review=review, superseded_at__isnull=True).order_by("item"))


def candidate_clear(candidate: Candidate) -> bool:
    """Checked, every hit a false positive, or overridden with a reason; a file that cannot be checked never is.

    A hit marked to be fixed is still in this file: only a corrected upload clears it.
    """
    if candidate.overridden_at is not None:
        return True
    if candidate.status == CandidateStatus.UNREADABLE:
        return False
    return not candidate.hits.exclude(resolution=HitResolution.FALSE_POSITIVE).exists()


def anonymisation_clear(review: Review) -> bool:
    candidates = live_candidates(review)
    if not {c.item for c in candidates} >= REQUIRED_ITEMS:
        return False
    return all(candidate_clear(c) for c in candidates)


def areas_done(review: Review) -> bool:
    latest = QASubmission.objects.filter(review=review).order_by("-number").first()
    if latest is None or latest.outcome not in (QAOutcome.PUBLISH, QAOutcome.PUBLISH_WITH_CHANGES):
        return False
    return not latest.areas.filter(done_on__isnull=True).exists()


def actions_closed(review: Review) -> bool:
    recommendations = Recommendation.objects.filter(review=review)
    if not recommendations.exists():
        return False
    without_actions = recommendations.filter(~Exists(Action.objects.filter(recommendation=OuterRef("pk"))))
    if without_actions.exists():
        return False
    return not Action.objects.filter(recommendation__review=review, completed_on__isnull=True).exists()


def _signed_off(kind: str) -> Callable[[Review], bool]:
    def signed_off(review: Review) -> bool:
        return SignOff.objects.filter(review=review, kind=kind, withdrawn_at__isnull=True).exists()

    return signed_off


_ESTABLISH: dict[Fact, Callable[[Review], bool]] = {
    Fact.PANEL_AGREED: _signed_off(SignOffKind.PANEL),
    Fact.CSP_APPROVED: _signed_off(SignOffKind.CSP),
    Fact.AREAS_DONE: areas_done,
    Fact.ANONYMISATION_CLEAR: anonymisation_clear,
    Fact.ACTIONS_CLOSED: actions_closed,
}


def facts_of(review: Review) -> set[Fact]:
    """The facts that the steps open to the review in its state require; the others are not asked.

    Every page of a review asks, so only what can matter now costs a query.
    """
    state = State(review.state)
    needed = {fact for step in TRANSITIONS.values() if state in step.sources for fact in step.requires}
    return {fact for fact, holds in _ESTABLISH.items() if fact in needed and holds(review)}
