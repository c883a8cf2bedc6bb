"""Funding streams: the list, one stream with its rules in words and the user's applications to it,
and recording or changing a stream.

Streams are seen by CSP chairs and coordinators (the national ones and their partnerships' own)
and by site administrators (the national ones); everyone else gets a 404. Everyone who sees them
may record one: a site administrator a national fund, a chair or coordinator their partnership's.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.forms import posted, render_form, submit
from dhr_tracker.funding import access
from dhr_tracker.funding.forms.streams import EditStreamForm, NewStreamForm, StreamFilters, year_choices
from dhr_tracker.funding.models import FundingStream
from dhr_tracker.funding.services import streams as services
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.views import PAGE_SIZE


@verified()
def stream_list(request: SignedInRequest) -> HttpResponse:
    """The streams the user sees, newest financial year first, filtered by year and by being open today."""
    user = request.user
    if not access.can_see_streams(user):
        raise Http404
    today = timezone.localdate()
    visible = access.visible_streams(user)
    years = list(visible.order_by("-financial_year").values_list("financial_year", flat=True).distinct())
    filters = StreamFilters(request.GET, years=years)
    chosen = filters.chosen()
    listed = visible.select_related("partnership").order_by("-financial_year", "closes_on", "name", "pk")
    if chosen["year"] is not None:
        listed = listed.filter(financial_year=chosen["year"])
    if chosen["open_now"]:
        listed = listed & FundingStream.objects.open_on(today)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    selection = filters.selection()
    context = {
        "filters": filters,
        "page": page,
        "today": today,
        "selection": selection,
        "page_param": f"{selection}&page" if selection else "page",
    }
    return render(request, "funding/streams_list.html", context)


def _fields(data: dict[str, Any]) -> services.StreamFields:
    return services.StreamFields(
        funder=data["funder"],
        name=data["name"],
        financial_year=data["financial_year"],
        total_pot_pence=data["total_pot"],
        max_award_pence=data["max_award"],
        opens_on=data["opens_on"],
        closes_on=data["closes_on"],
        criteria=data["criteria"],
        min_reviews_commenced=data["min_reviews_commenced"],
        death_types=data["death_types"],
        nations=data["nations"],
        reviews_in_year=data["reviews_in_year"],
    )


@verified()
def stream_new(request: SignedInRequest) -> HttpResponse:
    """Record a stream; someone who may record more than one partnership's (or a national one) says whose.

    Naming an owner the user may not record a stream for is refused with a 403, never saved.
    """
    user = request.user
    if not access.can_see_streams(user):
        raise Http404
    today = timezone.localdate()
    form = NewStreamForm(
        posted(request),
        owners=services.owner_choices(user),
        years=year_choices(today),
        initial={"financial_year": FinancialYear.of(today).start_year},
    )
    if form.is_bound and form.has_error("owner", code="invalid_choice"):
        raise PermissionDenied
    added = submit(
        form,
        lambda data: services.add_stream(
            actor=user, partnership_id=services.owner_of(data["owner"]), fields=_fields(data), request=request
        ),
    )
    if added is not None:
        return redirect("funding:stream", stream_id=added.pk)
    return render_form(request, "funding/streams_new.html", {"form": form})


@verified()
def stream_detail(request: SignedInRequest, stream_id: int) -> HttpResponse:
    """A stream: its funder, year, money, dates and rules in words, and the user's partnerships' applications."""
    user = request.user
    stream = access.access_stream(user, stream_id)
    today = timezone.localdate()
    is_open = stream.is_open(today)
    applications = (
        access.visible_applications(user)
        .filter(stream=stream)
        .select_related("partnership")
        .order_by("partnership__name", "-created_at", "-pk")
    )
    context = {
        "stream": stream,
        "today": today,
        "is_open": is_open,
        "rules": services.rules_in_words(stream),
        "applications": applications,
        "can_apply": is_open and access.can_apply(user, stream),
        "can_change": access.can_change_stream(user, stream),
    }
    return render(request, "funding/streams_detail.html", context)


@verified()
def stream_edit(request: SignedInRequest, stream_id: int) -> HttpResponse:
    """Change a stream; applications already submitted keep what they were submitted under."""
    user = request.user
    stream = access.access_stream(user, stream_id)
    if not access.can_change_stream(user, stream):
        raise PermissionDenied
    initial = {
        "funder": stream.funder,
        "name": stream.name,
        "financial_year": stream.financial_year,
        "total_pot": stream.total_pot_pence,
        "max_award": stream.max_award_pence,
        "opens_on": stream.opens_on,
        "closes_on": stream.closes_on,
        "criteria": stream.criteria,
        "min_reviews_commenced": stream.min_reviews_commenced,
        "death_types": stream.death_types,
        "nations": stream.nations,
        "reviews_in_year": stream.reviews_in_year,
        "version": stream.version,
    }
    years = year_choices(timezone.localdate(), keep=stream.financial_year)
    form = EditStreamForm(posted(request), years=years, initial=initial)
    changed = submit(
        form,
        lambda data: services.change_stream(
            stream, actor=user, version=data["version"], fields=_fields(data), request=request
        ),
    )
    if changed is not None:
        return redirect("funding:stream", stream_id=stream.pk)
    context = {"form": form, "stream": stream, "submitted": services.submitted_count(stream)}
    return render_form(request, "funding/streams_edit.html", context)


urlpatterns = [
    path("streams/", stream_list, name="streams"),
    path("streams/new/", stream_new, name="stream_new"),
    path("streams/<int:stream_id>/", stream_detail, name="stream"),
    path("streams/<int:stream_id>/edit/", stream_edit, name="stream_edit"),
]
