"""Review pages by feature. Every view needs a verified second factor, then fetches its review
through ``access.access_review`` (404 for anyone who may not see it) and asks the predicates of
``reviews.access`` for each action; the services check again.

Pages about one review extend ``reviews/review_base.html`` and render through ``review_page``,
which adds the review's section navigation: ``SECTIONS`` for everyone who reads the review, and
funding for the partnership's CSP chairs and coordinators once the review has commenced
(``sections_for``). Other apps are named only by their URL names, so this app imports none.
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dhr_tracker.reviews import access, schedule
from dhr_tracker.reviews.models import Review

PAGE_SIZE = 50

# The sections of a review page, in the order of its navigation.
SECTIONS = (
    ("reviews:review", "Overview"),
    ("reviews:people", "People"),
    ("reviews:panel", "Chair and panel"),
    ("reviews:terms", "Terms of reference"),
    ("reviews:family", "Family and friends"),
    ("reviews:meetings", "Meetings"),
    ("chronologies:requests", "Requests to agencies"),
    ("chronologies:combined", "Combined chronology"),
    ("reports:reports", "Reports"),
    ("reports:action_plan", "Action plan"),
    ("reports:qa", "Home Office"),
    ("reports:publication", "Publication"),
)
# The review's ledger: the partnership's business, from the decision to review.
FUNDING_SECTION = ("funding:ledger", "Funding and costs")


def sections_for(user: Any, review: Review) -> tuple[tuple[str, str], ...]:
    """The sections of the review the user is shown."""
    if schedule.completion_start(review) is not None and access.is_manager(user, review):
        return (*SECTIONS, FUNDING_SECTION)
    return SECTIONS


def review_page(
    request: HttpRequest,
    template: str,
    review: Review,
    section: str,
    context: dict[str, Any],
    *,
    status: int | None = None,
    navigation: bool = True,
) -> HttpResponse:
    """Render a page of one review, with its navigation unless not ``navigation``; 400 when a form on it shows errors."""
    form = context.get("form")
    if status is None:
        status = 400 if form is not None and form.errors else 200
    sections = {"review_sections": sections_for(request.user, review), "review_section": section} if navigation else {}
    return render(request, template, {"review": review, **sections, **context}, status=status)


def review_for_change(request: HttpRequest, review_id: int, allowed: Callable[[Any, Review], bool]) -> Review:
    """The review, if the user may make this change to it: 404 if they cannot see it, 403 if not allowed."""
    review = access.access_review(request.user, review_id, for_write=True)
    if not allowed(request.user, review):
        raise PermissionDenied
    return review
