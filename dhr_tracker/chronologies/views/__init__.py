"""Chronology pages by feature; each module lists its own URL patterns.

Every view needs a verified second factor, then fetches what it shows through an ``access_*``
fetcher of ``chronologies.access`` (404 for anyone who may not see it) and asks the predicates
for each action; the services check again.

Pages extend ``chronologies/page_base.html`` and render through ``chronology_page``. People who
read the review itself (its partnership, independent chair and panel) get the review's section
navigation; an agency's contributors, who see only their own agency's requests, do not.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from dhr_tracker.chronologies import access
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import PAGE_SIZE, review_page

__all__ = ["PAGE_SIZE", "chronology_page", "post_only"]


def chronology_page(
    request: HttpRequest,
    template: str,
    review: Review,
    section: str,
    context: dict[str, Any],
    *,
    status: int | None = None,
) -> HttpResponse:
    """Render a page about one review's chronologies; 400 when a form on it shows errors."""
    navigation = access.reads_review(request.user, review)
    return review_page(request, template, review, section, context, status=status, navigation=navigation)


def post_only(request: HttpRequest) -> HttpResponse | None:
    """A 405 for anything but a POST, or ``None``.

    Views of actions call it after fetching what they act on, so that someone who may not see
    the thing gets the same 404 whatever the method, and learns nothing of what exists.
    """
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])
