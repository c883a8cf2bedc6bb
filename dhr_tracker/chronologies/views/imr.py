"""IMRs and short reports: the record of the report, submitting it, and the panel's feedback rounds.

Every page fetches the request through ``access.access_request`` (404 for anyone who may not see
it, and for a request that is not for a report), then the report through ``access.can_see_imr``
(404 for those who may not see it yet: the panel until it is accepted, those who run the review
while the agency is still writing it). Forms are for those the predicates allow; others get 403.
"""

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies import access
from dhr_tracker.chronologies.forms.imr import FeedbackForm, IMRForm, ResponseForm, VersionForm
from dhr_tracker.chronologies.models import IMR, REPORT_KINDS, AgencyRequest, IMRStatus
from dhr_tracker.chronologies.services import imr as services
from dhr_tracker.chronologies.services.requests import answer_name
from dhr_tracker.chronologies.views import chronology_page, post_only
from dhr_tracker.forms import posted, submit
from sharing import access as sharing_access

SECTION = "chronologies:requests"


def _report_request(user: Any, request_id: int) -> AgencyRequest:
    """A request for an IMR or short report the user may see; 404 otherwise."""
    agency_request = access.access_request(user, request_id)
    if agency_request.kind not in REPORT_KINDS:
        raise Http404
    return agency_request


def _imr_of(agency_request: AgencyRequest) -> IMR | None:
    imr = (
        IMR.objects.select_related("document", "submitted_by", "accepted_by", "created_by")
        .filter(request=agency_request)
        .first()
    )
    if imr is not None:
        imr.request = agency_request
    return imr


def _visible_imr(user: Any, agency_request: AgencyRequest) -> IMR:
    imr = _imr_of(agency_request)
    if imr is None or not access.can_see_imr(user, imr):
        raise Http404
    return imr


def _page(
    request: SignedInRequest, template: str, agency_request: AgencyRequest, context: dict[str, Any]
) -> HttpResponse:
    full = {"agency_request": agency_request, "name": answer_name(agency_request), **context}
    return chronology_page(request, template, agency_request.review, SECTION, full)


def _imr_page(
    request: SignedInRequest, agency_request: AgencyRequest, imr: IMR | None, form: forms.Form | None = None
) -> HttpResponse:
    user = request.user
    space = agency_request.review.space
    document = imr.document if imr is not None else None
    can_write = access.can_write_imr(user, agency_request)
    context = {
        "imr": imr,
        "form": form,
        "rounds": list(imr.feedback.select_related("given_by", "responded_by")) if imr is not None else [],
        "can_open_document": document is not None and sharing_access.can_open(user, document),
        "upload_space": space if space is not None and can_write and sharing_access.can_upload(user, space) else None,
        "can_write": can_write,
        "can_submit": can_write and imr is not None,
        "can_review": imr is not None and access.can_review_imr(user, imr),
        "can_respond": imr is not None and services.can_respond(user, imr),
        "awaiting_response": imr is not None and imr.status == IMRStatus.FEEDBACK,
    }
    return _page(request, "chronologies/imr.html", agency_request, context)


