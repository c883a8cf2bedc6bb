"""Funding application pages: the list, starting a draft, an application with its live eligibility
check, the draft's form, submission, supporting documents, the funder's decision, the payment and
withdrawal.

An application is fetched through ``access.access_application`` (404 for anyone who does not
manage its partnership). Submitting needs the CSP chair (403 for a coordinator). When only where
the application stands rules an action out (a submitted application cannot be changed), the 403
page says so. Supporting documents and the decision letter are read through the secure space's
encrypting upload handler, after access is checked, as the space's own upload page does
(``sharing.views.documents``), so a refused user's file is never spooled.
"""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from dhr_tracker.accounts.models import Partnership
from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.chronologies.views import post_only
from dhr_tracker.forms import posted, render_form, submit
from dhr_tracker.funding import access
from dhr_tracker.funding.forms.applications import (
    ApplicationForm,
    DecisionForm,
    DocumentForm,
    FilterForm,
    NewApplicationForm,
    PaymentForm,
    WithdrawForm,
    cost_field,
    decision_form,
    document_form,
    note_field,
)
from dhr_tracker.funding.models import Application, ApplicationReview, ApplicationStatus, CostCategory
from dhr_tracker.funding.services import applications as services
from dhr_tracker.funding.services import eligibility
from dhr_tracker.funding.years import FinancialYear, long_date
from dhr_tracker.reviews import schedule
from dhr_tracker.reviews.access import managed_partnerships
from dhr_tracker.reviews.views import PAGE_SIZE
from sharing import access as sharing_access
from sharing.forms import UploadForm
from sharing.uploads import SpooledUpload
from sharing.views.documents import receive_upload

# The heading of the page refusing an action because of where the application stands.
REFUSED = {
    services.CHANGE: "This application cannot be changed",
    services.SUBMIT: "This application cannot be submitted",
    services.DECIDE: "The funder's decision cannot be recorded",
    services.PAY: "The payment cannot be recorded",
    services.WITHDRAW: "This application cannot be withdrawn",
}


def _refused(request: SignedInRequest, application: Application, consequence: str) -> HttpResponse:
    """A 403 page saying why the application's status rules the action out."""
    context = {
        "application": application,
        "heading": REFUSED[consequence],
        "message": services.status_refusal(application, consequence),
    }
    return render(request, "funding/applications_refused.html", context, status=403)


# The list -------------------------------------------------------------------------------------


@verified()
def application_list(request: SignedInRequest) -> HttpResponse:
    """The applications of the partnerships the user manages, filtered by status, year and partnership."""
    managed = managed_partnerships(request.user)
    if not managed:
        raise Http404
    visible = access.visible_applications(request.user)
    partnerships = list(Partnership.objects.filter(pk__in=managed).order_by("name").values_list("pk", "name"))
    started = visible.order_by("-stream__financial_year").values_list("stream__financial_year", flat=True)
    years = [FinancialYear(year) for year in started.distinct()]
    form = FilterForm(request.GET, years=years, partnerships=partnerships)
    context: dict[str, Any] = {"form": form, "several": len(partnerships) > 1}
    if form.is_valid():
        data = form.cleaned_data
        selected = visible
        if data["status"]:
            selected = selected.filter(status=data["status"])
        if data["year"] is not None:
            selected = selected.filter(stream__financial_year=data["year"])
        if data.get("partnership") is not None:
            selected = selected.filter(partnership_id=data["partnership"])
        listed = selected.select_related("stream", "partnership").order_by("-created_at", "-pk")
        query = request.GET.copy()
        query.pop("page", None)
        context |= {
            "page": Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page")),
            "selection": query.urlencode(),
        }
    return render(request, "funding/applications.html", context, status=400 if form.errors else 200)


# A draft --------------------------------------------------------------------------------------


@verified()
def application_new(request: SignedInRequest, stream_id: int) -> HttpResponse:
    """Start a draft application to a stream, for the partnership chosen when the user manages several."""
    stream = access.access_stream(request.user, stream_id)
    if not access.can_apply(request.user, stream):
        raise PermissionDenied
    partnerships = list(access.stream_partnerships(request.user, stream).values_list("pk", "name"))
    form = NewApplicationForm(posted(request), partnerships=partnerships)
    application = submit(
        form,
        lambda data: services.create_application(
            stream, actor=request.user, partnership_id=data["partnership"], request=request
        ),
    )
    if application is not None:
        return redirect("funding:application_edit", application_id=application.pk)
    context = {"form": form, "stream": stream, "closed": timezone.localdate() > stream.closes_on}
    return render_form(request, "funding/applications_new.html", context)


