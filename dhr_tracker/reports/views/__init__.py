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

from dhr_tracker.chronologies.views import post_only
from dhr_tracker.reports import access
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import PAGE_SIZE, review_page

__all__ = ["PAGE_SIZE", "post_only", "report_page"]


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