@verified()
def imr(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The record of the report, its feedback rounds, and what the viewer may do next."""
    agency_request = _report_request(request.user, request_id)
    found = _imr_of(agency_request)
    if found is None:
        # Nothing recorded yet: only the agency, which is writing it, has a page to see.
        if not access.acts_for(request.user, agency_request):
            raise Http404
    elif not access.can_see_imr(request.user, found):
        raise Http404
    return _imr_page(request, agency_request, found)


def _initial(imr: IMR | None) -> dict[str, Any]:
    if imr is None:
        return {"version": 0}
    return {
        "document": imr.document_id,
        "author": imr.author,
        "independence_statement": imr.independence_statement,
        "signed_off_by": imr.signed_off_by,
        "signed_off_on": imr.signed_off_on,
        "version": imr.version,
    }


def _edit_form(user: Any, agency_request: AgencyRequest, imr: IMR | None, data: Any) -> IMRForm:
    documents = services.document_choices(agency_request, user)
    if imr is not None and imr.document_id is not None and imr.document_id not in {pk for pk, _ in documents}:
        # A report already chosen stays chosen, even if this person cannot open it now.
        documents.append((imr.document_id, "The report already chosen"))
    return IMRForm(data, documents=documents, initial=_initial(imr))


def _for_writing(request: SignedInRequest, request_id: int) -> AgencyRequest:
    agency_request = _report_request(request.user, request_id)
    if not access.can_write_imr(request.user, agency_request):
        raise PermissionDenied
    return agency_request


@verified()
def imr_edit(request: SignedInRequest, request_id: int) -> HttpResponse:
    """Record the report's document, author, independence statement and sign-off, while it is being written."""
    agency_request = _for_writing(request, request_id)
    imr = _imr_of(agency_request)
    form = _edit_form(request.user, agency_request, imr, posted(request))
    saved = submit(
        form,
        lambda data: services.save_imr(
            agency_request,
            actor=request.user,
            fields=services.IMRFields(
                document_id=data["document"],
                author=data["author"],
                independence_statement=data["independence_statement"],
                signed_off_by=data["signed_off_by"],
                signed_off_on=data["signed_off_on"],
            ),
            version=data["version"],
            request=request,
        ),
    )
    if saved is not None:
        return redirect("chronologies:imr", request_id=agency_request.pk)
    return _edit_page(request, agency_request, imr, form)


def _edit_page(
    request: SignedInRequest, agency_request: AgencyRequest, imr: IMR | None, form: IMRForm, *, submitting: bool = False
) -> HttpResponse:
    space = agency_request.review.space
    context = {
        "imr": imr,
        "form": form,
        "submitting": submitting,
        "upload_space": space if space is not None and sharing_access.can_upload(request.user, space) else None,
    }
    return _page(request, "chronologies/imr_edit.html", agency_request, context)


@verified()
def imr_submit(request: SignedInRequest, request_id: int) -> HttpResponse:
    """Send the report to the panel; what is missing is shown on the details form, field by field."""
    agency_request = _for_writing(request, request_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    imr = _imr_of(agency_request)
    # The record as saved, with the version of the page the button was on: refusals name its fields.
    recorded = {name: "" if value is None else value for name, value in _initial(imr).items()}
    details = _edit_form(request.user, agency_request, imr, recorded | {"version": request.POST.get("version")})
    submitted = submit(
        details,
        lambda data: services.submit_imr(agency_request, actor=request.user, version=data["version"], request=request),
    )
    if submitted is not None:
        return redirect("chronologies:imr", request_id=agency_request.pk)
    return _edit_page(request, agency_request, imr, details, submitting=True)


def _for_review(request: SignedInRequest, request_id: int) -> tuple[AgencyRequest, IMR]:
    agency_request = _report_request(request.user, request_id)
    found = _visible_imr(request.user, agency_request)
    if not access.can_review_imr(request.user, found):
        raise PermissionDenied
    return agency_request, found


@verified()
def imr_feedback(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The panel returns the submitted report to the agency with its feedback."""
    agency_request, found = _for_review(request, request_id)
    form = FeedbackForm(posted(request), initial={"version": found.version})
    given = submit(
        form,
        lambda data: services.give_feedback(
            found, actor=request.user, feedback=data["feedback"], version=data["version"], request=request
        ),
    )
    if given is not None:
        return redirect("chronologies:imr", request_id=agency_request.pk)
    return _page(request, "chronologies/imr_feedback.html", agency_request, {"imr": found, "form": form})


@verified()
def imr_respond(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The agency answers the panel's latest feedback before it submits the report again."""
    agency_request = _report_request(request.user, request_id)
    found = _visible_imr(request.user, agency_request)
    if not services.can_respond(request.user, found):
        raise PermissionDenied
    latest = found.feedback.order_by("-number").first()
    initial = {"version": found.version, "response": latest.response if latest else ""}
    form = ResponseForm(posted(request), initial=initial)
    answered = submit(
        form,
        lambda data: services.respond_to_feedback(
            found, actor=request.user, response=data["response"], version=data["version"], request=request
        ),
    )
    if answered is not None:
        return redirect("chronologies:imr", request_id=agency_request.pk)
    context = {"imr": found, "form": form, "latest": latest}
    return _page(request, "chronologies/imr_respond.html", agency_request, context)


@verified()
def imr_accept(request: SignedInRequest, request_id: int) -> HttpResponse:
    """The panel accepts the submitted report: the request is complete."""
    agency_request, found = _for_review(request, request_id)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = VersionForm(request.POST)
    accepted = submit(
        form,
        lambda data: services.accept_imr(found, actor=request.user, version=data["version"], request=request),
    )
    if accepted is not None:
        return redirect("chronologies:imr", request_id=agency_request.pk)
    return _imr_page(request, agency_request, found, form)


urlpatterns = [
    path("requests/<int:request_id>/report/", imr, name="imr"),
    path("requests/<int:request_id>/report/edit/", imr_edit, name="imr_edit"),
    path("requests/<int:request_id>/report/submit/", imr_submit, name="imr_submit"),
    path("requests/<int:request_id>/report/feedback/", imr_feedback, name="imr_feedback"),
    path("requests/<int:request_id>/report/respond/", imr_respond, name="imr_respond"),
    path("requests/<int:request_id>/report/accept/", imr_accept, name="imr_accept"),
]
