"""Requests to agencies: a review's list, a person's own list, one request's page, sending, changing
and cancelling requests, and the agencies' nil returns and scoping answers.

A review's list is for those who read the review, and for its contributors, who see only their
agencies' requests in it; a request's page goes through ``access.access_request`` (404 for anyone
who may not see it). Forms are for those the predicates allow (403 for others who see the request).
"""

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.forms.requests import (
    OVERDUE,
    CancelRequestForm,
    EditRequestForm,
    NewRequestForm,
    NilReturnForm,
    RequestFilters,
    ScopingAnswerForm,
)
from dhr_tracker.chronologies.models import (
    AWAITING_AGENCY,
    CLOSED_STATUSES,
    REPORT_KINDS,
    AgencyRequest,
    RequestKind,
)
from dhr_tracker.chronologies.services import requests as services
from dhr_tracker.chronologies.services.imr import can_respond
from dhr_tracker.chronologies.views import PAGE_SIZE, chronology_page
from dhr_tracker.chronologies.views.submissions import chronology_context
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import exports
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import review_for_change

SECTION = "chronologies:requests"
DEFAULT_INSTRUCTIONS = (
    "Secure every record your agency holds about the people named here now, so that nothing is changed "
    "or destroyed while the review runs. Use the pseudonyms given here, never real names."
)


def _review(user: Any, review_id: int) -> Review:
    """The review, for those who read it or contribute to it; 404 otherwise."""
    review = Review.objects.select_related("partnership").filter(pk=review_id).first()
    if review is None or not (access.reads_review(user, review) or access.contributor_agencies(user, review)):
        raise Http404
    return review


def _rows(requests: Any) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [{"request": agency_request, "overdue": agency_request.is_overdue(today)} for agency_request in requests]


def _filtered(listed: QuerySet[AgencyRequest], chosen: dict[str, Any]) -> QuerySet[AgencyRequest]:
    if chosen["agency"]:
        listed = listed.filter(agency_id=chosen["agency"])
    if chosen["status"] == OVERDUE:
        listed = listed.filter(status__in=AWAITING_AGENCY, due_on__lt=timezone.localdate())
    elif chosen["status"]:
        listed = listed.filter(status=chosen["status"])
    return listed


def _page_param(form: RequestFilters) -> str:
    """The pagination links keep the filters: they go before the page number."""
    query = urlencode([(name, value) for name, value in form.data.items() if name in form.fields and value])
    return f"{query}&page" if query else "page"


@verified()
def requests(request: SignedInRequest, review_id: int) -> HttpResponse:
    """A review's requests, soonest due first, filtered by agency and status."""
    user = request.user
    review = _review(user, review_id)
    visible = access.visible_requests(user).filter(review=review)
    agencies = list(visible.order_by("agency__name").values_list("agency_id", "agency__name").distinct())
    form = RequestFilters(request.GET, agencies=agencies)
    listed = _filtered(visible.select_related("agency"), form.chosen()).order_by("due_on", "agency__name", "kind")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": form,
        "page": page,
        "rows": _rows(page),
        "any_requests": bool(agencies),
        "page_param": _page_param(form),
        "can_send": access.can_send_requests(user, review),
    }
    return chronology_page(request, "chronologies/requests.html", review, SECTION, context)


@verified()
def my_requests(request: SignedInRequest) -> HttpResponse:
    """Every request the person may see across reviews: those still owed first, soonest due first."""
    closed_last = Case(When(status__in=CLOSED_STATUSES, then=Value(1)), default=Value(0), output_field=IntegerField())
    listed = (
        access.visible_requests(request.user)
        .select_related("review__partnership", "agency")
        .annotate(closed=closed_last)
        .order_by("closed", "due_on", "review__reference", "agency__name", "kind")
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "chronologies/my_requests.html", {"page": page, "rows": _rows(page)})


