"""The cost ledger of a review, the forms that change it, and a partnership's costs and
contributions in a financial year.

A ledger is for the partnership's CSP chairs and coordinators, once the review has commenced
(``access.access_ledger``: 404 for anyone else). Its pages are pages of the review, with the
review's section navigation. Changes go through ``services.ledger``, which checks again.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from dhr_tracker.accounts.rules import SignedInRequest, verified
from dhr_tracker.downloads import SPREADSHEETS
from dhr_tracker.forms import posted, render_form, submit
from dhr_tracker.funding import access, ledgers
from dhr_tracker.funding.forms.ledger import BudgetForm, CancelForm, ContributionForm, CostForm, ReceiveForm, YearForm
from dhr_tracker.funding.models import BudgetLine, Contribution, CostEntry, Ledger, PartnerKind
from dhr_tracker.funding.services import ledger as services
from dhr_tracker.funding.years import FinancialYear
from dhr_tracker.reviews.models import Review
from dhr_tracker.reviews.views import PAGE_SIZE, review_page

SECTION = "funding:ledger"


def _kept(request: SignedInRequest, review_id: int) -> Review:
    """The review, if the user keeps its ledger: 404 if they cannot see it, 403 if they may not change it."""
    review = access.access_ledger(request.user, review_id)
    _changeable(request, review)
    return review


def _changeable(request: SignedInRequest, review: Review) -> None:
    """403 unless the user may change the review's ledger."""
    if not access.can_change_ledger(request.user, review):
        raise PermissionDenied


def _back(review: Review) -> HttpResponse:
    return redirect("funding:ledger", review_id=review.pk)


