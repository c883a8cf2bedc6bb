"""Terms of reference pages: the versions, drafting and changing a draft, the panel's agreement,
the CSP chair's approval, and downloads as DOCX or PDF.

Anyone who can see the review sees and downloads every version; the partnership and the
independent chair draft and record agreement; only the CSP chair approves.
"""

from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from dhr_tracker.accounts.rules import verified
from dhr_tracker.downloads import attachment
from dhr_tracker.forms import posted, submit
from dhr_tracker.reviews import access, exports
from dhr_tracker.reviews.forms.terms import AgreeForm, TermsEditForm, TermsForm
from dhr_tracker.reviews.models import Review, TermsOfReference, TermsStatus
from dhr_tracker.reviews.services import terms as services
from dhr_tracker.reviews.views import review_for_change, review_page

SECTION = "reviews:terms"
# Characters kept in a download's file name; anything else in a reference becomes a hyphen.


def _terms(review: Review, terms_id: int) -> TermsOfReference:
    """A version of this review's terms (404 for another review's)."""
    people = ("created_by", "agreed_recorded_by", "approved_by")
    return get_object_or_404(review.terms.select_related(*people), pk=terms_id)


def _content(data: dict[str, Any]) -> dict[str, Any]:
    """The service's arguments from a valid ``TermsForm``."""
    return {"fields": data, "agency_ids": data.get("agencies", []), "subjects": data["subjects"]}


def _form_page(request: HttpRequest, review: Review, form: TermsForm, terms: TermsOfReference | None) -> HttpResponse:
    context = {"form": form, "terms": terms, "no_agencies": "agencies" not in form.fields}
    return review_page(request, "reviews/terms_form.html", review, SECTION, context)


def _problem(request: HttpRequest, review: Review, title: str, message: str, *, status: int) -> HttpResponse:
    context = {"title": title, "message": message}
    return review_page(request, "reviews/terms_problem.html", review, SECTION, context, status=status)