def _outcome(application: Application) -> str:
    """What the funder decided, still known once the award is paid or withdrawn."""
    awarded = application.awarded_pence
    if awarded is None:
        return ""
    if awarded == 0:
        return ApplicationStatus.REJECTED.label
    if awarded == application.requested_pence:
        return ApplicationStatus.APPROVED.label
    return ApplicationStatus.PART_APPROVED.label


def _detail(request: SignedInRequest, application: Application, failed: forms.Form | None = None) -> HttpResponse:
    """The application page; with ``failed``, the submission's refusal in an error summary (400)."""
    user = request.user
    covered = [
        (row, schedule.completion_start(row.review))
        for row in ApplicationReview.objects.filter(application=application).select_related("review__partnership")
    ]
    order = list(CostCategory.values)
    costs = sorted(application.costs.all(), key=lambda cost: order.index(cost.category))
    supporting = [
        (supporting, sharing_access.can_open(user, supporting.document))
        for supporting in application.documents.select_related("document__space__protocol", "added_by")
    ]
    letter = application.decision_letter
    draft = application.status == ApplicationStatus.DRAFT
    context = {
        "application": application,
        "stream": application.stream,
        "covered": covered,
        "costs": costs,
        "costs_total": sum(cost.amount_pence for cost in costs),
        "documents": supporting,
        "failures": eligibility.check(application, timezone.localdate()) if draft else None,
        "outcome": _outcome(application),
        "can_open_letter": letter is not None and sharing_access.can_open(user, letter),
        "can_edit": access.can_edit_application(user, application),
        "chairs": access.chairs(user, application.partnership_id),
        "can_submit": access.can_submit_application(user, application),
        "can_decide": access.can_record_decision(user, application),
        "can_pay": access.can_record_payment(user, application),
        "can_withdraw": access.can_withdraw_application(user, application),
        "form": failed,
    }
    return render(request, "funding/applications_detail.html", context, status=400 if failed is not None else 200)


@verified()
def application_detail(request: SignedInRequest, application_id: int) -> HttpResponse:
    """An application: its reviews, costs, documents, eligibility, decision, payment, and what can be done next."""
    return _detail(request, access.access_application(request.user, application_id))