@verified()
def ledger(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The review's costs by category, its contributions by partner, its funding gap and its entries."""
    review = access.access_ledger(request.user, review_id)
    kept = Ledger.objects.filter(review=review).first()
    entries = CostEntry.objects.filter(ledger=kept).select_related("against").order_by("-on", "-pk")
    contributions = Contribution.objects.filter(ledger=kept).order_by("agreed_on", "pk")
    context = {
        "summary": ledgers.summary(review),
        "recorded": kept is not None,
        "page": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "contributions": list(contributions),
        "awarded_fund": PartnerKind.AWARDED_FUND,
        "can_change": access.can_change_ledger(request.user, review),
        "formats": SPREADSHEETS,
    }
    return review_page(request, "funding/ledger.html", review, SECTION, context)


@verified()
def budget_edit(request: SignedInRequest, review_id: int) -> HttpResponse:
    """The budget of each category of the review's costs."""
    review = _kept(request, review_id)
    kept = Ledger.objects.filter(review=review).first()
    initial: dict[str, Any] = {"version": kept.version if kept is not None else 1}
    initial.update(BudgetLine.objects.filter(ledger=kept).values_list("category", "amount_pence"))
    form = BudgetForm(posted(request), initial=initial)
    saved = submit(
        form,
        lambda data: services.set_budget(
            review, actor=request.user, version=data["version"], amounts=form.amounts(), request=request
        ),
    )
    if saved is not None:
        return _back(review)
    return review_page(request, "funding/ledger_budget.html", review, SECTION, {"form": form})


@verified()
def cost_new(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Record a commitment or an actual cost."""
    review = _kept(request, review_id)
    commitments = [(entry.pk, services.entry_label(entry)) for entry in services.commitments(review)]
    form = CostForm(posted(request), commitments=commitments)
    added = submit(
        form,
        lambda data: services.add_cost(
            review,
            actor=request.user,
            kind=data["kind"],
            category=data["category"],
            description=data["description"],
            supplier=data["supplier"],
            on=data["on"],
            amount_pence=data["amount"],
            against_id=data["against"],
            request=request,
        ),
    )
    if added is not None:
        return _back(review)
    return review_page(request, "funding/ledger_cost_new.html", review, SECTION, {"form": form})


@verified()
def cost_cancel(request: SignedInRequest, entry_id: int) -> HttpResponse:
    """Cancel a mistaken commitment or actual cost, with the reason."""
    entry = access.access_cost_entry(request.user, entry_id)
    review = entry.ledger.review
    _changeable(request, review)
    form = CancelForm(posted(request))
    cancelled = submit(
        form, lambda data: services.cancel_cost(entry, actor=request.user, reason=data["reason"], request=request)
    )
    if cancelled is not None:
        return _back(review)
    context = {
        "form": form,
        "entry": entry,
        "settled": list(entry.settled_by.live().order_by("on", "pk")),
    }
    return review_page(request, "funding/ledger_cost_cancel.html", review, SECTION, context)


@verified()
def contribution_new(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Record what the partnership, the commissioner or another partner puts towards the costs."""
    review = _kept(request, review_id)
    form = ContributionForm(posted(request))
    added = submit(
        form,
        lambda data: services.add_contribution(
            review,
            actor=request.user,
            partner_kind=data["partner_kind"],
            partner_name=data["partner_name"],
            amount_pence=data["amount"],
            agreed_on=data["agreed_on"],
            received_pence=data["received"] or 0,
            received_on=data["received_on"],
            note=data["note"],
            request=request,
        ),
    )
    if added is not None:
        return _back(review)
    return review_page(request, "funding/ledger_contribution_new.html", review, SECTION, {"form": form})


@verified()
def contribution_receive(request: SignedInRequest, contribution_id: int) -> HttpResponse:
    """Record the total a partner has paid of their contribution."""
    contribution = access.access_contribution(request.user, contribution_id)
    review = contribution.ledger.review
    _changeable(request, review)
    initial = {"received": contribution.received_pence, "received_on": contribution.received_on}
    form = ReceiveForm(posted(request), initial=initial)
    received = submit(
        form,
        lambda data: services.receive_contribution(
            contribution,
            actor=request.user,
            received_pence=data["received"],
            received_on=data["received_on"],
            request=request,
        ),
    )
    if received is not None:
        return _back(review)
    context = {"form": form, "contribution": contribution, "awarded_fund": PartnerKind.AWARDED_FUND}
    return review_page(request, "funding/ledger_contribution_receive.html", review, SECTION, context)


@verified()
def contribution_cancel(request: SignedInRequest, contribution_id: int) -> HttpResponse:
    """Cancel a mistaken contribution, with the reason."""
    contribution = access.access_contribution(request.user, contribution_id)
    review = contribution.ledger.review
    _changeable(request, review)
    form = CancelForm(posted(request))
    cancelled = submit(
        form,
        lambda data: services.cancel_contribution(
            contribution, actor=request.user, reason=data["reason"], request=request
        ),
    )
    if cancelled is not None:
        return _back(review)
    context = {"form": form, "contribution": contribution, "awarded_fund": PartnerKind.AWARDED_FUND}
    return review_page(request, "funding/ledger_contribution_cancel.html", review, SECTION, context)


@verified()
def partnership_ledger(request: SignedInRequest, partnership_id: int) -> HttpResponse:
    """The partnership's costs and contributions in a financial year (``?year=2025-26``; the current one by default)."""
    partnership = access.access_partnership(request.user, partnership_id)
    current = FinancialYear.of(timezone.localdate())
    form = YearForm({"year": request.GET.get("year", current.label)}, current=current)
    view = ledgers.year_view(partnership.pk, form.cleaned_data["year"]) if form.is_valid() else None
    context = {"form": form, "partnership": partnership, "view": view, "formats": SPREADSHEETS}
    return render_form(request, "funding/ledger_partnership.html", context)


urlpatterns = [
    path("reviews/<int:review_id>/ledger/", ledger, name="ledger"),
    path("reviews/<int:review_id>/ledger/budget/", budget_edit, name="ledger_budget"),
    path("reviews/<int:review_id>/ledger/costs/new/", cost_new, name="cost_new"),
    path("ledger/costs/<int:entry_id>/cancel/", cost_cancel, name="cost_cancel"),
    path("reviews/<int:review_id>/ledger/contributions/new/", contribution_new, name="contribution_new"),
    path("ledger/contributions/<int:contribution_id>/received/", contribution_receive, name="contribution_receive"),
    path("ledger/contributions/<int:contribution_id>/cancel/", contribution_cancel, name="contribution_cancel"),
    path("partnerships/<int:partnership_id>/ledger/", partnership_ledger, name="partnership_ledger"),
]