def _usual_due(today: date) -> str:
    def day(kind: str) -> str:
        return date_format(services.default_due(kind, today), "j F Y")

    return (
        f"Leave it empty for the usual: {day(RequestKind.SCOPING)} for a scoping answer, "
        f"{day(RequestKind.CHRONOLOGY)} for a chronology or report"
    )


def _fields(data: dict[str, Any], due_on: date) -> services.RequestFields:
    return services.RequestFields(
        period_start=data["period_start"],
        period_end=data["period_end"],
        subjects=tuple(data["subjects"]),
        due_on=due_on,
        instructions=data["instructions"],
    )


@verified()
def request_new(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Ask an agency scoped into the review for a scoping answer, a chronology, an IMR or a short report."""
    review = review_for_change(request, review_id, access.can_send_requests)
    today = timezone.localdate()
    kind = request.GET.get("kind")
    kind = kind if kind in RequestKind.values else RequestKind.CHRONOLOGY
    terms = services.approved_terms(review)
    subjects = services.subject_choices(review)
    initial = {
        "kind": kind,
        "period_start": terms.period_start if terms else None,
        "period_end": terms.period_end if terms else review.died_on,
        "subjects": [pseudonym for pseudonym, _ in subjects],
        "due_on": services.default_due(kind, today),
        "instructions": DEFAULT_INSTRUCTIONS,
    }
    agencies = services.agency_choices(review)
    form = NewRequestForm(
        posted(request), agencies=agencies, subjects=subjects, usual_due=_usual_due(today), initial=initial
    )
    sent = submit(
        form,
        lambda data: services.send_request(
            review,
            actor=request.user,
            agency_id=data["agency"],
            kind=data["kind"],
            fields=_fields(data, data["due_on"] or services.default_due(data["kind"], today)),
            request=request,
        ),
    )
    if sent is not None:
        return redirect("chronologies:request", request_id=sent.pk)
    context = {"form": form, "terms": terms, "no_agencies": not agencies}
    return chronology_page(request, "chronologies/request_new.html", review, SECTION, context)


def _imr_context(user: Any, agency_request: AgencyRequest) -> dict[str, Any]:
    """What ``chronologies/request_imr.html`` shows on an IMR or short report request's page."""
    imr = getattr(agency_request, "imr", None)
    return {
        "imr": imr,
        "can_see_imr": imr is not None and access.can_see_imr(user, imr),
        "can_write_imr": access.can_write_imr(user, agency_request),
        "can_review_imr": imr is not None and access.can_review_imr(user, imr),
        "can_respond": imr is not None and can_respond(user, imr),
    }


@verified()
def request_detail(request: SignedInRequest, request_id: int) -> HttpResponse:
    """Everything about one request: what is asked, its terms of reference, its status and answers."""
    user = request.user
    agency_request = access.access_request(user, request_id)
    review = agency_request.review
    terms = agency_request.terms
    can_see_terms = access.reads_review(user, review)
    context: dict[str, Any] = {
        "agency_request": agency_request,
        "name": services.answer_name(agency_request),
        "overdue": agency_request.is_overdue(timezone.localdate()),
        "terms": terms,
        "can_see_terms": can_see_terms,
        # Contributors cannot open the review's terms pages: the version attached is shown here.
        "terms_sections": exports.sections(terms) if terms is not None and not can_see_terms else [],
        "can_change": access.can_change_request(user, agency_request),
        "can_nil_return": agency_request.kind != RequestKind.SCOPING and access.can_answer(user, agency_request),
        "can_answer_scoping": access.can_answer_scoping(user, agency_request),
        "is_report": agency_request.kind in REPORT_KINDS,
        **chronology_context(user, agency_request),
    }
    if context["is_report"]:
        context |= _imr_context(user, agency_request)
    return chronology_page(request, "chronologies/request.html", review, SECTION, context)


def _allowed(request: SignedInRequest, request_id: int, allowed: Callable[[Any, AgencyRequest], bool]) -> AgencyRequest:
    """The request, if the user may do this to it: 404 if they cannot see it, 403 if they may not."""
    agency_request = access.access_request(request.user, request_id)
    if not allowed(request.user, agency_request):
        raise PermissionDenied
    return agency_request


def _form_page(
    request: SignedInRequest,
    template: str,
    agency_request: AgencyRequest,
    form: forms.Form,
    action: Callable[[dict[str, Any]], AgencyRequest],
) -> HttpResponse:
    """Run ``action`` on the valid form and go back to the request; otherwise show the form."""
    if submit(form, action) is not None:
        return redirect("chronologies:request", request_id=agency_request.pk)
    context = {"form": form, "agency_request": agency_request, "name": services.answer_name(agency_request)}
    return chronology_page(request, template, agency_request.review, SECTION, context)


@verified()
def request_edit(request: SignedInRequest, request_id: int) -> HttpResponse:
    agency_request = _allowed(request, request_id, access.can_change_request)
    initial = {
        "period_start": agency_request.period_start,
        "period_end": agency_request.period_end,
        "subjects": agency_request.subjects,
        "due_on": agency_request.due_on,
        "instructions": agency_request.instructions,
        "version": agency_request.version,
    }
    subjects = services.subject_choices(agency_request.review)
    form = EditRequestForm(posted(request), subjects=subjects, initial=initial)
    return _form_page(
        request,
        "chronologies/request_edit.html",
        agency_request,
        form,
        lambda data: services.update_request(
            agency_request,
            actor=request.user,
            fields=_fields(data, data["due_on"]),
            version=data["version"],
            request=request,
        ),
    )


@verified()
def request_cancel(request: SignedInRequest, request_id: int) -> HttpResponse:
    agency_request = _allowed(request, request_id, access.can_change_request)
    form = CancelRequestForm(posted(request), initial={"version": agency_request.version})
    return _form_page(
        request,
        "chronologies/request_cancel.html",
        agency_request,
        form,
        lambda data: services.cancel_request(
            agency_request, actor=request.user, reason=data["reason"], version=data["version"], request=request
        ),
    )


@verified()
def nil_return(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The agency answers that it had no contact with the subjects in the period."""
    agency_request = _allowed(request, request_id, access.can_answer)
    form = NilReturnForm(posted(request), initial={"version": agency_request.version})
    return _form_page(
        request,
        "chronologies/nil_return.html",
        agency_request,
        form,
        lambda data: services.record_nil_return(
            agency_request, actor=request.user, reason=data["reason"], version=data["version"], request=request
        ),
    )


@verified()
def scoping_answer(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The agency says whether it had contact, what, and whether its records are secured."""
    agency_request = access.access_request(request.user, request_id)
    if agency_request.kind != RequestKind.SCOPING:
        raise Http404
    if not access.can_answer_scoping(request.user, agency_request):
        raise PermissionDenied
    form = ScopingAnswerForm(posted(request), initial={"version": agency_request.version})
    return _form_page(
        request,
        "chronologies/scoping_answer.html",
        agency_request,
        form,
        lambda data: services.answer_scoping(
            agency_request,
            actor=request.user,
            had_contact=data["had_contact"],
            summary=data["summary"],
            records_secured=data["records_secured"],
            version=data["version"],
            request=request,
        ),
    )


urlpatterns = [
    path("requests/", my_requests, name="my_requests"),
    path("reviews/<int:review_id>/requests/", requests, name="requests"),
    path("reviews/<int:review_id>/requests/new/", request_new, name="request_new"),
    path("requests/<int:request_id>/", request_detail, name="request"),
    path("requests/<int:request_id>/edit/", request_edit, name="request_edit"),
    path("requests/<int:request_id>/cancel/", request_cancel, name="request_cancel"),
    path("requests/<int:request_id>/nil-return/", nil_return, name="nil_return"),
    path("requests/<int:request_id>/scoping-answer/", scoping_answer, name="scoping_answer"),
]