@verified()
def application_edit(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Change a draft's reviews, cost breakdown, amount requested and justification."""
    application = access.access_application(request.user, application_id)
    if not access.can_edit_application(request.user, application):
        return _refused(request, application, services.CHANGE)
    reviews = services.commenced_reviews(application.partnership_id)
    choices = [(review.pk, f"{review.title}, commenced on {long_date(start)}") for review, start in reviews]
    initial: dict[str, Any] = {
        "reviews": list(application.covered.values_list("review_id", flat=True)),
        "requested": application.requested_pence or None,
        "justification": application.justification,
        "version": application.version,
    }
    for cost in application.costs.all():
        initial[cost_field(cost.category)] = cost.amount_pence
        initial[note_field(cost.category)] = cost.note
    form = ApplicationForm(posted(request), reviews=choices, partnership=application.partnership.name, initial=initial)
    done = submit(
        form,
        lambda data: services.update_application(
            application,
            actor=request.user,
            version=data["version"],
            review_ids=data["reviews"],
            costs=form.costs(),
            requested_pence=data["requested"],
            justification=data["justification"],
            request=request,
        ),
    )
    if done is not None:
        return redirect("funding:application", application_id=application.pk)
    context = {"form": form, "application": application, "stream": application.stream}
    return render_form(request, "funding/applications_edit.html", context)


@verified()
def application_submit(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Submit a draft (the CSP chair); a refusal lists every eligibility rule that fails."""
    application = access.access_application(request.user, application_id)
    if not access.chairs(request.user, application.partnership_id):
        raise PermissionDenied
    if not access.can_submit_application(request.user, application):
        return _refused(request, application, services.SUBMIT)
    if (refusal := post_only(request)) is not None:
        return refusal
    form = forms.Form(request.POST)
    done = submit(form, lambda data: services.submit_application(application, actor=request.user, request=request))
    if done is None:
        return _detail(request, application, failed=form)
    return redirect("funding:application", application_id=application.pk)


# Uploads --------------------------------------------------------------------------------------


def _receive(
    request: SignedInRequest,
    spaces: list[Any],
    form_class: type[UploadForm],
    blank: UploadForm,
    page: Callable[[UploadForm, int], HttpResponse],
    accept: Callable[[UploadForm, SpooledUpload], HttpResponse],
) -> HttpResponse:
    """Show the upload form, or read the upload through the encrypting handler and ``accept`` it.

    With no secure space of the partnership to upload into, the page says how to get one and
    nothing of the body is read.
    """
    if not spaces:
        return page(blank, 400 if request.method == "POST" else 200)
    if request.method != "POST":
        return page(blank, 200)
    # The CSRF decorator inside is typed as returning any response; it returns a page or a redirect.
    return cast(HttpResponse, receive_upload(request, form_class, page, accept))


@csrf_exempt  # The body is read through the encrypting handler first; receive_upload then checks CSRF.
@verified()
def document_add(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Upload a supporting document into one of the partnership's secure spaces and attach it to the draft."""
    application = access.access_application(request.user, application_id)
    if not access.can_edit_application(request.user, application):
        return _refused(request, application, services.CHANGE)
    spaces = services.upload_spaces(request.user, application.partnership_id)
    form_class = document_form(spaces)

    def page(form: UploadForm, status: int) -> HttpResponse:
        context = {"form": form, "application": application, "spaces": spaces}
        return render(request, "funding/applications_document_add.html", context, status=status)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        chosen = cast(DocumentForm, form)
        done = submit(
            chosen,
            lambda data: services.add_supporting_document(
                application,
                actor=request.user,
                space=chosen.chosen_space(),
                title=data["title"],
                upload=upload,
                request=request,
            ),
        )
        if done is None:
            return page(form, 400)
        return redirect("funding:application", application_id=application.pk)

    return _receive(request, spaces, form_class, form_class(), page, accept)


@csrf_exempt  # As document_add.
@verified()
def application_decision(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Record the funder's decision, the amount awarded and each review's share, with the letter."""
    application = access.access_application(request.user, application_id)
    if not access.can_record_decision(request.user, application):
        return _refused(request, application, services.DECIDE)
    spaces = services.upload_spaces(request.user, application.partnership_id)
    reviews = [row.review for row in application.covered.select_related("review__partnership")]
    form_class = decision_form(spaces, reviews)

    def page(form: UploadForm, status: int) -> HttpResponse:
        context = {"form": form, "application": application, "spaces": spaces, "several": len(reviews) > 1}
        return render(request, "funding/applications_decision.html", context, status=status)

    def accept(form: UploadForm, upload: SpooledUpload) -> HttpResponse:
        decision = cast(DecisionForm, form)
        done = submit(
            decision,
            lambda data: services.record_decision(
                application,
                actor=request.user,
                outcome=data["outcome"],
                decided_on=data["decided_on"],
                awarded_pence=data["awarded"],
                conditions=data["conditions"],
                shares=decision.shares(),
                space=decision.chosen_space(),
                upload=upload,
                request=request,
            ),
        )
        if done is None:
            return page(form, 400)
        return redirect("funding:application", application_id=application.pk)

    blank = form_class(initial={"decided_on": timezone.localdate(), "awarded": application.requested_pence})
    return _receive(request, spaces, form_class, blank, page, accept)


# Payment and withdrawal -----------------------------------------------------------------------


@verified()
def application_payment(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Record the funder's payment of the award."""
    application = access.access_application(request.user, application_id)
    if not access.can_record_payment(request.user, application):
        return _refused(request, application, services.PAY)
    initial = {"paid_on": timezone.localdate(), "paid": application.awarded_pence}
    form = PaymentForm(posted(request), initial=initial)
    done = submit(
        form,
        lambda data: services.record_payment(
            application, actor=request.user, paid_on=data["paid_on"], paid_pence=data["paid"], request=request
        ),
    )
    if done is not None:
        return redirect("funding:application", application_id=application.pk)
    return render_form(request, "funding/applications_payment.html", {"form": form, "application": application})


@verified()
def application_withdraw(request: SignedInRequest, application_id: int) -> HttpResponse:
    """Withdraw the application, cancelling the contributions its award made."""
    application = access.access_application(request.user, application_id)
    if not access.can_withdraw_application(request.user, application):
        return _refused(request, application, services.WITHDRAW)
    form = WithdrawForm(posted(request))
    done = submit(
        form,
        lambda data: services.withdraw_application(
            application, actor=request.user, reason=data["reason"], request=request
        ),
    )
    if done is not None:
        return redirect("funding:application", application_id=application.pk)
    awarded = application.status in (ApplicationStatus.APPROVED, ApplicationStatus.PART_APPROVED)
    context = {"form": form, "application": application, "awarded": awarded}
    return render_form(request, "funding/applications_withdraw.html", context)


urlpatterns = [
    path("applications/", application_list, name="applications"),
    path("streams/<int:stream_id>/apply/", application_new, name="application_new"),
    path("applications/<int:application_id>/", application_detail, name="application"),
    path("applications/<int:application_id>/edit/", application_edit, name="application_edit"),
    path("applications/<int:application_id>/submit/", application_submit, name="application_submit"),
    path("applications/<int:application_id>/decision/", application_decision, name="application_decision"),
    path("applications/<int:application_id>/payment/", application_payment, name="application_payment"),
    path("applications/<int:application_id>/withdraw/", application_withdraw, name="application_withdraw"),
    path("applications/<int:application_id>/documents/add/", document_add, name="application_document_add"),
]