@verified()
def terms(request: HttpRequest, review_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    versions = list(review.terms.all())
    draft = next((version for version in versions if version.status == TermsStatus.DRAFT), None)
    can_draft = access.can_draft_terms(request.user, review)
    context = {
        "versions": versions,
        "draft": draft,
        "approved": next((version for version in versions if version.status == TermsStatus.APPROVED), None),
        "can_draft": can_draft and not versions,
        "can_edit": can_draft and draft is not None,
        "can_start_version": can_draft and bool(versions) and draft is None,
        "latest": versions[0] if versions else None,
    }
    return review_page(request, "reviews/terms.html", review, SECTION, context)


@verified()
def terms_new(request: HttpRequest, review_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_draft_terms)
    draft = review.terms.filter(status=TermsStatus.DRAFT).first()
    if draft is not None:
        return redirect("reviews:terms_edit", review.pk, draft.pk)
    form = TermsForm(posted(request), review=review, initial={"period_end": review.died_on})
    created = submit(
        form, lambda data: services.draft_terms(review, actor=request.user, request=request, **_content(data))
    )
    if created is not None:
        return redirect("reviews:terms_detail", review.pk, created.pk)
    return _form_page(request, review, form, None)


def _detail_page(
    request: HttpRequest, review: Review, terms: TermsOfReference, form: forms.Form | None = None
) -> HttpResponse:
    user = request.user
    can_draft = access.can_draft_terms(user, review)
    is_draft = terms.status == TermsStatus.DRAFT
    latest = review.terms.order_by("-version").values_list("version", flat=True).first()
    context = {
        "terms": terms,
        "form": form,
        "sections": exports.sections(terms),
        "formats": exports.FORMATS,
        "can_edit": can_draft and is_draft,
        "can_agree": can_draft and is_draft,
        "can_approve": access.can_approve_terms(user, review) and terms.status == TermsStatus.AGREED,
        "can_start_version": can_draft and not is_draft and terms.version == latest,
    }
    return review_page(request, "reviews/terms_detail.html", review, SECTION, context)


@verified()
def terms_detail(request: HttpRequest, review_id: int, terms_id: int) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    return _detail_page(request, review, _terms(review, terms_id))


@verified()
def terms_edit(request: HttpRequest, review_id: int, terms_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_draft_terms)
    terms = _terms(review, terms_id)
    if terms.status != TermsStatus.DRAFT:
        return _problem(request, review, "This version cannot be changed", services.frozen_message(terms), status=409)
    initial = {name: getattr(terms, name) for name in services.TERMS_FIELDS}
    initial |= {
        "subjects": terms.subjects,
        "agencies": list(terms.agencies.values_list("pk", flat=True)),
        "version": review.version,
    }
    form = TermsEditForm(posted(request), review=review, initial=initial)
    updated = submit(
        form,
        lambda data: services.update_terms(
            terms, actor=request.user, version=data["version"], request=request, **_content(data)
        ),
    )
    if updated is not None:
        return redirect("reviews:terms_detail", review.pk, terms.pk)
    return _form_page(request, review, form, terms)


@verified()
def terms_agree(request: HttpRequest, review_id: int, terms_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_draft_terms)
    terms = _terms(review, terms_id)
    if request.method != "POST" and terms.status != TermsStatus.DRAFT:
        return redirect("reviews:terms_detail", review.pk, terms.pk)
    form = AgreeForm(posted(request))
    agreed = submit(
        form,
        lambda data: services.record_agreement(terms, actor=request.user, agreed_on=data["agreed_on"], request=request),
    )
    if agreed is not None:
        return redirect("reviews:terms_detail", review.pk, terms.pk)
    return review_page(request, "reviews/terms_agree.html", review, SECTION, {"form": form, "terms": terms})


@verified()
def terms_approve(request: HttpRequest, review_id: int, terms_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_approve_terms)
    terms = _terms(review, terms_id)
    if request.method != "POST" and terms.status != TermsStatus.AGREED:
        return redirect("reviews:terms_detail", review.pk, terms.pk)
    form = forms.Form(posted(request))
    approved = submit(form, lambda _: services.approve_terms(terms, actor=request.user, request=request))
    if approved is not None:
        return redirect("reviews:terms_detail", review.pk, terms.pk)
    current = review.terms.filter(status=TermsStatus.APPROVED, version__lt=terms.version).first()
    context = {"form": form, "terms": terms, "current": current}
    return review_page(request, "reviews/terms_approve.html", review, SECTION, context)


@verified()
def terms_new_version(request: HttpRequest, review_id: int, terms_id: int) -> HttpResponse:
    review = review_for_change(request, review_id, access.can_draft_terms)
    # Only a POST makes a copy; checked after access, so that a review stays hidden from those who may not see it.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    terms = _terms(review, terms_id)
    form = forms.Form(request.POST)
    copy = submit(form, lambda _: services.new_terms_version(terms, actor=request.user, request=request))
    if copy is not None:
        return redirect("reviews:terms_edit", review.pk, copy.pk)
    return _detail_page(request, review, terms, form)


@verified()
def terms_export(request: HttpRequest, review_id: int, terms_id: int, fmt: str) -> HttpResponse:
    review = access.access_review(request.user, review_id, for_write=False)
    kind = exports.FORMATS.get(fmt)
    if kind is None:
        raise Http404
    terms = _terms(review, terms_id)
    try:
        content = services.export_terms(terms, actor=request.user, fmt=fmt, request=request)
    except exports.FontMissing as missing:
        message = f"The {fmt.upper()} cannot be made on this service at the moment ({missing}). Tell the service administrator"
        return _problem(request, review, "This download is not available", message, status=503)
    file_name = f"{review.reference}-terms-v{terms.version}.{kind.extension}"
    return attachment(content, content_type=kind.content_type, file_name=file_name)


urlpatterns = [
    path("<int:review_id>/terms/", terms, name="terms"),
    path("<int:review_id>/terms/new/", terms_new, name="terms_new"),
    path("<int:review_id>/terms/<int:terms_id>/", terms_detail, name="terms_detail"),
    path("<int:review_id>/terms/<int:terms_id>/edit/", terms_edit, name="terms_edit"),
    path("<int:review_id>/terms/<int:terms_id>/agree/", terms_agree, name="terms_agree"),
    path("<int:review_id>/terms/<int:terms_id>/approve/", terms_approve, name="terms_approve"),
    path("<int:review_id>/terms/<int:terms_id>/new-version/", terms_new_version, name="terms_new_version"),
    path("<int:review_id>/terms/<int:terms_id>/export/<str:fmt>/", terms_export, name="terms_export"),
]
