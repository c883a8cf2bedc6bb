"""The dashboard of the reviews a user may see, and the statistics of the partnerships they manage."""

from typing import Any, cast
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.reviews import access, schedule, statistics
from dhr_tracker.reviews.forms.dashboard import DashboardFilters
from dhr_tracker.reviews.models import Person, PersonRole, Review, ReviewQuerySet
from dhr_tracker.reviews.schedule import Status
from dhr_tracker.reviews.views import PAGE_SIZE

# What ``schedule.status_of`` and the dashboard's columns read of each review.
_COLUMNS = (
    "reference",
    "state",
    "notified_on",
    "decided_on",
    "directed_on",
    "submitted_on",
    "ended_on",
    "partnership__name",
)


@verified()
def dashboard(request: SignedInRequest) -> HttpResponse:
    """List the reviews the user may see, with their stage, status and clocks; filtered and paged."""
    user = request.user
    visible = cast(ReviewQuerySet, access.visible_reviews(user))
    partnerships = list(
        Partnership.objects.filter(pk__in=visible.values("partnership_id")).order_by("name").values_list("pk", "name")
    )
    form = DashboardFilters(request.GET, partnerships=partnerships)
    chosen = form.chosen()
    reviews = visible.select_related("partnership").only(*_COLUMNS)
    if chosen["open_only"]:
        reviews = reviews.open()
    if chosen["partnership"]:
        reviews = reviews.filter(partnership_id=chosen["partnership"])
    if chosen["stage"]:
        reviews = reviews.filter(state=chosen["stage"])
    page, rows = _page(schedule.with_schedule(reviews), chosen["rag"], request.GET.get("page"))
    victims = dict(
        Person.objects.filter(review__in=[review.pk for review, _ in rows], role=PersonRole.VICTIM)
        .order_by()
        .values_list("review_id", "pseudonym")
    )
    query = urlencode([(name, value) for name, value in form.data.items() if name in form.fields and value])
    return render(
        request,
        "reviews/dashboard.html",
        {
            "form": form,
            "page": page,
            "rows": [{"review": review, "status": status, "victim": victims.get(review.pk)} for review, status in rows],
            "any_visible": bool(partnerships),
            "several_partnerships": len(partnerships) > 1,
            # The pagination links keep the filters: they go before the page number.
            "page_param": f"{query}&page" if query else "page",
            "manages": bool(access.managed_partnerships(user)),
        },
    )


def _page(reviews: QuerySet[Review], rag: str, number: str | None) -> tuple[Page[Any], list[tuple[Review, Status]]]:
    """The page of reviews asked for, each with its status today."""
    today = timezone.localdate()
    rules = schedule.policy()
    if not rag:
        found = Paginator(reviews, PAGE_SIZE).get_page(number)
        return found, [(review, schedule.status_of(review, today, rules)) for review in found]
    # RAG is computed, not stored: every candidate's status first, then the page.
    statuses = ((review, schedule.status_of(review, today, rules)) for review in reviews)
    matching = [(review, status) for review, status in statuses if status.rag == rag]
    page = Paginator(matching, PAGE_SIZE).get_page(number)
    return page, list(page)


@verified()
def partnership_statistics(request: SignedInRequest) -> HttpResponse:
    """Medians of the time between milestones for a partnership the user manages, against the targets."""
    managed = access.managed_partnerships(request.user)
    if not managed:
        raise PermissionDenied
    chosen = request.GET.get("partnership")
    if chosen is None:
        if len(managed) > 1:
            choices = Partnership.objects.filter(pk__in=managed).order_by("name").values_list("pk", "name")
            return render(request, "reviews/statistics.html", {"choices": list(choices)})
        chosen = str(next(iter(managed)))
    partnership_id = int(chosen) if chosen.isascii() and chosen.isdigit() else 0
    if partnership_id not in managed:
        raise Http404
    partnership = Partnership.objects.get(pk=partnership_id)
    context: dict[str, Any] = {
        "partnership": partnership,
        "figures": statistics.figures(partnership.pk),
        "several": len(managed) > 1,
    }
    return render(request, "reviews/statistics.html", context)


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("statistics/", partnership_statistics, name="statistics"),
]
