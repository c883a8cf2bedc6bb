"""Report pages by feature; each module lists its own URL patterns.

Every signed-in view needs a verified second factor, then fetches what it shows through an
``access_*`` fetcher of ``reports.access`` (404 for anyone who may not see it) and asks the
predicates for each action; the services check again. Actions check access first and only then
the method (``post_only``), so a 404 never leaks through a 405. The public pages (``public``)
show only what is published.

Pages about one review render through ``report_page``: the review's section navigation for
those who read the review; none for an action's owner who sees only their own actions.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from dhr_tracker.chronologies.views import post_only
from dhr_tracker.reports import access
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import PAGE_SIZE, review_page
from sharing import access as sharing_access

__all__ = ["PAGE_SIZE", "join_space_url", "post_only", "report_page"]


def report_page(
    request: HttpRequest,
    template: str,
    review: Review,
    section: str,
    context: dict[str, Any],
    *,
    status: int | None = None,
) -> HttpResponse:
    """Render a page about one review's reports; 400 when a form on it shows errors."""
    navigation = access.reads_review(request.user, review)
    return review_page(request, template, review, section, context, status=status, navigation=navigation)


def join_space_url(user: object, review: Review) -> str:
    """Where someone who runs the partnership's spaces adds themselves to the review's space, or "".

    Uploads into the space need membership, acting for an agency; CSP chairs and coordinators
    are members only if they add themselves (or are on the panel).
    """
    space = review.space
    if space is None or not sharing_access.can_manage_space(user, space):
        return ""
    return reverse("sharing:member_add", args=[space.pk])
